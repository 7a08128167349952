{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('event_date', lookback=false)) }}
-- One row per UTC day, use case, variant, platform, model, capacity type, status, retry or not and pricing status
-- with calls: the request fact summed by day, for the reports and forecasts that need days, not calls
-- (rpt_use_case_roi_daily, rpt_waste_daily, the reconciliations, int_forecast_history), so that a daily run reads
-- the window's calls once instead of every call of the history. Incremental by event_date like the request
-- fact. USD exact.
with requests as {{ not_materialized() }} (
    select * from {{ ref('fct_genai_requests') }}
    where {{ incremental_window('event_date', lookback=false) }}
),

final as (
    select
        event_date,
        use_case_id,
        variant_id,
        platform,
        model_id,
        capacity_type,
        status,
        coalesce(attempt > 1, false) as is_retry,
        pricing_status,
        sum(request_count) as requests,
        sum(coalesce(request_count, 1)) as requests_or_rows,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(effective_cost_usd) as effective_cost_usd,
        sum(total_cost_usd) as total_cost_usd
    from requests
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9
)

select * from final
