-- One row per use case, platform, model and forecast day: the cost forecast (USD) under three price
-- assumptions. 'as observed': the forecast as fitted (today's prices). 'price book': its on-demand share moved by
-- the price book's own future-dated rows (the blended per-token list rate in force that day, weighted by the
-- series' input and output mix of the last 28 days, over today's); capacity cost unchanged (a commitment's price
-- is fixed for its term). 'price decline': the price book scenario with on-demand prices falling by the seed
-- price_decline_scenarios' monthly rate for the model (compounded; default 6.67% a month, a factor of 0.437 after
-- 12 months, docs/design.md worked example 8). The on-demand share is the series' effective on-demand cost over
-- its total cost in the last 28 days.
with forecasts as (
    select * from {{ ref('fct_forecast_daily') }}
    where scope = 'use_case_model' and metric = 'cost_usd'
),

origin as (
    select max(origin_date) as origin_date
    from forecasts
),

recent as (
    -- the request fact summed by day already (int_requests_daily); exact sums, then doubles
    select
        requests.use_case_id,
        requests.platform,
        requests.model_id,
        cast(sum(coalesce(requests.effective_cost_usd, 0)) as double) as on_demand_cost,
        cast(sum(coalesce(requests.total_cost_usd, 0)) as double) as total_cost,
        sum(requests.input_tokens) as input_tokens,
        sum(requests.output_tokens) as output_tokens
    from {{ ref('int_requests_daily') }} as requests
    cross join origin
    where requests.event_date > {{ dbt.dateadd('day', -28, 'origin.origin_date') }}
    group by 1, 2, 3
),

prices as (
    select
        platform,
        model_id,
        valid_from,
        valid_to,
        cast(input_rate as double) as input_rate,
        cast(output_rate as double) as output_rate
    from {{ ref('int_model_prices') }}
    where service_tier = 'standard'
),

-- the blended list rate of a model on a day: the mean over the price rows in force that day (one per region
-- scope: global, geo, regional), whose validity periods need not start on the same day
{%- for name, day in [('rates_at_origin', 'origin_date'), ('rates_on_day', 'forecast_date')] %}
{{ name }} as (
    select
        days.platform,
        days.model_id,
        days.{{ day }},
        avg(prices.input_rate) as input_rate,
        avg(prices.output_rate) as output_rate
    from (select distinct platform, model_id, {{ day }} from forecasts) as days
    inner join prices
        on days.platform = prices.platform
        and days.model_id = prices.model_id
        and days.{{ day }} >= prices.valid_from
        and (prices.valid_to is null or days.{{ day }} < prices.valid_to)
    group by 1, 2, 3
),
{% endfor %}

declines as (
    select * from {{ ref('price_decline_scenarios') }}
),

priced as (
    select
        forecasts.use_case_id,
        forecasts.platform,
        forecasts.model_id,
        forecasts.origin_date,
        forecasts.forecast_date,
        forecasts.horizon_days,
        forecasts.point as cost_as_observed_usd,
        coalesce({{ safe_divide('recent.on_demand_cost', 'recent.total_cost') }}, 1) as on_demand_share,
        recent.input_tokens,
        recent.output_tokens,
        at_origin.input_rate * recent.input_tokens + at_origin.output_rate * recent.output_tokens as rate_at_origin,
        on_day.input_rate * recent.input_tokens + on_day.output_rate * recent.output_tokens as rate_on_day
    from forecasts
    left join recent
        on forecasts.use_case_id = recent.use_case_id
        and forecasts.platform = recent.platform
        and forecasts.model_id = recent.model_id
    left join rates_at_origin as at_origin
        on forecasts.platform = at_origin.platform
        and forecasts.model_id = at_origin.model_id
        and forecasts.origin_date = at_origin.origin_date
    left join rates_on_day as on_day
        on forecasts.platform = on_day.platform
        and forecasts.model_id = on_day.model_id
        and forecasts.forecast_date = on_day.forecast_date
),

decline_rates as (
    -- the most specific pattern that matches the model ('%' last, then the longest pattern)
    select
        models.model_id,
        declines.monthly_decline_pct,
        row_number() over (
            partition by models.model_id
            order by case when declines.model_pattern = '%' then 1 else 0 end, length(declines.model_pattern) desc
        ) as specificity
    from (select distinct model_id from forecasts) as models
    inner join declines on models.model_id like declines.model_pattern
),

with_decline as (
    select
        priced.*,
        coalesce({{ safe_divide('priced.rate_on_day', 'priced.rate_at_origin') }}, 1) as price_book_factor,
        coalesce(decline_rates.monthly_decline_pct, 0) as monthly_decline_pct
    from priced
    left join decline_rates
        on priced.model_id = decline_rates.model_id
        and decline_rates.specificity = 1
),

final as (
    select
        use_case_id,
        platform,
        model_id,
        origin_date,
        forecast_date,
        horizon_days,
        on_demand_share,
        price_book_factor,
        monthly_decline_pct,
        power(1 - monthly_decline_pct / 100, horizon_days / {{ 365.25 / 12 }})
            as decline_factor,
        cost_as_observed_usd,
        cost_as_observed_usd * (on_demand_share * price_book_factor + 1 - on_demand_share) as cost_price_book_usd,
        cost_as_observed_usd * (
            on_demand_share * price_book_factor
            * power(1 - monthly_decline_pct / 100, horizon_days / {{ 365.25 / 12 }})
            + 1 - on_demand_share
        ) as cost_price_decline_usd
    from with_decline
)

select * from final
