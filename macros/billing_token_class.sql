{% macro billing_token_class(sku_text) -%}
{#- The token class a billing SKU charges, from its text (CUR usage types, Azure meters, GCP SKUs, FOCUS
    meters name it the same few ways): cached_input, cache_write, input, output, capacity, or other. -#}
case
    when lower({{ sku_text }}) like '%provisioned%' or lower({{ sku_text }}) like '%scale tier%'
        or lower({{ sku_text }}) like '%ptu%' then 'capacity'
    when lower({{ sku_text }}) like '%cache-read%' or lower({{ sku_text }}) like '%cache read%'
        or lower({{ sku_text }}) like '%cached%' then 'cached_input'
    when lower({{ sku_text }}) like '%cache-write%' or lower({{ sku_text }}) like '%cache write%' then 'cache_write'
    when lower({{ sku_text }}) like '%output%' then 'output'
    when lower({{ sku_text }}) like '%input%' then 'input'
    else 'other'
end
{%- endmacro %}
