-- One row per use case from the registry, plus the 'unattributed' missing member so every request joins.
with registry as (
    select * from {{ ref('use_cases') }}
),

missing_member as (
    select
        'unattributed' as use_case_id,
        'Unattributed traffic' as name,
        'unknown' as owner_team,
        'unknown' as business_unit,
        'production' as stage,
        'Requests without a use-case tag' as description
),

final as (
    select use_case_id, name, owner_team, business_unit, stage, description from registry
    union all
    select use_case_id, name, owner_team, business_unit, stage, description from missing_member
)

select * from final
