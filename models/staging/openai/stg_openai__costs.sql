-- OpenAI Costs API results: what OpenAI reports it charged, one row per bucket result. The line item reads
-- '<model>, <token type>' (e.g. 'gpt-4o-2024-08-06, input') when the pull groups by line item; a result without
-- one is '(ungrouped)'. Amounts in the currency given (USD), exact. Provider-reported: never the computed cost.
with costs as (
    select * from {{ source('lake', 'openai_costs') }}
),

final as (
    select
        record_id as cost_id,
        cast(bucket_start as timestamp) as bucket_start,
        cast(bucket_end as timestamp) as bucket_end,
        cast(event_date as date) as usage_date,
        'openai' as platform,
        case
            when line_item is null then '(ungrouped)'
            else trim({{ dbt.split_part('line_item', "','", 1) }})
        end as raw_model,
        case
            when line_item like '%,%' then lower(trim({{ dbt.split_part('line_item', "','", 2) }}))
        end as token_type,
        line_item,
        project_id,
        api_key_id,
        upper(currency) as currency,
        cast(amount as {{ money_type() }}) as reported_cost,
        'openai_costs_api' as reported_source,
        _source_file as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_arrival_date as date) as arrival_date
    from costs
)

select * from final
