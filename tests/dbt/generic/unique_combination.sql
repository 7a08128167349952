{% test unique_combination(model, columns) %}
-- The model's grain: no two rows share these columns (a duplicated row doubles a cost while per-row checks
-- still pass). Fails with each repeated key and how often it occurs.
select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
