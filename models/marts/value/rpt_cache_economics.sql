-- One row per use case, platform and model: what prompt caching cost and saved at list prices (USD). The
-- write premium is what cache writes cost above plain input; the read discount what cached reads saved
-- against plain input; net saving = discount - premium. reads_per_write = cached tokens / cache-write tokens,
-- against the break-even: a write at w x the input price pays for itself after r reads at c x when
-- w + c r < 1 + r, i.e. the smallest whole r > (w - 1) / (1 - c) (DESIGN.md worked example 3: 1 read at
-- 1.25x / 0.1x, 2 reads at 2x / 0.1x).
with calls as (
    select
        use_case_id,
        platform,
        model_id,
        cached_input_tokens,
        cache_write_tokens,
        cast(cache_write_rate_applied as double) / cast(input_rate_applied as double) as write_multiplier,
        cast(cached_rate_applied as double) / cast(input_rate_applied as double) as read_multiplier,
        -- what the cached and written tokens would have cost as plain input (exact decimals)
        cast({{ token_cost('cached_input_tokens', 'input_rate_applied') }} * tier_multiplier as {{ money_type() }})
            as cached_as_input_usd,
        cast({{ token_cost('cache_write_tokens', 'input_rate_applied') }} * tier_multiplier as {{ money_type() }})
            as written_as_input_usd,
        cached_input_cost_usd,
        cache_write_cost_usd
    from {{ ref('int_usage_events_priced') }}
    where pricing_status = 'priced'
      and (cached_input_tokens > 0 or cache_write_tokens > 0)
),

totals as (
    select
        use_case_id,
        platform,
        model_id,
        count(*) as calls,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        cast(sum(cache_write_cost_usd - written_as_input_usd) as {{ money_type() }}) as write_premium_usd,
        cast(sum(cached_as_input_usd - cached_input_cost_usd) as {{ money_type() }}) as read_discount_usd,
        max(case when cache_write_tokens > 0 then write_multiplier end) as write_multiplier,
        max(case when cached_input_tokens > 0 then read_multiplier end) as read_multiplier
    from calls
    group by 1, 2, 3
)

select
    totals.*,
    cast(read_discount_usd - write_premium_usd as {{ money_type() }}) as net_saving_usd,
    {{ safe_divide('cast(cached_input_tokens as double)', 'cache_write_tokens') }} as reads_per_write,
    case
        when write_multiplier is null or read_multiplier is null or read_multiplier >= 1 then null
        when write_multiplier <= 1 then 1
        else floor((write_multiplier - 1) / (1 - read_multiplier)) + 1
    end as break_even_reads
from totals
