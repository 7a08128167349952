-- One row per use case over the whole data window: cost, value, net value, ROI, success rate, cost per
-- success and value per dollar, ranked by net value, with the trend (net value of the last 30 days vs the
-- 30 days before, ending on the latest day with data). USD.
with daily as (
    select * from {{ ref('rpt_use_case_roi_daily') }}
),

bounds as (
    select max(event_date) as last_day from daily
),

totals as (
    select
        daily.use_case_id,
        sum(requests) as requests,
        sum(transactions) as transactions,
        sum(successful_transactions) as successful_transactions,
        sum(cost_usd) as cost_usd,
        sum(value_usd) as value_usd,
        sum(hours_saved) as hours_saved,
        sum(net_value_usd) as net_value_usd,
        sum(case when daily.event_date > {{ dbt.dateadd('day', -30, 'bounds.last_day') }} then net_value_usd else 0 end)
            as net_value_last_30d_usd,
        sum(
            case when daily.event_date > {{ dbt.dateadd('day', -60, 'bounds.last_day') }}
                    and daily.event_date <= {{ dbt.dateadd('day', -30, 'bounds.last_day') }} then net_value_usd
                else 0
            end
        ) as net_value_prior_30d_usd
    from daily
    cross join bounds
    group by 1
),

final as (
    select
        totals.use_case_id,
        use_cases.name as use_case_name,
        use_cases.owner_team,
        use_cases.stage,
        row_number() over (order by totals.net_value_usd desc) as net_value_rank,
        totals.requests,
        totals.transactions,
        totals.successful_transactions,
        {{ safe_divide('cast(totals.successful_transactions as double)', 'totals.transactions') }} as success_rate,
        cast(totals.cost_usd as {{ money_type() }}) as cost_usd,
        cast(totals.value_usd as {{ money_type() }}) as value_usd,
        totals.hours_saved,
        cast(totals.net_value_usd as {{ money_type() }}) as net_value_usd,
        {{ safe_divide('cast(totals.net_value_usd as double)', 'cast(totals.cost_usd as double)') }} as roi,
        {{ safe_divide('cast(totals.cost_usd as double)', 'totals.successful_transactions') }} as cost_per_success_usd,
        {{ safe_divide('cast(totals.value_usd as double)', 'cast(totals.cost_usd as double)') }} as value_per_dollar,
        cast(totals.net_value_last_30d_usd as {{ money_type() }}) as net_value_last_30d_usd,
        cast(totals.net_value_prior_30d_usd as {{ money_type() }}) as net_value_prior_30d_usd,
        case
            when totals.net_value_last_30d_usd > totals.net_value_prior_30d_usd then 'improving'
            when totals.net_value_last_30d_usd < totals.net_value_prior_30d_usd then 'declining'
            else 'flat'
        end as trend
    from totals
    left join {{ ref('dim_use_cases') }} as use_cases
        on totals.use_case_id = use_cases.use_case_id
)

select * from final
