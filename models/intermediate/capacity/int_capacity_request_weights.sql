-- One row per provisioned request and reservation it draws on (a Scale Tier request draws on an input and
-- an output bundle): the request's weighted tokens by the reservation's burndown weights for the model
-- that served it (output = N input tokens, cached input weighted, Vertex thinking and long-context weights).
-- Incremental by day: a run replaces the days of its rebuild window.
{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('event_date', lookback=false)) }}

with requests as (
    select * from {{ ref('int_usage_events_priced') }}
    where capacity_type = 'provisioned' and {{ incremental_window('event_date', lookback=false) }}
),

deployment_hours as (
    select * from {{ ref('int_capacity_deployment_hours') }}
    where deployment_id <> '(unallocated)'
),

throughput as (
    select * from {{ ref('capacity_throughput') }}
),

matched as (
    select
        requests.event_id,
        requests.event_date,
        requests.use_case_id,
        requests.model_id,
        requests.input_tokens,
        requests.cached_input_tokens,
        requests.output_tokens,
        requests.reasoning_tokens,
        requests.audio_input_tokens,
        requests.list_equivalent_cost_usd,
        deployment_hours.reservation_id,
        deployment_hours.deployment_id,
        deployment_hours.hour_at,
        deployment_hours.capacity_model,
        deployment_hours.dimension
    from requests
    inner join deployment_hours
        on requests.deployment_id = deployment_hours.deployment_id
        and {{ dbt.date_trunc('hour', 'requests.occurred_at') }} = deployment_hours.hour_at
),

weighted as (
    select
        matched.*,
        throughput.model_id is not null as has_weights
    from matched
    left join throughput
        on matched.capacity_model = throughput.capacity_model
        and matched.dimension = throughput.dimension
        and matched.model_id = throughput.model_id
),

final as (
    select
        weighted.event_id,
        weighted.event_date,
        weighted.use_case_id,
        weighted.reservation_id,
        weighted.deployment_id,
        weighted.hour_at,
        weighted.list_equivalent_cost_usd,
        weighted.has_weights,
        cast(
            {{ capacity_weighted_tokens('weighted', 'throughput') }}
            as bigint
        ) as weighted_tokens
    from weighted
    left join throughput
        on weighted.capacity_model = throughput.capacity_model
        and weighted.dimension = throughput.dimension
        and weighted.model_id = throughput.model_id
)

select * from final
