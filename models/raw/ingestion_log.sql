-- One row per landing file ingested (latest load), with its record counts.
with usage_log as (
    select * from {{ source('lake', 'usage_events_ingestion_log') }}
),

kpi_log as (
    select * from {{ source('lake', 'kpi_events_ingestion_log') }}
),

otel_log as (
    select * from {{ source('lake', 'otel_spans_ingestion_log') }}
),

unioned as (
    select dataset, source_file, file_key, arrival_date, records_read, records_loaded, records_quarantined,
           file_status, error, run_id, ingested_at
    from usage_log
    union all
    select dataset, source_file, file_key, arrival_date, records_read, records_loaded, records_quarantined,
           file_status, error, run_id, ingested_at
    from kpi_log
    union all
    select dataset, source_file, file_key, arrival_date, records_read, records_loaded, records_quarantined,
           file_status, error, run_id, ingested_at
    from otel_log
)

select * from unioned
