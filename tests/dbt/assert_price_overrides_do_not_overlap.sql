-- Two local price overrides of the same key may not be in force on the same day (which would win is
-- undefined). Returns the overlapping pairs.
select
    a.platform,
    a.model_id,
    a.region_scope,
    a.service_tier,
    a.valid_from,
    b.valid_from as other_valid_from
from {{ ref('model_price_overrides') }} as a
inner join {{ ref('model_price_overrides') }} as b
    on a.platform = b.platform
    and a.model_id = b.model_id
    and a.region_scope = b.region_scope
    and a.service_tier = b.service_tier
    and a.valid_from < b.valid_from
    and (a.valid_to is null or a.valid_to > b.valid_from)
