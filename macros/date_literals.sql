{#- 'YYYY-MM-DD' strings (lake_days_arrived's list) as SQL date literals, comma-separated, for an `in (...)`. -#}
{% macro date_literals(days) -%}
    {%- for day in days %}cast('{{ day }}' as date){% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}
