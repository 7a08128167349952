-- One row per price-book entry with its validity interval [valid_from, valid_to) and exact per-token rates
-- (USD per token). A blank rate stays null: a request that needs it is unpriced, never priced at $0.
with prices as (
    select * from {{ ref('model_prices') }}
),

dated as (
    select
        prices.*,
        lead(valid_from) over (
            partition by platform, model_id, region_scope, service_tier
            order by valid_from
        ) as valid_to
    from prices
),

rates as (
    select
        platform,
        model_id,
        region_scope,
        service_tier,
        valid_from,
        valid_to,
        {{ per_mtok_to_per_token('input_usd_per_mtok') }} as input_rate,
        {{ per_mtok_to_per_token('cached_input_usd_per_mtok') }} as cached_input_rate,
        {{ per_mtok_to_per_token('cache_write_5m_usd_per_mtok') }} as cache_write_5m_rate,
        {{ per_mtok_to_per_token('cache_write_1h_usd_per_mtok') }} as cache_write_1h_rate,
        {{ per_mtok_to_per_token('output_usd_per_mtok') }} as output_rate,
        {{ per_mtok_to_per_token('coalesce(reasoning_usd_per_mtok, output_usd_per_mtok)') }} as reasoning_rate,
        {{ per_mtok_to_per_token('coalesce(image_input_usd_per_mtok, input_usd_per_mtok)') }} as image_input_rate,
        {{ per_mtok_to_per_token('audio_input_usd_per_mtok') }} as audio_input_rate,
        {{ per_mtok_to_per_token('audio_output_usd_per_mtok') }} as audio_output_rate,
        long_context_threshold_tokens,
        {{ per_mtok_to_per_token('input_above_usd_per_mtok') }} as input_above_rate,
        {{ per_mtok_to_per_token('cached_input_above_usd_per_mtok') }} as cached_input_above_rate,
        {{ per_mtok_to_per_token('cache_write_5m_above_usd_per_mtok') }} as cache_write_5m_above_rate,
        {{ per_mtok_to_per_token('cache_write_1h_above_usd_per_mtok') }} as cache_write_1h_above_rate,
        {{ per_mtok_to_per_token('output_above_usd_per_mtok') }} as output_above_rate,
        cast(1 - cast(batch_discount_pct as decimal(9, 4)) * cast(0.01 as decimal(3, 2)) as decimal(9, 6))
            as batch_multiplier,
        source as price_source
    from dated
)

select * from rates
