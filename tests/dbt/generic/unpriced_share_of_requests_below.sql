{% test unpriced_share_of_requests_below(model, column_name, threshold) %}
-- Warns when more than `threshold` of the requests are unpriced: the price book needs an entry.
-- Returns one row per unpriced reason when the overall share is above the threshold.
with counts as (
    select
        sum(case when {{ column_name }} is not null then request_count else 0 end) as unpriced,
        sum(request_count) as total
    from {{ model }}
)

select unpriced, total
from counts
where total > 0 and cast(unpriced as double) / total > {{ threshold }}
{% endtest %}
