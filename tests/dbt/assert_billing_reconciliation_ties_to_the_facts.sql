-- The billing reconciliation is built from the facts and nothing else: per platform, its billed column sums to
-- the GenAI charges of fct_billing_charges, its computed usage to the pay-as-you-go effective cost of
-- fct_genai_requests, and its computed capacity to the capacity cost of fct_capacity_hourly, over the days
-- the platform's bills cover. (The unexplained variance is a remainder by construction: only these ties make
-- it mean something.) Fails with the platform and the two sides that differ by a cent or more.
with billed_days as (
    select
        platform,
        min(charge_date) as first_day,
        max(charge_date) as last_day,
        sum(effective_cost) as billed_effective_cost
    from {{ ref('fct_billing_charges') }}
    where is_genai
    group by 1
),

usage as (
    select
        requests.platform,
        sum(coalesce(requests.effective_cost_usd, 0)) as computed_usage
    from {{ ref('fct_genai_requests') }} as requests
    inner join billed_days
        on
        requests.platform = billed_days.platform
        and requests.event_date between billed_days.first_day and billed_days.last_day
    where requests.capacity_type <> 'provisioned'
    group by 1
),

capacity as (
    select
        hourly.platform,
        sum(hourly.used_cost_usd + hourly.idle_cost_usd + hourly.unallocated_cost_usd) as computed_capacity
    from {{ ref('fct_capacity_hourly') }} as hourly
    inner join billed_days
        on
        hourly.platform = billed_days.platform
        and hourly.hour_date between billed_days.first_day and billed_days.last_day
    group by 1
),

reconciliation as (
    select
        platform,
        sum(billed_effective_cost) as billed_effective_cost,
        sum(computed_usage) as computed_usage,
        sum(computed_capacity) as computed_capacity
    from {{ ref('rpt_billing_reconciliation_daily') }}
    group by 1
),

compared as (
    select
        billed_days.platform,
        'billed_effective_cost' as measure,
        reconciliation.billed_effective_cost as in_reconciliation,
        billed_days.billed_effective_cost as in_facts
    from billed_days
    left join reconciliation on billed_days.platform = reconciliation.platform
    union all
    select
        billed_days.platform,
        'computed_usage' as measure,
        reconciliation.computed_usage as in_reconciliation,
        usage.computed_usage as in_facts
    from billed_days
    left join reconciliation on billed_days.platform = reconciliation.platform
    left join usage on billed_days.platform = usage.platform
    union all
    select
        billed_days.platform,
        'computed_capacity' as measure,
        reconciliation.computed_capacity as in_reconciliation,
        capacity.computed_capacity as in_facts
    from billed_days
    left join reconciliation on billed_days.platform = reconciliation.platform
    left join capacity on billed_days.platform = capacity.platform
)

select *
from compared
where abs(coalesce(in_reconciliation, 0) - coalesce(in_facts, 0)) >= 0.01
