{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('started_date')) }}
{%- set window_start = incremental_window_start('started_date') %}
{%- set window_end = window_var('max_date') if window_var('min_date') else none %}
-- One row per use-case transaction (one execution: an agent run, a conversation, a document): its calls,
-- steps, retries and failures, tokens, fully loaded cost (pay-as-you-go after discounts + allocated
-- capacity; spillover is pay-as-you-go), duration, success (from the primary KPI) and value. USD, UTC.
-- Incremental by start day: a run rebuilds every transaction that started in its window (the window's days
-- minus `lookback_days`), from all of its calls and KPI events, so a late call or outcome inside the lookback
-- corrects its transaction; one that comes later needs a backfill from the start day on (a window ending
-- before a later-starting row of the same transaction leaves that row: `genai-finops run --changed` builds
-- from the first changed day to the last). The rows that do not change are not rescanned: only the window's
-- calls and the transactions that started before it are read.
with requests as {{ not_materialized() }} (
    select * from {{ ref('fct_genai_requests') }}
    {%- if window_start %}
    where event_date >= {{ window_start }}
    {%- endif %}
),
{%- if window_start %}

started_before_window as (
    -- transactions with calls in the window that started before it: built by an earlier run. Looked up among
    -- the transactions already built (a fraction of the calls; scanning the request fact's history instead
    -- grew with it: 60-93 s per 10-day window at 100M events), or on a first build among the earlier calls
    {%- set earlier, earlier_date = (this, 'started_date') if is_incremental() else (ref('fct_genai_requests'), 'event_date') %}
    select distinct earlier.transaction_id
    from {{ earlier }} as earlier
    inner join (select distinct transaction_id from requests) as current_calls
        on earlier.transaction_id = current_calls.transaction_id
    where earlier.{{ earlier_date }} < {{ window_start }}
),

window_requests as (
    select requests.*
    from requests
    left join started_before_window
        on requests.transaction_id = started_before_window.transaction_id
    where started_before_window.transaction_id is null
),
{%- else %}

window_requests as (
    select * from requests
),
{%- endif %}

kpis as (
    select
        transaction_id,
        max(case when is_primary then quantity end) as primary_kpi_quantity,
        sum(value_usd) as value_usd,
        sum(hours_saved) as hours_saved
    from {{ ref('int_kpi_event_values') }}
    where transaction_id is not null
    {%- if window_start %}
        -- outcomes come after their transaction's first call: from the day before the window on (a day of
        -- slack for clock skew). A date filter prunes the lake's day partitions; a semi-join on the window's
        -- transaction ids cost ~9 s more at 10M events (26.9 s vs 18.5 s for the model).
        and event_date >= {{ dbt.dateadd('day', -1, window_start) }}
    {%- endif %}
    group by 1
),

calls as (
    select
        transaction_id,
        min(use_case_id) as use_case_id,
        min(variant_id) as variant_id,
        min(occurred_at) as started_at,
        max(occurred_at) as last_call_at,
        max({{ add_milliseconds('coalesce(latency_ms, 0)', 'occurred_at') }}) as ended_at,
        sum(request_count) as requests,
        count(distinct step_index) as steps,
        sum(case when attempt > 1 then request_count else 0 end) as retries,
        sum(case when status in ('error', 'timeout', 'filtered') then request_count else 0 end) as failed_requests,
        sum(case when status = 'throttled' then request_count else 0 end) as throttled_requests,
        sum(case when pricing_status = 'unpriced' then request_count else 0 end) as unpriced_requests,
        sum(input_tokens) as input_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(output_tokens) as output_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(effective_cost_usd) as on_demand_cost_usd,
        sum(case when capacity_type = 'spillover' then effective_cost_usd else 0 end) as spillover_cost_usd,
        sum(capacity_cost_usd) as capacity_cost_usd,
        sum(total_cost_usd) as priced_cost_usd,
        sum(case when status <> 'success' or attempt > 1 then total_cost_usd else 0 end) as failure_and_retry_cost_usd
    from window_requests
    group by 1
),

final as (
    select
        calls.transaction_id,
        {{ id_hash('calls.transaction_id') }} as transaction_id_hash,
        calls.use_case_id,
        calls.variant_id,
        calls.started_at,
        cast(calls.started_at as date) as started_date,
        calls.ended_at,
        {{ dbt.datediff('calls.started_at', 'calls.ended_at', 'millisecond') }} as duration_ms,
        calls.requests,
        calls.steps,
        calls.retries,
        calls.failed_requests,
        calls.throttled_requests,
        calls.unpriced_requests,
        calls.input_tokens,
        calls.cached_input_tokens,
        calls.output_tokens,
        calls.reasoning_tokens,
        cast(calls.on_demand_cost_usd as {{ money_type() }}) as on_demand_cost_usd,
        cast(calls.spillover_cost_usd as {{ money_type() }}) as spillover_cost_usd,
        cast(calls.capacity_cost_usd as {{ money_type() }}) as capacity_cost_usd,
        -- fully loaded cost of the priced requests; unpriced_requests > 0 means it is a lower bound
        cast(coalesce(calls.priced_cost_usd, 0) as {{ money_type() }}) as total_cost_usd,
        cast(coalesce(calls.failure_and_retry_cost_usd, 0) as {{ money_type() }}) as failure_and_retry_cost_usd,
        kpis.primary_kpi_quantity,
        kpis.primary_kpi_quantity is not null as has_outcome,
        coalesce(kpis.primary_kpi_quantity, 0) > 0 as is_success,
        cast(coalesce(kpis.value_usd, 0) as {{ money_type() }}) as value_usd,
        coalesce(kpis.hours_saved, 0) as hours_saved,
        cast(coalesce(kpis.value_usd, 0) - coalesce(calls.priced_cost_usd, 0) as {{ money_type() }}) as net_value_usd
    from calls
    left join kpis
        on calls.transaction_id = kpis.transaction_id
    {%- if window_end %}
    -- a transaction that started after the window is a later window's (its calls were read: they may
    -- continue one that started inside it)
    where cast(calls.started_at as date) <= cast('{{ window_end }}' as date)
    {%- endif %}
)

select * from final
