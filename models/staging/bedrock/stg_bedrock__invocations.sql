-- AWS Bedrock model invocation logs as canonical usage events. Bedrock reports input tokens without cache
-- reads and writes (Anthropic-like), so input_tokens = inputTokenCount + cacheRead + cacheWrite. The model
-- id may be a model id, a cross-region profile id (us./eu./global.: its own price) or an ARN: an
-- inference-profile ARN names its profile; a provisioned-model ARN is a deployment of a capacity
-- reservation (kept as the model string here: int_usage_events looks its model up in capacity_deployments).
{% set bedrock_sql %}
with invocations as (
    select * from {{ source('lake', 'bedrock_invocations') }}
),

parsed as (
    select
        invocations.*,
        case
            when model_id like 'arn:%:inference-profile/%'
                then {{ dbt.split_part('model_id', "'inference-profile/'", 2) }}
            else model_id
        end as model_string,
        model_id like 'arn:%:provisioned-model/%' as is_provisioned
    from invocations
),

final as (
    select
        parsed.request_id as event_id,
        parsed.timestamp as occurred_at,
        parsed.event_date,
        'aws_bedrock' as platform,
        parsed.model_string as model,
        coalesce(parsed.inference_region, parsed.region) as region,
        cast(null as {{ dbt.type_string() }}) as region_scope,
        case when parsed.is_provisioned then parsed.model_id end as deployment_id,
        case when parsed.is_provisioned then 'provisioned' else 'on_demand' end as capacity_type,
        'standard' as service_tier,
        parsed.use_case_id,
        parsed.variant_id,
        parsed.transaction_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as integer) as turn_index,
        cast(null as integer) as step_index,
        parsed.team,
        cast(null as {{ dbt.type_string() }}) as environment,
        parsed.account_id as api_key_id,
        parsed.user_hash,
        coalesce(parsed.input_token_count, 0) + coalesce(parsed.cache_read_input_token_count, 0)
            + coalesce(parsed.cache_write_input_token_count, 0) as input_tokens,
        coalesce(parsed.cache_read_input_token_count, 0) as cached_input_tokens,
        coalesce(parsed.cache_write_input_token_count, 0) as cache_write_tokens,
        cast(null as {{ dbt.type_string() }}) as cache_write_ttl,
        coalesce(parsed.output_token_count, 0) as output_tokens,
        cast(0 as bigint) as reasoning_tokens,
        cast(0 as bigint) as image_input_tokens,
        cast(0 as bigint) as audio_input_tokens,
        cast(0 as bigint) as audio_output_tokens,
        case
            when parsed.error_code is null then 'success'
            when parsed.error_code like '%Throttling%' then 'throttled'
            else 'error'
        end as status,
        cast(null as integer) as http_status,
        cast(1 as integer) as attempt,
        cast(null as bigint) as ttft_ms,
        cast(null as bigint) as latency_ms,
        parsed._source_file,
        parsed._source_line,
        parsed._arrival_date
    from parsed
)

select * from final
{% endset %}

{{ canonical_usage_staging('(' ~ bedrock_sql ~ ') as bedrock', 'bedrock_invocation') }}
