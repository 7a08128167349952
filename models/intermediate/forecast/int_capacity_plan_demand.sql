-- One row per capacity pool (int_capacity_plan_pools), scenario and UTC hour of the last
-- `capacity_plan_history_days` days (var, 28) in which the pool's models had traffic: the capacity units that
-- traffic needs (per model, its tokens in the capacity model's burndown weights over what one unit serves in an
-- hour, summed over the pool's models) and its pay-as-you-go list cost (USD; the shadow price of provisioned
-- traffic). All of a model's traffic on the platform counts: on demand, provisioned and spillover alike.
-- Scenario 'observed' is the traffic as it ran; 'forecast' scales each model's hours by the forecast growth of
-- its tokens (the next 30 forecast days against the observed days). Reads hours (int_capacity_plan_hourly) and
-- days (int_requests_daily), not calls.
{%- set days = var('capacity_plan_history_days', 28) | int %}
with origin as (
    select max(event_date) as origin_date
    from {{ ref('int_requests_daily') }}
),

hours as (
    select hours.*
    from {{ ref('int_capacity_plan_hourly') }} as hours
    cross join origin
    where hours.event_date > {{ dbt.dateadd('day', -days, 'origin.origin_date') }}
),

throughput as (
    select * from {{ ref('capacity_throughput') }}
),

members as (
    select * from {{ ref('int_capacity_plan_pools') }}
),

hourly as (
    select
        members.pool_kind,
        members.pool_id,
        members.platform,
        members.model_id,
        hours.hour_at,
        -- exact sums, then doubles: the same figures whatever the order of the rows
        cast(sum(hours.weighted_tokens) as double)
        / max(cast(throughput.tokens_per_minute_per_unit as double) * 60) as units_needed,
        cast(sum(hours.payg_cost_usd) as double) as payg_cost_usd
    from hours
    inner join members
        on hours.platform = members.platform
        and hours.model_id = members.model_id
        and hours.capacity_model = members.capacity_model
        and hours.dimension = members.dimension
    inner join throughput
        on members.capacity_model = throughput.capacity_model
        and members.dimension = throughput.dimension
        and members.model_id = throughput.model_id
    group by 1, 2, 3, 4, 5
),

forecast_tokens as (
    select
        platform,
        model_id,
        sum(point) / 30 as forecast_daily_tokens
    from {{ ref('fct_forecast_daily') }}
    where
        scope = 'use_case_model'
        and metric = 'tokens'
        and horizon_days <= 30
    group by 1, 2
),

observed_tokens as (
    select
        daily.platform,
        daily.model_id,
        sum(daily.input_tokens + daily.output_tokens) / {{ days }} as observed_daily_tokens
    from {{ ref('int_requests_daily') }} as daily
    cross join origin
    where daily.event_date > {{ dbt.dateadd('day', -days, 'origin.origin_date') }}
    group by 1, 2
),

growth as (
    select
        observed_tokens.platform,
        observed_tokens.model_id,
        coalesce(
            {{ safe_divide('forecast_tokens.forecast_daily_tokens', 'observed_tokens.observed_daily_tokens') }}, 1
        ) as growth_factor
    from observed_tokens
    left join forecast_tokens
        on observed_tokens.platform = forecast_tokens.platform
        and observed_tokens.model_id = forecast_tokens.model_id
),

scenarios as (
    select
        'observed' as scenario,
        pool_kind,
        pool_id,
        hour_at,
        sum(units_needed) as units_needed,
        sum(payg_cost_usd) as payg_cost_usd
    from hourly
    group by 1, 2, 3, 4
    union all
    select
        'forecast' as scenario,
        hourly.pool_kind,
        hourly.pool_id,
        hourly.hour_at,
        sum(hourly.units_needed * coalesce(growth.growth_factor, 1)) as units_needed,
        sum(hourly.payg_cost_usd * coalesce(growth.growth_factor, 1)) as payg_cost_usd
    from hourly
    left join growth
        on hourly.platform = growth.platform
        and hourly.model_id = growth.model_id
    group by 1, 2, 3, 4
)

select * from scenarios
