-- One row per A/B-tested use case and variant: the sufficient statistics of its transactions since the test
-- started (count, successes, sums, sample variances and the cost/success covariance), from which
-- rpt_variant_comparison computes estimates, intervals and tests. Money in USD.
with tests as (
    select * from {{ ref('ab_tests') }}
),

transactions as (
    select
        fct.use_case_id,
        fct.variant_id,
        cast(fct.total_cost_usd as double) as cost_usd,
        cast(fct.net_value_usd as double) as net_value_usd,
        cast(fct.value_usd as double) as value_usd,
        case when fct.is_success then 1.0 else 0.0 end as success
    from {{ ref('fct_use_case_transactions') }} as fct
    inner join tests
        on fct.use_case_id = tests.use_case_id
        and fct.started_date >= tests.started_on
),

final as (
    select
        transactions.use_case_id,
        transactions.variant_id,
        max(case when transactions.variant_id = tests.control_variant_id then 1 else 0 end) = 1 as is_control,
        max(tests.alpha) as alpha,
        count(*) as n,
        sum(success) as successes,
        sum(cost_usd) as total_cost_usd,
        sum(value_usd) as total_value_usd,
        avg(cost_usd) as mean_cost_usd,
        var_samp(cost_usd) as var_cost,
        avg(net_value_usd) as mean_net_value_usd,
        var_samp(net_value_usd) as var_net_value,
        var_samp(success) as var_success,
        covar_samp(cost_usd, success) as cov_cost_success
    from transactions
    inner join tests
        on transactions.use_case_id = tests.use_case_id
    group by 1, 2
)

select * from final
