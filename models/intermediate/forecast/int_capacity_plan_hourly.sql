{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('event_date', lookback=false)) }}
-- One row per UTC hour with calls, platform and model that served them, and capacity model and dimension with
-- burndown weights for that model (seed capacity_throughput): the hour's tokens in those weights (each call's
-- long-context weights decided by its own input) and its pay-as-you-go list cost (USD). The capacity plan
-- (int_capacity_plan_demand) sizes its pools from these hours, so that it reads 28 days of hours instead of
-- 28 days of calls. Incremental by event_date like the request fact; exact sums (token counts, decimal USD).
with requests as {{ not_materialized() }} (
    select * from {{ ref('fct_genai_requests') }}
    where {{ incremental_window('event_date', lookback=false) }}
),

throughput as (
    select * from {{ ref('capacity_throughput') }}
),

final as (
    select
        requests.event_date,
        {{ dbt.date_trunc('hour', 'requests.occurred_at') }} as hour_at,
        requests.platform,
        requests.model_id,
        throughput.capacity_model,
        throughput.dimension,
        sum({{ capacity_weighted_tokens('requests', 'throughput') }}) as weighted_tokens,
        sum(coalesce(requests.list_equivalent_cost_usd, 0)) as payg_cost_usd
    from requests
    inner join throughput
        on requests.model_id = throughput.model_id
    group by 1, 2, 3, 4, 5, 6
)

select * from final
