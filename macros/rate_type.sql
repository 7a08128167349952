{% macro rate_type() -%}
    decimal(20, 12)
{%- endmacro %}
