-- Business KPI events from the lake, one row per recorded outcome.
with source as (
    select * from {{ source('lake', 'kpi_events') }}
),

renamed as (
    select
        kpi_event_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(event_date as date) as event_date,
        use_case_id,
        coalesce(variant_id, 'default') as variant_id,
        transaction_id,
        kpi_id,
        cast(value as double) as kpi_value,
        _source_file as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_arrival_date as date) as arrival_date
    from source
)

select * from renamed
