{{ config(severity='warn') }}
-- Warns when a call was delivered in copies that disagree (the latest delivery counts; rpt_delivery_conflicts
-- says where and how many).
select *
from {{ ref('rpt_delivery_conflicts') }}
where conflicting_events > 0
