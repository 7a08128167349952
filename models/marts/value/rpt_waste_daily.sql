{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- One row per use case and UTC day: spend that bought nothing. Failed calls (error, timeout, filtered) and
-- the retries they caused, throttled calls (counted; they cost nothing but time), and all spend on
-- unattributed traffic (no use case to credit). USD; a cost of 0 is real (priced), unpriced calls are counted.
-- From the daily sums of the request fact; incremental by day.
with requests as (
    select * from {{ ref('int_requests_daily') }}
    where {{ incremental_window('event_date') }}
),

final as (
    select
        use_case_id,
        event_date,
        sum(requests) as requests,
        sum(case when status in ('error', 'timeout', 'filtered') then requests else 0 end) as failed_requests,
        cast(
            sum(case when status in ('error', 'timeout', 'filtered') then total_cost_usd else 0 end)
            as {{ money_type() }}
        ) as failed_cost_usd,
        sum(case when is_retry then requests else 0 end) as retry_requests,
        cast(sum(case when is_retry then total_cost_usd else 0 end) as {{ money_type() }}) as retry_cost_usd,
        sum(case when status = 'throttled' then requests else 0 end) as throttled_requests,
        cast(sum(case when use_case_id = 'unattributed' then total_cost_usd else 0 end) as {{ money_type() }})
            as unattributed_cost_usd,
        cast(sum(total_cost_usd) as {{ money_type() }}) as total_cost_usd,
        sum(case when pricing_status = 'unpriced' then requests else 0 end) as unpriced_requests
    from requests
    group by 1, 2
)

select * from final
