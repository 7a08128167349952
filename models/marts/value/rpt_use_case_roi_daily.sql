{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- One row per use case, variant and UTC day: requests, transactions, successes, cost (from
-- fct_genai_requests on the day the calls ran), value (from KPI events on the day they were recorded, in USD
-- and hours), net value, ROI, cost per success and value per dollar. Additive columns can be summed over any
-- period; recompute the ratios from the sums. Incremental by day: a run replaces the days of its window (the
-- transactions by the day they started, as fct_use_case_transactions rebuilds them).
with requests as (
    select
        use_case_id,
        variant_id,
        event_date,
        sum(requests) as requests,
        sum(case when pricing_status = 'unpriced' then requests else 0 end) as unpriced_requests,
        sum(total_cost_usd) as cost_usd
    from {{ ref('int_requests_daily') }}
    where {{ incremental_window('event_date') }}
    group by 1, 2, 3
),

transactions as (
    select
        use_case_id,
        variant_id,
        started_date as event_date,
        count(*) as transactions,
        sum(case when is_success then 1 else 0 end) as successful_transactions
    from {{ ref('fct_use_case_transactions') }}
    where {{ incremental_window('started_date', 'event_date') }}
    group by 1, 2, 3
),

value as (
    select
        use_case_id,
        variant_id,
        event_date,
        sum(value_usd) as value_usd,
        sum(hours_saved) as hours_saved
    from {{ ref('int_kpi_event_values') }}
    where {{ incremental_window('event_date') }}
    group by 1, 2, 3
),

keys as (
    select
        use_case_id,
        variant_id,
        event_date
    from requests
    union
    select
        use_case_id,
        variant_id,
        event_date
    from value
),

final as (
    select
        keys.use_case_id,
        keys.variant_id,
        keys.event_date,
        coalesce(requests.requests, 0) as requests,
        coalesce(requests.unpriced_requests, 0) as unpriced_requests,
        coalesce(transactions.transactions, 0) as transactions,
        coalesce(transactions.successful_transactions, 0) as successful_transactions,
        cast(coalesce(requests.cost_usd, 0) as {{ money_type() }}) as cost_usd,
        cast(coalesce(value.value_usd, 0) as {{ money_type() }}) as value_usd,
        coalesce(value.hours_saved, 0) as hours_saved,
        cast(coalesce(value.value_usd, 0) - coalesce(requests.cost_usd, 0) as {{ money_type() }}) as net_value_usd,
        {{ safe_divide('cast(coalesce(value.value_usd, 0) - coalesce(requests.cost_usd, 0) as double)', 'cast(requests.cost_usd as double)') }}
            as roi,
        {{ safe_divide('cast(requests.cost_usd as double)', 'transactions.successful_transactions') }}
            as cost_per_success_usd,
        {{ safe_divide('cast(value.value_usd as double)', 'cast(requests.cost_usd as double)') }} as value_per_dollar
    from keys
    left join requests
        on keys.use_case_id = requests.use_case_id
        and keys.variant_id = requests.variant_id
        and keys.event_date = requests.event_date
    left join transactions
        on keys.use_case_id = transactions.use_case_id
        and keys.variant_id = transactions.variant_id
        and keys.event_date = transactions.event_date
    left join value
        on keys.use_case_id = value.use_case_id
        and keys.variant_id = value.variant_id
        and keys.event_date = value.event_date
)

select * from final
