-- One row per month, reservation and charge line: who pays for provisioned capacity. Used cost goes to the
-- use cases whose requests used it (by weighted tokens, hour by hour); idle, unallocated and overage cost
-- stay with the reservation's owner team as their own lines (or, under capacity_idle_policy 'shared', the
-- idle of hours with traffic goes to those hours' use cases). The lines of a reservation-month add up to
-- its committed + overage cost. USD.
-- Incremental by month: a run rebuilds the whole months that hold the days its window rebuilt upstream
-- (macros/rebuild_months.sql); every month of the terms on the first build.
{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('month_start')) }}
{%- set newest = "coalesce(max(case when line_type = 'use_case' then month_start end), min(month_start))" %}
with hourly as (
    select * from {{ ref('fct_capacity_hourly') }}
    where {{ rebuild_months('hour_date', newest) }}
),

allocations as (
    select * from {{ ref('int_capacity_allocations_by_reservation') }}
    where {{ rebuild_months('event_date', newest) }}
),

shared_policy as (
    select {{ "true" if var('capacity_idle_policy', 'owner') == 'shared' else "false" }} as is_shared
),

use_case_lines as (
    select
        {{ dbt.date_trunc('month', 'allocations.hour_at') }} as month_start,
        allocations.reservation_id,
        'use_case' as line_type,
        allocations.use_case_id as charged_to,
        sum(allocations.capacity_used_cost_usd)
        + sum(case when shared_policy.is_shared then allocations.capacity_idle_share_usd else 0 end)
            as cost_usd
    from allocations
    cross join shared_policy
    group by 1, 2, 3, 4
),

line_types as (
    select 'idle' as line_type
    union all
    select 'unallocated' as line_type
),

owner_lines as (
    select
        hourly.month_start,
        hourly.reservation_id,
        line_types.line_type,
        hourly.owner_team as charged_to,
        sum(
            case line_types.line_type
                when 'idle'
                    then
                        case when shared_policy.is_shared and hourly.used_weighted_tokens > 0 then 0 else hourly.idle_cost_usd end
                when 'unallocated' then hourly.unallocated_cost_usd
            end
        ) as cost_usd
    from hourly
    cross join shared_policy
    cross join line_types
    group by 1, 2, 3, 4
    having sum(case line_types.line_type when 'idle' then hourly.idle_cost_usd else hourly.unallocated_cost_usd end) <> 0
),

final as (
    select
        month_start,
        reservation_id,
        line_type,
        charged_to,
        cast(cost_usd as {{ money_type() }}) as cost_usd
    from use_case_lines
    union all
    select
        month_start,
        reservation_id,
        line_type,
        charged_to,
        cast(cost_usd as {{ money_type() }}) as cost_usd
    from owner_lines
)

select * from final
