-- Capacity cost allocated to requests adds back up to the used cost of the capacity, to the cent (per day),
-- and so does the idle share to the idle cost of hours that had traffic. Days are joined from both sides: a
-- day with allocated requests but no capacity hour fails as surely as the reverse.
with requests as (
    select
        event_date,
        sum(capacity_used_cost_usd) as allocated_used,
        sum(capacity_idle_share_usd) as allocated_idle
    from {{ ref('fct_genai_requests') }}
    where capacity_type = 'provisioned'
    group by 1
),

hours as (
    select
        hour_date as event_date,
        sum(used_cost_usd) as used,
        sum(case when used_weighted_tokens > 0 then idle_cost_usd else 0 end) as idle_with_traffic
    from {{ ref('fct_capacity_hourly') }}
    group by 1
)

select
    coalesce(hours.event_date, requests.event_date) as event_date,
    hours.used,
    requests.allocated_used,
    hours.idle_with_traffic,
    requests.allocated_idle
from hours
full outer join requests on hours.event_date = requests.event_date
where
    abs(coalesce(hours.used, 0) - coalesce(requests.allocated_used, 0)) >= 0.01
    or abs(coalesce(hours.idle_with_traffic, 0) - coalesce(requests.allocated_idle, 0)) >= 0.01
