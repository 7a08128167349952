{% macro safe_integer(expression) -%}
{#- The expression as an integer, or null when it is not one (never an error). -#}
{{ return(adapter.dispatch('safe_integer', 'genai_finops')(expression)) }}
{%- endmacro %}

{% macro default__safe_integer(expression) -%}
try_cast({{ expression }} as {{ dbt.type_int() }})
{%- endmacro %}

{% macro bigquery__safe_integer(expression) -%}
safe_cast({{ expression }} as int64)
{%- endmacro %}

{#
  timestamp + a number of milliseconds. dbt.dateadd works on DuckDB, but dbt-spark's version goes through
  whole unix seconds (and scales milliseconds by 1/1,000,000), so on Spark a request's end time would lose
  its latency: Spark has timestampadd for this.
#}
{% macro add_milliseconds(milliseconds, timestamp) -%}
    {{ return(adapter.dispatch('add_milliseconds', 'genai_finops')(milliseconds, timestamp)) }}
{%- endmacro %}

{% macro default__add_milliseconds(milliseconds, timestamp) -%}
    {{ dbt.dateadd('millisecond', milliseconds, timestamp) }}
{%- endmacro %}

{% macro spark__add_milliseconds(milliseconds, timestamp) -%}
    timestampadd(millisecond, cast({{ milliseconds }} as bigint), {{ timestamp }})
{%- endmacro %}
