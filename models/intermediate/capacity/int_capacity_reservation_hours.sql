-- One row per reservation and hour of its term [term_start, term_end): the committed cost of that hour.
-- A price per hour is charged as it is, per day over 24 hours, per month over the hours of that calendar
-- month (744, 720, 696 or 672), per year over 8,760 hours; then the enterprise discount in force applies.
-- Hourly amounts are rounded to 10 decimal places (money type) and the last hour of each whole period
-- takes the rounding, so a month (day, hour) of a reservation costs exactly its price (tested); a period
-- cut by the term's start or end is charged pro rata to far below a cent.
{{ config(materialized='table') }}

with reservations as (
    select * from {{ ref('capacity_reservations') }}
),

prices as (
    select
        prices.*,
        lead(valid_from) over (
            partition by platform, capacity_model, sku, dimension, model_id, term order by valid_from
        ) as valid_to
    from {{ ref('capacity_prices') }} as prices
),

discounts as (
    select * from {{ ref('int_enterprise_discounts') }}
),

numbers as (
    {{ integers(100000) }}
),

hours as (
    select
        reservations.*,
        {{ dbt.dateadd('hour', 'numbers.n', 'cast(reservations.term_start as timestamp)') }} as hour_at
    from reservations
    inner join numbers
        on numbers.n < {{ dbt.datediff('cast(reservations.term_start as timestamp)', 'cast(reservations.term_end as timestamp)', 'hour') }}
),

with_month as (
    select
        hours.*,
        cast(hour_at as date) as hour_date,
        {{ dbt.date_trunc('month', 'hour_at') }} as month_start
    from hours
),

priced as (
    select
        with_month.*,
        prices.price_usd as unit_price_usd,
        prices.price_period,
        {{ dbt.datediff('month_start', dbt.dateadd('month', 1, 'month_start'), 'hour') }} as hours_in_month,
        coalesce(discounts.discount_multiplier, cast(1 as decimal(9, 6))) as discount_multiplier
    from with_month
    left join prices
        on with_month.platform = prices.platform
        and with_month.capacity_model = prices.capacity_model
        and with_month.sku = prices.sku
        and with_month.dimension = prices.dimension
        and with_month.term = prices.term
        and (with_month.model_id = prices.model_id or prices.model_id = '*')
        and with_month.hour_date >= prices.valid_from
        and (prices.valid_to is null or with_month.hour_date < prices.valid_to)
    left join discounts
        on with_month.platform = discounts.platform
        and with_month.hour_date >= discounts.valid_from
        and (discounts.valid_to is null or with_month.hour_date < discounts.valid_to)
),

spread as (
    select
        priced.*,
        case price_period
            when 'month' then month_start
            when 'day' then cast(hour_date as timestamp)
            else hour_at
        end as period_start,
        case price_period when 'month' then hours_in_month when 'day' then 24 when 'hour' then 1 end
            as hours_in_period,
        cast(
            cast(units as double) * cast(unit_price_usd as double)
            * case price_period
                when 'hour' then 1.0
                when 'day' then 1.0 / 24
                when 'month' then 1.0 / hours_in_month
                when 'year' then 1.0 / 8760
            end
            * cast(discount_multiplier as double)
            as {{ money_type() }}
        ) as hour_cost_usd
    from priced
),

periods as (
    select
        spread.*,
        count(*) over (partition by reservation_id, period_start) as period_hours_in_term,
        sum(hour_cost_usd) over (partition by reservation_id, period_start) as period_sum_usd,
        min(discount_multiplier) over (partition by reservation_id, period_start) as period_min_discount,
        max(discount_multiplier) over (partition by reservation_id, period_start) as period_max_discount,
        row_number() over (partition by reservation_id, period_start order by hour_at desc) as hours_from_end
    from spread
),

final as (
    select
        reservation_id,
        platform,
        capacity_model,
        sku,
        dimension,
        scope,
        model_id as reservation_model_id,
        owner_team,
        cast(units as bigint) as units_reserved,
        term,
        term_start,
        term_end,
        hour_at,
        hour_date,
        month_start,
        unit_price_usd,
        price_period,
        discount_multiplier,
        -- the last hour of a whole price period takes the rounding, so the period adds up to its price exactly
        case
            when hours_from_end = 1
                and period_hours_in_term = hours_in_period
                and period_min_discount = period_max_discount
                then cast(
                        hour_cost_usd
                        + (
                            cast(cast(units as decimal(18, 0)) * unit_price_usd * discount_multiplier as {{ money_type() }})
                            - period_sum_usd
                        )
                        as {{ money_type() }}
                    )
            else hour_cost_usd
        end as committed_cost_usd,
        cast(
            cast(overage_price_usd_per_unit_hour as double) * cast(discount_multiplier as double)
            as {{ money_type() }}
        ) as overage_price_usd_per_unit_hour
    from periods
)

select * from final
