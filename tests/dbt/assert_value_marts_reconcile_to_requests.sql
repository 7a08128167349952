-- Every value mart's cost total equals the request fact's for the same period (to the cent); the cost
-- distribution, over its trailing window, equals the transactions that started in that window.
with requests as (
    select sum(total_cost_usd) as cost from {{ ref('fct_genai_requests') }}
),

marts as (
    select
        'rpt_use_case_roi_daily' as mart,
        sum(cost_usd) as cost
    from {{ ref('rpt_use_case_roi_daily') }}
    union all
    select
        'fct_use_case_transactions' as mart,
        sum(total_cost_usd) as cost
    from {{ ref('fct_use_case_transactions') }}
    union all
    select
        'rpt_use_case_leaderboard' as mart,
        sum(cost_usd) as cost
    from {{ ref('rpt_use_case_leaderboard') }}
    union all
    select
        'rpt_waste_daily' as mart,
        sum(total_cost_usd) as cost
    from {{ ref('rpt_waste_daily') }}
),

distribution as (
    select
        min(window_start_date) as window_start_date,
        sum(total_cost_usd) as cost
    from {{ ref('rpt_transaction_cost_distribution') }}
),

window_transactions as (
    select sum(transactions.total_cost_usd) as cost
    from {{ ref('fct_use_case_transactions') }} as transactions
    cross join distribution
    where transactions.started_date >= distribution.window_start_date
)

select
    marts.mart,
    marts.cost,
    requests.cost as expected_cost
from marts
cross join requests
where abs(coalesce(marts.cost, 0) - coalesce(requests.cost, 0)) >= 0.01

union all

select
    'rpt_transaction_cost_distribution' as mart,
    distribution.cost,
    window_transactions.cost as expected_cost
from distribution
cross join window_transactions
where distribution.cost <> window_transactions.cost
