-- OpenAI Usage API completions buckets as canonical usage rows: one row per bucket result, request_count =
-- num_model_requests. OpenAI input tokens include cached reads (and, since mid-2026, cache writes). A
-- report not grouped by model cannot be priced: its model is 'ungrouped' (unpriced, never $0).
{% set openai_sql %}
with buckets as (
    select * from {{ source('lake', 'openai_usage') }}
),

final as (
    select
        record_id as event_id,
        bucket_start as occurred_at,
        event_date,
        'openai' as platform,
        coalesce(model, 'ungrouped') as model,
        cast(null as {{ dbt.type_string() }}) as region,
        'global' as region_scope,
        cast(null as {{ dbt.type_string() }}) as deployment_id,
        case when lower(batch) = 'true' then 'batch' else 'on_demand' end as capacity_type,
        case when lower(service_tier) in ('priority', 'flex', 'scale') then lower(service_tier) else 'standard' end
            as service_tier,
        cast(null as {{ dbt.type_string() }}) as use_case_id,
        cast(null as {{ dbt.type_string() }}) as variant_id,
        record_id as transaction_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as integer) as turn_index,
        cast(null as integer) as step_index,
        project_id as team,
        cast(null as {{ dbt.type_string() }}) as environment,
        api_key_id,
        user_hash,
        input_tokens,
        coalesce(input_cached_tokens, 0) as cached_input_tokens,
        coalesce(input_cache_write_tokens, 0) as cache_write_tokens,
        cast(null as {{ dbt.type_string() }}) as cache_write_ttl,
        output_tokens,
        cast(0 as bigint) as reasoning_tokens,
        coalesce(input_image_tokens, 0) as image_input_tokens,
        coalesce(input_audio_tokens, 0) as audio_input_tokens,
        coalesce(output_audio_tokens, 0) as audio_output_tokens,
        'success' as status,
        cast(null as integer) as http_status,
        cast(1 as integer) as attempt,
        cast(null as bigint) as ttft_ms,
        cast(null as bigint) as latency_ms,
        num_model_requests,
        _source_file,
        _source_line,
        _arrival_date
    from buckets
)

select * from final
{% endset %}

{{ canonical_usage_staging('(' ~ openai_sql ~ ') as openai_usage', 'openai_usage', 'num_model_requests', 'false') }}
