{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('started_date')) }}
-- One row per use case, variant and day its transactions started: their count, successes and sums, and the
-- second moments about the day's own means (the sum of squared deviations of cost, net value and success, and
-- the cost / success co-moment), which int_variant_stats combines over the days since each A/B test began.
-- Every use case, tested or not, so that a test added later with an earlier start finds its days. Incremental
-- by the day the transactions started, as fct_use_case_transactions rebuilds them: a daily run reads the
-- window's transactions, not every transaction since each test began.
with transactions as (
    select
        use_case_id,
        variant_id,
        started_date,
        cast(total_cost_usd as double) as cost_usd,
        cast(net_value_usd as double) as net_value_usd,
        cast(value_usd as double) as value_usd,
        case when is_success then 1.0 else 0.0 end as success,
        cast(case when is_success then 1 else 0 end as double) as success_value
    from {{ ref('fct_use_case_transactions') }}
    where {{ incremental_window('started_date') }}
),

final as (
    select
        use_case_id,
        variant_id,
        started_date,
        count(*) as n,
        sum(success) as successes,
        sum(cost_usd) as cost_usd,
        sum(value_usd) as value_usd,
        sum(net_value_usd) as net_value_usd,
        var_pop(cost_usd) * count(*) as m2_cost,
        var_pop(net_value_usd) * count(*) as m2_net_value,
        var_pop(success_value) * count(*) as m2_success,
        covar_pop(cost_usd, success_value) * count(*) as comoment_cost_success
    from transactions
    group by 1, 2, 3
)

select * from final
