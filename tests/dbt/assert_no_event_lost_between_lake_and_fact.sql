-- Nothing lost: every distinct event of the per-request sources is one row of the fact, and the fact's
-- delivered copies add up to the lake's rows. (Aggregated reports count only where no per-request source
-- covers their platform and day: rpt_usage_report_coverage.)
with lake as (
    select count(distinct event_id) as distinct_events, count(*) as lake_rows
    from (
        {%- for source_model in usage_sources('per_request') %}
        select event_id from {{ source_model }}
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
)

select *
from lake
cross join fact
where lake.distinct_events <> fact.fact_rows or lake.lake_rows <> fact.delivered
