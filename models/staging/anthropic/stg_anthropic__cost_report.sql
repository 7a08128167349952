-- Anthropic Admin API cost report results: what Anthropic reports it charged, one row per bucket result.
-- `amount` is a decimal string in the currency's lowest unit (cents for USD): multiplied by 0.01 here, exactly.
-- Provider-reported: never the computed cost.
with report as (
    select * from {{ source('lake', 'anthropic_costs') }}
),

final as (
    select
        record_id as cost_id,
        cast(starting_at as timestamp) as bucket_start,
        cast(ending_at as timestamp) as bucket_end,
        cast(event_date as date) as usage_date,
        'anthropic' as platform,
        coalesce(model, '(ungrouped)') as raw_model,
        lower(token_type) as token_type,
        cost_type,
        description,
        workspace_id,
        lower(service_tier) as service_tier,
        context_window,
        inference_geo,
        upper(currency) as currency,
        cast(amount * 0.01 as {{ money_type() }}) as reported_cost,
        'anthropic_cost_report' as reported_source,
        _source_file as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_arrival_date as date) as arrival_date
    from report
)

select * from final
