-- One row per capacity pool (int_capacity_plan_pools: a reservation, or one model that could run on capacity),
-- capacity option (SKU and term of the pool's capacity model) and scenario ('observed': the last
-- `capacity_plan_history_days` days of traffic, var 28; 'forecast': the same hours scaled by the forecast growth).
-- Per option, every unit count from 0 to the peak hour's need (and the reservation's current units; at most
-- 999,999) is costed over the window's hours: units x the unit's hourly price for every hour, plus, each hour,
-- the share of the traffic above the units' capacity at its pay-as-you-go price (spillover). The recommended
-- count costs least among those whose spillover share stays within `capacity_plan_max_spillover_share` (var,
-- 1.0: any spill is acceptable, it is billed on demand). Also: the saving against pay-as-you-go and against the
-- reservation as it is, the utilization of the recommended units, the break-even utilization (a unit's hourly
-- price over the pay-as-you-go price of a unit-hour of traffic) and the hours a day above which a fully used unit
-- beats pay-as-you-go (docs/design.md worked example 4: $100 an hour reserved against $500 an hour on demand:
-- 4.8 hours). 30-day figures, USD at list prices.
{%- set days = var('capacity_plan_history_days', 28) | int %}
{%- set max_spill = var('capacity_plan_max_spillover_share', 1.0) %}
{%- set window_hours = days * 24 %}
with members as (
    select * from {{ ref('int_capacity_plan_pools') }}
),

demand as (
    select * from {{ ref('int_capacity_plan_demand') }}
),

pools as (
    select
        pool_kind,
        pool_id,
        max(reservation_id) as reservation_id,
        max(platform) as platform,
        max(capacity_model) as capacity_model,
        max(dimension) as dimension,
        {{ sorted_list('model_id') }} as models,
        count(distinct model_id) as model_count,
        max(current_units) as current_units,
        max(current_sku) as current_sku,
        max(current_term) as current_term
    from members
    group by 1, 2
),

-- the options sold for every model of the pool (a model-specific price only serves a pool of that model)
pool_options as (
    select
        members.pool_kind,
        members.pool_id,
        options.sku,
        options.term,
        max(options.unit_price_usd_per_hour) as unit_price_usd_per_hour,
        count(distinct options.model_id) as priced_models
    from members
    inner join {{ ref('int_capacity_plan_options') }} as options
        on members.platform = options.platform
        and members.capacity_model = options.capacity_model
        and members.dimension = options.dimension
        and members.model_id = options.model_id
    group by 1, 2, 3, 4
),

totals as (
    select
        scenario,
        pool_kind,
        pool_id,
        sum(units_needed) as unit_hours_needed,
        sum(payg_cost_usd) as payg_cost_usd,
        max(units_needed) as peak_units_needed
    from demand
    group by 1, 2, 3
),

sized as (
    select
        pools.*,
        pool_options.sku,
        pool_options.term,
        pool_options.unit_price_usd_per_hour,
        totals.scenario,
        totals.unit_hours_needed,
        totals.payg_cost_usd,
        ceil(totals.peak_units_needed - 1e-9) as units_for_peak
    from pools
    inner join pool_options
        on pools.pool_kind = pool_options.pool_kind
        and pools.pool_id = pool_options.pool_id
        and pools.model_count = pool_options.priced_models
    inner join totals
        on pools.pool_kind = totals.pool_kind
        and pools.pool_id = totals.pool_id
),

-- the largest unit count costed per pool and scenario (the peak hour's need or the current units)
limits as (
    select
        scenario,
        pool_kind,
        pool_id,
        max(greatest(units_for_peak, coalesce(current_units, 0))) as max_units
    from sized
    group by 1, 2, 3
),

thousands as (
    {{ integers(1000) }}
),

ones as (
    {{ integers(1000) }}
),

unit_counts as (
    select
        limits.scenario,
        limits.pool_kind,
        limits.pool_id,
        thousands.n * 1000 + ones.n as units
    from limits
    inner join thousands
        on thousands.n * 1000 <= limits.max_units
    inner join ones
        on thousands.n * 1000 + ones.n <= limits.max_units
),

-- a unit count's spillover is what the hours needing more units need above it: the hours and the unit counts in
-- one order per pool and scenario (units descending), so that running sums at each unit count cover the hours
-- above it (an hour needing exactly as many adds nothing either way). One pass over hours and counts instead of
-- every count against every hour: hours needing more than n units spill sum(units) - n x hours of them and
-- sum(cost) - n x sum(cost per unit) of their pay-as-you-go cost.
sweep as (
    select
        scenario,
        pool_kind,
        pool_id,
        units_needed as sweep_units,
        1 as is_hour,
        cast(null as {{ dbt.type_bigint() }}) as units,
        units_needed,
        payg_cost_usd,
        payg_cost_usd / units_needed as payg_cost_per_unit
    from demand
    where units_needed > 0
    union all
    select
        scenario,
        pool_kind,
        pool_id,
        cast(units as double) as sweep_units,
        0 as is_hour,
        units,
        cast(null as double) as units_needed,
        cast(null as double) as payg_cost_usd,
        cast(null as double) as payg_cost_per_unit
    from unit_counts
),

swept as (
    select
        scenario,
        pool_kind,
        pool_id,
        is_hour,
        units,
        sum(is_hour) over running as hours_above,
        coalesce(sum(units_needed) over running, 0) as units_needed_above,
        coalesce(sum(payg_cost_usd) over running, 0) as payg_cost_above,
        coalesce(sum(payg_cost_per_unit) over running, 0) as payg_cost_per_unit_above
    from sweep
    window running as (
        partition by scenario, pool_kind, pool_id
        order by sweep_units desc, is_hour asc
        rows between unbounded preceding and current row
    )
),

evaluated as (
    -- an hour needing u > n units spills u - n of them and that share of its pay-as-you-go cost
    select
        sized.pool_kind,
        sized.pool_id,
        sized.sku,
        sized.term,
        sized.scenario,
        swept.units,
        sized.unit_hours_needed,
        sized.payg_cost_usd,
        sized.unit_price_usd_per_hour,
        swept.units * sized.unit_price_usd_per_hour * {{ window_hours }} as committed_cost_usd,
        greatest(swept.units_needed_above - swept.units * swept.hours_above, 0) as spillover_unit_hours,
        greatest(swept.payg_cost_above - swept.units * swept.payg_cost_per_unit_above, 0) as spillover_cost_usd
    from sized
    inner join swept
        on sized.scenario = swept.scenario
        and sized.pool_kind = swept.pool_kind
        and sized.pool_id = swept.pool_id
        and swept.is_hour = 0
),

costed as (
    select
        evaluated.*,
        evaluated.committed_cost_usd + evaluated.spillover_cost_usd as total_cost_usd,
        {{ safe_divide('evaluated.spillover_unit_hours', 'evaluated.unit_hours_needed') }} as spillover_share
    from evaluated
),

ranked as (
    select
        costed.*,
        row_number() over (
            partition by costed.pool_kind, costed.pool_id, costed.sku, costed.term, costed.scenario
            order by
                case when coalesce(costed.spillover_share, 0) <= {{ max_spill }} + 1e-9 then 0 else 1 end,
                costed.total_cost_usd,
                costed.units
        ) as preference
    from costed
),

-- the reservation as it is: its units at its own SKU and term
current_cost as (
    select
        costed.pool_kind,
        costed.pool_id,
        costed.scenario,
        costed.total_cost_usd as current_total_cost_usd
    from costed
    inner join pools
        on costed.pool_kind = pools.pool_kind
        and costed.pool_id = pools.pool_id
        and costed.sku = pools.current_sku
        and costed.term = pools.current_term
        and costed.units = pools.current_units
),

recommended as (
    select
        ranked.*,
        sized.reservation_id,
        sized.platform,
        sized.capacity_model,
        sized.dimension,
        sized.models,
        sized.current_units,
        sized.units_for_peak,
        coalesce(sized.current_sku = ranked.sku and sized.current_term = ranked.term, false) as is_current_option,
        current_cost.current_total_cost_usd
    from ranked
    inner join sized
        on ranked.pool_kind = sized.pool_kind
        and ranked.pool_id = sized.pool_id
        and ranked.sku = sized.sku
        and ranked.term = sized.term
        and ranked.scenario = sized.scenario
    left join current_cost
        on ranked.pool_kind = current_cost.pool_kind
        and ranked.pool_id = current_cost.pool_id
        and ranked.scenario = current_cost.scenario
    where ranked.preference = 1
),

final as (
    select
        pool_kind,
        pool_id,
        reservation_id,
        platform,
        capacity_model,
        dimension,
        models,
        sku,
        term,
        scenario,
        is_current_option,
        current_units,
        units as recommended_units,
        cast(units_for_peak as {{ dbt.type_bigint() }}) as units_for_peak,
        unit_price_usd_per_hour,
        unit_hours_needed * 30 / {{ days }} as unit_hours_needed_30d,
        payg_cost_usd * 30 / {{ days }} as payg_cost_usd_30d,
        current_total_cost_usd * 30 / {{ days }} as current_cost_usd_30d,
        committed_cost_usd * 30 / {{ days }} as committed_cost_usd_30d,
        spillover_cost_usd * 30 / {{ days }} as spillover_cost_usd_30d,
        total_cost_usd * 30 / {{ days }} as total_cost_usd_30d,
        (payg_cost_usd - total_cost_usd) * 30 / {{ days }} as saving_vs_payg_usd_30d,
        (current_total_cost_usd - total_cost_usd) * 30 / {{ days }} as saving_vs_current_usd_30d,
        spillover_share,
        {{ safe_divide('unit_hours_needed - spillover_unit_hours', 'units * ' ~ window_hours) }}
            as recommended_utilization,
        {{ safe_divide('unit_price_usd_per_hour', safe_divide('payg_cost_usd', 'unit_hours_needed')) }}
            as break_even_utilization,
        -- a unit fully used for h hours a day and idle the rest beats pay-as-you-go once h passes this
        case
            when unit_price_usd_per_hour * unit_hours_needed <= payg_cost_usd
                then {{ safe_divide('24 * unit_price_usd_per_hour * unit_hours_needed', 'payg_cost_usd') }}
        end as reserved_wins_above_hours_per_day,
        -- options that cost the same to the cent (every option at 0 units) rank by name
        row_number() over (
            partition by pool_kind, pool_id, scenario
            order by round(total_cost_usd, 2), units, sku, term
        ) = 1 as is_best_option
    from recommended
)

select * from final
