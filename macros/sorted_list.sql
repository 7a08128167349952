{% macro sorted_list(column) -%}
    {{ return(adapter.dispatch('sorted_list', 'genai_finops')(column)) }}
{%- endmacro %}

{% macro default__sorted_list(column) -%}
    string_agg(distinct {{ column }}, ', ' order by {{ column }})
{%- endmacro %}

{% macro spark__sorted_list(column) -%}
    array_join(array_sort(collect_set({{ column }})), ', ')
{%- endmacro %}
