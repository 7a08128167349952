{#
  The first day an incremental run rebuilds, as a SQL expression (empty on a full build without vars): with a
  window, min_date minus `lookback_days` (min_date itself with lookback=false: incremental_window), or
  `rebuild_from` when that is earlier; else the newest
  `this_date_column` already built (or the SQL expression `newest` over the model's rows) minus the lookback,
  read when the model compiles. Always a constant, so engines prune the lake's day partitions, and the days a
  run deletes are the days its query selects even when both run in one statement (a subquery over the model's
  table would see it after the delete).
#}
{% macro incremental_window_start(this_date_column, newest=none, lookback=true) -%}
    {%- set lookback_days = var('lookback_days', 2) | int -%}
    {%- if window_var('min_date') and window_var('max_date') -%}
        {%- set before = lookback_days if lookback else 0 -%}
        {%- set first = modules.datetime.date.fromisoformat(window_var('min_date') | string) - modules.datetime.timedelta(days=before) -%}
        {%- if window_var('rebuild_from') -%}
            {%- set late = modules.datetime.date.fromisoformat(window_var('rebuild_from') | string) -%}
            {%- set first = late if late < first else first -%}
        {%- endif -%}
        cast('{{ first.isoformat() }}' as date)
    {%- elif is_incremental() -%}
        {%- set newest_sql = 'select ' ~ (newest or 'max(' ~ this_date_column ~ ')') ~ ' from ' ~ this -%}
        {%- set newest_day = run_query(newest_sql).columns[0].values()[0] if execute else none -%}
        {%- if newest_day is none -%}
            cast(null as date)
        {%- else -%}
            cast('{{ (newest_day - modules.datetime.timedelta(days=lookback_days)).strftime('%Y-%m-%d') }}' as date)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
