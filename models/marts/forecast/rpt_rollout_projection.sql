-- One row per use case to roll out: a pilot or experiment (dim_use_cases.stage) or a use case whose A/B test
-- has a winner on net value per transaction (rpt_variant_comparison), at the volume of seed rollout_targets
-- (target transactions a month, or a change of adoption share applied to today's volume grown by the forecast).
-- Monthly cost, value and net value (USD) with 80% and 95% intervals, from the per-transaction distribution
-- of the last 30 days of data (for an A/B winner, the winning variant's transactions of those days): a month of
-- N transactions has mean N x mu and variance N x sigma^2 + N^2 x sigma^2 / n (the spread of N transactions,
-- and the uncertainty of the mean observed over n). This is "the business impact before full rollout".
{%- set window = 30 %}
with origin as (
    select max(started_date) as origin_date
    from {{ ref('fct_use_case_transactions') }}
),

use_cases as (
    select * from {{ ref('dim_use_cases') }}
),

targets as (
    select * from {{ ref('rollout_targets') }}
),

winners as (
    select
        use_case_id,
        min(variant_id) as variant_id
    from {{ ref('rpt_variant_comparison') }}
    where metric = 'net_value_per_transaction' and verdict = 'variant wins'
    group by 1
),

candidates as (
    select
        use_cases.use_case_id,
        winners.variant_id,
        case when winners.variant_id is not null then 'ab_winner' else use_cases.stage end as reason
    from use_cases
    left join winners on use_cases.use_case_id = winners.use_case_id
    where use_cases.stage in ('experiment', 'pilot') or winners.variant_id is not null
),

recent as (
    select transactions.*
    from {{ ref('fct_use_case_transactions') }} as transactions
    cross join origin
    where transactions.started_date > {{ dbt.dateadd('day', -window, 'origin.origin_date') }}
),

volume as (
    select
        use_case_id,
        count(*) as transactions_last_{{ window }}_days
    from recent
    group by 1
),

per_transaction as (
    select
        candidates.use_case_id,
        candidates.variant_id,
        candidates.reason,
        count(*) as sample_transactions,
        avg(cast(recent.total_cost_usd as double)) as mean_cost_usd,
        var_samp(cast(recent.total_cost_usd as double)) as var_cost,
        avg(cast(recent.value_usd as double)) as mean_value_usd,
        var_samp(cast(recent.value_usd as double)) as var_value,
        var_samp(cast(recent.value_usd as double) - cast(recent.total_cost_usd as double)) as var_net
    from candidates
    inner join recent
        on candidates.use_case_id = recent.use_case_id
        and (candidates.variant_id is null or candidates.variant_id = recent.variant_id)
    group by 1, 2, 3
),

growth as (
    select
        use_case_id,
        sum(point) / 30 as forecast_daily_requests
    from {{ ref('fct_forecast_daily') }}
    where scope = 'use_case' and metric = 'requests' and horizon_days <= 30
    group by 1
),

observed_requests as (
    select
        history.use_case_id,
        sum(history.y) / {{ window }} as observed_daily_requests
    from {{ ref('int_forecast_history') }} as history
    cross join origin
    where
        history.scope = 'use_case'
        and history.metric = 'requests'
        and history.ds > {{ dbt.dateadd('day', -window, 'origin.origin_date') }}
    group by 1
),

sized as (
    select
        per_transaction.*,
        volume.transactions_last_{{ window }}_days,
        coalesce(growth.forecast_daily_requests / observed_requests.observed_daily_requests, 1) as forecast_growth,
        targets.target_transactions_per_month,
        targets.current_adoption_share,
        targets.target_adoption_share,
        coalesce(
            cast(targets.target_transactions_per_month as double),
            volume.transactions_last_{{ window }}_days * 30.4375 / {{ window }}
            * coalesce(growth.forecast_daily_requests / observed_requests.observed_daily_requests, 1)
            * coalesce(targets.target_adoption_share / targets.current_adoption_share, 1)
        ) as projected_transactions_per_month,
        case
            when targets.target_transactions_per_month is not null then 'target volume'
            when targets.target_adoption_share is not null then 'adoption share'
            else 'forecast volume'
        end as volume_basis
    from per_transaction
    inner join volume on per_transaction.use_case_id = volume.use_case_id
    left join targets on per_transaction.use_case_id = targets.use_case_id
    left join growth on per_transaction.use_case_id = growth.use_case_id
    left join observed_requests on per_transaction.use_case_id = observed_requests.use_case_id
),

projected as (
    select
        {%- for measure, mean, variance in [
            ('cost', 'mean_cost_usd', 'var_cost'),
            ('value', 'mean_value_usd', 'var_value'),
            ('net_value', '(mean_value_usd - mean_cost_usd)', 'var_net'),
        ] %}
        projected_transactions_per_month * {{ mean }} as monthly_{{ measure }}_usd,
        sqrt(
            projected_transactions_per_month * coalesce({{ variance }}, 0)
            + projected_transactions_per_month * projected_transactions_per_month * coalesce({{ variance }}, 0)
            / sample_transactions
        ) as monthly_{{ measure }}_sd,
        {%- endfor %}
        sized.*
    from sized
),

final as (
    select
        use_case_id,
        coalesce(variant_id, '(all)') as variant_id,
        reason,
        volume_basis,
        sample_transactions,
        transactions_last_{{ window }}_days,
        forecast_growth,
        projected_transactions_per_month,
        mean_cost_usd as cost_per_transaction_usd,
        mean_value_usd as value_per_transaction_usd,
        {%- for measure in ['cost', 'value', 'net_value'] %}
        monthly_{{ measure }}_usd,
        monthly_{{ measure }}_usd - 1.2815515655 * monthly_{{ measure }}_sd as monthly_{{ measure }}_usd_lo_80,
        monthly_{{ measure }}_usd + 1.2815515655 * monthly_{{ measure }}_sd as monthly_{{ measure }}_usd_hi_80,
        monthly_{{ measure }}_usd - 1.9599639845 * monthly_{{ measure }}_sd as monthly_{{ measure }}_usd_lo_95,
        monthly_{{ measure }}_usd + 1.9599639845 * monthly_{{ measure }}_sd as monthly_{{ measure }}_usd_hi_95,
        {%- endfor %}
        {{ safe_divide('monthly_value_usd - monthly_cost_usd', 'monthly_cost_usd') }} as projected_roi
    from projected
)

select * from final
