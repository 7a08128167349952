{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- One row per UTC hour, use case, platform, model and route (payg, provisioned, spillover): the additive
-- quantities the anomaly detection and its cost decomposition need (docs/design.md section 13). Priced requests
-- only (an unpriced request has no cost to explain). Transactions are counted apart (int_anomaly_transactions).
-- The cost without caching re-prices cached reads and cache writes at the input rate, with the read and write
-- multipliers of the price book in force. Incremental by day like the request fact.
with requests as (
    select
        event_date,
        {{ dbt.date_trunc('hour', 'occurred_at') }} as hour_at,
        occurred_at,
        use_case_id,
        platform,
        model_id,
        region_scope,
        case when service_tier = 'scale' then 'standard' else service_tier end as price_tier,
        case when capacity_type in ('provisioned', 'spillover') then capacity_type else 'payg' end as route,
        request_count,
        status,
        input_tokens,
        cached_input_tokens,
        cache_write_tokens,
        cache_write_ttl,
        output_tokens,
        pricing_status,
        list_cost_usd,
        cached_input_cost_usd,
        cache_write_cost_usd,
        total_cost_usd
    from {{ ref('fct_genai_requests') }}
    where {{ incremental_window('event_date') }}
),

costed as (
    select * from requests
    where total_cost_usd is not null and (pricing_status = 'priced' or route = 'provisioned')
),

by_price as (
    select
        event_date,
        hour_at,
        use_case_id,
        platform,
        model_id,
        region_scope,
        price_tier,
        route,
        sum(request_count) as requests,
        sum(case when status <> 'success' then request_count else 0 end) as failed_requests,
        sum(input_tokens + output_tokens) as tokens,
        sum(case when status = 'success' then input_tokens + output_tokens else 0 end) as ok_tokens,
        sum(input_tokens) as input_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(total_cost_usd) as cost_usd,
        sum(case when route = 'provisioned' then 0 else list_cost_usd end) as list_cost_usd,
        sum(case when route = 'provisioned' then 0 else cached_input_cost_usd end) as cached_input_cost_usd,
        sum(case when route <> 'provisioned' and cache_write_ttl = '1h' then cache_write_cost_usd else 0 end)
            as cache_write_1h_cost_usd,
        sum(case when route <> 'provisioned' and coalesce(cache_write_ttl, '5m') <> '1h' then cache_write_cost_usd else 0 end)
            as cache_write_5m_cost_usd
    from costed
    group by 1, 2, 3, 4, 5, 6, 7, 8
),

multipliers as (
    select
        by_price.*,
        cast(prices.cached_input_rate as double) / nullif(cast(prices.input_rate as double), 0) as read_multiplier,
        cast(prices.cache_write_5m_rate as double) / nullif(cast(prices.input_rate as double), 0) as write_5m_multiplier,
        cast(prices.cache_write_1h_rate as double) / nullif(cast(prices.input_rate as double), 0) as write_1h_multiplier
    from by_price
    left join {{ ref('int_model_prices') }} as prices
        on by_price.platform = prices.platform
        and by_price.model_id = prices.model_id
        and by_price.region_scope = prices.region_scope
        and by_price.price_tier = prices.service_tier
        and by_price.event_date >= prices.valid_from
        and (prices.valid_to is null or by_price.event_date < prices.valid_to)
),

final as (
    select
        event_date,
        hour_at,
        use_case_id,
        platform,
        model_id,
        route,
        requests,
        failed_requests,
        tokens,
        ok_tokens,
        input_tokens,
        cached_input_tokens,
        cost_usd,
        list_cost_usd,
        -- list cost with cached reads and cache writes at the input rate
        cast(list_cost_usd as double)
        - cast(cached_input_cost_usd as double) - cast(cache_write_5m_cost_usd as double)
        - cast(cache_write_1h_cost_usd as double)
        + coalesce(cast(cached_input_cost_usd as double) / nullif(read_multiplier, 0), 0)
        + coalesce(cast(cache_write_5m_cost_usd as double) / nullif(write_5m_multiplier, 0), 0)
        + coalesce(cast(cache_write_1h_cost_usd as double) / nullif(write_1h_multiplier, 0), 0)
            as no_cache_list_cost_usd
    from multipliers
)

select
    event_date,
    hour_at,
    use_case_id,
    platform,
    model_id,
    route,
    cast(sum(requests) as bigint) as requests,
    cast(sum(failed_requests) as bigint) as failed_requests,
    cast(sum(tokens) as bigint) as tokens,
    cast(sum(ok_tokens) as bigint) as ok_tokens,
    cast(sum(input_tokens) as bigint) as input_tokens,
    cast(sum(cached_input_tokens) as bigint) as cached_input_tokens,
    cast(sum(cost_usd) as {{ money_type() }}) as cost_usd,
    cast(sum(list_cost_usd) as {{ money_type() }}) as list_cost_usd,
    sum(no_cache_list_cost_usd) as no_cache_list_cost_usd
from final
group by 1, 2, 3, 4, 5, 6
