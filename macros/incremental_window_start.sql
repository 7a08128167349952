{#
  The first day an incremental run rebuilds, as a SQL expression (empty on a full build without vars): with a
  window, min_date minus `lookback_days`, or `rebuild_from` when that is earlier; else the newest
  `this_date_column` already built minus the lookback, read when the model compiles. Always a constant, so
  engines prune the lake's day partitions, and the days a run deletes are the days its query selects even
  when both run in one statement (a subquery over {{ this }} would see the table after the delete).
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
        {%- set newest_sql = 'select max(' ~ this_date_column ~ ') from ' ~ this -%}
        {%- set newest = run_query(newest_sql).columns[0].values()[0] if execute else none -%}
        {%- if newest is none -%}
            cast(null as date)
        {%- else -%}
            cast('{{ (newest - modules.datetime.timedelta(days=lookback)).strftime('%Y-%m-%d') }}' as date)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
