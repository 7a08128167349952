-- One row per A/B-tested use case and variant: the use case's traffic over 30 days at 100% on that
-- variant (transactions per 30 days during the test x the variant's mean cost and value per transaction),
-- USD, and whether the variant is a significant winner on net value per transaction.
with stats as (
    select * from {{ ref('int_variant_stats') }}
),

comparison as (
    select
        use_case_id,
        variant_id,
        verdict
    from {{ ref('rpt_variant_comparison') }}
    where metric = 'net_value_per_transaction'
),

traffic as (
    -- the transactions counted by the day they started already (rpt_use_case_roi_daily): a daily run does not
    -- read every transaction of the test
    select
        daily.use_case_id,
        sum(daily.transactions) * 30.0 / ({{ dbt.datediff('min(daily.event_date)', 'max(daily.event_date)', 'day') }} + 1)
            as transactions_per_30_days
    from {{ ref('rpt_use_case_roi_daily') }} as daily
    inner join {{ ref('ab_tests') }} as tests
        on daily.use_case_id = tests.use_case_id
        and daily.event_date >= tests.started_on
    where daily.transactions > 0
    group by 1
)

select
    stats.use_case_id,
    stats.variant_id,
    stats.is_control,
    traffic.transactions_per_30_days,
    stats.mean_cost_usd * traffic.transactions_per_30_days as projected_cost_per_30_days_usd,
    stats.total_value_usd / stats.n * traffic.transactions_per_30_days as projected_value_per_30_days_usd,
    stats.mean_net_value_usd * traffic.transactions_per_30_days as projected_net_value_per_30_days_usd,
    coalesce(comparison.verdict = 'variant wins', false) as is_significant_winner
from stats
inner join traffic
    on stats.use_case_id = traffic.use_case_id
left join comparison
    on stats.use_case_id = comparison.use_case_id
    and stats.variant_id = comparison.variant_id
