-- One row per use case and variant: the distribution of fully loaded cost per transaction (USD): count,
-- mean, p50, p90, p99 (linear interpolation), max, and the share of all cost spent in the most expensive
-- 1% of transactions (ceil(1% of n) transactions, at least one); over the transactions that started in the
-- trailing `report_window_days` (30) days of data, window_start_date .. window_end_date. Exact percentiles
-- hold every value: over all history their cost grew with it; a trailing window keeps it flat and shows the
-- use case as it runs now (rpt_use_case_leaderboard and rpt_use_case_roi_daily keep the whole history).
with bounds as (
    select
        {{ trailing_window_start(ref('fct_use_case_transactions'), 'started_date') }} as window_start_date,
        (select max(started_date) from {{ ref('fct_use_case_transactions') }}) as window_end_date
),

transactions as (
    select
        use_case_id,
        variant_id,
        transaction_id,
        total_cost_usd,
        cast(total_cost_usd as double) as cost_usd,
        row_number() over (partition by use_case_id, variant_id order by total_cost_usd desc, transaction_id asc)
            as cost_rank,
        count(*) over (partition by use_case_id, variant_id) as n
    from {{ ref('fct_use_case_transactions') }}
    where started_date >= (select window_start_date from bounds)
),

final as (
    select
        transactions.use_case_id,
        transactions.variant_id,
        bounds.window_start_date,
        bounds.window_end_date,
        count(*) as transactions,
        cast(sum(total_cost_usd) as {{ money_type() }}) as total_cost_usd,
        cast(avg(cost_usd) as {{ money_type() }}) as mean_cost_usd,
        cast({{ percentile('cost_usd', 0.5, [0.5, 0.9, 0.99]) }} as {{ money_type() }}) as p50_cost_usd,
        cast({{ percentile('cost_usd', 0.9, [0.5, 0.9, 0.99]) }} as {{ money_type() }}) as p90_cost_usd,
        cast({{ percentile('cost_usd', 0.99, [0.5, 0.9, 0.99]) }} as {{ money_type() }}) as p99_cost_usd,
        cast(max(cost_usd) as {{ money_type() }}) as max_cost_usd,
        {{ safe_divide(
            'sum(case when cost_rank <= ceiling(n * 0.01) then cost_usd else 0 end)',
            'sum(cost_usd)') }} as top_1pct_cost_share
    from transactions
    cross join bounds
    group by 1, 2, 3, 4
)

select * from final
