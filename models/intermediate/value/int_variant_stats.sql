-- One row per A/B-tested use case and variant: the sufficient statistics of its transactions since the test
-- started (count, successes, sums, sample variances and the cost/success covariance), from which
-- rpt_variant_comparison computes estimates, intervals and tests. Money in USD. Combined from the days of
-- int_variant_stats_daily: a day's second moment about the overall mean is its own plus its count times the
-- squared distance between the two means (Chan, Golub and LeVeque's pairwise update, as stable as one pass
-- over the transactions), so a run reads days, not every transaction of the test.
with tests as (
    select * from {{ ref('ab_tests') }}
),

days as (
    select
        daily.*,
        daily.cost_usd / daily.n as day_mean_cost_usd,
        daily.net_value_usd / daily.n as day_mean_net_value_usd,
        cast(daily.successes as double) / daily.n as day_mean_success
    from {{ ref('int_variant_stats_daily') }} as daily
    inner join tests
        on daily.use_case_id = tests.use_case_id
        and daily.started_date >= tests.started_on
),

totals as (
    select
        use_case_id,
        variant_id,
        sum(n) as n,
        sum(successes) as successes,
        sum(cost_usd) as total_cost_usd,
        sum(value_usd) as total_value_usd,
        sum(cost_usd) / sum(n) as mean_cost_usd,
        sum(net_value_usd) / sum(n) as mean_net_value_usd,
        cast(sum(successes) as double) / sum(n) as mean_success
    from days
    group by 1, 2
),

moments as (
    -- each day's moments about the overall means
    select
        days.use_case_id,
        days.variant_id,
        days.m2_cost + days.n * (days.day_mean_cost_usd - totals.mean_cost_usd)
        * (days.day_mean_cost_usd - totals.mean_cost_usd) as m2_cost,
        days.m2_net_value + days.n * (days.day_mean_net_value_usd - totals.mean_net_value_usd)
        * (days.day_mean_net_value_usd - totals.mean_net_value_usd) as m2_net_value,
        days.m2_success + days.n * (days.day_mean_success - totals.mean_success)
        * (days.day_mean_success - totals.mean_success) as m2_success,
        days.comoment_cost_success + days.n * (days.day_mean_cost_usd - totals.mean_cost_usd)
        * (days.day_mean_success - totals.mean_success) as comoment_cost_success
    from days
    inner join totals
        on days.use_case_id = totals.use_case_id
        and days.variant_id = totals.variant_id
),

summed as (
    select
        use_case_id,
        variant_id,
        sum(m2_cost) as m2_cost,
        sum(m2_net_value) as m2_net_value,
        sum(m2_success) as m2_success,
        sum(comoment_cost_success) as comoment_cost_success
    from moments
    group by 1, 2
),

final as (
    select
        totals.use_case_id,
        totals.variant_id,
        totals.variant_id = tests.control_variant_id as is_control,
        tests.alpha,
        cast(totals.n as {{ dbt.type_bigint() }}) as n,
        totals.successes,
        totals.total_cost_usd,
        totals.total_value_usd,
        totals.mean_cost_usd,
        -- sample variances and covariance: null for a single transaction, as var_samp
        summed.m2_cost / nullif(totals.n - 1, 0) as var_cost,
        totals.mean_net_value_usd,
        summed.m2_net_value / nullif(totals.n - 1, 0) as var_net_value,
        summed.m2_success / nullif(totals.n - 1, 0) as var_success,
        summed.comoment_cost_success / nullif(totals.n - 1, 0) as cov_cost_success
    from totals
    inner join summed
        on totals.use_case_id = summed.use_case_id
        and totals.variant_id = summed.variant_id
    inner join tests
        on totals.use_case_id = tests.use_case_id
)

select * from final
