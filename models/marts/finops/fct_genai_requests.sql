{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('event_date', lookback=false)) }}
-- One row per model call (request), priced. Incremental by day: the Dagster partition window and the days
-- of the late events that arrived in it (or, without a window, the newest loaded day minus `lookback_days`)
-- are replaced whole, so late events and re-loaded files are picked up and a full refresh gives the same rows.
with priced as (
    select * from {{ ref('int_usage_events_priced') }}
    where {{ incremental_window('event_date', lookback=false) }}
),

allocations as (
    select * from {{ ref('int_capacity_allocations') }}
    where {{ incremental_window('event_date', lookback=false) }}
),

joined as (
    select
        priced.*,
        allocations.event_id is not null as has_capacity_allocation,
        -- a provisioned request that matches no reservation has an unknown capacity cost: null, never 0
        case
            when allocations.event_id is not null then allocations.capacity_used_cost_usd
            when priced.capacity_type <> 'provisioned' then cast(0 as {{ money_type() }})
        end as capacity_used_cost_usd,
        case
            when allocations.event_id is not null then allocations.capacity_idle_share_usd
            when priced.capacity_type <> 'provisioned' then cast(0 as {{ money_type() }})
        end as capacity_idle_share_usd
    from priced
    left join allocations
        on priced.event_id = allocations.event_id
),

final as (
    select
        event_id,
        event_id_hash,
        occurred_at,
        event_date,
        source_format,
        use_case_id,
        variant_id,
        transaction_id,
        conversation_id,
        turn_index,
        step_index,
        team,
        environment,
        api_key_id,
        user_hash,
        provider,
        platform,
        region,
        region_scope,
        raw_model,
        model_id,
        model_version,
        deployment_id,
        capacity_type,
        service_tier,
        status,
        http_status,
        attempt,
        request_count,
        input_tokens,
        cached_input_tokens,
        cache_write_tokens,
        cache_write_ttl,
        output_tokens,
        reasoning_tokens,
        image_input_tokens,
        audio_input_tokens,
        audio_output_tokens,
        is_long_context,
        pricing_status,
        unpriced_reason,
        price_valid_from,
        enterprise_discount_pct,
        input_cost_usd,
        cached_input_cost_usd,
        cache_write_cost_usd,
        output_cost_usd,
        reasoning_cost_usd,
        list_equivalent_cost_usd,
        list_cost_usd,
        effective_cost_usd,
        capacity_used_cost_usd,
        capacity_idle_share_usd,
        -- idle policy (var capacity_idle_policy): 'owner' keeps idle cost with the reservation's owner
        -- (fct_capacity_hourly); 'shared' spreads each hour's idle cost over that hour's requests
        {% if var('capacity_idle_policy', 'owner') == 'shared' %}
        cast(capacity_used_cost_usd + capacity_idle_share_usd as {{ money_type() }}) as capacity_cost_usd,
        {% else %}
        capacity_used_cost_usd as capacity_cost_usd,
        {% endif %}
        case
            when capacity_type <> 'provisioned' then 'not_applicable'
            when has_capacity_allocation then 'allocated'
            else 'no_matching_capacity'
        end as capacity_cost_status,
        ttft_ms,
        latency_ms,
        delivered_copies,
        has_conflicting_copies
    from joined
),

with_total as (
    select
        final.*,
        cast(effective_cost_usd + capacity_cost_usd as {{ money_type() }}) as total_cost_usd
    from final
)

select * from with_total
