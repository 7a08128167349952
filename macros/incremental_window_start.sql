{#
  The first day an incremental run rebuilds, as a SQL expression (empty on a full build without vars): with a
  window, min_date minus `lookback_days`, or `rebuild_from` when that is earlier (a constant, so engines prune
  the lake's day partitions); else the newest `this_date_column` already built minus the lookback.
#}
{% macro incremental_window_start(this_date_column) -%}
    {%- set lookback = var('lookback_days', 2) | int -%}
    {%- if var('min_date', none) and var('max_date', none) -%}
        {%- set first = modules.datetime.date.fromisoformat(var('min_date') | string) - modules.datetime.timedelta(days=lookback) -%}
        {%- if var('rebuild_from', none) -%}
            {%- set late = modules.datetime.date.fromisoformat(var('rebuild_from') | string) -%}
            {%- set first = late if late < first else first -%}
        {%- endif -%}
        cast('{{ first.isoformat() }}' as date)
    {%- elif is_incremental() -%}
        (select {{ dbt.dateadd('day', -lookback, 'max(' ~ this_date_column ~ ')') }} from {{ this }})
    {%- endif -%}
{%- endmacro %}
