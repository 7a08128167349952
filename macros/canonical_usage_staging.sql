{% macro canonical_usage_staging(source_relation, source_format, request_count='1', long_context_hint='cast(null as boolean)') -%}
{#- Staging of a lake dataset holding canonical usage fields (canonical events, OTel spans, ...): rename,
    cast and default. Token semantics are normalised by the readers that fill the lake, so every source
    arrives here with the same meaning; the raw model string is mapped to the canonical model in
    int_usage_events (a join to a seed is not staging's job). -#}
with source as (
    select * from {{ source_relation }}
),

renamed as (
    select
        event_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(event_date as date) as event_date,
        '{{ source_format }}' as source_format,
        lower(trim(platform)) as platform,
        trim(model) as raw_model,
        region,
        lower(region_scope) as region_scope,
        deployment_id,
        coalesce(lower(capacity_type), 'on_demand') as capacity_type,
        coalesce(lower(service_tier), 'standard') as service_tier,
        coalesce(use_case_id, 'unattributed') as use_case_id,
        coalesce(variant_id, case when use_case_id is null then 'unattributed' else 'default' end) as variant_id,
        coalesce(transaction_id, event_id) as transaction_id,
        conversation_id,
        cast(turn_index as integer) as turn_index,
        cast(step_index as integer) as step_index,
        coalesce(team, 'unknown') as team,
        coalesce(environment, 'unknown') as environment,
        api_key_id,
        user_hash,
        cast(input_tokens as bigint) as input_tokens,
        cast(coalesce(cached_input_tokens, 0) as bigint) as cached_input_tokens,
        cast(coalesce(cache_write_tokens, 0) as bigint) as cache_write_tokens,
        case
            when coalesce(cache_write_tokens, 0) = 0 then null
            else coalesce(lower(cache_write_ttl), '5m')
        end as cache_write_ttl,
        cast(output_tokens as bigint) as output_tokens,
        cast(coalesce(reasoning_tokens, 0) as bigint) as reasoning_tokens,
        cast(coalesce(image_input_tokens, 0) as bigint) as image_input_tokens,
        cast(coalesce(audio_input_tokens, 0) as bigint) as audio_input_tokens,
        cast(coalesce(audio_output_tokens, 0) as bigint) as audio_output_tokens,
        coalesce(lower(status), 'success') as status,
        cast(http_status as integer) as http_status,
        cast(coalesce(attempt, 1) as integer) as attempt,
        cast(ttft_ms as bigint) as ttft_ms,
        cast(latency_ms as bigint) as latency_ms,
        cast({{ request_count }} as bigint) as request_count,
        {{ long_context_hint }} as long_context_hint,
        _source_file as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_arrival_date as date) as arrival_date
    from source
)

select * from renamed
{%- endmacro %}
