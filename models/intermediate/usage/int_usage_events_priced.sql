-- One row per model call with its pay-as-you-go price (docs/design.md section 6): the price-book row in force
-- on the event date for its platform, model, region scope and service tier; long-context rates once the
-- request's input exceeds the threshold; the batch discount for batch requests; the enterprise discount
-- in force. A request whose price (or a rate it needs) is missing is 'unpriced' with null cost, never $0.
with events as (
    select * from {{ ref('int_usage_events') }}
),

prices as (
    select * from {{ ref('int_model_prices') }}
),

discounts as (
    select * from {{ ref('int_enterprise_discounts') }}
),

joined as (
    select
        events.*,
        prices.valid_from as price_valid_from,
        prices.long_context_threshold_tokens,
        prices.input_rate,
        prices.cached_input_rate,
        prices.cache_write_5m_rate,
        prices.cache_write_1h_rate,
        prices.output_rate,
        prices.reasoning_rate,
        prices.image_input_rate,
        prices.audio_input_rate,
        prices.audio_output_rate,
        prices.input_above_rate,
        prices.cached_input_above_rate,
        prices.cache_write_5m_above_rate,
        prices.cache_write_1h_above_rate,
        prices.output_above_rate,
        prices.batch_multiplier,
        coalesce(discounts.discount_multiplier, cast(1 as decimal(9, 6))) as discount_multiplier,
        cast(coalesce(discounts.discount_pct, 0) as decimal(9, 4)) as enterprise_discount_pct
    from events
    left join prices
        on events.platform = prices.platform
        and events.model_id = prices.model_id
        and events.region_scope = prices.region_scope
        -- Scale Tier traffic carries the standard tier's price as its shadow (list-equivalent) price
        and (case when events.service_tier = 'scale' then 'standard' else events.service_tier end) = prices.service_tier
        and events.event_date >= prices.valid_from
        and (prices.valid_to is null or events.event_date < prices.valid_to)
    left join discounts
        on events.platform = discounts.platform
        and events.event_date >= discounts.valid_from
        and (discounts.valid_to is null or events.event_date < discounts.valid_to)
),

classified as (
    select
        joined.*,
        -- aggregated report rows say which context window they belong to; a sum of inputs says nothing
        coalesce(
            long_context_hint and long_context_threshold_tokens is not null,
            long_context_threshold_tokens is not null and input_tokens > long_context_threshold_tokens,
            false
        ) as is_long_context,
        -- token classes priced separately; modality and cache counts are subsets of input / output
        greatest(input_tokens - cached_input_tokens - cache_write_tokens - image_input_tokens - audio_input_tokens, 0)
            as text_input_tokens,
        greatest(output_tokens - reasoning_tokens - audio_output_tokens, 0) as text_output_tokens
    from joined
),

applied as (
    select
        classified.*,
        case when is_long_context then input_above_rate else input_rate end as input_rate_applied,
        case when is_long_context then cached_input_above_rate else cached_input_rate end as cached_rate_applied,
        case
            when cache_write_ttl = '1h' and is_long_context then cache_write_1h_above_rate
            when cache_write_ttl = '1h' then cache_write_1h_rate
            when is_long_context then cache_write_5m_above_rate
            else cache_write_5m_rate
        end as cache_write_rate_applied,
        case when is_long_context then output_above_rate else output_rate end as output_rate_applied,
        case when is_long_context then output_above_rate else reasoning_rate end as reasoning_rate_applied,
        case when is_long_context then input_above_rate else image_input_rate end as image_rate_applied
    from classified
),

status as (
    select
        applied.*,
        case
            when price_valid_from is null and not is_known_model then 'unknown_model'
            when price_valid_from is null then 'no_price_for_date_scope_or_tier'
            when is_long_context and (input_rate_applied is null or output_rate_applied is null)
                then 'no_long_context_rate'
            when cached_input_tokens > 0 and cached_rate_applied is null then 'no_cached_input_rate'
            when cache_write_tokens > 0 and cache_write_rate_applied is null then 'no_cache_write_rate'
            when audio_input_tokens > 0 and audio_input_rate is null then 'no_audio_input_rate'
            when audio_output_tokens > 0 and audio_output_rate is null then 'no_audio_output_rate'
            when capacity_type = 'batch' and batch_multiplier is null then 'no_batch_rate'
        end as unpriced_reason
    from applied
),

components as (
    select
        status.*,
        case when unpriced_reason is null then 'priced' else 'unpriced' end as pricing_status,
        case when capacity_type = 'batch' then batch_multiplier else cast(1 as decimal(9, 6)) end as tier_multiplier,
        {{ token_cost('text_input_tokens', 'coalesce(input_rate_applied, 0)') }}
        + {{ token_cost('image_input_tokens', 'coalesce(image_rate_applied, 0)') }}
        + {{ token_cost('audio_input_tokens', 'coalesce(audio_input_rate, 0)') }} as input_cost_raw,
        {{ token_cost('cached_input_tokens', 'coalesce(cached_rate_applied, 0)') }} as cached_input_cost_raw,
        {{ token_cost('cache_write_tokens', 'coalesce(cache_write_rate_applied, 0)') }} as cache_write_cost_raw,
        {{ token_cost('text_output_tokens', 'coalesce(output_rate_applied, 0)') }}
        + {{ token_cost('audio_output_tokens', 'coalesce(audio_output_rate, 0)') }} as output_cost_raw,
        {{ token_cost('reasoning_tokens', 'coalesce(reasoning_rate_applied, 0)') }} as reasoning_cost_raw
    from status
),

costed as (
    select
        components.*,
        case when pricing_status = 'priced'
                then cast(cast(input_cost_raw as decimal(28, 12)) * tier_multiplier as {{ money_type() }})
        end
            as input_cost_usd,
        case when pricing_status = 'priced'
                then cast(cast(cached_input_cost_raw as decimal(28, 12)) * tier_multiplier as {{ money_type() }})
        end
            as cached_input_cost_usd,
        case when pricing_status = 'priced'
                then cast(cast(cache_write_cost_raw as decimal(28, 12)) * tier_multiplier as {{ money_type() }})
        end
            as cache_write_cost_usd,
        case when pricing_status = 'priced'
                then cast(cast(output_cost_raw as decimal(28, 12)) * tier_multiplier as {{ money_type() }})
        end
            as output_cost_usd,
        case when pricing_status = 'priced'
                then cast(cast(reasoning_cost_raw as decimal(28, 12)) * tier_multiplier as {{ money_type() }})
        end
            as reasoning_cost_usd
    from components
),

totals as (
    select
        costed.*,
        cast(
            input_cost_usd + cached_input_cost_usd + cache_write_cost_usd + output_cost_usd + reasoning_cost_usd
            as {{ money_type() }}
        ) as list_equivalent_cost_usd
    from costed
),

final as (
    select
        totals.*,
        -- provisioned requests are paid through capacity: no pay-as-you-go charge of their own
        case
            when capacity_type = 'provisioned' then cast(0 as {{ money_type() }})
            else list_equivalent_cost_usd
        end as list_cost_usd,
        case
            when capacity_type = 'provisioned' then cast(0 as {{ money_type() }})
            else cast(cast(list_equivalent_cost_usd as decimal(28, 10)) * discount_multiplier as {{ money_type() }})
        end as effective_cost_usd
    from totals
)

select * from final
