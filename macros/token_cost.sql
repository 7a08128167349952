{% macro token_cost(tokens, rate) -%}
    cast(cast({{ tokens }} as decimal(12, 0)) * {{ rate }} as decimal(28, 12))
{%- endmacro %}
