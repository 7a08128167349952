-- The cost a usage log reports for each call, kept apart from the cost the price book computes: LiteLLM's
-- `spend` (its own price map's estimate) and OpenTelemetry spans' cost attributes (gen_ai.usage.cost.amount /
-- .currency / .source, or OpenLIT's gen_ai.usage.cost in USD). One row per logged call that reports a cost.
{%- set money = money_type() %}
with litellm as (
    select
        staged.event_id,
        staged.platform,
        staged.raw_model,
        staged.event_date as day,
        'litellm_spend' as reported_source,
        'USD' as currency,
        cast(logs.spend as {{ money }}) as reported_cost
    from {{ ref('stg_litellm__spend_logs') }} as staged
    inner join {{ source('lake', 'litellm_spend_logs') }} as logs
        on staged.source_file = logs._source_file
        and staged.source_line = logs._source_line
    where logs.spend is not null
),

otel as (
    select
        event_id,
        lower(trim(platform)) as platform,
        trim(model) as raw_model,
        cast(event_date as date) as day,
        coalesce(reported_cost_source, 'otel') as reported_source,
        coalesce(reported_cost_currency, 'USD') as currency,
        cast(reported_cost as {{ money }}) as reported_cost
    from {{ source('lake', 'otel_spans') }}
    where reported_cost is not null
),

unioned as (
    select * from litellm
    union all
    select * from otel
),

final as (
    select
        unioned.event_id,
        unioned.platform,
        coalesce(aliases.model_id, lower(unioned.raw_model)) as model_id,
        unioned.day,
        unioned.reported_source,
        unioned.currency,
        unioned.reported_cost
    from unioned
    left join {{ ref('model_aliases') }} as aliases
        on unioned.raw_model = aliases.raw_model
)

select * from final
