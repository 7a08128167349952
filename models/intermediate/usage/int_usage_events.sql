{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- One row per model call from every usage source, de-duplicated on event_id: the first delivery wins
-- (by source file and line) and `delivered_copies` records how often it was delivered.
-- Incremental by day: the partition window plus `lookback_days` is rebuilt whole.
with
{%- for cte, kind in [('per_request', 'per_request'), ('aggregated', 'reports')] %}
{{ cte }} as (
    {%- for source_model in usage_sources(kind) %}
    select * from {{ source_model }}
    where {{ incremental_window('event_date') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),
{% endfor %}
-- no double counting: an aggregated report row (OpenAI / Anthropic usage APIs) counts only for a platform
-- and day that no per-request source covers; otherwise the per-request rows are the record and the report
-- only reconciles them (rpt_usage_report_coverage)
covered as (
    select distinct platform, event_date from per_request
),

unioned as (
    select * from per_request
    union all
    select aggregated.*
    from aggregated
    left join covered
        on aggregated.platform = covered.platform
        and aggregated.event_date = covered.event_date
    where covered.platform is null
),

ranked as (
    select
        unioned.*,
        row_number() over (partition by event_id order by source_file, source_line) as delivery_rank,
        count(*) over (partition by event_id) as delivered_copies
    from unioned
),

deduplicated as (
    select
        event_id,
        occurred_at,
        event_date,
        source_format,
        provider,
        platform,
        raw_model,
        model_id,
        model_version,
        is_known_model,
        region,
        resolved_region_scope as region_scope,
        deployment_id,
        capacity_type,
        service_tier,
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
        input_tokens,
        cached_input_tokens,
        cache_write_tokens,
        cache_write_ttl,
        output_tokens,
        reasoning_tokens,
        image_input_tokens,
        audio_input_tokens,
        audio_output_tokens,
        status,
        http_status,
        attempt,
        ttft_ms,
        latency_ms,
        request_count,
        long_context_hint,
        source_file,
        source_line,
        delivered_copies
    from ranked
    where delivery_rank = 1
)

select * from deduplicated
