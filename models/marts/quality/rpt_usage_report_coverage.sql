{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- One row per platform and UTC day with usage in a per-request source, an aggregated usage report, or both:
-- which one the warehouse counts (per-request wins; the report counts only alone) and how far the two
-- disagree where both exist (tokens and requests). Token counts; requests may be null (Anthropic reports
-- none). A call delivered twice with the same content counts once (int_usage_events keeps one copy too).
-- Incremental by day (each row is one platform and day): a run replaces the days of its rebuild window.
{%- set sources = {'per_request': usage_sources('usage'), 'reports': usage_sources('usage_report')} %}
with
{%- for name in ['per_request', 'reports'] %}

{{ name }} as (
    select
        platform,
        event_date,
        sum(request_count) as requests,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens
    from (
        -- a log line delivered twice (the same call, the same content) is one call
        {%- for model in sources[name] %}
        select distinct
            event_id,
            platform,
            event_date,
            request_count,
            input_tokens,
            output_tokens
        from {{ model }}
        where {{ incremental_window('event_date') }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as usage_rows
    group by 1, 2
),
{%- endfor %}

final as (
    select
        coalesce(per_request.platform, reports.platform) as platform,
        coalesce(per_request.event_date, reports.event_date) as event_date,
        case
            when per_request.platform is not null and reports.platform is not null then 'both: per-request counted'
            when per_request.platform is not null then 'per-request only'
            else 'report only: report counted'
        end as coverage,
        per_request.requests as per_request_requests,
        reports.requests as report_requests,
        per_request.input_tokens as per_request_input_tokens,
        reports.input_tokens as report_input_tokens,
        per_request.output_tokens as per_request_output_tokens,
        reports.output_tokens as report_output_tokens,
        reports.input_tokens - per_request.input_tokens as input_tokens_gap
    from per_request
    full outer join reports
        on per_request.platform = reports.platform
        and per_request.event_date = reports.event_date
)

select * from final
