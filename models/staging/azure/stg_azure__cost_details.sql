-- Azure cost details as one set of charges from the two views, never added together: consumption (usage,
-- unused reservation / savings plan) from the amortized view, with effective cost = amortized cost and
-- billed cost = 0 where a commitment covered it; purchases, refunds, taxes and credits from the actual view,
-- with effective cost 0 for commitment purchases (their cost is in the amortized usage). Where a billing
-- period came in one view only, that view's rows stand alone. Dates are MM/DD/YYYY (parsed at ingestion),
-- Tags get their outer braces back. The latest delivery of each view and billing period only.
{%- set consumption = "('Usage', 'UnusedReservation', 'UnusedSavingsPlan')" %}
with actual as (
    {{ latest_delivery(source('lake', 'azure_cost_actual'), ['billing_account_id', 'billing_period_start']) }}
),

amortized as (
    {{ latest_delivery(source('lake', 'azure_cost_amortized'), ['billing_account_id', 'billing_period_start']) }}
),

actual_periods as (
    select distinct
        billing_account_id,
        billing_period_start
    from actual
),

amortized_periods as (
    select distinct
        billing_account_id,
        billing_period_start
    from amortized
),

charges as (
    select
        amortized.*,
        'amortized' as cost_view
    from amortized
    where charge_type in {{ consumption }}
    union all
    select
        actual.*,
        'actual' as cost_view
    from actual
    where charge_type not in {{ consumption }}
    union all
    -- periods without an amortized delivery: the actual view's consumption
    select
        actual.*,
        'actual' as cost_view
    from actual
    left join amortized_periods
        on actual.billing_account_id = amortized_periods.billing_account_id
        and actual.billing_period_start = amortized_periods.billing_period_start
    where actual.charge_type in {{ consumption }} and amortized_periods.billing_account_id is null
    union all
    -- periods without an actual delivery: the amortized view's other charges
    select
        amortized.*,
        'amortized' as cost_view
    from amortized
    left join actual_periods
        on amortized.billing_account_id = actual_periods.billing_account_id
        and amortized.billing_period_start = actual_periods.billing_period_start
    where amortized.charge_type not in {{ consumption }} and actual_periods.billing_account_id is null
),

classified as (
    select
        charges.*,
        coalesce(reservation_id, benefit_id) is not null or pricing_model in ('Reservation', 'SavingsPlan')
            as is_commitment,
        lower(meter_name) like '%token%' as is_token_usage,
        case
            when unit_of_measure like '1M%' or unit_of_measure like '1 M%' then 1000000
            when unit_of_measure like '10K%' then 10000
            when unit_of_measure like '1K%' or unit_of_measure like '1 K%' then 1000
            else 1
        end as unit_multiplier
    from charges
),

final as (
    select
        'azure_cost_details' as billing_source,
        record_id as charge_id,
        billing_account_id,
        cast(billing_period_start as date) as billing_period_start,
        usage_date as charge_period_start,
        {{ dbt.dateadd('day', 1, 'usage_date') }} as charge_period_end,
        cast(charge_date as date) as charge_date,
        case
            when cost_view = 'amortized' and charge_type in {{ consumption }}
                and (is_commitment or charge_type like 'Unused%') then cast(0 as {{ money_type() }})
            else cost
        end as billed_cost,
        case
            when cost_view = 'actual' and charge_type in ('Purchase', 'Refund') and is_commitment
                then cast(0 as {{ money_type() }})
            else cost
        end as effective_cost,
        case when payg_price > 0 then quantity * payg_price else cost end as list_cost,
        case when unit_price > 0 then quantity * unit_price else cost end as contracted_cost,
        upper(coalesce(billing_currency, 'USD')) as billing_currency,
        case
            when charge_type in {{ consumption }} then 'Usage'
            when charge_type = 'Purchase' then 'Purchase'
            when charge_type = 'Tax' then 'Tax'
            when charge_type in ('Credit', 'Refund') then 'Credit'
            else 'Adjustment'
        end as charge_category,
        case when charge_type = 'Refund' then 'Correction' end as charge_class,
        case frequency
            when 'UsageBased' then 'Usage-Based'
            when 'OneTime' then 'One-Time'
            else frequency
        end as charge_frequency,
        product as charge_description,
        'Microsoft' as provider,
        meter_category as service_name,
        case
            when meter_category in ('Cognitive Services', 'Azure OpenAI', 'Foundry Models')
                and (meter_subcategory like '%OpenAI%' or product like '%OpenAI%') then 'azure_openai'
        end as platform,
        meter_id as sku_id,
        meter_name as sku_text,
        coalesce(resource_location, meter_region) as region,
        resource_id,
        coalesce(reservation_id, benefit_id) as commitment_discount_id,
        case pricing_model when 'Reservation' then 'Reservation' when 'SavingsPlan' then 'Savings Plan' end
            as commitment_discount_type,
        case
            when charge_type like 'Unused%' then 'Unused'
            when charge_type = 'Usage' and is_commitment then 'Used'
        end as commitment_discount_status,
        quantity as pricing_quantity,
        unit_of_measure as pricing_unit,
        case when is_token_usage then quantity * unit_multiplier end as token_quantity,
        case
            when tags is null or trim(tags) = '' then null
            when {{ dbt.position("'{'", 'trim(tags)') }} = 1 then tags
            else '{' || tags || '}'
        end as tags,
        cost_view as x_cost_view,
        charge_type as x_charge_type,
        pricing_model as x_pricing_model,
        reservation_name as x_reservation_name,
        subscription_id as x_subscription_id,
        resource_group as x_resource_group,
        additional_info as x_additional_info,
        account_owner_hash as x_account_owner_hash,
        _source_file as source_file,
        _source_line as source_line
    from classified
)

select * from final
