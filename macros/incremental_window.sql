{% macro incremental_window(date_column) -%}
    {%- set lookback = var('lookback_days', 2) | int -%}
    {%- set min_date = var('min_date', none) -%}
    {%- set max_date = var('max_date', none) -%}
    {%- if min_date and max_date -%}
        {{ date_column }} >= {{ dbt.dateadd('day', -lookback, "cast('" ~ min_date ~ "' as date)") }}
        and {{ date_column }} <= cast('{{ max_date }}' as date)
    {%- elif is_incremental() -%}
        {{ date_column }} >= (
            select {{ dbt.dateadd('day', -lookback, 'max(' ~ date_column ~ ')') }} from {{ this }}
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

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

{#
  The first day an incremental run rebuilds, as an expression (empty on a full build): the window's first
  day minus `lookback_days` when Dagster passes a window, else the newest `this_date_column` already built
  minus the lookback. For models whose rows are keyed by a day of their own (a transaction's start day)
  rather than the request day incremental_window filters on.
#}
{% macro incremental_window_start(this_date_column) -%}
    {%- set lookback = var('lookback_days', 2) | int -%}
    {%- if var('min_date', none) and var('max_date', none) -%}
        {{ dbt.dateadd('day', -lookback, "cast('" ~ var('min_date') ~ "' as date)") }}
    {%- elif is_incremental() -%}
        (select {{ dbt.dateadd('day', -lookback, 'max(' ~ this_date_column ~ ')') }} from {{ this }})
    {%- endif -%}
{%- endmacro %}

{#
  The first day of a whole-history report's trailing window: the newest `date_column` of `relation` minus
  `report_window_days` - 1 (var, default 30). Reports that need every value at once (exact percentiles)
  read only that window, so their cost does not grow with history.
#}
{% macro trailing_window_start(relation, date_column) -%}
    {%- set days = var('report_window_days', 30) | int -%}
    (select cast({{ dbt.dateadd('day', 1 - days, 'max(' ~ date_column ~ ')') }} as date) from {{ relation }})
{%- endmacro %}
