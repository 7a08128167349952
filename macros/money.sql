{% macro money_type() -%}
    {{ return(adapter.dispatch('money_type', 'genai_finops')()) }}
{%- endmacro %}

{% macro default__money_type() -%}
    decimal(38, 10)
{%- endmacro %}

{% macro bigquery__money_type() -%}
    bignumeric
{%- endmacro %}

{% macro rate_type() -%}
    decimal(20, 12)
{%- endmacro %}

{% macro per_mtok_to_per_token(price_per_mtok) -%}
    cast(cast({{ price_per_mtok }} as decimal(18, 6)) * cast(0.000001 as decimal(7, 6)) as {{ rate_type() }})
{%- endmacro %}

{% macro token_cost(tokens, rate) -%}
    cast(cast({{ tokens }} as decimal(12, 0)) * {{ rate }} as decimal(28, 12))
{%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
    case when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
         else ({{ numerator }}) / ({{ denominator }}) end
{%- endmacro %}
