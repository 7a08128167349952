{#- The raw lake's folder (FINOPS_LAKE_DIR), without a trailing slash. -#}
{% macro lake_dir() -%}
    {{ return(env_var('FINOPS_LAKE_DIR', 'data/lake').rstrip('/')) }}
{%- endmacro %}
