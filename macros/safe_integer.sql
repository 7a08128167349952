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
