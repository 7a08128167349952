-- Nothing lost: every distinct event in the lake is one row of the fact, and the fact's delivered copies
-- add up to the lake's rows.
with lake as (
    select count(distinct event_id) as distinct_events, count(*) as lake_rows
    from (
        select event_id from {{ ref('stg_canonical__usage_events') }}
        union all
        select event_id from {{ ref('stg_otel__genai_spans') }}
        union all
        select event_id from {{ ref('stg_bedrock__invocations') }}
    ) as delivered
),

fact as (
    select count(*) as fact_rows, sum(delivered_copies) as delivered
    from {{ ref('fct_genai_requests') }}
)

select *
from lake
cross join fact
where lake.distinct_events <> fact.fact_rows or lake.lake_rows <> fact.delivered
