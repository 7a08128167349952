-- One row per capacity SKU price and model with a known throughput: what a token costs on that capacity
-- when it is fully used (USD per 1M weighted tokens), against the model's standard pay-as-you-go list
-- price for the same token class (docs/design.md worked example 1: Scale Tier normalisation).
with prices as (
    select * from {{ ref('capacity_prices') }}
),

throughput as (
    select * from {{ ref('capacity_throughput') }}
),

list_prices as (
    select * from {{ ref('dim_models') }}
    where service_tier = 'standard' and region_scope = 'global'
),

joined as (
    select
        prices.platform,
        prices.capacity_model,
        prices.sku,
        prices.dimension,
        prices.term,
        throughput.model_id,
        prices.price_usd,
        prices.price_period,
        throughput.tokens_per_minute_per_unit,
        case prices.price_period when 'hour' then 60 when 'day' then 1440 when 'month' then 43200 when 'year' then 525600 end
            as minutes_per_period
    from prices
    inner join throughput
        on prices.capacity_model = throughput.capacity_model
        and prices.dimension = throughput.dimension
        and (prices.model_id = throughput.model_id or prices.model_id in ('*', 'google'))
),

final as (
    select
        joined.platform,
        joined.capacity_model,
        joined.sku,
        joined.dimension,
        joined.term,
        joined.model_id,
        joined.price_usd,
        joined.price_period,
        joined.tokens_per_minute_per_unit,
        cast(joined.tokens_per_minute_per_unit as bigint) * joined.minutes_per_period as tokens_per_unit_per_period,
        cast(joined.price_usd as double) * 1000000
        / (cast(joined.tokens_per_minute_per_unit as double) * joined.minutes_per_period)
            as usd_per_mtok_at_full_use,
        case joined.dimension when 'output' then list_prices.output_usd_per_mtok else list_prices.input_usd_per_mtok end
            as list_usd_per_mtok,
        cast(joined.price_usd as double) * 1000000
        / (cast(joined.tokens_per_minute_per_unit as double) * joined.minutes_per_period)
        / cast(case joined.dimension when 'output' then list_prices.output_usd_per_mtok
            else list_prices.input_usd_per_mtok
        end as double)
        - 1 as premium_vs_list
    from joined
    left join list_prices
        on joined.platform = list_prices.platform
        and joined.model_id = list_prices.model_id
)

select * from final
