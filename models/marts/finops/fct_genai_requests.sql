{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- One row per model call (request), priced. Incremental by day: the Dagster partition window (or the
-- newest loaded day) minus `lookback_days` is replaced whole, so late events and re-loaded files are
-- picked up and a full refresh gives the same rows.
with priced as (
    select * from {{ ref('int_usage_events_priced') }}
    where {{ incremental_window('event_date') }}
),

final as (
    select
        event_id,
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
        case
            when capacity_type = 'provisioned' then cast(0 as {{ money_type() }})
            else list_equivalent_cost_usd
        end as list_cost_usd,
        case
            when capacity_type = 'provisioned' then cast(0 as {{ money_type() }})
            else cast(cast(list_equivalent_cost_usd as decimal(28, 10)) * discount_multiplier as {{ money_type() }})
        end as effective_cost_usd,
        -- provisioned capacity is allocated to requests by the capacity models (issue 3); until then 0
        cast(0 as {{ money_type() }}) as capacity_cost_usd,
        case when capacity_type = 'provisioned' then 'pending_allocation' else 'not_applicable' end
            as capacity_cost_status,
        ttft_ms,
        latency_ms,
        delivered_copies
    from priced
),

with_total as (
    select
        final.*,
        cast(effective_cost_usd + capacity_cost_usd as {{ money_type() }}) as total_cost_usd
    from final
)

select * from with_total
