{% macro window_replace_config(date_column, lookback=true) -%}
    {{ return(adapter.dispatch('window_replace_config', 'genai_finops')(date_column, lookback)) }}
{%- endmacro %}

{% macro default__window_replace_config(date_column, lookback) -%}
    {{ return(partition_replace_config(date_column)) }}
{%- endmacro %}

{% macro duckdb__window_replace_config(date_column, lookback) -%}
    {#- for models whose rows all fall in incremental_window(date_column, lookback=lookback): the window is
        replaced whole, straight from the query (macros/materializations/incremental.sql) -#}
    {{ return({'incremental_strategy': 'replace_window', 'unique_key': date_column, 'meta': {'window_lookback': lookback}}) }}
{%- endmacro %}
