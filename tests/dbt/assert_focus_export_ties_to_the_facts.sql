-- FOCUS column names are PascalCase:
-- noqa: disable=CP02
-- The FOCUS export (marts.fct_focus_cost_and_usage) neither loses nor invents a cent: per reservation and day,
-- the amortized capacity rows (capacity_used, capacity_idle, capacity_unallocated) add up to the purchase row,
-- which is the reservation's committed + overage cost in fct_capacity_hourly; per platform and day, the usage
-- rows add up to the effective cost of the priced pay-as-you-go calls in fct_genai_requests; per use case,
-- variant and day in the export, x_ValueUsd adds up to the value of rpt_use_case_roi_daily. Fails with each
-- side that differs.
-- Every comparison is per day: on a run with a window (Dagster passes min_date / max_date) only the days from
-- the window's first rebuilt day on (incremental_window_start: its first day minus `lookback_days`, or the
-- oldest late day; no model compared here rebuilds an older one) are compared, as older days were compared by
-- the runs that wrote them. Without a window (a plain `dbt build`, a full refresh), every day; and every day when
-- the export has no pay-as-you-go row before that day (a first build, whose capacity rows cover the
-- reservations' whole terms, before the window too).
{%- set start = test_window_start(ref('fct_focus_cost_and_usage'), 'ChargePeriodStart', "x_ChargeType = 'usage'") %}
with focus as (
    select * from {{ ref('fct_focus_cost_and_usage') }}
    {%- if start %}
    where ChargePeriodStart >= {{ start }}
    {%- endif %}
),

capacity_rows as (
    select
        cast(ChargePeriodStart as date) as charge_date,
        CapacityReservationId as reservation_id,
        sum(case when x_ChargeType = 'capacity_purchase' then BilledCost else 0 end) as purchased,
        sum(case when x_ChargeType <> 'capacity_purchase' then EffectiveCost else 0 end) as amortized
    from focus
    where CapacityReservationId is not null
    group by 1, 2
),

capacity_facts as (
    select
        hour_date as charge_date,
        reservation_id,
        sum(committed_cost_usd + overage_cost_usd) as cost
    from {{ ref('fct_capacity_hourly') }}
    {%- if start %}
    where hour_date >= {{ start }}
    {%- endif %}
    group by 1, 2
),

usage_rows as (
    select
        cast(ChargePeriodStart as date) as charge_date,
        x_Platform as platform,
        sum(EffectiveCost) as effective_cost
    from focus
    where x_ChargeType = 'usage'
    group by 1, 2
),

value_rows as (
    select
        cast(ChargePeriodStart as date) as charge_date,
        x_UseCaseId as use_case_id,
        x_VariantId as variant_id,
        sum(coalesce(x_ValueUsd, 0)) as value_usd
    from focus
    where x_UseCaseId is not null
    group by 1, 2, 3
),

value_facts as (
    select
        event_date as charge_date,
        use_case_id,
        variant_id,
        sum(value_usd) as value_usd
    from {{ ref('rpt_use_case_roi_daily') }}
    {%- if start %}
    where event_date >= {{ start }}
    {%- endif %}
    group by 1, 2, 3
),

usage_facts as (
    select
        event_date as charge_date,
        platform,
        sum(effective_cost_usd) as effective_cost
    from {{ ref('fct_genai_requests') }}
    where capacity_type <> 'provisioned' and pricing_status <> 'unpriced'
    {%- if start %}
        and event_date >= {{ start }}
    {%- endif %}
    group by 1, 2
)

select
    'capacity' as side,
    coalesce(capacity_rows.charge_date, capacity_facts.charge_date) as charge_date,
    coalesce(capacity_rows.reservation_id, capacity_facts.reservation_id) as what,
    capacity_rows.purchased as in_export,
    capacity_rows.amortized as in_export_amortized,
    capacity_facts.cost as in_facts
from capacity_rows
full outer join capacity_facts
    on capacity_rows.charge_date = capacity_facts.charge_date and capacity_rows.reservation_id = capacity_facts.reservation_id
where
    coalesce(capacity_rows.purchased, 0) <> coalesce(capacity_facts.cost, 0)
    or coalesce(capacity_rows.amortized, 0) <> coalesce(capacity_facts.cost, 0)
union all
select
    'usage' as side,
    coalesce(usage_rows.charge_date, usage_facts.charge_date) as charge_date,
    coalesce(usage_rows.platform, usage_facts.platform) as what,
    usage_rows.effective_cost as in_export,
    usage_rows.effective_cost as in_export_amortized,
    usage_facts.effective_cost as in_facts
from usage_rows
full outer join usage_facts
    on usage_rows.charge_date = usage_facts.charge_date and usage_rows.platform = usage_facts.platform
where coalesce(usage_rows.effective_cost, 0) <> coalesce(usage_facts.effective_cost, 0)
union all
select
    'value' as side,
    value_rows.charge_date,
    {{ dbt.concat(["value_rows.use_case_id", "' / '", "value_rows.variant_id"]) }} as what,
    value_rows.value_usd as in_export,
    value_rows.value_usd as in_export_amortized,
    value_facts.value_usd as in_facts
from value_rows
left join value_facts
    on
    value_rows.charge_date = value_facts.charge_date
    and value_rows.use_case_id = value_facts.use_case_id
    and value_rows.variant_id = value_facts.variant_id
where value_rows.value_usd <> coalesce(value_facts.value_usd, 0)
