-- Billed (amortized, effective) GenAI cost against the cost computed from usage, per platform, model and
-- day, with the variance explained by category. Computed = pay-as-you-go usage after discounts
-- (fct_genai_requests, summed by day in int_requests_daily) + provisioned capacity (fct_capacity_hourly, model
-- '(capacity)'). Categories, in this order, each taking the variance it explains:
--   corrections          correction rows of the bill (credits or refunds for a day, FOCUS ChargeClass)
--   capacity             billed capacity - computed capacity (amortization and rounding differences)
--   untracked            billed usage of a platform / model / day with no usage logged at all
--   unpriced             billed usage minus computed where the warehouse left requests unpriced
--   price_difference     billed usage minus computed where the token counts agree (within
--                        var('billing_token_tolerance'), 0.1%): the provider charged another price
-- unexplained = variance - all of the above. Only the days each platform's bills cover (first to last charge
-- day) are compared: usage or capacity outside them has no bill yet. Money DECIMAL(38,10), USD.
{%- set money = money_type() %}
{%- set zero = 'cast(0 as ' ~ money ~ ')' %}
with billed as (
    select
        platform,
        coalesce(model_id, '(unmapped)') as model_id,
        charge_date as day,
        sum(effective_cost) as billed_effective_cost,
        sum(billed_cost) as billed_cost,
        sum(case when charge_class = 'Correction' then effective_cost else {{ zero }} end) as billed_corrections,
        sum(case when charge_class is null and model_id = '(capacity)' then effective_cost else {{ zero }} end)
            as billed_capacity,
        sum(case when charge_class is null and coalesce(model_id, '') <> '(capacity)' then effective_cost
            else {{ zero }}
        end) as billed_usage,
        sum(case when charge_class is null then token_quantity end) as billed_tokens
    from {{ ref('fct_billing_charges') }}
    where is_genai
    group by 1, 2, 3
),

billed_days as (
    select
        platform,
        min(charge_date) as first_day,
        max(charge_date) as last_day
    from {{ ref('fct_billing_charges') }}
    where is_genai
    group by 1
),

usage as (
    select
        platform,
        model_id,
        event_date as day,
        sum(requests) as requests,
        sum(case when pricing_status = 'unpriced' then requests_or_rows else 0 end) as unpriced_requests,
        sum(coalesce(effective_cost_usd, {{ zero }})) as computed_usage,
        sum(input_tokens + output_tokens) as logged_tokens
    from {{ ref('int_requests_daily') }}
    where capacity_type <> 'provisioned'
    group by 1, 2, 3
),

capacity as (
    select
        platform,
        '(capacity)' as model_id,
        hour_date as day,
        sum(used_cost_usd + idle_cost_usd + unallocated_cost_usd) as computed_capacity
    from {{ ref('fct_capacity_hourly') }}
    group by 1, 2, 3
),

computed as (
    select
        coalesce(usage.platform, capacity.platform) as platform,
        coalesce(usage.model_id, capacity.model_id) as model_id,
        coalesce(usage.day, capacity.day) as day,
        usage.requests,
        usage.unpriced_requests,
        usage.logged_tokens,
        coalesce(usage.computed_usage, {{ zero }}) as computed_usage,
        coalesce(capacity.computed_capacity, {{ zero }}) as computed_capacity
    from usage
    full outer join capacity
        on usage.platform = capacity.platform
        and usage.model_id = capacity.model_id
        and usage.day = capacity.day
),

computed_in_billed_days as (
    select computed.*
    from computed
    inner join billed_days
        on computed.platform = billed_days.platform
        and computed.day between billed_days.first_day and billed_days.last_day
),

joined as (
    select
        coalesce(billed.platform, computed.platform) as platform,
        coalesce(billed.model_id, computed.model_id) as model_id,
        coalesce(billed.day, computed.day) as day,
        coalesce(billed.billed_effective_cost, {{ zero }}) as billed_effective_cost,
        coalesce(billed.billed_cost, {{ zero }}) as billed_cost,
        coalesce(billed.billed_usage, {{ zero }}) as billed_usage,
        coalesce(billed.billed_capacity, {{ zero }}) as billed_capacity,
        coalesce(billed.billed_corrections, {{ zero }}) as billed_corrections,
        billed.billed_tokens,
        coalesce(computed.requests, 0) as requests,
        coalesce(computed.unpriced_requests, 0) as unpriced_requests,
        computed.logged_tokens,
        coalesce(computed.computed_usage, {{ zero }}) as computed_usage,
        coalesce(computed.computed_capacity, {{ zero }}) as computed_capacity
    from billed
    full outer join computed_in_billed_days as computed
        on billed.platform = computed.platform
        and billed.model_id = computed.model_id
        and billed.day = computed.day
),

explained as (
    select
        joined.*,
        computed_usage + computed_capacity as computed_cost,
        billed_effective_cost - computed_usage - computed_capacity as variance,
        billed_corrections as explained_corrections,
        billed_capacity - computed_capacity as explained_capacity,
        case when requests = 0 then billed_usage - computed_usage else {{ zero }} end as explained_untracked,
        case when requests > 0 and unpriced_requests > 0 then billed_usage - computed_usage else {{ zero }} end
            as explained_unpriced,
        case
            when requests > 0 and unpriced_requests = 0 and billed_tokens is not null and logged_tokens > 0
                and abs(billed_tokens - logged_tokens)
                <= logged_tokens * {{ var('billing_token_tolerance', 0.001) }}
                then billed_usage - computed_usage
            else {{ zero }}
        end as explained_price_difference
    from joined
),

final as (
    select
        platform,
        model_id,
        day,
        billed_effective_cost,
        billed_cost,
        billed_usage,
        billed_capacity,
        billed_corrections,
        computed_cost,
        computed_usage,
        computed_capacity,
        variance,
        {{ safe_divide('variance', 'computed_cost') }} * 100 as variance_pct,
        explained_corrections,
        explained_capacity,
        explained_untracked,
        explained_unpriced,
        explained_price_difference,
        variance - explained_corrections - explained_capacity - explained_untracked - explained_unpriced
        - explained_price_difference as unexplained_variance,
        requests,
        unpriced_requests,
        billed_tokens,
        logged_tokens
    from explained
)

select * from final
