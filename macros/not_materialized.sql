{#- A CTE read more than once, kept inline: `name as {{ not_materialized() }} (...)`. DuckDB materializes such a
    CTE by default (every row and column of it written once, then read back): for a wide CTE over every event
    that costs more than reading its sources again with only the columns each reader needs. Other engines
    inline CTEs anyway. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'genai_finops')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}
