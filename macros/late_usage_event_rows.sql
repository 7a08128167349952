{#- int_usage_events: the events delivered again -#}
{% macro late_usage_event_rows() -%}
    {{ return(late_rows()) }}
{%- endmacro %}
