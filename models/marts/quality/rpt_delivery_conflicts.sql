-- One row per source and day with calls delivered more than once: how many, and how many of them arrived in
-- copies that disagree on the call itself (time, platform, model, token counts, status). The latest delivery
-- counts (int_usage_events); a conflict means two systems, or two exports of one, tell different stories.
with events as (
    select * from {{ ref('int_usage_events') }}
    where delivered_copies > 1
),

final as (
    select
        source_format,
        event_date,
        count(*) as duplicated_events,
        sum(delivered_copies - 1) as extra_copies,
        sum(case when has_conflicting_copies then 1 else 0 end) as conflicting_events
    from events
    group by 1, 2
)

select * from final
