-- Anthropic Admin usage report buckets as canonical usage rows. Anthropic reports input without cache reads
-- and writes, so input = uncached + cache reads + cache writes. Writes come split by TTL: one row carries the
-- 5-minute writes (and everything else), a second row the 1-hour writes, so each is priced at its own rate.
-- The report has no request count (null). context_window ('0-200k' / '200k-1M') says whether the rows were
-- long-context requests.
{% set anthropic_sql %}
with buckets as (
    select * from {{ source('lake', 'anthropic_usage') }}
),

ttl_rows as (
    select buckets.*, '5m' as ttl_row from buckets
    union all
    select buckets.*, '1h' as ttl_row from buckets where coalesce(cache_creation_1h_input_tokens, 0) > 0
),

final as (
    select
        record_id || ':' || ttl_row as event_id,
        starting_at as occurred_at,
        event_date,
        'anthropic' as platform,
        coalesce(model, 'ungrouped') as model,
        cast(null as {{ dbt.type_string() }}) as region,
        'global' as region_scope,
        cast(null as {{ dbt.type_string() }}) as deployment_id,
        case when lower(service_tier) = 'batch' then 'batch' else 'on_demand' end as capacity_type,
        case when lower(service_tier) = 'priority' then 'priority' else 'standard' end as service_tier,
        cast(null as {{ dbt.type_string() }}) as use_case_id,
        cast(null as {{ dbt.type_string() }}) as variant_id,
        record_id as transaction_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as integer) as turn_index,
        cast(null as integer) as step_index,
        workspace_id as team,
        cast(null as {{ dbt.type_string() }}) as environment,
        api_key_id,
        cast(null as {{ dbt.type_string() }}) as user_hash,
        case ttl_row
            when '5m' then coalesce(uncached_input_tokens, 0) + coalesce(cache_read_input_tokens, 0)
                + coalesce(cache_creation_5m_input_tokens, 0)
            else cache_creation_1h_input_tokens
        end as input_tokens,
        case ttl_row when '5m' then coalesce(cache_read_input_tokens, 0) else 0 end as cached_input_tokens,
        case ttl_row when '5m' then coalesce(cache_creation_5m_input_tokens, 0) else cache_creation_1h_input_tokens end
            as cache_write_tokens,
        ttl_row as cache_write_ttl,
        case ttl_row when '5m' then output_tokens else 0 end as output_tokens,
        cast(0 as bigint) as reasoning_tokens,
        cast(0 as bigint) as image_input_tokens,
        cast(0 as bigint) as audio_input_tokens,
        cast(0 as bigint) as audio_output_tokens,
        'success' as status,
        cast(null as integer) as http_status,
        cast(1 as integer) as attempt,
        cast(null as bigint) as ttft_ms,
        cast(null as bigint) as latency_ms,
        context_window,
        _source_file,
        _source_line,
        _arrival_date
    from ttl_rows
)

select * from final
{% endset %}

{{ canonical_usage_staging('(' ~ anthropic_sql ~ ') as anthropic_usage', 'anthropic_usage', 'null', "coalesce(context_window like '200k%', false)") }}
