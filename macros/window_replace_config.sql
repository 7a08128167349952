{% macro window_replace_config(date_column, lookback=true, late_rows=none) -%}
    {#- late_rows: the name of the macro (late_rows_named) whose where-clause says which rows of the days
        before min_date the model rebuilds, on DuckDB; none: those days whole -#}
    {{ return(adapter.dispatch('window_replace_config', 'genai_finops')(date_column, lookback, late_rows)) }}
{%- endmacro %}

{% macro default__window_replace_config(date_column, lookback, late_rows) -%}
    {{ return(partition_replace_config(date_column)) }}
{%- endmacro %}

{% macro duckdb__window_replace_config(date_column, lookback, late_rows) -%}
    {#- for models whose rows all fall in incremental_window(date_column, lookback=lookback): the window is
        replaced whole, straight from the query (macros/materializations/incremental.sql), but for the rows of
        its late days that late_rows leaves as they are -#}
    {%- set meta = {'window_lookback': lookback} -%}
    {%- if late_rows -%}
        {%- do meta.update({'late_rows': late_rows}) -%}
    {%- endif -%}
    {{ return({'incremental_strategy': 'replace_window', 'unique_key': date_column, 'meta': meta}) }}
{%- endmacro %}
