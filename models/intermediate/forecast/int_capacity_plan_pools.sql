-- One row per capacity pool and model it serves. A pool is what one capacity plan sizes:
-- - 'reservation': a reservation of seed capacity_reservations, serving the models deployed on it during the last
--   `capacity_plan_history_days` days (var, 28), or, when none was, the model of its latest deployment; its
--   current units, SKU and term are the baseline the plan is compared with;
-- - 'model': one model on one platform, for each capacity model and dimension that could serve it (the on-demand
--   question: would capacity pay for this model's traffic?).
{%- set days = var('capacity_plan_history_days', 28) | int %}
with origin as (
    select max(event_date) as origin_date
    from {{ ref('fct_genai_requests') }}
),

options as (
    select distinct
        platform,
        capacity_model,
        model_id,
        dimension
    from {{ ref('int_capacity_plan_options') }}
),

deployments as (
    select
        reservations.reservation_id,
        reservations.platform,
        reservations.capacity_model,
        reservations.dimension,
        reservations.units as current_units,
        reservations.sku as current_sku,
        reservations.term as current_term,
        deployments.model_id,
        deployments.valid_from,
        coalesce(
            deployments.valid_to > {{ dbt.dateadd('day', -days, 'origin.origin_date') }}
            and deployments.valid_from <= origin.origin_date,
            false
        ) as is_in_window
    from {{ ref('capacity_reservations') }} as reservations
    inner join {{ ref('capacity_deployments') }} as deployments
        on reservations.reservation_id = deployments.reservation_id
    cross join origin
),

reservation_state as (
    select
        deployments.*,
        max(case when deployments.is_in_window then 1 else 0 end) over (
            partition by deployments.reservation_id
        ) as has_deployment_in_window,
        row_number() over (
            partition by deployments.reservation_id
            order by deployments.valid_from desc, deployments.model_id asc
        ) as recency
    from deployments
),

reservation_pools as (
    select distinct
        'reservation' as pool_kind,
        reservation_id as pool_id,
        reservation_id,
        platform,
        capacity_model,
        dimension,
        model_id,
        current_units,
        current_sku,
        current_term
    from reservation_state
    where is_in_window or (has_deployment_in_window = 0 and recency = 1)
),

model_pools as (
    select
        'model' as pool_kind,
        platform || ':' || model_id || ':' || capacity_model || ':' || dimension as pool_id,
        cast(null as {{ dbt.type_string() }}) as reservation_id,
        platform,
        capacity_model,
        dimension,
        model_id,
        cast(null as {{ dbt.type_bigint() }}) as current_units,
        cast(null as {{ dbt.type_string() }}) as current_sku,
        cast(null as {{ dbt.type_string() }}) as current_term
    from options
),

final as (
    select * from reservation_pools
    union all
    select * from model_pools
)

select * from final
