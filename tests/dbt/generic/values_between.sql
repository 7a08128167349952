{% test values_between(model, column_name, min_value=none, max_value=none) %}
-- Rows whose value lies outside [min_value, max_value] (nulls pass; a missing bound is open).
select *
from {{ model }}
where
    {% if min_value is not none %}{{ column_name }} < {{ min_value }}{% else %}false{% endif %}
    or {% if max_value is not none %}{{ column_name }} > {{ max_value }}{% else %}false{% endif %}
{% endtest %}
