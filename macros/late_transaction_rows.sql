{#
  fct_use_case_transactions, keyed by start day with a lookback (a transaction's calls span days): of the
  transactions that started in the days its window adds before min_date (`lookback_days`, and the late days),
  the ones whose calls or outcomes the run changed: a call of the window's days, a call of the late days that
  late_request_rows rebuilt, a KPI event that arrived in the window or is dated in it. Every other such
  transaction has the calls and outcomes it had when an earlier run built it. Where-clause on the model's
  columns (transaction_id, started_date); `ids_only`: the select of those transaction ids, for the model's query.
#}
{% macro late_transaction_rows(ids_only=false) -%}
    {#- what it reads, referenced while dbt parses (late_request_rows: the usage sources) -#}
    {%- do ref('fct_genai_requests') -%}
    {%- do ref('stg_canonical__kpi_events') -%}
    {%- do late_request_rows() -%}
    {{ return(adapter.dispatch('late_transaction_rows', 'genai_finops')(ids_only)) }}
{%- endmacro %}

{% macro default__late_transaction_rows(ids_only) -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__late_transaction_rows(ids_only) -%}
    {%- if not execute or not is_incremental() or not (window_var('min_date') and window_var('max_date')) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set window_start = "cast('" ~ (window_var('min_date') | string) ~ "' as date)" -%}
    {%- set window_end = "cast('" ~ (window_var('max_date') | string) ~ "' as date)" -%}
    {%- set first = incremental_window_start('started_date') -%}
    {%- set rebuilt_calls = late_request_rows() -%}
    {%- set late_first = window_var('rebuild_from') | string if window_var('rebuild_from') else none -%}
    {%- set ids -%}
        select transaction_id from {{ ref('fct_genai_requests') }}
        where event_date >= {{ first }} and event_date <= {{ window_end }}
            and (event_date >= {{ window_start }}
            {%- if rebuilt_calls %}
                or event_date >= cast('{{ late_first }}' as date) and ({{ rebuilt_calls }})
            {%- endif %})
        union all
        select transaction_id from {{ ref('stg_canonical__kpi_events') }}
        where transaction_id is not null
            and event_date >= {{ dbt.dateadd('day', -1, first) }}
            and (event_date >= {{ window_start }}
                or arrival_date >= {{ window_start }} and arrival_date <= {{ window_end }})
    {%- endset -%}
    {%- if ids_only -%}
        {{ return(ids) }}
    {%- endif -%}
    {{ return('started_date >= ' ~ window_start ~ ' or transaction_id in (' ~ ids ~ ')') }}
{%- endmacro %}
