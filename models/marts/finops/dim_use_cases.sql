-- One row per use case from the registry, plus the 'unattributed' missing member so every request joins,
-- plus any use case the traffic names that the registry lacks (stage 'unregistered', so the data keeps
-- flowing; the test assert_use_cases_registered warns until it is registered).
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

unregistered as (
    select distinct
        usage.use_case_id,
        usage.use_case_id as name,
        'unknown' as owner_team,
        'unknown' as business_unit,
        'unregistered' as stage,
        'Named by usage but missing from the use_cases seed' as description
    -- the use cases of every call, from the calls summed by day (int_requests_daily): not every call again
    from {{ ref('int_requests_daily') }} as usage
    left join registry
        on usage.use_case_id = registry.use_case_id
    where registry.use_case_id is null
        and usage.use_case_id <> 'unattributed'
),

final as (
    select
        use_case_id,
        name,
        owner_team,
        business_unit,
        stage,
        description
    from registry
    union all
    select
        use_case_id,
        name,
        owner_team,
        business_unit,
        stage,
        description
    from missing_member
    union all
    select
        use_case_id,
        name,
        owner_team,
        business_unit,
        stage,
        description
    from unregistered
)

select * from final
