-- One row per provisioned request: its capacity used cost and idle share summed over the reservation-hours
-- it drew on (a Scale Tier request draws on an input and an output bundle). USD. Incremental by day.
{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('event_date', lookback=false)) }}

with by_reservation as (
    select * from {{ ref('int_capacity_allocations_by_reservation') }}
    where {{ incremental_window('event_date', lookback=false) }}
),

final as (
    select
        event_id,
        event_date,
        count(*) as reservations,
        cast(sum(capacity_used_cost_usd) as {{ money_type() }}) as capacity_used_cost_usd,
        cast(sum(capacity_idle_share_usd) as {{ money_type() }}) as capacity_idle_share_usd
    from by_reservation
    group by 1, 2
)

select * from final
