-- Every value mart's cost total equals the request fact's for the same period (to the cent).
with requests as (
    select sum(total_cost_usd) as cost from {{ ref('fct_genai_requests') }}
),

marts as (
    select 'use_case_roi_daily' as mart, sum(cost_usd) as cost from {{ ref('use_case_roi_daily') }}
    union all
    select 'fct_use_case_transactions', sum(total_cost_usd) from {{ ref('fct_use_case_transactions') }}
    union all
    select 'rpt_use_case_leaderboard', sum(cost_usd) from {{ ref('rpt_use_case_leaderboard') }}
    union all
    select 'rpt_transaction_cost_distribution', sum(total_cost_usd) from {{ ref('rpt_transaction_cost_distribution') }}
    union all
    select 'rpt_waste_daily', sum(total_cost_usd) from {{ ref('rpt_waste_daily') }}
)

select marts.mart, marts.cost, requests.cost as request_cost
from marts
cross join requests
where abs(coalesce(marts.cost, 0) - coalesce(requests.cost, 0)) >= 0.01
