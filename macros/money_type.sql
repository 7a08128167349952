{% macro money_type() -%}
    {{ return(adapter.dispatch('money_type', 'genai_finops')()) }}
{%- endmacro %}

{% macro default__money_type() -%}
    decimal(38, 10)
{%- endmacro %}

{% macro bigquery__money_type() -%}
    bignumeric
{%- endmacro %}
