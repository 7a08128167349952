{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- One row per use case, platform, model and UTC day with prompt caching: calls, cache-write and cached-read
-- tokens, and at list prices (USD, exact decimals) the write premium (what cache writes cost above plain
-- input) and the read discount (what cached reads saved against plain input), plus the price multipliers of
-- writes and reads against input. Additive, so rpt_cache_economics sums days instead of rescanning every
-- call; incremental by day like the request fact.
with calls as (
    select
        use_case_id,
        platform,
        model_id,
        event_date,
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
    {%- if is_incremental() %}
      -- (a first build reads all history, so a warehouse that gains this model gets it whole)
      and {{ incremental_window('event_date') }}
    {%- endif %}
)

select
    use_case_id,
    platform,
    model_id,
    event_date,
    count(*) as calls,
    sum(cache_write_tokens) as cache_write_tokens,
    sum(cached_input_tokens) as cached_input_tokens,
    cast(sum(cache_write_cost_usd - written_as_input_usd) as {{ money_type() }}) as write_premium_usd,
    cast(sum(cached_as_input_usd - cached_input_cost_usd) as {{ money_type() }}) as read_discount_usd,
    max(case when cache_write_tokens > 0 then write_multiplier end) as write_multiplier,
    max(case when cached_input_tokens > 0 then read_multiplier end) as read_multiplier
from calls
group by 1, 2, 3, 4
