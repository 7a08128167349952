-- The chargeback lines of every reservation-month add up to its committed + overage cost, to the cent.
with lines as (
    select
        reservation_id,
        month_start,
        sum(cost_usd) as charged
    from {{ ref('rpt_capacity_chargeback_monthly') }}
    group by 1, 2
),

capacity as (
    select
        reservation_id,
        month_start,
        sum(committed_cost_usd + overage_cost_usd) as cost
    from {{ ref('fct_capacity_hourly') }}
    group by 1, 2
)

select *
from capacity
left join lines on capacity.reservation_id = lines.reservation_id and capacity.month_start = lines.month_start
where abs(capacity.cost - coalesce(lines.charged, 0)) >= 0.01
