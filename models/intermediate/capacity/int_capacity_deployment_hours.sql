-- One row per reservation, deployment and hour: the deployments in force that hour with their share of
-- the reservation's committed cost, plus one 'unallocated' row per reservation-hour for reserved units
-- no deployment uses. Deployed units beyond the reservation (Azure) are billed at the hourly overage rate,
-- shared by the deployments in proportion to their units. Rows of a reservation-hour add up exactly to
-- its committed cost plus overage (the unallocated row, else the largest deployment, takes the rounding).
{{ config(materialized='table') }}

with reservation_hours as (
    select * from {{ ref('int_capacity_reservation_hours') }}
),

deployments as (
    select * from {{ ref('capacity_deployments') }}
),

throughput as (
    select * from {{ ref('capacity_throughput') }}
),

in_force as (
    select
        reservation_hours.*,
        deployments.deployment_id,
        deployments.model_id,
        cast(deployments.units as bigint) as units_deployed,
        deployments.spillover_enabled,
        sum(deployments.units) over (partition by reservation_hours.reservation_id, reservation_hours.hour_at)
            as units_deployed_total,
        row_number() over (
            partition by reservation_hours.reservation_id, reservation_hours.hour_at
            order by deployments.units desc, deployments.deployment_id asc
        ) as size_rank
    from reservation_hours
    inner join deployments
        on reservation_hours.reservation_id = deployments.reservation_id
        and reservation_hours.hour_at >= cast(deployments.valid_from as timestamp)
        and reservation_hours.hour_at < cast(deployments.valid_to as timestamp)
),

deployment_shares as (
    select
        in_force.*,
        cast(
            cast(committed_cost_usd as double) * units_deployed
            / case when units_deployed_total > units_reserved then units_deployed_total else units_reserved end
            as {{ money_type() }}
        ) as committed_share_raw,
        case
            when units_deployed_total > units_reserved
                then cast(
                        cast(overage_price_usd_per_unit_hour as double) * (units_deployed_total - units_reserved)
                        * units_deployed / units_deployed_total
                        as {{ money_type() }}
                    )
            else cast(0 as {{ money_type() }})
        end as overage_cost_usd
    from in_force
),

deployment_totals as (
    select
        reservation_id,
        hour_at,
        max(units_deployed_total) as units_deployed_total,
        sum(committed_share_raw) as committed_shares
    from deployment_shares
    group by 1, 2
),

deployment_rows as (
    select
        deployment_shares.reservation_id,
        deployment_shares.hour_at,
        deployment_shares.deployment_id,
        deployment_shares.model_id,
        deployment_shares.units_deployed,
        deployment_shares.spillover_enabled,
        -- with every reserved unit deployed, the largest deployment absorbs the rounding of the shares
        case
            when deployment_shares.units_deployed_total >= deployment_shares.units_reserved
                and deployment_shares.size_rank = 1
                then cast(
                        deployment_shares.committed_share_raw
                        + (deployment_shares.committed_cost_usd - deployment_totals.committed_shares)
                        as {{ money_type() }}
                    )
            else deployment_shares.committed_share_raw
        end as committed_cost_usd,
        deployment_shares.overage_cost_usd,
        cast(0 as {{ money_type() }}) as unallocated_cost_usd
    from deployment_shares
    inner join deployment_totals
        on deployment_shares.reservation_id = deployment_totals.reservation_id
        and deployment_shares.hour_at = deployment_totals.hour_at
),

unallocated_rows as (
    select
        reservation_hours.reservation_id,
        reservation_hours.hour_at,
        '(unallocated)' as deployment_id,
        cast(null as {{ dbt.type_string() }}) as model_id,
        reservation_hours.units_reserved - coalesce(deployment_totals.units_deployed_total, 0) as units_deployed,
        false as spillover_enabled,
        cast(
            reservation_hours.committed_cost_usd - coalesce(deployment_totals.committed_shares, 0)
            as {{ money_type() }}
        ) as committed_cost_usd,
        cast(0 as {{ money_type() }}) as overage_cost_usd,
        cast(
            reservation_hours.committed_cost_usd - coalesce(deployment_totals.committed_shares, 0)
            as {{ money_type() }}
        ) as unallocated_cost_usd
    from reservation_hours
    left join deployment_totals
        on reservation_hours.reservation_id = deployment_totals.reservation_id
        and reservation_hours.hour_at = deployment_totals.hour_at
    where coalesce(deployment_totals.units_deployed_total, 0) < reservation_hours.units_reserved
),

unioned as (
    select * from deployment_rows
    union all
    select * from unallocated_rows
),

final as (
    select
        reservation_hours.reservation_id,
        unioned.deployment_id,
        reservation_hours.platform,
        reservation_hours.capacity_model,
        reservation_hours.dimension,
        reservation_hours.owner_team,
        reservation_hours.hour_at,
        reservation_hours.hour_date,
        reservation_hours.month_start,
        reservation_hours.units_reserved,
        unioned.units_deployed,
        unioned.model_id,
        unioned.spillover_enabled,
        cast(unioned.units_deployed * throughput.tokens_per_minute_per_unit * 60 as bigint)
            as capacity_weighted_tokens,
        unioned.committed_cost_usd,
        unioned.overage_cost_usd,
        unioned.unallocated_cost_usd,
        reservation_hours.committed_cost_usd as reservation_committed_cost_usd
    from unioned
    inner join reservation_hours
        on unioned.reservation_id = reservation_hours.reservation_id
        and unioned.hour_at = reservation_hours.hour_at
    left join throughput
        on reservation_hours.capacity_model = throughput.capacity_model
        and reservation_hours.dimension = throughput.dimension
        and unioned.model_id = throughput.model_id
)

select * from final
