{#- fct_genai_requests: the calls delivered again and every provisioned call (a late provisioned call changes
    its hour's capacity shares, so every provisioned call of the late days is priced again) -#}
{% macro late_request_rows() -%}
    {{ return(late_rows(also="capacity_type = 'provisioned'")) }}
{%- endmacro %}
