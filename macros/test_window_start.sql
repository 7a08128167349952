{#
  The first day a data test over a day column reads on a run with a window (vars min_date / max_date, as
  Dagster passes them): incremental_window_start (the window's first day minus `lookback_days`, or the oldest
  late day), as a SQL expression, when `relation` has a row older than that day (`older`: a condition such a
  row must also meet); older rows were tested by the runs that wrote them. None without a window, and when
  nothing older is there (a first build, a backfill's first window): then the test reads every row, which that
  run wrote. One `limit 1` query, answered from the day column's zone maps.
#}
{% macro test_window_start(relation, date_column, older=none) -%}
    {%- if not (window_var('min_date') and window_var('max_date')) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start = incremental_window_start(date_column) -%}
    {%- if execute -%}
        {%- set probe = run_query(
            'select 1 from ' ~ relation ~ ' where ' ~ date_column ~ ' < ' ~ start
            ~ (' and (' ~ older ~ ')' if older else '') ~ ' limit 1'
        ) -%}
        {%- if probe.rows | length == 0 -%}
            {{ return(none) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(start) }}
{%- endmacro %}
