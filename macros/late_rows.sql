{#
  Where-clause of the rows an incremental model keyed by event_date (re)builds on the late days of a run: the
  days before its window (from `rebuild_from`, the oldest day that files arriving in the window carried events
  of) whose rows are all there already but for the late events. Empty when the run has no late days, on a first
  build, and on engines whose incremental strategy replaces whole day partitions (Spark's insert_overwrite,
  delete+insert of the days present): those rebuild the late days whole.

  On DuckDB a row of a late day is rebuilt when its event_id was delivered in the run (a file that arrived in
  the window: a late event, a second copy) or is also an event of the window's own days (a copy under another
  day), or when it is an aggregated report row (counted only where no per-request source covers its platform
  and day: a late call can cover it), or when `also` (a SQL condition on the model's own columns) holds. Every
  other row of a late day depends on deliveries that did not change, so it stays as the runs before wrote it.
  The window's own days are always rebuilt whole. The model's query keeps only these rows of its late days,
  and the `replace_window` materialization (macros/materializations/incremental.sql) deletes the same rows
  before it inserts the query's: one predicate, on the columns the query and the table share, from the macro
  its meta `late_rows` names (late_usage_event_rows, late_request_rows, late_transaction_rows). At 1.1M events
  a day, the late events of the day before are ~1% of that day: a daily run no longer rebuilds it whole.
#}
{% macro late_rows(also=none) -%}
    {#- the usage sources, referenced while dbt parses: the model that calls this depends on them -#}
    {%- do usage_sources('usage') -%}
    {%- do usage_sources('usage_report') -%}
    {{ return(adapter.dispatch('late_rows', 'genai_finops')(also)) }}
{%- endmacro %}

{% macro default__late_rows(also) -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__late_rows(also) -%}
    {%- if not execute or not is_incremental() or not (window_var('min_date') and window_var('max_date')) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set min_date = window_var('min_date') | string -%}
    {%- set max_date = window_var('max_date') | string -%}
    {%- set first = window_var('rebuild_from') | string if window_var('rebuild_from') else min_date -%}
    {%- if first >= min_date -%}
        {{ return('') }}
    {%- endif -%}
    {%- set window_start = "cast('" ~ min_date ~ "' as date)" -%}
    {%- set window_end = "cast('" ~ max_date ~ "' as date)" -%}
    {%- set delivered = [] -%}
    {%- for source_model in usage_sources('usage') -%}
        {%- do delivered.append(
            'select event_id from ' ~ source_model
            ~ " where event_date >= cast('" ~ first ~ "' as date) and event_date <= " ~ window_end
            ~ ' and (event_date >= ' ~ window_start
            ~ ' or arrival_date >= ' ~ window_start ~ ' and arrival_date <= ' ~ window_end ~ ')') -%}
    {%- endfor -%}
    {%- for source_model in usage_sources('usage_report') -%}
        {%- do delivered.append(
            'select event_id from ' ~ source_model
            ~ " where event_date >= cast('" ~ first ~ "' as date) and event_date < " ~ window_start) -%}
    {%- endfor -%}
    {%- set predicate -%}
        event_date >= {{ window_start }}
        {%- if also %} or {{ also }}{% endif %}
        or event_id in ({{ delivered | join(' union all ') }})
    {%- endset -%}
    {{ return(predicate) }}
{%- endmacro %}
