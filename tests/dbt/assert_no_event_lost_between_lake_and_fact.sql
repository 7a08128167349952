-- Nothing lost: every distinct event of the per-request sources is one row of the fact, and the fact's
-- delivered copies add up to the lake's rows. (Aggregated reports count only where no per-request source
-- covers their platform and day: rpt_usage_report_coverage.) On a run with a window, the days it rebuilt (its
-- first day minus `lookback_days` on) on both sides: earlier days were checked by the runs that built them.
{%- set since = none %}
{%- if var('min_date', none) %}
    {%- set since = dbt.dateadd('day', -(var('lookback_days', 2) | int), "cast('" ~ var('min_date') ~ "' as date)") %}
{%- endif %}
with lake as (
    select count(distinct event_id) as distinct_events, count(*) as lake_rows
    from (
        {%- for source_model in usage_sources('per_request') %}
        select event_id from {{ source_model }}
        {%- if since %}
        where event_date >= {{ since }}
        {%- endif %}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as delivered
),

fact as (
    select count(*) as fact_rows, sum(delivered_copies) as delivered
    from {{ ref('fct_genai_requests') }}
    where source_format not in ('openai_usage', 'anthropic_usage')
    {%- if since %}
      and event_date >= {{ since }}
    {%- endif %}
)

select *
from lake
cross join fact
where lake.distinct_events <> fact.fact_rows or lake.lake_rows <> fact.delivered
