{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('series_key')) }}
-- One row per anomaly, kept once across runs: an episode of the current data that overlaps or touches an anomaly
-- already recorded on the same series keeps that anomaly's id and first detection; a new one gets the id of its
-- series and first period. The episodes cover all history, so every recorded anomaly is either seen again or
-- no longer in the data: then it stays, marked withdrawn (late data made it ordinary), and comes back under its
-- id if the data shows it again. Deterministic: the detection times are the data's (data_through of the run),
-- not the clock's.
with episodes as (
    select * from {{ ref('int_anomaly_episodes') }}
),

{% if is_incremental() %}
previous as (
    select * from {{ this }}
),

overlapping as (
    select
        episodes.anomaly_key,
        previous.anomaly_id,
        previous.first_detected_through,
        row_number() over (partition by episodes.anomaly_key order by previous.started_at) as rank_for_episode,
        row_number() over (partition by previous.anomaly_id order by episodes.started_at) as rank_for_anomaly
    from episodes
    inner join previous
        on episodes.series_key = previous.series_key
        and episodes.started_at <= previous.ended_at
        and previous.started_at <= episodes.ended_at
),

matched as (
    select * from overlapping
    where rank_for_episode = 1 and rank_for_anomaly = 1
),
{% endif %}

current_anomalies as (
    select
        {% if is_incremental() %}coalesce(matched.anomaly_id, episodes.anomaly_key){% else %}episodes.anomaly_key{% endif %}
            as anomaly_id,
        episodes.grain,
        episodes.level,
        episodes.use_case_id,
        episodes.platform,
        episodes.model_id,
        episodes.deployment_id,
        episodes.metric,
        episodes.direction,
        episodes.started_at,
        episodes.ended_at,
        episodes.anomalous_periods,
        episodes.peak_at,
        episodes.peak_value,
        episodes.peak_expected,
        episodes.peak_z,
        episodes.observed_cost_usd,
        episodes.expected_cost_usd,
        episodes.impact_usd,
        episodes.volume_usd,
        episodes.tokens_per_transaction_usd,
        episodes.failures_retries_usd,
        episodes.model_mix_usd,
        episodes.spillover_usd,
        episodes.cache_usd,
        episodes.price_usd,
        episodes.capacity_usd,
        episodes.other_usd,
        episodes.top_driver,
        episodes.signals,
        episodes.status,
        {% if is_incremental() %}coalesce(matched.first_detected_through, episodes.data_through){% else %}episodes.data_through{% endif %}
            as first_detected_through,
        episodes.data_through as last_updated_through,
        episodes.series_key
    from episodes
    {% if is_incremental() %}
    left join matched
        on episodes.anomaly_key = matched.anomaly_key
    {% endif %}
)

{% if is_incremental() %}
,

withdrawn as (
    select
        previous.anomaly_id,
        previous.grain,
        previous.level,
        previous.use_case_id,
        previous.platform,
        previous.model_id,
        previous.deployment_id,
        previous.metric,
        previous.direction,
        previous.started_at,
        previous.ended_at,
        previous.anomalous_periods,
        previous.peak_at,
        previous.peak_value,
        previous.peak_expected,
        previous.peak_z,
        previous.observed_cost_usd,
        previous.expected_cost_usd,
        previous.impact_usd,
        previous.volume_usd,
        previous.tokens_per_transaction_usd,
        previous.failures_retries_usd,
        previous.model_mix_usd,
        previous.spillover_usd,
        previous.cache_usd,
        previous.price_usd,
        previous.capacity_usd,
        previous.other_usd,
        previous.top_driver,
        previous.signals,
        'withdrawn' as status,
        previous.first_detected_through,
        previous.last_updated_through,
        previous.series_key
    from previous
    where previous.anomaly_id not in (select current_anomalies.anomaly_id from current_anomalies)
)

select * from current_anomalies
union all
select * from withdrawn
{% else %}
select * from current_anomalies
{% endif %}
