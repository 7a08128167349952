-- The hours of every reservation add up exactly to its price for each whole period of its term:
-- a monthly price over each calendar month fully inside the term, a daily price over each day, an hourly
-- price over each hour, after the enterprise discount in force (constant over these periods here).
with hourly as (
    select
        reservation_id,
        price_period,
        case price_period
            when 'month' then month_start
            when 'day' then cast(hour_date as timestamp)
            else hour_at
        end as period_start,
        max(units_reserved) as units,
        max(unit_price_usd) as unit_price_usd,
        max(discount_multiplier) as discount_multiplier,
        min(discount_multiplier) as min_discount_multiplier,
        count(*) as hours,
        sum(committed_cost_usd) as committed_cost_usd
    from {{ ref('int_capacity_reservation_hours') }}
    where price_period in ('hour', 'day', 'month')
    group by 1, 2, 3
),

month_hours as (
    select
        hourly.*,
        {{ dbt.datediff('period_start', dbt.dateadd('month', 1, 'period_start'), 'hour') }} as hours_in_month
    from hourly
),

whole_periods as (
    select *
    from month_hours
    where
        discount_multiplier = min_discount_multiplier
        and (
            (price_period = 'hour' and hours = 1)
            or (price_period = 'day' and hours = 24)
            or (price_period = 'month' and hours = hours_in_month)
        )
)

select *
from whole_periods
where abs(committed_cost_usd - units * unit_price_usd * discount_multiplier) >= 0.005
