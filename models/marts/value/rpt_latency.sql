-- One row per platform, model and capacity type: time to first token and end-to-end latency
-- (milliseconds; p50 / p90 / p99) and output speed (output tokens per second after the first token) of
-- successful calls over the trailing `report_window_days` (30) days of data, window_start_date ..
-- window_end_date. Exact percentiles hold every value in memory: over all history they grew with it (and ran
-- DuckDB out of memory at 100M events); a trailing window is what a latency objective is judged on anyway.
with bounds as (
    select
        {{ trailing_window_start(ref('fct_genai_requests'), 'event_date') }} as window_start_date,
        (select max(event_date) from {{ ref('fct_genai_requests') }}) as window_end_date
),

calls as (
    select
        platform,
        model_id,
        capacity_type,
        cast(ttft_ms as double) as ttft_ms,
        cast(latency_ms as double) as latency_ms,
        case when latency_ms > coalesce(ttft_ms, 0) and output_tokens > 0
                then output_tokens * 1000.0 / (latency_ms - coalesce(ttft_ms, 0))
        end as output_tokens_per_second
    from {{ ref('fct_genai_requests') }}
    where status = 'success'
        and event_date >= (select window_start_date from bounds)
)

select
    calls.platform,
    calls.model_id,
    calls.capacity_type,
    bounds.window_start_date,
    bounds.window_end_date,
    count(*) as calls,
    {{ percentile('ttft_ms', 0.5, [0.5, 0.9, 0.99]) }} as ttft_p50_ms,
    {{ percentile('ttft_ms', 0.9, [0.5, 0.9, 0.99]) }} as ttft_p90_ms,
    {{ percentile('ttft_ms', 0.99, [0.5, 0.9, 0.99]) }} as ttft_p99_ms,
    {{ percentile('latency_ms', 0.5, [0.5, 0.9, 0.99]) }} as latency_p50_ms,
    {{ percentile('latency_ms', 0.9, [0.5, 0.9, 0.99]) }} as latency_p90_ms,
    {{ percentile('latency_ms', 0.99, [0.5, 0.9, 0.99]) }} as latency_p99_ms,
    {{ percentile('output_tokens_per_second', 0.5, [0.5, 0.1]) }} as output_tps_p50,
    {{ percentile('output_tokens_per_second', 0.1, [0.5, 0.1]) }} as output_tps_p10
from calls
cross join bounds
group by 1, 2, 3, 4, 5
