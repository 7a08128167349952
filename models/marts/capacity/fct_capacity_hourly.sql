-- One row per reservation, deployment and hour (plus an '(unallocated)' row per reservation-hour with
-- undeployed units): committed, used, idle, unallocated and overage cost in USD, capacity and used
-- weighted tokens, utilization, the on-demand (list-equivalent) value of the traffic served, and the
-- spillover / throttling that saturation caused. used + idle + unallocated = committed + overage, exactly.
-- Incremental by day over the reservations' whole terms (macros/rebuild_days.sql): every hour of every term on
-- the first build, then the days of each run's window (hours are independent of each other).
{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('hour_date')) }}
{%- set traffic = "max(case when provisioned_requests > 0 or spillover_requests > 0 or throttled_requests > 0 then hour_date end)" %}
{%- set newest = "coalesce(" ~ traffic ~ ", min(hour_date))" %}
with deployment_hours as (
    select * from {{ ref('int_capacity_deployment_hours') }}
    where {{ rebuild_days('hour_date', newest) }}
),

weights as (
    select * from {{ ref('int_capacity_request_weights') }}
    where {{ rebuild_days('event_date', newest) }}
),

overflow as (
    -- spillover and throttled requests name the provisioned deployment they overflowed from
    select
        deployment_id,
        {{ dbt.date_trunc('hour', 'occurred_at') }} as hour_at,
        sum(case when capacity_type = 'spillover' then request_count else 0 end) as spillover_requests,
        sum(case when capacity_type = 'spillover' then effective_cost_usd end) as spillover_cost_usd,
        sum(case when status = 'throttled' then request_count else 0 end) as throttled_requests
    from {{ ref('int_usage_events_priced') }}
    where deployment_id is not null
        and (capacity_type = 'spillover' or (capacity_type = 'provisioned' and status = 'throttled'))
        and {{ rebuild_days('event_date', newest) }}
    group by 1, 2
),

used as (
    select
        reservation_id,
        deployment_id,
        hour_at,
        count(*) as provisioned_requests,
        sum(weighted_tokens) as used_weighted_tokens,
        sum(list_equivalent_cost_usd) as list_equivalent_cost_usd,
        sum(case when not has_weights then 1 else 0 end) as requests_without_weights
    from weights
    group by 1, 2, 3
),

joined as (
    select
        deployment_hours.*,
        coalesce(used.provisioned_requests, 0) as provisioned_requests,
        coalesce(used.used_weighted_tokens, 0) as used_weighted_tokens,
        coalesce(used.list_equivalent_cost_usd, cast(0 as {{ money_type() }})) as list_equivalent_cost_usd,
        coalesce(used.requests_without_weights, 0) as requests_without_weights,
        coalesce(overflow.spillover_requests, 0) as spillover_requests,
        coalesce(overflow.spillover_cost_usd, cast(0 as {{ money_type() }})) as spillover_cost_usd,
        coalesce(overflow.throttled_requests, 0) as throttled_requests
    from deployment_hours
    left join used
        on deployment_hours.reservation_id = used.reservation_id
        and deployment_hours.deployment_id = used.deployment_id
        and deployment_hours.hour_at = used.hour_at
    left join overflow
        on deployment_hours.deployment_id = overflow.deployment_id
        and deployment_hours.hour_at = overflow.hour_at
        and deployment_hours.deployment_id <> '(unallocated)'
),

costed as (
    select
        joined.*,
        case
            when capacity_weighted_tokens > 0 then cast(used_weighted_tokens as double) / capacity_weighted_tokens
        end as raw_utilization,
        cast(
            cast(committed_cost_usd - unallocated_cost_usd + overage_cost_usd as double)
            * case
                when capacity_weighted_tokens is null or capacity_weighted_tokens = 0 then 0
                when used_weighted_tokens >= capacity_weighted_tokens then 1
                else cast(used_weighted_tokens as double) / capacity_weighted_tokens
            end
            as {{ money_type() }}
        ) as used_cost_usd
    from joined
),

final as (
    select
        reservation_id,
        deployment_id,
        platform,
        capacity_model,
        dimension,
        owner_team,
        model_id,
        hour_at,
        hour_date,
        month_start,
        units_reserved,
        units_deployed,
        spillover_enabled,
        committed_cost_usd,
        used_cost_usd,
        cast(committed_cost_usd - unallocated_cost_usd + overage_cost_usd - used_cost_usd as {{ money_type() }})
            as idle_cost_usd,
        unallocated_cost_usd,
        overage_cost_usd,
        capacity_weighted_tokens,
        used_weighted_tokens,
        least(coalesce(raw_utilization, 0), 1.0) as utilization_pct,
        coalesce(raw_utilization, 0) as demand_utilization,
        provisioned_requests,
        requests_without_weights,
        spillover_requests,
        spillover_cost_usd,
        throttled_requests,
        list_equivalent_cost_usd
    from costed
)

select * from final
