-- One row per use case and variant: the distribution of fully loaded cost per transaction (USD): count,
-- mean, p50, p90, p99 (linear interpolation), max, and the share of all cost spent in the most expensive
-- 1% of transactions (ceil(1% of n) transactions, at least one).
with transactions as (
    select
        use_case_id,
        variant_id,
        transaction_id,
        cast(total_cost_usd as double) as cost_usd,
        row_number() over (partition by use_case_id, variant_id order by total_cost_usd desc, transaction_id)
            as cost_rank,
        count(*) over (partition by use_case_id, variant_id) as n
    from {{ ref('fct_use_case_transactions') }}
),

final as (
    select
        use_case_id,
        variant_id,
        count(*) as transactions,
        cast(sum(cost_usd) as {{ money_type() }}) as total_cost_usd,
        cast(avg(cost_usd) as {{ money_type() }}) as mean_cost_usd,
        cast({{ percentile('cost_usd', 0.5) }} as {{ money_type() }}) as p50_cost_usd,
        cast({{ percentile('cost_usd', 0.9) }} as {{ money_type() }}) as p90_cost_usd,
        cast({{ percentile('cost_usd', 0.99) }} as {{ money_type() }}) as p99_cost_usd,
        cast(max(cost_usd) as {{ money_type() }}) as max_cost_usd,
        {{ safe_divide(
            'sum(case when cost_rank <= ceiling(n * 0.01) then cost_usd else 0 end)',
            'sum(cost_usd)') }} as top_1pct_cost_share
    from transactions
    group by 1, 2
)

select * from final
