{#
  Where-clause of the rows an incremental model (re)builds, on its day column: the rebuild window.
  - With a window (vars min_date, max_date: a Dagster partition or range): its days, from `lookback_days`
    before min_date, and from older still when files that arrived in the window carried events of older days
    (var `rebuild_from`, set by Dagster from the lake: late data of any age reaches the facts). A model whose
    rows each depend on their own day only (lookback=false: the events, the request fact, the capacity
    allocations of an hour, the daily sums) has nothing to carry over from the days before: it rebuilds the
    window's days and the late days only.
  - Without vars, on an incremental run: from the newest day already built minus the lookback.
  - On a full build without vars: everything.
#}
{% macro incremental_window(date_column, this_date_column=none, lookback=true) -%}
    {#- this_date_column: the model's own day column, when the filtered column is named otherwise -#}
    {%- set start = incremental_window_start(this_date_column or date_column, lookback=lookback) -%}
{%- if window_var('min_date') and window_var('max_date') -%}
        {{ date_column }} >= {{ start }} and {{ date_column }} <= cast('{{ window_var('max_date') }}' as date)
    {%- elif start -%}
        {{ date_column }} >= {{ start }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
