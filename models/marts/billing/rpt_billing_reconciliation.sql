-- The reconciliation per platform over the whole window (and one 'all platforms' row): billed effective
-- cost, computed cost, the variance and what explains it (rpt_billing_reconciliation_daily), and coverage:
-- the share of billed GenAI spend that the usage logs (and the capacity seeds) explain, i.e. everything but
-- untracked traffic and charges whose SKU names no known model.
{%- set measures = ['billed_effective_cost', 'billed_cost', 'computed_cost', 'variance', 'explained_corrections',
    'explained_capacity', 'explained_untracked', 'explained_unpriced', 'explained_price_difference',
    'unexplained_variance'] %}
with daily as (
    select * from {{ ref('rpt_billing_reconciliation_daily') }}
),

per_platform as (
    select
        platform,
        {%- for m in measures %}
        sum({{ m }}) as {{ m }},
        {%- endfor %}
        sum(case when model_id = '(unmapped)' then billed_effective_cost else 0 end) as billed_unmapped,
        min(day) as first_day,
        max(day) as last_day
    from daily
    group by 1
    union all
    select
        '(all platforms)' as platform,
        {%- for m in measures %}
        sum({{ m }}) as {{ m }},
        {%- endfor %}
        sum(case when model_id = '(unmapped)' then billed_effective_cost else 0 end) as billed_unmapped,
        min(day) as first_day,
        max(day) as last_day
    from daily
),

final as (
    select
        per_platform.*,
        {{ safe_divide('variance', 'computed_cost') }} * 100 as variance_pct,
        {{ safe_divide('unexplained_variance', 'billed_effective_cost') }} * 100 as unexplained_pct,
        {{ safe_divide('billed_effective_cost - explained_untracked - billed_unmapped', 'billed_effective_cost') }}
        * 100 as usage_log_coverage_pct
    from per_platform
)

select * from final
