-- One row per use case and variant: the distribution of fully loaded cost per transaction (USD): count,
-- mean, p50, p90, p99 (linear interpolation), max, and the share of all cost spent in the most expensive
-- 1% of transactions (ceil(1% of n) transactions, at least one); over the transactions that started in the
-- trailing `report_window_days` (30) days of data, window_start_date .. window_end_date. Exact percentiles
-- hold every value: over all history their cost grew with it; a trailing window keeps it flat and shows the
-- use case as it runs now (rpt_use_case_leaderboard and rpt_use_case_roi_daily keep the whole history).
{%- set fractions = [0.5, 0.9, 0.98, 0.99] %}
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
        cast(total_cost_usd as double) as cost_usd
    from {{ ref('fct_use_case_transactions') }}
    where started_date >= (select window_start_date from bounds)
),

distribution as (
    select
        use_case_id,
        variant_id,
        count(*) as transactions,
        sum(total_cost_usd) as total_cost_usd,
        sum(cost_usd) as cost_usd,
        avg(cost_usd) as mean_cost_usd,
        {{ percentile('cost_usd', 0.5, fractions) }} as p50_cost_usd,
        {{ percentile('cost_usd', 0.9, fractions) }} as p90_cost_usd,
        {{ percentile('cost_usd', 0.99, fractions) }} as p99_cost_usd,
        max(cost_usd) as max_cost_usd,
        {{ percentile('cost_usd', 0.98, fractions) }} as p98_cost_usd
    from transactions
    group by 1, 2
),

-- The most expensive 1% are ranked among the few transactions at or above the 98th percentile, not among all:
-- interpolating at 0.98 x (n - 1) leaves floor(2% of n + 0.98) >= ceil(1% of n) values at or above it, and the
-- margin of 1e-9 of its size keeps a rounding of the interpolation from leaving out a value equal to it. The
-- most expensive transaction is always among them (no percentile is above the maximum), so the inner joins
-- below keep every use case and variant.
top_candidates as (
    select
        transactions.use_case_id,
        transactions.variant_id,
        transactions.cost_usd,
        distribution.transactions,
        row_number() over (
            partition by transactions.use_case_id, transactions.variant_id
            order by transactions.total_cost_usd desc, transactions.transaction_id asc
        ) as cost_rank
    from transactions
    inner join distribution
        on transactions.use_case_id = distribution.use_case_id
        and transactions.variant_id is not distinct from distribution.variant_id
    where transactions.cost_usd >= distribution.p98_cost_usd - abs(distribution.p98_cost_usd) * 1e-9
),

top_1pct as (
    select
        use_case_id,
        variant_id,
        sum(case when cost_rank <= ceiling(transactions * 0.01) then cost_usd else 0 end) as cost_usd
    from top_candidates
    group by 1, 2
),

final as (
    select
        distribution.use_case_id,
        distribution.variant_id,
        bounds.window_start_date,
        bounds.window_end_date,
        distribution.transactions,
        cast(distribution.total_cost_usd as {{ money_type() }}) as total_cost_usd,
        cast(distribution.mean_cost_usd as {{ money_type() }}) as mean_cost_usd,
        cast(distribution.p50_cost_usd as {{ money_type() }}) as p50_cost_usd,
        cast(distribution.p90_cost_usd as {{ money_type() }}) as p90_cost_usd,
        cast(distribution.p99_cost_usd as {{ money_type() }}) as p99_cost_usd,
        cast(distribution.max_cost_usd as {{ money_type() }}) as max_cost_usd,
        {{ safe_divide('top_1pct.cost_usd', 'distribution.cost_usd') }} as top_1pct_cost_share
    from distribution
    inner join top_1pct
        on distribution.use_case_id = top_1pct.use_case_id
        and distribution.variant_id is not distinct from top_1pct.variant_id
    cross join bounds
)

select * from final
