{% macro partition_replace_config(date_column) -%}
    {{ return(adapter.dispatch('partition_replace_config', 'genai_finops')(date_column)) }}
{%- endmacro %}

{% macro default__partition_replace_config(date_column) -%}
    {#- delete every day present in the new batch, then insert the batch: a day is replaced whole -#}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': date_column}) }}
{%- endmacro %}

{% macro spark__partition_replace_config(date_column) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [date_column], 'file_format': 'parquet'}) }}
{%- endmacro %}
