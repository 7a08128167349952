{% test cost_components_add_up(model) %}
-- Priced rows: the five cost components add up to list_equivalent_cost_usd, total = effective + capacity.
-- A capacity cost is null only for a provisioned request no reservation covers (no_matching_capacity), and
-- then the total is null too: an unknown cost is never summed as 0.
select *
from {{ model }}
where
    pricing_status = 'priced'
    and (
        list_equivalent_cost_usd <> input_cost_usd + cached_input_cost_usd + cache_write_cost_usd
        + output_cost_usd + reasoning_cost_usd
        or total_cost_usd <> effective_cost_usd + capacity_cost_usd
        or list_equivalent_cost_usd < 0
        or effective_cost_usd > list_cost_usd
        or (capacity_cost_usd is null and capacity_cost_status <> 'no_matching_capacity')
        or (capacity_cost_usd is null) <> (total_cost_usd is null)
    )
{% endtest %}
