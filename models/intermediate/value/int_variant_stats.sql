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
    select daily.*
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

deviations as (
    -- each day's mean minus the overall mean
    select
        days.*,
        days.cost_usd / days.n - totals.mean_cost_usd as cost_deviation,
        days.net_value_usd / days.n - totals.mean_net_value_usd as net_value_deviation,
        cast(days.successes as double) / days.n - totals.mean_success as success_deviation
    from days
    inner join totals
        on days.use_case_id = totals.use_case_id
        and days.variant_id = totals.variant_id
),

moments as (
    -- the second moments about the overall means: each day's own plus its count times its deviations
    select
        use_case_id,
        variant_id,
        sum(m2_cost + n * cost_deviation * cost_deviation) as m2_cost,
        sum(m2_net_value + n * net_value_deviation * net_value_deviation) as m2_net_value,
        sum(m2_success + n * success_deviation * success_deviation) as m2_success,
        sum(comoment_cost_success + n * cost_deviation * success_deviation) as comoment_cost_success
    from deviations
    group by 1, 2
),

final as (
    -- sample variances and covariance: null for a single transaction, as var_samp
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
        {{ safe_divide('moments.m2_cost', 'totals.n - 1') }} as var_cost,
        totals.mean_net_value_usd,
        {{ safe_divide('moments.m2_net_value', 'totals.n - 1') }} as var_net_value,
        {{ safe_divide('moments.m2_success', 'totals.n - 1') }} as var_success,
        {{ safe_divide('moments.comoment_cost_success', 'totals.n - 1') }} as cov_cost_success
    from totals
    inner join moments
        on totals.use_case_id = moments.use_case_id
        and totals.variant_id = moments.variant_id
    inner join tests
        on totals.use_case_id = tests.use_case_id
)

select * from final
