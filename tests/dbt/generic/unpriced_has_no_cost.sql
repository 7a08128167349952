{% test unpriced_has_no_cost(model) %}
-- An unpriced request never shows a made-up cost: its list-equivalent cost is null, and so is its
-- on-demand cost unless it ran on provisioned capacity (whose cost comes from the capacity allocation).
select *
from {{ model }}
where pricing_status = 'unpriced'
  and (
    list_equivalent_cost_usd is not null
    or (capacity_type <> 'provisioned' and (list_cost_usd is not null or effective_cost_usd is not null))
  )
{% endtest %}
