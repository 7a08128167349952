{% test capacity_cost_conserved(model) %}
-- Every reservation-deployment-hour: used + idle + unallocated = committed + overage, exactly; no negative part.
select *
from {{ model }}
where used_cost_usd + idle_cost_usd + unallocated_cost_usd <> committed_cost_usd + overage_cost_usd
   or used_cost_usd < 0 or idle_cost_usd < 0 or unallocated_cost_usd < 0 or overage_cost_usd < 0
{% endtest %}
