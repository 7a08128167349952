-- Anthropic Messages API responses (one per call) as canonical usage rows. Anthropic reports input without
-- cache reads and writes, so input = input_tokens + cache reads + cache writes; output includes thinking.
-- A message that wrote to both caches (5-minute and 1-hour) becomes two rows so each write is priced at its
-- own rate: the call itself (request_count 1) and its 1-hour writes (event_id '<id>:cache_write_1h',
-- request_count 0). A record logged without a time carries its landing day (occurred_at_is_landing_day).
{% set messages_sql %}
with messages as (
    select
        *,
        coalesce(cache_creation_1h_input_tokens, 0) as writes_1h,
        coalesce(
            cache_creation_5m_input_tokens,
            coalesce(cache_creation_input_tokens, 0) - coalesce(cache_creation_1h_input_tokens, 0)
        ) as writes_5m
    from {{ source('lake', 'anthropic_messages') }}
),

split as (
    -- the call, with its 5-minute writes (or its 1-hour writes when it made no 5-minute ones)
    select
        messages.*,
        message_id as row_id,
        1 as row_request_count,
        coalesce(input_tokens, 0) + coalesce(cache_read_input_tokens, 0) + writes_5m
            + case when writes_5m = 0 then writes_1h else 0 end as row_input_tokens,
        coalesce(cache_read_input_tokens, 0) as row_cached_tokens,
        case when writes_5m = 0 then writes_1h else writes_5m end as row_write_tokens,
        case when writes_5m = 0 and writes_1h > 0 then '1h' else '5m' end as row_ttl,
        output_tokens as row_output_tokens
    from messages
    union all
    select
        messages.*,
        message_id || ':cache_write_1h' as row_id,
        0 as row_request_count,
        writes_1h as row_input_tokens,
        0 as row_cached_tokens,
        writes_1h as row_write_tokens,
        '1h' as row_ttl,
        0 as row_output_tokens
    from messages
    where writes_5m > 0 and writes_1h > 0
),

final as (
    select
        row_id as event_id,
        logged_at as occurred_at,
        event_date,
        'anthropic' as platform,
        model,
        cast(null as {{ dbt.type_string() }}) as region,
        'global' as region_scope,
        cast(null as {{ dbt.type_string() }}) as deployment_id,
        case when lower(service_tier) = 'batch' then 'batch' else 'on_demand' end as capacity_type,
        case when lower(service_tier) = 'priority' then 'priority' else 'standard' end as service_tier,
        use_case_id,
        variant_id,
        transaction_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as integer) as turn_index,
        cast(null as integer) as step_index,
        team,
        cast(null as {{ dbt.type_string() }}) as environment,
        api_key_id,
        user_hash,
        row_input_tokens as input_tokens,
        row_cached_tokens as cached_input_tokens,
        row_write_tokens as cache_write_tokens,
        row_ttl as cache_write_ttl,
        row_output_tokens as output_tokens,
        cast(0 as bigint) as reasoning_tokens,
        cast(0 as bigint) as image_input_tokens,
        cast(0 as bigint) as audio_input_tokens,
        cast(0 as bigint) as audio_output_tokens,
        'success' as status,
        200 as http_status,
        cast(1 as integer) as attempt,
        cast(null as bigint) as ttft_ms,
        latency_ms,
        row_request_count,
        _source_file,
        _source_line,
        _arrival_date
    from split
)

select * from final
{% endset %}

{{ canonical_usage_staging('(' ~ messages_sql ~ ') as anthropic_messages', 'anthropic_message', 'row_request_count') }}
