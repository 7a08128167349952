{#
  rebuild_days at month grain, for a model summed by calendar month (a month's rows need every day of it): a
  where-clause on a date column that selects the whole months holding the days rebuild_days would rebuild,
  from the month of the window's first day (lookback and late days included) to the month of its last day;
  without a window, from the month of `newest` (over the model's own rows) minus the lookback; everything on
  the first build.
#}
{% macro rebuild_months(date_column, newest) -%}
    {%- if not is_incremental() -%}
        1 = 1
    {%- else -%}
        {%- set first = incremental_window_start(none, newest) -%}
        {{ date_column }} >= cast({{ dbt.date_trunc('month', first) }} as date)
        {%- if window_var('min_date') and window_var('max_date') %}
        and {{ date_column }} < cast({{ dbt.dateadd('month', 1, dbt.date_trunc('month', "cast('" ~ window_var('max_date') ~ "' as date)")) }} as date)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
