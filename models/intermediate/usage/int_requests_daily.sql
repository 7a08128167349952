{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- One row per UTC day, use case, variant, platform and model with calls: the request fact summed by day, for the
-- reports and forecasts that need days, not calls (rpt_use_case_roi_daily, int_forecast_history), so that a
-- daily run reads the window's calls once instead of every call of the history. Incremental by event_date like
-- the request fact. USD exact.
with requests as {{ not_materialized() }} (
    select * from {{ ref('fct_genai_requests') }}
    where {{ incremental_window('event_date') }}
),

final as (
    select
        event_date,
        use_case_id,
        variant_id,
        platform,
        model_id,
        sum(request_count) as requests,
        sum(case when pricing_status = 'unpriced' then request_count else 0 end) as unpriced_requests,
        sum(input_tokens + output_tokens) as tokens,
        sum(total_cost_usd) as cost_usd
    from requests
    group by 1, 2, 3, 4, 5
)

select * from final
