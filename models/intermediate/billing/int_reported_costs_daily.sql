-- What providers report they charged, per platform, model, day, source and currency: the OpenAI Costs API and
-- the Anthropic cost report (token lines; '(ungrouped)' when the report was not grouped by model or line item),
-- kept apart from the computed cost and from the bill.
{%- set columns %}
        platform,
        raw_model,
        usage_date as day,
        reported_source,
        currency,
        reported_cost
{%- endset %}
with api as (
    select {{ columns }}
    from {{ ref('stg_openai__costs') }}
    union all
    select {{ columns }}
    from {{ ref('stg_anthropic__cost_report') }}
),

final as (
    select
        api.platform,
        coalesce(aliases.model_id, lower(api.raw_model)) as model_id,
        api.day,
        api.reported_source,
        api.currency,
        sum(api.reported_cost) as reported_cost,
        count(*) as report_rows
    from api
    left join {{ ref('model_aliases') }} as aliases
        on api.raw_model = aliases.raw_model
    group by 1, 2, 3, 4, 5
)

select * from final
