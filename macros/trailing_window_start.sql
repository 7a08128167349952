{#
  The first day of a whole-history report's trailing window: the newest `date_column` of `relation` minus
  `report_window_days` - 1 (var, default 30). Reports that need every value at once (exact percentiles)
  read only that window, so their cost does not grow with history.
#}
{% macro trailing_window_start(relation, date_column) -%}
    {%- set days = var('report_window_days', 30) | int -%}
    (select cast({{ dbt.dateadd('day', 1 - days, 'max(' ~ date_column ~ ')') }} as date) from {{ relation }})
{%- endmacro %}
