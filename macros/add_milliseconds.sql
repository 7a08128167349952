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
