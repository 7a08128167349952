{#
  Where-clause of the days an incremental model over a whole calendar (capacity hours from the reservations'
  terms, future hours included; the FOCUS rows built on them) rebuilds:
  - On its first build (no table yet): every day, whatever the window: the calendar is complete from the start.
  - With a window (vars min_date, max_date): the window's days, as incremental_window.
  - Without vars, on an incremental run: from `newest` minus the lookback, `newest` being a SQL expression over
    the model's own rows that gives its newest day with traffic (its newest day may be a future idle hour).
#}
{% macro rebuild_days(date_column, newest) -%}
    {%- if not is_incremental() -%}
        1 = 1
    {%- elif window_var('min_date') and window_var('max_date') -%}
        {{ incremental_window(date_column) }}
    {%- else -%}
        {{ date_column }} >= {{ incremental_window_start(none, newest) }}
    {%- endif -%}
{%- endmacro %}
