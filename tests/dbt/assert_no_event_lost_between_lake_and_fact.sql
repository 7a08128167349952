-- Nothing lost: every call of a per-request source that arrived in the run's window (by arrival day, whatever
-- day it happened on, so late data older than the lookback is caught too) is a row of the request fact; on
-- a run without a window, every call in the lake. Aggregated reports count only where no per-request source
-- covers their platform and day (rpt_usage_report_coverage). Fails with the ids that were lost.
-- Windowed, the calls that arrived are read from the day partitions the window's files wrote to (found from
-- the lake's file names, macro lake_days_arrived), not from every file of the lake.
{%- set windowed = window_var('min_date') and window_var('max_date') %}
{%- set first_day = "cast('" ~ window_var('min_date') ~ "' as date)" %}
{%- set last_day = "cast('" ~ window_var('max_date') ~ "' as date)" %}
{%- set arrived_days = lake_days_arrived(raw_datasets('usage'), first_day, last_day) if windowed else none %}
with arrived as (
    {%- for source_model in usage_sources('usage') %}
    select
        event_id,
        source_file
    from {{ source_model }}
    {%- if windowed %}
    where arrival_date between {{ first_day }} and {{ last_day }}
    {%- if arrived_days is not none %}
        and event_date in ({{ date_literals(arrived_days) }})
    {%- endif %}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

fact as (
    select event_id
    from {{ ref('fct_genai_requests') }}
    {%- if windowed %}
    where event_date >= {{ incremental_window_start('event_date') }}
    {%- endif %}
)

select
    arrived.event_id,
    min(arrived.source_file) as source_file
from arrived
left join fact
    on arrived.event_id = fact.event_id
where fact.event_id is null
group by 1
