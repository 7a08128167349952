-- GCP billing export rows: net cost = cost + credits (credits are negative: committed-use and sustained-use
-- discounts, promotions), which is both what is billed and the effective cost; list cost = cost before
-- credits. Labels as the tags. The latest delivery of each invoice month only.
with delivered as (
    {{ latest_delivery(source('lake', 'gcp_billing'), ['billing_account_id', 'invoice_month']) }}
),

final as (
    select
        'gcp_billing' as billing_source,
        record_id as charge_id,
        billing_account_id,
        cast(null as date) as billing_period_start,
        usage_start_time as charge_period_start,
        usage_end_time as charge_period_end,
        cast(charge_date as date) as charge_date,
        cost + coalesce(credits_amount, cast(0 as {{ money_type() }})) as billed_cost,
        cost + coalesce(credits_amount, cast(0 as {{ money_type() }})) as effective_cost,
        cost as list_cost,
        cost as contracted_cost,
        upper(coalesce(currency, 'USD')) as billing_currency,
        case lower(coalesce(cost_type, 'regular'))
            when 'regular' then 'Usage'
            when 'tax' then 'Tax'
            else 'Adjustment'
        end as charge_category,
        case when lower(cost_type) = 'adjustment' then 'Correction' end as charge_class,
        'Usage-Based' as charge_frequency,
        sku_description as charge_description,
        'Google Cloud' as provider,
        service_description as service_name,
        case
            when service_description = 'Vertex AI' then 'gcp_vertex'
            when service_description in ('Generative Language API', 'Gemini API') then 'google_ai_studio'
        end as platform,
        sku_id,
        sku_description as sku_text,
        region,
        project_id as resource_id,
        usage_amount_in_pricing_units as pricing_quantity,
        usage_pricing_unit as pricing_unit,
        case when lower(sku_description) like '%token%' and lower(usage_unit) in ('count', 'tokens') then usage_amount end
            as token_quantity,
        labels as tags,
        credits_amount as x_credits_amount,
        credits as x_credits,
        invoice_month as x_invoice_month,
        _source_file as source_file,
        _source_line as source_line
    from delivered
)

select * from final
