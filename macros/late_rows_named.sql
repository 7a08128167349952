{#- the where-clause of the macro named in a model's meta `late_rows` (the replace_window materialization); empty
    for none -#}
{% macro late_rows_named(name) -%}
    {%- if not name -%}
        {{ return('') }}
    {%- elif name == 'late_usage_event_rows' -%}
        {{ return(late_usage_event_rows()) }}
    {%- elif name == 'late_request_rows' -%}
        {{ return(late_request_rows()) }}
    {%- elif name == 'late_transaction_rows' -%}
        {{ return(late_transaction_rows()) }}
    {%- endif -%}
    {%- do exceptions.raise_compiler_error('meta late_rows: no macro ' ~ name ~ ' in macros/late_rows_named.sql') -%}
{%- endmacro %}
