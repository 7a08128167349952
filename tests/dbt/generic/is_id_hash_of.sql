{#- Fails on every row whose stored hash is not id_hash of its id (the lookups by hash would miss that row) -#}
{% test is_id_hash_of(model, column_name, id_column) %}
select {{ id_column }}, {{ column_name }}
from {{ model }}
where not ({{ column_name }} = {{ id_hash(id_column) }})
    or ({{ column_name }} is null) <> ({{ id_column }} is null)
{% endtest %}
