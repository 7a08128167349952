-- FOCUS export rows (1.0 to 1.2) as they are, cleaned: FOCUS values in their canonical spelling
-- ('Usage-based' -> 'Usage-Based'), EffectiveCost defaulting to BilledCost where a 1.0 export leaves it
-- empty, the latest delivery of each billing period only.
with delivered as (
    {{ latest_delivery(source('lake', 'focus_charges'), ['billing_account_id', 'billing_period_start']) }}
),

final as (
    select
        'focus' as billing_source,
        charge_id,
        billing_account_id,
        cast(billing_period_start as date) as billing_period_start,
        charge_period_start,
        charge_period_end,
        cast(charge_date as date) as charge_date,
        billed_cost,
        coalesce(effective_cost, billed_cost) as effective_cost,
        list_cost,
        contracted_cost,
        upper(billing_currency) as billing_currency,
        case lower(charge_category)
            when 'usage' then 'Usage'
            when 'purchase' then 'Purchase'
            when 'tax' then 'Tax'
            when 'credit' then 'Credit'
            when 'adjustment' then 'Adjustment'
            else charge_category
        end as charge_category,
        case when lower(charge_class) = 'correction' then 'Correction' end as charge_class,
        case lower(charge_frequency)
            when 'usage-based' then 'Usage-Based'
            when 'one-time' then 'One-Time'
            when 'recurring' then 'Recurring'
            else charge_frequency
        end as charge_frequency,
        charge_description,
        provider_name as provider,
        case
            when lower(provider_name) = 'openai' then 'openai'
            when lower(provider_name) = 'anthropic' then 'anthropic'
            when lower(provider_name) in ('microsoft', 'azure') and service_name like '%OpenAI%' then 'azure_openai'
            when lower(provider_name) in ('aws', 'amazon web services') and service_name like '%Bedrock%'
                then 'aws_bedrock'
            when lower(provider_name) in ('google cloud', 'google', 'gcp') and service_name = 'Vertex AI'
                then 'gcp_vertex'
        end as platform,
        publisher_name,
        sub_account_id,
        service_name,
        service_category,
        service_subcategory,
        sku_id,
        sku_price_id,
        coalesce(sku_meter, sku_id) as sku_text,
        region_id as region,
        resource_id,
        commitment_discount_id,
        commitment_discount_type,
        commitment_discount_status,
        capacity_reservation_id,
        capacity_reservation_status,
        pricing_category,
        pricing_quantity,
        pricing_unit,
        consumed_quantity,
        consumed_unit,
        case
            when lower(consumed_unit) like '1m%token%' then consumed_quantity * 1000000
            when lower(consumed_unit) like '1k%token%' then consumed_quantity * 1000
            when lower(consumed_unit) like '%token%' then consumed_quantity
        end as token_quantity,
        tags,
        _source_file as source_file,
        _source_line as source_line
    from delivered
)

select * from final
