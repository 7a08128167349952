{#- Fails on every row where the expression is not true (e.g. columns that must add up). -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }}
where not ({{ expression }})
{% endtest %}
