-- One row per platform discount agreement with its validity interval [valid_from, valid_to) and the
-- multiplier that turns list cost into effective cost.
with discounts as (
    select * from {{ ref('enterprise_discounts') }}
),

dated as (
    select
        platform,
        valid_from,
        lead(valid_from) over (partition by platform order by valid_from) as valid_to,
        discount_pct,
        cast(1 - cast(discount_pct as decimal(9, 4)) * cast(0.01 as decimal(3, 2)) as decimal(9, 6))
            as discount_multiplier,
        agreement
    from discounts
)

select * from dated
