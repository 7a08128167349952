-- One row per KPI event with the value it realised, using the KPI definition in force on the event date:
-- value_usd = quantity x usd_per_unit (currency KPIs) or quantity x hours_per_unit x loaded_hourly_rate_usd
-- (time KPIs); hours_saved = quantity x hours_per_unit (time KPIs). is_primary marks the KPI that defines a
-- transaction's success (quantity > 0).
with events as (
    select * from {{ ref('stg_canonical__kpi_events') }}
),

definitions as (
    select
        kpi_definitions.*,
        lead(valid_from) over (partition by kpi_id order by valid_from) as valid_to
    from {{ ref('kpi_definitions') }} as kpi_definitions
),

final as (
    select
        events.kpi_event_id,
        events.occurred_at,
        events.event_date,
        events.use_case_id,
        events.variant_id,
        events.transaction_id,
        events.kpi_id,
        definitions.kind as kpi_kind,
        definitions.value_kind,
        coalesce(definitions.is_primary, false) as is_primary,
        events.kpi_value as quantity,
        definitions.kpi_id is not null as has_definition,
        cast(
            case definitions.value_kind
                when 'currency' then events.kpi_value * cast(definitions.usd_per_unit as double)
                when 'time' then events.kpi_value * cast(definitions.hours_per_unit as double)
                    * cast(definitions.loaded_hourly_rate_usd as double)
            end
            as {{ money_type() }}
        ) as value_usd,
        case when definitions.value_kind = 'time'
                then events.kpi_value * cast(definitions.hours_per_unit as double)
            else 0
        end as hours_saved
    from events
    left join definitions
        on events.kpi_id = definitions.kpi_id
        and events.event_date >= definitions.valid_from
        and (definitions.valid_to is null or events.event_date < definitions.valid_to)
)

select * from final
