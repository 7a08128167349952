-- One row per capacity option a platform sells for a model (seeds capacity_prices x capacity_throughput, the
-- prices in force at the forecast origin): its price per unit and hour (an hourly price as it is, a daily one
-- over 24 hours, a monthly one over 730 hours, a yearly one over 8,760) and the weighted tokens a unit serves
-- per hour (tokens per minute x 60, in the capacity model's burndown weights). Scale Tier sells input and
-- output bundles separately (dimension). Prices before enterprise discounts, like the pay-as-you-go prices
-- they are compared with.
with origin as (
    select max(event_date) as origin_date
    from {{ ref('fct_genai_requests') }}
),

prices as (
    select
        prices.*,
        row_number() over (
            partition by prices.platform, prices.capacity_model, prices.sku, prices.dimension, prices.model_id, prices.term
            order by prices.valid_from desc
        ) as recency
    from {{ ref('capacity_prices') }} as prices
    cross join origin
    where prices.valid_from <= origin.origin_date
),

throughput as (
    select * from {{ ref('capacity_throughput') }}
),

final as (
    select
        prices.platform,
        prices.capacity_model,
        throughput.model_id,
        prices.dimension,
        prices.sku,
        prices.term,
        cast(prices.price_usd as double)
        / case prices.price_period when 'hour' then 1 when 'day' then 24 when 'month' then 730 when 'year' then 8760 end
            as unit_price_usd_per_hour,
        cast(throughput.tokens_per_minute_per_unit as double) * 60 as weighted_tokens_per_unit_hour
    from prices
    inner join throughput
        on prices.capacity_model = throughput.capacity_model
        and prices.dimension = throughput.dimension
        -- '*': every model of the platform's capacity; a publisher (Vertex GSUs: 'google') or a model
        and (prices.model_id in ('*', 'google') or prices.model_id = throughput.model_id)
    where prices.recency = 1
)

select * from final
