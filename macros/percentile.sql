{% macro percentile(column, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'genai_finops')(column, fraction)) }}
{%- endmacro %}

{% macro default__percentile(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}

{% macro spark__percentile(column, fraction) -%}
    percentile({{ column }}, {{ fraction }})
{%- endmacro %}

{% macro bigquery__percentile(column, fraction) -%}
    {#- BigQuery has percentile_cont only as an analytic function: an approximate aggregate instead -#}
    approx_quantiles({{ column }}, 1000)[offset(cast(round({{ fraction }} * 1000) as int64))]
{%- endmacro %}
