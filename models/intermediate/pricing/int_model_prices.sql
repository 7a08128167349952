-- One row per price interval [valid_from, valid_to) of each platform / model / region scope / tier, with
-- exact per-token rates (USD per token). A blank rate stays null: a request that needs it is unpriced, never
-- priced at $0. Local overrides (model_price_overrides) win over the price book while they are in force:
-- the timeline of each key is cut at every book date and every override start and end, and each segment
-- takes the override in force, else the book row in force.
{%- set key = ['platform', 'model_id', 'region_scope', 'service_tier'] %}
{%- set rate_columns = [
    'input_usd_per_mtok', 'cached_input_usd_per_mtok', 'cache_write_5m_usd_per_mtok',
    'cache_write_1h_usd_per_mtok', 'output_usd_per_mtok', 'reasoning_usd_per_mtok', 'image_input_usd_per_mtok',
    'audio_input_usd_per_mtok', 'audio_output_usd_per_mtok', 'long_context_threshold_tokens',
    'input_above_usd_per_mtok', 'cached_input_above_usd_per_mtok', 'cache_write_5m_above_usd_per_mtok',
    'cache_write_1h_above_usd_per_mtok', 'output_above_usd_per_mtok', 'batch_discount_pct',
] %}
with book as (
    select
        {{ key | join(', ') }},
        valid_from,
        lead(valid_from) over (partition by {{ key | join(', ') }} order by valid_from) as valid_to,
        {{ rate_columns | join(', ') }},
        source
    from {{ ref('model_prices') }}
),

overrides as (
    select * from {{ ref('model_price_overrides') }}
),

boundaries as (
    select {{ key | join(', ') }}, valid_from as boundary from book
    union
    select {{ key | join(', ') }}, valid_from as boundary from overrides
    union
    select {{ key | join(', ') }}, valid_to as boundary from overrides
    where valid_to is not null
),

segments as (
    select
        {{ key | join(', ') }},
        boundary as segment_from,
        lead(boundary) over (partition by {{ key | join(', ') }} order by boundary) as segment_to
    from boundaries
),

dated as (
    select
        {%- for column in key %}
        segments.{{ column }},
        {%- endfor %}
        segments.segment_from as valid_from,
        segments.segment_to as valid_to,
        {%- for column in rate_columns %}
        case when overrides.platform is not null then overrides.{{ column }} else book.{{ column }} end
            as {{ column }},
        {%- endfor %}
        case
            when overrides.platform is not null then 'override: ' || overrides.reason
            else book.source
        end as source,
        overrides.platform is not null as is_override
    from segments
    left join overrides
        on {% for column in key %}segments.{{ column }} = overrides.{{ column }} and {% endfor %}
        overrides.valid_from <= segments.segment_from
        and (overrides.valid_to is null or segments.segment_from < overrides.valid_to)
    left join book
        on {% for column in key %}segments.{{ column }} = book.{{ column }} and {% endfor %}
        book.valid_from <= segments.segment_from
        and (book.valid_to is null or segments.segment_from < book.valid_to)
    where overrides.platform is not null or book.platform is not null
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
        source as price_source,
        is_override as is_price_override
    from dated
)

select * from rates
