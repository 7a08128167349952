-- One row per use case, platform and model: what prompt caching cost and saved at list prices (USD). The
-- write premium is what cache writes cost above plain input; the read discount what cached reads saved
-- against plain input; net saving = discount - premium. reads_per_write = cached tokens / cache-write tokens,
-- against the break-even: a write at w x the input price pays for itself after r reads at c x when
-- w + c r < 1 + r, i.e. the smallest whole r > (w - 1) / (1 - c) (docs/design.md worked example 3: 1 read at
-- 1.25x / 0.1x, 2 reads at 2x / 0.1x). Sums the daily rows of int_cache_usage_daily (whole history, exact).
with totals as (
    select
        use_case_id,
        platform,
        model_id,
        sum(calls) as calls,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        cast(sum(write_premium_usd) as {{ money_type() }}) as write_premium_usd,
        cast(sum(read_discount_usd) as {{ money_type() }}) as read_discount_usd,
        max(write_multiplier) as write_multiplier,
        max(read_multiplier) as read_multiplier
    from {{ ref('int_cache_usage_daily') }}
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
