{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('event_date', lookback=false)) }}
-- One row per model call from every usage source, de-duplicated on event_id, with its canonical model.
-- Duplicates (the same event_id delivered twice, by one source or several): the latest delivery wins (latest
-- arrival day, then the later file and line); `delivered_copies` counts the deliveries and
-- `has_conflicting_copies` says whether they disagreed on what the call was (time, model, tokens, status).
-- Incremental by day: the rebuild window (incremental_window: the run's days and any older day that files
-- arriving in the window brought events for; without a window the newest day minus `lookback_days`) is
-- replaced whole. An event's row depends on its own day's deliveries only: no lookback under a window.
with
{%- for cte, role in [('per_request', 'usage'), ('aggregated', 'usage_report')] %}
{{ cte }} as {{ not_materialized() }} (
    {%- for source_model in usage_sources(role) %}
    select * from {{ source_model }}
    where {{ incremental_window('event_date', lookback=false) }}
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
    select distinct
        platform,
        event_date
    from per_request
),

unioned as {{ not_materialized() }} (
    select * from per_request
    union all
    select aggregated.*
    from aggregated
    left join covered
        on aggregated.platform = covered.platform
        and aggregated.event_date = covered.event_date
    where covered.platform is null
),

-- the ids delivered more than once: one narrow aggregation over the ids; only their rows are ranked, so the
-- rows of every other call (nearly all of them) never go through a window over all rows
repeated_ids as (
    select
        event_id,
        count(*) as delivered_copies
    from unioned
    group by 1
    having count(*) > 1
),

ranked_repeats as (
    select
        unioned.*,
        row_number() over (
            partition by unioned.event_id
            order by unioned.arrival_date desc, unioned.source_file desc, unioned.source_line desc
        ) as delivery_rank,
        repeated_ids.delivered_copies
    from unioned
    inner join repeated_ids
        on unioned.event_id = repeated_ids.event_id
),

ranked as (
    select
        unioned.*,
        1 as delivery_rank,
        cast(1 as {{ dbt.type_bigint() }}) as delivered_copies
    from unioned
    left join repeated_ids
        on unioned.event_id = repeated_ids.event_id
    where repeated_ids.event_id is null
    union all
    select * from ranked_repeats
),

conflicts as (
    -- only the ids delivered more than once are compared
    select
        event_id,
        count(distinct {{ dbt.hash(dbt.concat([
            dbt.safe_cast('occurred_at', dbt.type_string()), "'|'", 'platform', "'|'", 'raw_model', "'|'",
            dbt.safe_cast('input_tokens', dbt.type_string()), "'|'",
            dbt.safe_cast('cached_input_tokens', dbt.type_string()), "'|'",
            dbt.safe_cast('cache_write_tokens', dbt.type_string()), "'|'",
            dbt.safe_cast('output_tokens', dbt.type_string()), "'|'",
            dbt.safe_cast('reasoning_tokens', dbt.type_string()), "'|'", 'status'
        ])) }}) > 1 as has_conflicting_copies
    from ranked_repeats
    group by 1
),

deployments as (
    select * from {{ ref('capacity_deployments') }}
),

aliases as (
    select * from {{ ref('model_aliases') }}
),

latest as (
    select
        ranked.*,
        -- a provisioned-model ARN (Bedrock) names a deployment: its model comes from the deployments seed
        coalesce(deployments.model_id, ranked.raw_model) as model_string
    from ranked
    left join deployments
        on ranked.capacity_type = 'provisioned'
        and ranked.raw_model like 'arn:%:provisioned-model/%'
        and ranked.raw_model = deployments.deployment_id
        and ranked.event_date >= deployments.valid_from
        and ranked.event_date < deployments.valid_to
    where ranked.delivery_rank = 1
),

deduplicated as (
    select
        latest.event_id,
        {{ id_hash('latest.event_id') }} as event_id_hash,
        latest.occurred_at,
        latest.event_date,
        latest.source_format,
        coalesce(aliases.provider, 'unknown') as provider,
        latest.platform,
        latest.model_string as raw_model,
        coalesce(aliases.model_id, lower(latest.model_string)) as model_id,
        aliases.model_version,
        aliases.model_id is not null as is_known_model,
        latest.region,
        coalesce(latest.region_scope, aliases.implied_region_scope, 'global') as region_scope,
        latest.deployment_id,
        latest.capacity_type,
        latest.service_tier,
        latest.use_case_id,
        latest.variant_id,
        latest.transaction_id,
        latest.conversation_id,
        latest.turn_index,
        latest.step_index,
        latest.team,
        latest.environment,
        latest.api_key_id,
        latest.user_hash,
        latest.input_tokens,
        latest.cached_input_tokens,
        latest.cache_write_tokens,
        latest.cache_write_ttl,
        latest.output_tokens,
        latest.reasoning_tokens,
        latest.image_input_tokens,
        latest.audio_input_tokens,
        latest.audio_output_tokens,
        latest.status,
        latest.http_status,
        latest.attempt,
        latest.ttft_ms,
        latest.latency_ms,
        latest.request_count,
        latest.long_context_hint,
        latest.source_file,
        latest.source_line,
        latest.arrival_date,
        latest.delivered_copies,
        coalesce(conflicts.has_conflicting_copies, false) as has_conflicting_copies
    from latest
    left join aliases
        on latest.model_string = aliases.raw_model
    left join conflicts
        on latest.event_id = conflicts.event_id
)

select * from deduplicated
