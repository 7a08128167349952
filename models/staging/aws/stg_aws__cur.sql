-- AWS CUR 2.0 line items: billed cost net of discounts (EDP and private-rate discounts sit in
-- net_unblended_cost), list cost at public on-demand prices, FOCUS charge categories from the line item
-- type, token counts from the usage amount in the unit pricing_unit names (tokens or thousands of tokens;
-- where an export has no pricing_unit, a price per unit above $0.0005 can only be per 1K tokens).
-- The latest delivery of each billing period only.
with delivered as (
    {{ latest_delivery(source('lake', 'aws_cur'), ['payer_account_id', 'billing_period_start']) }}
),

typed as (
    select
        delivered.*,
        lower(coalesce(line_item_type, 'Usage')) as item_type,
        {{ dbt.split_part('usage_type', "'-'", 1) }} as usage_region_prefix,
        lower(usage_type) like '%token%' as is_token_usage
    from delivered
),

final as (
    select
        'aws_cur' as billing_source,
        line_item_id as charge_id,
        payer_account_id as billing_account_id,
        cast(billing_period_start as date) as billing_period_start,
        usage_start as charge_period_start,
        coalesce(usage_end, {{ dbt.dateadd('day', 1, 'usage_start') }}) as charge_period_end,
        cast(charge_date as date) as charge_date,
        coalesce(net_unblended_cost, unblended_cost) as billed_cost,
        coalesce(net_unblended_cost, unblended_cost) as effective_cost,
        coalesce(public_on_demand_cost, unblended_cost) as list_cost,
        unblended_cost as contracted_cost,
        upper(coalesce(currency, 'USD')) as billing_currency,
        case
            when item_type in ('usage', 'discountedusage', 'savingsplancoveredusage') then 'Usage'
            when item_type in ('fee', 'rifee', 'savingsplanrecurringfee', 'savingsplanupfrontfee') then 'Purchase'
            when item_type = 'tax' then 'Tax'
            when item_type in (
                    'credit', 'refund', 'edpdiscount', 'bundleddiscount', 'privateratediscount',
                    'savingsplannegation'
                ) then 'Credit'
            else 'Adjustment'
        end as charge_category,
        case when item_type = 'refund' then 'Correction' end as charge_class,
        case when item_type in ('fee', 'rifee', 'savingsplanupfrontfee') then 'One-Time'
            when item_type = 'savingsplanrecurringfee' then 'Recurring'
            else 'Usage-Based'
        end as charge_frequency,
        description as charge_description,
        'AWS' as provider,
        product_code as service_name,
        case when product_code in ('AmazonBedrock', 'AmazonBedrockService') then 'aws_bedrock' end as platform,
        usage_type as sku_id,
        substr(usage_type, length(usage_region_prefix) + 2) as sku_text,
        region_code as region,
        resource_id,
        usage_amount as pricing_quantity,
        coalesce(pricing_unit, case when is_token_usage then 'tokens (unit inferred)' end) as pricing_unit,
        case
            when not is_token_usage then null
            when lower(pricing_unit) in ('tokens', 'token', 'count') then usage_amount
            when lower(pricing_unit) like '1k%' or lower(pricing_unit) like '%thousand%' then usage_amount * 1000
            when lower(pricing_unit) like '1m%' or lower(pricing_unit) like '%million%' then usage_amount * 1000000
            when pricing_unit is null and usage_amount > 0
                and unblended_cost > usage_amount * cast(0.0005 as {{ money_type() }}) then usage_amount * 1000
            else usage_amount
        end as token_quantity,
        pricing_unit is null and is_token_usage as is_unit_inferred,
        resource_tags as tags,
        operation as x_operation,
        principal_hash as x_principal_hash,
        usage_account_id as x_usage_account_id,
        _source_file as source_file,
        _source_line as source_line
    from typed
)

select * from final
