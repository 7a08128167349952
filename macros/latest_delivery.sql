{% macro latest_delivery(relation, period_columns) -%}
{#- The rows of `relation` from the latest delivery (arrival day) of each billing period. Billing exports are
    re-delivered as the period fills up (month-to-date files, corrections): a newer delivery of a period
    replaces the older ones, whatever they contained, so re-deliveries never add up. -#}
{%- set text = dbt.type_string() %}
select delivered.*
from {{ relation }} as delivered
inner join (
    select
        {%- for column in period_columns %}
        coalesce(cast({{ column }} as {{ text }}), '') as period_key_{{ loop.index }},
        {%- endfor %}
        max(_arrival_date) as latest_arrival_date
    from {{ relation }}
    group by {% for column in period_columns %}{{ loop.index }}{% if not loop.last %}, {% endif %}{% endfor %}
) as latest
    on {% for column in period_columns -%}
    coalesce(cast(delivered.{{ column }} as {{ text }}), '') = latest.period_key_{{ loop.index }}
    and {% endfor %}delivered._arrival_date = latest.latest_arrival_date
{%- endmacro %}
