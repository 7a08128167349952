{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('event_date', lookback=false)) }}
-- One row per day, platform, raw model and reason for requests that could not be priced: what to add to
-- the price book. Tokens are counts; no cost is shown because none is known. Incremental by event_date like
-- the request fact: a day rebuilt there (a price added, then its days backfilled) is rebuilt here, so a day
-- whose calls are all priced now has no row.
with requests as (
    select * from {{ ref('fct_genai_requests') }}
    where pricing_status = 'unpriced' and {{ incremental_window('event_date', lookback=false) }}
),

final as (
    select
        event_date,
        platform,
        raw_model,
        model_id,
        region_scope,
        service_tier,
        capacity_type,
        unpriced_reason,
        sum(request_count) as requests,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens
    from requests
    group by 1, 2, 3, 4, 5, 6, 7, 8
)

select * from final
