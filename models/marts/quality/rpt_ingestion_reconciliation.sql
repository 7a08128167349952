-- One row per entry of a landing folder: records read, loaded and quarantined (from the ingestion log), the
-- rows of that file actually found in the lake and in quarantine, and whether it all adds up. Skipped
-- entries (not landing files) are listed with their reason and read nothing.
with ingestion_log as (
    select * from {{ ref('stg_lake__ingestion_log') }}
),

quarantine as (
    select
        dataset,
        file_key,
        count(*) as quarantine_rows
    from {{ ref('stg_lake__quarantine') }}
    group by 1, 2
),

lake_rows as (
    -- counted per file by arrival day (incremental: a daily run counts its own files, not the whole lake)
    select
        dataset,
        source_file,
        sum(lake_rows) as lake_rows
    from {{ ref('int_lake_rows_by_file') }}
    group by 1, 2
),

final as (
    select
        ingestion_log.dataset,
        ingestion_log.source_file,
        ingestion_log.file_key,
        ingestion_log.arrival_date,
        ingestion_log.file_status,
        ingestion_log.error,
        ingestion_log.skip_reason,
        ingestion_log.records_read,
        ingestion_log.records_loaded,
        ingestion_log.records_quarantined,
        coalesce(lake_rows.lake_rows, 0) as lake_rows,
        coalesce(quarantine.quarantine_rows, 0) as quarantine_rows,
        ingestion_log.records_read = ingestion_log.records_loaded + ingestion_log.records_quarantined
        and coalesce(lake_rows.lake_rows, 0) = ingestion_log.records_loaded
        and coalesce(quarantine.quarantine_rows, 0) = ingestion_log.records_quarantined as is_reconciled,
        ingestion_log.ingested_at
    from ingestion_log
    left join lake_rows
        on
        ingestion_log.dataset = lake_rows.dataset
        and ingestion_log.source_file = lake_rows.source_file
    left join quarantine
        on
        ingestion_log.dataset = quarantine.dataset
        and ingestion_log.file_key = quarantine.file_key
)

select * from final
