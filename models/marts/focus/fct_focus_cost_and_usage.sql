-- FOCUS column names are PascalCase:
-- noqa: disable=CP02
-- GenAI cost as a FOCUS 1.3 Cost and Usage dataset (docs/bi.md): one row per day x use case x variant
-- x platform x model x deployment x charge type (x_ChargeType):
--   usage                 pay-as-you-go calls (on demand, batch, spillover): BilledCost = EffectiveCost = the
--                         effective cost after the enterprise discount, ListCost at list prices
--   capacity_used         provisioned capacity the use case's calls used (and, under capacity_idle_policy
--                         'shared', the idle of the hours they ran in), allocated onto the use case: a split
--                         cost allocation (Allocated* columns) of the reservation's daily cost, amortized
--                         (BilledCost 0, EffectiveCost the allocated cost, CapacityReservationStatus 'Used')
--   capacity_idle         idle capacity left with the reservation's owner team (status 'Unused', no allocation)
--   capacity_unallocated  reserved capacity not deployed (status 'Unused', no allocation)
--   capacity_purchase     the reservation's commitment and overage of the day as billed (ChargeCategory
--                         'Purchase', EffectiveCost 0: the amortized cost is on the capacity_* rows)
-- The capacity_* usage rows of a reservation-day add up to its purchase row to the last digit (dbt test
-- focus_capacity_adds_up). Unpriced calls have no cost to report and are left out (marts.rpt_unpriced_usage).
-- x_ValueUsd: the use case's business value of the day, split over its rows by their effective cost
-- (cumulative rounding: the rows add up to the value exactly).
-- Incremental by day (every row is one charge day; macros/rebuild_days.sql): the capacity rows of every hour of
-- the reservations' terms on the first build, then the days of each run's window.
{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('ChargePeriodStart')) }}
{%- set newest = "cast(max(case when x_ChargeType in ('usage', 'capacity_used') then ChargePeriodStart end) as date)" %}
{%- set newest = "coalesce(" ~ newest ~ ", cast(min(ChargePeriodStart) as date))" %}
-- `requests` is read twice (pay-as-you-go lines, capacity lines), each time with the columns and calls it needs:
-- kept inline, not written out whole (10M calls: 8.3-9.8 s against 2.8-2.9 s for the model; docs/benchmarks.md)
with requests as {{ not_materialized() }} (
    select * from {{ ref('fct_genai_requests') }}
    where pricing_status <> 'unpriced' and {{ rebuild_days('event_date', newest) }}
),

allocations as (
    select * from {{ ref('int_capacity_allocations_by_reservation') }}
    where {{ rebuild_days('event_date', newest) }}
),

hourly as (
    select * from {{ ref('fct_capacity_hourly') }}
    where {{ rebuild_days('hour_date', newest) }}
),

value_days as (
    select
        event_date,
        use_case_id,
        variant_id,
        sum(value_usd) as value_usd
    from {{ ref('rpt_use_case_roi_daily') }}
    where {{ rebuild_days('event_date', newest) }}
    group by 1, 2, 3
),

shared_policy as (
    select {{ "true" if var('capacity_idle_policy', 'owner') == 'shared' else "false" }} as is_shared
),

platforms as (
    select
        'openai' as platform,
        'OpenAI' as provider_name,
        'OpenAI API' as service_name
    union all
    select
        'azure_openai' as platform,
        'Microsoft' as provider_name,
        'Azure OpenAI' as service_name
    union all
    select
        'aws_bedrock' as platform,
        'AWS' as provider_name,
        'Amazon Bedrock' as service_name
    union all
    select
        'gcp_vertex' as platform,
        'Google Cloud' as provider_name,
        'Vertex AI' as service_name
    union all
    select
        'anthropic' as platform,
        'Anthropic' as provider_name,
        'Claude API' as service_name
),

usage_lines as (
    select
        event_date as charge_date,
        'usage' as charge_type,
        use_case_id,
        variant_id,
        team,
        platform,
        provider,
        region,
        model_id,
        coalesce(deployment_id, model_id) as resource_id,
        cast(null as {{ dbt.type_string() }}) as reservation_id,
        max(service_tier) as service_tier,
        sum(request_count) as requests,
        sum(input_tokens) as input_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(output_tokens) as output_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(effective_cost_usd) as billed_cost,
        sum(effective_cost_usd) as effective_cost,
        sum(list_cost_usd) as list_cost
    from requests
    where capacity_type <> 'provisioned'
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
),

-- a call served by two reservations (input and output capacity) counts its tokens once, on the first
per_reservation as (
    select
        allocations.*,
        row_number() over (partition by allocations.event_id order by allocations.reservation_id) as nth
    from allocations
),

capacity_used_lines as (
    select
        requests.event_date as charge_date,
        'capacity_used' as charge_type,
        requests.use_case_id,
        requests.variant_id,
        requests.team,
        requests.platform,
        requests.provider,
        requests.region,
        requests.model_id,
        coalesce(requests.deployment_id, requests.model_id) as resource_id,
        per_reservation.reservation_id,
        max(requests.service_tier) as service_tier,
        sum(case when per_reservation.nth = 1 then requests.request_count else 0 end) as requests,
        sum(case when per_reservation.nth = 1 then requests.input_tokens else 0 end) as input_tokens,
        sum(case when per_reservation.nth = 1 then requests.cached_input_tokens else 0 end) as cached_input_tokens,
        sum(case when per_reservation.nth = 1 then requests.cache_write_tokens else 0 end) as cache_write_tokens,
        sum(case when per_reservation.nth = 1 then requests.output_tokens else 0 end) as output_tokens,
        sum(case when per_reservation.nth = 1 then requests.reasoning_tokens else 0 end) as reasoning_tokens,
        cast(0 as {{ money_type() }}) as billed_cost,
        sum(per_reservation.capacity_used_cost_usd)
        + sum(case when shared_policy.is_shared then per_reservation.capacity_idle_share_usd else 0 end)
            as effective_cost,
        sum(case when per_reservation.nth = 1 then requests.list_equivalent_cost_usd else 0 end) as list_cost
    from per_reservation
    inner join requests on per_reservation.event_id = requests.event_id
    cross join shared_policy
    -- allocations are of provisioned calls only: the join probes those, not every call
    where requests.capacity_type = 'provisioned'
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
),

line_types as (
    select 'capacity_idle' as charge_type
    union all
    select 'capacity_unallocated' as charge_type
),

owner_lines as (
    select
        hourly.hour_date as charge_date,
        line_types.charge_type,
        cast(null as {{ dbt.type_string() }}) as use_case_id,
        cast(null as {{ dbt.type_string() }}) as variant_id,
        hourly.owner_team as team,
        hourly.platform,
        cast(null as {{ dbt.type_string() }}) as provider,
        cast(null as {{ dbt.type_string() }}) as region,
        hourly.model_id,
        coalesce(hourly.deployment_id, hourly.reservation_id) as resource_id,
        hourly.reservation_id,
        cast(null as {{ dbt.type_string() }}) as service_tier,
        0 as requests,
        0 as input_tokens,
        0 as cached_input_tokens,
        0 as cache_write_tokens,
        0 as output_tokens,
        0 as reasoning_tokens,
        cast(0 as {{ money_type() }}) as billed_cost,
        sum(
            case line_types.charge_type
                when 'capacity_idle'
                    then case when shared_policy.is_shared and hourly.used_weighted_tokens > 0 then 0 else hourly.idle_cost_usd end
                else hourly.unallocated_cost_usd
            end
        ) as effective_cost,
        cast(0 as {{ money_type() }}) as list_cost
    from hourly
    cross join shared_policy
    cross join line_types
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
),

purchase_lines as (
    select
        hour_date as charge_date,
        'capacity_purchase' as charge_type,
        cast(null as {{ dbt.type_string() }}) as use_case_id,
        cast(null as {{ dbt.type_string() }}) as variant_id,
        max(owner_team) as team,
        max(platform) as platform,
        cast(null as {{ dbt.type_string() }}) as provider,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as model_id,
        reservation_id as resource_id,
        reservation_id,
        cast(null as {{ dbt.type_string() }}) as service_tier,
        0 as requests,
        0 as input_tokens,
        0 as cached_input_tokens,
        0 as cache_write_tokens,
        0 as output_tokens,
        0 as reasoning_tokens,
        sum(committed_cost_usd + overage_cost_usd) as billed_cost,
        cast(0 as {{ money_type() }}) as effective_cost,
        cast(0 as {{ money_type() }}) as list_cost
    from hourly
    group by 1, 2, 3, 4, 7, 8, 9, 10, 11, 12
),

-- what each reservation-day costs (the origin charge of the capacity split)
reservation_days as (
    select
        hour_date as charge_date,
        reservation_id,
        sum(committed_cost_usd + overage_cost_usd) as origin_cost
    from hourly
    group by 1, 2
),

lines as (
    select * from usage_lines
    union all
    select * from capacity_used_lines
    union all
    select * from owner_lines
    where effective_cost <> 0
    union all
    select * from purchase_lines
),

-- value split over the use case-variant-day's rows by effective cost, cumulatively rounded
ordered as (
    select
        lines.*,
        reservation_days.origin_cost as reservation_day_cost,
        value_days.value_usd as day_value_usd,
        sum(lines.effective_cost) over (
            partition by lines.charge_date, lines.use_case_id, lines.variant_id
        ) as day_cost,
        sum(lines.effective_cost) over (
            partition by lines.charge_date, lines.use_case_id, lines.variant_id
            order by lines.charge_type, lines.platform, lines.model_id, lines.resource_id, lines.reservation_id
            rows between unbounded preceding and current row
        ) as cost_through,
        count(*) over (
            partition by lines.charge_date, lines.use_case_id, lines.variant_id
            order by lines.charge_type, lines.platform, lines.model_id, lines.resource_id, lines.reservation_id
            rows between unbounded preceding and current row
        ) as row_through,
        count(*) over (partition by lines.charge_date, lines.use_case_id, lines.variant_id) as day_rows
    from lines
    left join reservation_days
        on lines.reservation_id = reservation_days.reservation_id and lines.charge_date = reservation_days.charge_date
    left join value_days
        on lines.use_case_id = value_days.use_case_id
        and lines.variant_id = value_days.variant_id
        and lines.charge_date = value_days.event_date
),

valued as (
    select
        ordered.*,
        -- share of the value through this row: by cost, or by row count on a day without cost
        -- (shares as double on every engine; the last row takes the rest, so the rows add up exactly)
        case
            when day_value_usd is null then null
            when row_through = day_rows then day_value_usd
            when day_cost <> 0
                then cast(day_value_usd * (cast(cost_through as double) / cast(day_cost as double)) as {{ money_type() }})
            else cast(day_value_usd * (cast(row_through as double) / day_rows) as {{ money_type() }})
        end as value_through,
        case
            when charge_type = 'capacity_used' and reservation_day_cost <> 0
                then cast(cast(effective_cost as double) / cast(reservation_day_cost as double) as decimal(18, 10))
        end as allocated_ratio
    from ordered
),

final as (
    select
        case
            when allocated_ratio is not null
                then {{ dbt.concat(["'{\"Elements\": [{\"AllocatedRatio\": '", "cast(allocated_ratio as " ~ dbt.type_string() ~ ")", "'}]}'"]) }}
        end as AllocatedMethodDetails,
        -- Allocated*: capacity_used rows are an allocation of the reservation-day onto the use case
        case when charge_type = 'capacity_used' then 'genai-finops/capacity-weighted-tokens' end as AllocatedMethodId,
        case when charge_type = 'capacity_used' then use_case_id end as AllocatedResourceId,
        case when charge_type = 'capacity_used' then use_case_id end as AllocatedResourceName,
        case
            when charge_type = 'capacity_used'
                then {{ dbt.concat(["'{\"use_case\": \"'", "use_case_id", "'\", \"team\": \"'", "coalesce(team, '')", "'\"}'"]) }}
        end as AllocatedTags,
        cast(null as {{ dbt.type_string() }}) as AvailabilityZone,
        cast(billed_cost as {{ money_type() }}) as BilledCost,
        valued.platform as BillingAccountId,
        platforms.service_name as BillingAccountName,
        'Billing Account' as BillingAccountType,
        'USD' as BillingCurrency,
        cast({{ dbt.dateadd('month', 1, dbt.date_trunc('month', 'charge_date')) }} as {{ dbt.type_timestamp() }}) as BillingPeriodEnd,
        cast({{ dbt.date_trunc('month', 'charge_date') }} as {{ dbt.type_timestamp() }}) as BillingPeriodStart,
        reservation_id as CapacityReservationId,
        case
            when charge_type = 'capacity_used' then 'Used'
            when charge_type in ('capacity_idle', 'capacity_unallocated') then 'Unused'
        end as CapacityReservationStatus,
        case when charge_type = 'capacity_purchase' then 'Purchase' else 'Usage' end as ChargeCategory,
        cast(null as {{ dbt.type_string() }}) as ChargeClass,
        case charge_type
            when 'usage' then {{ dbt.concat(["'Tokens of '", "model_id", "' (pay-as-you-go)'"]) }}
            when 'capacity_used' then {{ dbt.concat(["'Provisioned capacity used by '", "use_case_id"]) }}
            when 'capacity_idle' then 'Idle provisioned capacity (owner team)'
            when 'capacity_unallocated' then 'Reserved capacity not deployed (owner team)'
            else 'Provisioned capacity commitment and overage'
        end as ChargeDescription,
        case when charge_type = 'capacity_purchase' then 'Recurring' else 'Usage-Based' end as ChargeFrequency,
        cast({{ dbt.dateadd('day', 1, 'charge_date') }} as {{ dbt.type_timestamp() }}) as ChargePeriodEnd,
        cast(charge_date as {{ dbt.type_timestamp() }}) as ChargePeriodStart,
        cast(null as {{ dbt.type_string() }}) as CommitmentDiscountCategory,
        cast(null as {{ dbt.type_string() }}) as CommitmentDiscountId,
        cast(null as {{ dbt.type_string() }}) as CommitmentDiscountName,
        cast(null as {{ dbt.type_string() }}) as CommitmentDiscountStatus,
        cast(null as {{ dbt.type_string() }}) as CommitmentDiscountType,
        case
            when charge_type in ('usage', 'capacity_used')
                then cast(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens + reasoning_tokens as {{ money_type() }})
        end as ConsumedQuantity,
        case when charge_type in ('usage', 'capacity_used') then 'Tokens' end as ConsumedUnit,
        cast(null as {{ dbt.type_string() }}) as ContractApplied,
        cast(case when charge_type = 'capacity_purchase' then billed_cost else effective_cost end as {{ money_type() }}) as ContractedCost,
        cast(null as {{ money_type() }}) as ContractedUnitPrice,
        cast(effective_cost as {{ money_type() }}) as EffectiveCost,
        platforms.provider_name as HostProviderName,
        cast(null as {{ dbt.type_string() }}) as InvoiceId,
        platforms.provider_name as InvoiceIssuerName,
        cast(list_cost as {{ money_type() }}) as ListCost,
        cast(null as {{ money_type() }}) as ListUnitPrice,
        case
            when charge_type = 'capacity_purchase' then 'Standard'
            when charge_type like 'capacity%' then 'Committed'
            else 'Standard'
        end as PricingCategory,
        case
            when charge_type in ('usage', 'capacity_used')
                then cast(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens + reasoning_tokens as {{ money_type() }})
        end as PricingQuantity,
        case when charge_type in ('usage', 'capacity_used') then 'Tokens' end as PricingUnit,
        platforms.provider_name as ProviderName,
        coalesce(provider, platforms.provider_name) as PublisherName,
        region as RegionId,
        region as RegionName,
        resource_id as ResourceId,
        resource_id as ResourceName,
        case when charge_type = 'capacity_purchase' then 'Capacity Reservation' else 'Model Deployment' end as ResourceType,
        'AI and Machine Learning' as ServiceCategory,
        platforms.service_name as ServiceName,
        platforms.provider_name as ServiceProviderName,
        'Generative AI' as ServiceSubcategory,
        model_id as SkuId,
        case when model_id is not null then 'Tokens' end as SkuMeter,
        case when model_id is not null then {{ dbt.concat(["model_id", "':'", "coalesce(service_tier, 'default')"]) }} end as SkuPriceId,
        team as SubAccountId,
        team as SubAccountName,
        case when team is not null then 'Team' end as SubAccountType,
        case
            when use_case_id is not null
                then {{ dbt.concat(["'{\"use_case\": \"'", "use_case_id", "'\", \"variant\": \"'", "coalesce(variant_id, '')", "'\"}'"]) }}
        end as Tags,
        charge_type as x_ChargeType,
        use_case_id as x_UseCaseId,
        variant_id as x_VariantId,
        team as x_Team,
        valued.platform as x_Platform,
        cast(requests as {{ dbt.type_bigint() }}) as x_Requests,
        cast(input_tokens as {{ dbt.type_bigint() }}) as x_InputTokens,
        cast(cached_input_tokens as {{ dbt.type_bigint() }}) as x_CachedInputTokens,
        cast(cache_write_tokens as {{ dbt.type_bigint() }}) as x_CacheWriteTokens,
        cast(output_tokens as {{ dbt.type_bigint() }}) as x_OutputTokens,
        cast(reasoning_tokens as {{ dbt.type_bigint() }}) as x_ReasoningTokens,
        cast(
            value_through - coalesce(
                lag(value_through) over (
                    partition by charge_date, use_case_id, variant_id
                    order by charge_type, valued.platform, model_id, resource_id, reservation_id
                ),
                0
            ) as {{ money_type() }}
        ) as x_ValueUsd
    from valued
    left join platforms on valued.platform = platforms.platform
)

select * from final
