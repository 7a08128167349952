{% macro per_mtok_to_per_token(price_per_mtok) -%}
    cast(cast({{ price_per_mtok }} as decimal(18, 6)) * cast(0.000001 as decimal(7, 6)) as {{ rate_type() }})
{%- endmacro %}
