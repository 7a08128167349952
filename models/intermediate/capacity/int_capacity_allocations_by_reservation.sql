-- One row per provisioned request and reservation-hour it drew on: its share of that hour's used cost and
-- idle cost (by weighted tokens), with the rounding given to the request with the most weighted tokens so
-- the shares add up exactly to the hour's used and idle cost. int_capacity_allocations sums it per request.
-- Incremental by day (a request's hour is in its day): a run replaces the days of its rebuild window.
{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('event_date', lookback=false)) }}

with weights as (
    select * from {{ ref('int_capacity_request_weights') }}
    where {{ incremental_window('event_date', lookback=false) }}
),

hourly as (
    select
        reservation_id,
        deployment_id,
        hour_at,
        used_cost_usd,
        idle_cost_usd,
        used_weighted_tokens
    from {{ ref('fct_capacity_hourly') }}
),

shares as (
    select
        weights.event_id,
        weights.event_date,
        weights.use_case_id,
        weights.reservation_id,
        weights.deployment_id,
        weights.hour_at,
        hourly.used_cost_usd,
        hourly.idle_cost_usd,
        case when hourly.used_weighted_tokens > 0
                then cast(
                        cast(hourly.used_cost_usd as double) * weights.weighted_tokens / hourly.used_weighted_tokens
                        as {{ money_type() }}
                    )
            else cast(0 as {{ money_type() }})
        end as used_share_raw,
        case when hourly.used_weighted_tokens > 0
                then cast(
                        cast(hourly.idle_cost_usd as double) * weights.weighted_tokens / hourly.used_weighted_tokens
                        as {{ money_type() }}
                    )
            else cast(0 as {{ money_type() }})
        end as idle_share_raw,
        row_number() over (
            partition by weights.reservation_id, weights.deployment_id, weights.hour_at
            order by weights.weighted_tokens desc, weights.event_id asc
        ) as weight_rank,
        hourly.used_weighted_tokens
    from weights
    inner join hourly
        on weights.reservation_id = hourly.reservation_id
        and weights.deployment_id = hourly.deployment_id
        and weights.hour_at = hourly.hour_at
),

balanced as (
    select
        shares.*,
        sum(used_share_raw) over (partition by reservation_id, deployment_id, hour_at) as used_shares,
        sum(idle_share_raw) over (partition by reservation_id, deployment_id, hour_at) as idle_shares
    from shares
),

final as (
    select
        event_id,
        event_date,
        use_case_id,
        reservation_id,
        deployment_id,
        hour_at,
        case when weight_rank = 1 and used_weighted_tokens > 0
                then cast(used_share_raw + (used_cost_usd - used_shares) as {{ money_type() }})
            else used_share_raw
        end as capacity_used_cost_usd,
        case when weight_rank = 1 and used_weighted_tokens > 0
                then cast(idle_share_raw + (idle_cost_usd - idle_shares) as {{ money_type() }})
            else idle_share_raw
        end as capacity_idle_share_usd
    from balanced
)

select * from final
