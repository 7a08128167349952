-- One row per reservation and calendar month: what the capacity cost, how much of it did work, and what
-- the same traffic would have cost on demand (savings; negative savings are a finding, not an error),
-- with the utilization figures used to right-size it. Money in USD; utilization as a fraction (0-1).
with hourly as (
    select * from {{ ref('fct_capacity_hourly') }}
),

reservation_hours as (
    select
        reservation_id,
        month_start,
        hour_at,
        max(platform) as platform,
        max(capacity_model) as capacity_model,
        max(owner_team) as owner_team,
        max(units_reserved) as units_reserved,
        sum(case when deployment_id <> '(unallocated)' then units_deployed else 0 end) as units_deployed,
        sum(committed_cost_usd) as committed_cost_usd,
        sum(used_cost_usd) as used_cost_usd,
        sum(idle_cost_usd) as idle_cost_usd,
        sum(unallocated_cost_usd) as unallocated_cost_usd,
        sum(overage_cost_usd) as overage_cost_usd,
        sum(capacity_weighted_tokens) as capacity_weighted_tokens,
        sum(used_weighted_tokens) as used_weighted_tokens,
        sum(provisioned_requests) as provisioned_requests,
        sum(spillover_requests) as spillover_requests,
        sum(spillover_cost_usd) as spillover_cost_usd,
        sum(throttled_requests) as throttled_requests,
        sum(list_equivalent_cost_usd) as list_equivalent_cost_usd
    from hourly
    group by 1, 2, 3
),

with_utilization as (
    select
        reservation_hours.*,
        case when capacity_weighted_tokens > 0
                then cast(used_weighted_tokens as double) / capacity_weighted_tokens
            else 0
        end as hour_utilization
    from reservation_hours
),

final as (
    select
        reservation_id,
        month_start,
        max(platform) as platform,
        max(capacity_model) as capacity_model,
        max(owner_team) as owner_team,
        max(units_reserved) as units_reserved,
        avg(units_deployed) as avg_units_deployed,
        count(*) as hours,
        cast(sum(committed_cost_usd) as {{ money_type() }}) as committed_cost_usd,
        cast(sum(used_cost_usd) as {{ money_type() }}) as used_cost_usd,
        cast(sum(idle_cost_usd) as {{ money_type() }}) as idle_cost_usd,
        cast(sum(unallocated_cost_usd) as {{ money_type() }}) as unallocated_cost_usd,
        cast(sum(overage_cost_usd) as {{ money_type() }}) as overage_cost_usd,
        cast(sum(committed_cost_usd) + sum(overage_cost_usd) as {{ money_type() }}) as total_capacity_cost_usd,
        cast(sum(list_equivalent_cost_usd) as {{ money_type() }}) as list_equivalent_cost_usd,
        cast(sum(list_equivalent_cost_usd) - sum(committed_cost_usd) - sum(overage_cost_usd) as {{ money_type() }})
            as savings_vs_on_demand_usd,
        case when sum(capacity_weighted_tokens) > 0
                then cast(sum(used_weighted_tokens) as double) / sum(capacity_weighted_tokens)
            else 0
        end
            as utilization,
        max(hour_utilization) as peak_hour_utilization,
        sum(case when hour_utilization >= 1 then 1 else 0 end) as saturated_hours,
        sum(case when used_weighted_tokens = 0 then 1 else 0 end) as idle_hours,
        sum(provisioned_requests) as provisioned_requests,
        sum(spillover_requests) as spillover_requests,
        cast(sum(spillover_cost_usd) as {{ money_type() }}) as spillover_cost_usd,
        sum(throttled_requests) as throttled_requests,
        -- coverage: share of the traffic aimed at this capacity that it served
        case when sum(provisioned_requests) + sum(spillover_requests) + sum(throttled_requests) > 0
                then cast(sum(provisioned_requests) as double)
                    / (sum(provisioned_requests) + sum(spillover_requests) + sum(throttled_requests))
        end as coverage
    from with_utilization
    group by 1, 2
)

select * from final
