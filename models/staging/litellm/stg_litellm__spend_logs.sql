-- LiteLLM proxy spend logs as canonical usage events. LiteLLM reports prompt_tokens OpenAI-style (cache
-- reads and cache writes included; it adds Anthropic's cache counts in), completion_tokens with reasoning.
-- The provider prefix of the model string (bedrock/, azure/, vertex_ai/, ...) is dropped; the platform
-- comes from custom_llm_provider; a failure's HTTP code (metadata.error_information) says how it failed.
-- LiteLLM's own `spend` estimate is not used: the price book prices it.
{% set litellm_sql %}
with logs as (
    select * from {{ source('lake', 'litellm_spend_logs') }}
),

final as (
    select
        request_id as event_id,
        start_time as occurred_at,
        event_date,
        case
            when custom_llm_provider in ('openai', 'text-completion-openai') then 'openai'
            when custom_llm_provider in ('azure', 'azure_ai') then 'azure_openai'
            when custom_llm_provider in ('bedrock', 'bedrock_converse') then 'aws_bedrock'
            when custom_llm_provider like 'vertex_ai%' then 'gcp_vertex'
            when custom_llm_provider = 'anthropic' then 'anthropic'
            when custom_llm_provider = 'gemini' then 'google_ai_studio'
            else custom_llm_provider
        end as platform,
        case
            when model like '%/%' and {{ dbt.split_part('model', "'/'", 1) }} in
                ('openai', 'azure', 'azure_ai', 'bedrock', 'bedrock_converse', 'vertex_ai', 'anthropic', 'gemini')
                then substr(model, length({{ dbt.split_part('model', "'/'", 1) }}) + 2)
            else model
        end as model,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as region_scope,
        cast(null as {{ dbt.type_string() }}) as deployment_id,
        'on_demand' as capacity_type,
        'standard' as service_tier,
        use_case_id,
        variant_id,
        coalesce(transaction_id, request_id) as transaction_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as integer) as turn_index,
        cast(null as integer) as step_index,
        team_id as team,
        cast(null as {{ dbt.type_string() }}) as environment,
        api_key as api_key_id,
        user_hash,
        prompt_tokens as input_tokens,
        coalesce(cached_tokens, 0) as cached_input_tokens,
        coalesce(cache_creation_tokens, 0) as cache_write_tokens,
        cast(null as {{ dbt.type_string() }}) as cache_write_ttl,
        completion_tokens as output_tokens,
        coalesce(reasoning_tokens, 0) as reasoning_tokens,
        cast(0 as bigint) as image_input_tokens,
        cast(0 as bigint) as audio_input_tokens,
        cast(0 as bigint) as audio_output_tokens,
        case
            when lower(coalesce(status, 'success')) = 'success' then 'success'
            when error_code = '429' then 'throttled'
            when error_code = '408' then 'timeout'
            when error_code = '400' then 'filtered'
            else 'error'
        end as status,
        {{ safe_integer('error_code') }} as http_status,
        cast(1 as integer) as attempt,
        {{ dbt.datediff('start_time', 'completion_start_time', 'millisecond') }} as ttft_ms,
        {{ dbt.datediff('start_time', 'end_time', 'millisecond') }} as latency_ms,
        _source_file,
        _source_line,
        _arrival_date
    from logs
)

select * from final
{% endset %}

{{ canonical_usage_staging('(' ~ litellm_sql ~ ') as litellm', 'litellm_spend') }}
