-- Three ways of one cost, per platform, model and UTC day: computed (the price book over the logged calls),
-- provider-reported (the OpenAI Costs API and the Anthropic cost report; per call, LiteLLM's spend and
-- OpenTelemetry cost attributes) and billed (the cloud bill, from rpt_billing_reconciliation_daily with the
-- causes it names), and request completeness: the requests the provider counted (OpenAI's Usage API; the other
-- providers report no request count) against the requests logged. Reported costs are never mixed into the
-- computed cost; only USD reports are compared. Money DECIMAL(38,10), USD.
{%- set money = money_type() %}
{%- set zero = 'cast(0 as ' ~ money ~ ')' %}
{%- set key_columns %}
        platform,
        model_id,
        day
{%- endset %}
with billing as (
    select * from {{ ref('rpt_billing_reconciliation_daily') }}
),

logged as (
    -- the request fact summed by day already (int_requests_daily): a daily run does not read every call
    select
        platform,
        model_id,
        event_date as day,
        sum(requests) as logged_requests,
        sum(case when capacity_type <> 'provisioned' then coalesce(effective_cost_usd, {{ zero }}) else {{ zero }} end)
            as computed_usage_cost
    from {{ ref('int_requests_daily') }}
    group by 1, 2, 3
),

reported as (
    select
        platform,
        model_id,
        day,
        sum(reported_cost) as provider_reported_cost
    from {{ ref('int_reported_costs_daily') }}
    where currency = 'USD'
    group by 1, 2, 3
),

per_call as (
    -- as the logs report it: a call logged twice reports its cost twice
    select
        platform,
        model_id,
        day,
        sum(reported_cost) as per_call_reported_cost,
        count(*) as per_call_reported_requests
    from {{ ref('int_reported_call_costs') }}
    where currency = 'USD'
    group by 1, 2, 3
),

per_call_computed as (
    -- the price book's cost of the distinct calls behind those log lines
    select
        calls.platform,
        calls.model_id,
        calls.day,
        sum(coalesce(requests.effective_cost_usd, {{ zero }})) as per_call_computed_cost
    from (
        select distinct
            event_id,
            platform,
            model_id,
            day
        from {{ ref('int_reported_call_costs') }}
        where currency = 'USD'
    ) as calls
    left join {{ ref('fct_genai_requests') }} as requests
        on calls.event_id = requests.event_id
    group by 1, 2, 3
),

provider_requests as (
    select
        usage_report.platform,
        coalesce(aliases.model_id, lower(usage_report.raw_model)) as model_id,
        usage_report.event_date as day,
        sum(usage_report.request_count) as provider_requests
    from {{ ref('stg_openai__usage_completions') }} as usage_report
    left join {{ ref('model_aliases') }} as aliases
        on usage_report.raw_model = aliases.raw_model
    group by 1, 2, 3
),

keys as (
    select {{ key_columns }} from billing
    union
    select {{ key_columns }} from logged
    union
    select {{ key_columns }} from reported
    union
    select {{ key_columns }} from per_call
    union
    select {{ key_columns }} from provider_requests
),

joined as (
    select
        keys.platform,
        keys.model_id,
        keys.day,
        coalesce(logged.computed_usage_cost, {{ zero }}) as computed_usage_cost,
        coalesce(billing.computed_capacity, {{ zero }}) as computed_capacity_cost,
        reported.provider_reported_cost,
        per_call.per_call_reported_cost,
        per_call_computed.per_call_computed_cost,
        coalesce(per_call.per_call_reported_requests, 0) as per_call_reported_requests,
        billing.billed_effective_cost,
        billing.billed_usage as billed_usage_cost,
        billing.billed_capacity as billed_capacity_cost,
        billing.billed_corrections,
        billing.variance as billed_vs_computed,
        billing.explained_corrections,
        billing.explained_capacity,
        billing.explained_untracked,
        billing.explained_unpriced,
        billing.explained_price_difference,
        billing.unexplained_variance,
        provider_requests.provider_requests,
        coalesce(logged.logged_requests, 0) as logged_requests
    from keys
    left join billing
        on keys.platform = billing.platform and keys.model_id = billing.model_id and keys.day = billing.day
    left join logged
        on keys.platform = logged.platform and keys.model_id = logged.model_id and keys.day = logged.day
    left join reported
        on keys.platform = reported.platform and keys.model_id = reported.model_id and keys.day = reported.day
    left join per_call
        on keys.platform = per_call.platform and keys.model_id = per_call.model_id and keys.day = per_call.day
    left join per_call_computed
        on keys.platform = per_call_computed.platform
        and keys.model_id = per_call_computed.model_id
        and keys.day = per_call_computed.day
    left join provider_requests
        on keys.platform = provider_requests.platform
        and keys.model_id = provider_requests.model_id
        and keys.day = provider_requests.day
),

final as (
    select
        platform,
        model_id,
        day,
        computed_usage_cost + computed_capacity_cost as computed_cost,
        computed_usage_cost,
        computed_capacity_cost,
        provider_reported_cost,
        per_call_reported_cost,
        per_call_computed_cost,
        per_call_reported_requests,
        billed_effective_cost,
        billed_usage_cost,
        billed_capacity_cost,
        billed_corrections,
        provider_reported_cost - computed_usage_cost as reported_vs_computed,
        billed_usage_cost - provider_reported_cost as billed_vs_reported,
        per_call_reported_cost - per_call_computed_cost as per_call_vs_computed,
        billed_vs_computed,
        explained_corrections,
        explained_capacity,
        explained_untracked,
        explained_unpriced,
        explained_price_difference,
        unexplained_variance,
        -- what the billing reconciliation's usage causes do not explain of reported vs computed
        provider_reported_cost - computed_usage_cost
        - coalesce(explained_untracked, {{ zero }})
        - coalesce(explained_unpriced, {{ zero }})
        - coalesce(explained_price_difference, {{ zero }}) as reported_unexplained_variance,
        provider_requests,
        logged_requests,
        provider_requests - logged_requests as unlogged_requests,
        {{ safe_divide('cast(logged_requests as double)', 'provider_requests') }} * 100 as request_completeness_pct
    from joined
)

select * from final
