-- One row per ingested landing file: records read, loaded and quarantined (from the ingestion log), the
-- rows of that file actually found in the lake and in quarantine, and whether it all adds up.
with ingestion_log as (
    select * from {{ ref('ingestion_log') }}
),

quarantine as (
    select dataset, file_key, count(*) as quarantine_rows
    from {{ ref('quarantine') }}
    group by 1, 2
),

lake_rows as (
    select 'usage_events' as dataset, source_file, count(*) as lake_rows
    from {{ ref('stg_canonical__usage_events') }}
    group by 1, 2
    union all
    select 'kpi_events' as dataset, source_file, count(*) as lake_rows
    from {{ ref('stg_canonical__kpi_events') }}
    group by 1, 2
    union all
    select 'otel_spans' as dataset, source_file, count(*) as lake_rows
    from {{ ref('stg_otel__genai_spans') }}
    group by 1, 2
    union all
    select 'bedrock_invocations' as dataset, source_file, count(*) as lake_rows
    from {{ ref('stg_bedrock__invocations') }}
    group by 1, 2
    union all
    select 'litellm_spend_logs' as dataset, source_file, count(*) as lake_rows
    from {{ ref('stg_litellm__spend_logs') }}
    group by 1, 2
    union all
    select 'openai_usage' as dataset, source_file, count(*) as lake_rows
    from {{ ref('stg_openai__usage_completions') }}
    group by 1, 2
    union all
    -- the Anthropic report's 1-hour cache writes get a second staging row: count the first only
    select 'anthropic_usage' as dataset, source_file, count(*) as lake_rows
    from {{ ref('stg_anthropic__usage_report') }}
    where cache_write_ttl is null or cache_write_ttl = '5m'
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
        ingestion_log.records_read,
        ingestion_log.records_loaded,
        ingestion_log.records_quarantined,
        coalesce(lake_rows.lake_rows, 0) as lake_rows,
        coalesce(quarantine.quarantine_rows, 0) as quarantine_rows,
        ingestion_log.records_read = ingestion_log.records_loaded + ingestion_log.records_quarantined
            and coalesce(lake_rows.lake_rows, 0) = ingestion_log.records_loaded
            and coalesce(quarantine.quarantine_rows, 0) = ingestion_log.records_quarantined
            as is_reconciled,
        ingestion_log.ingested_at
    from ingestion_log
    left join lake_rows
        on ingestion_log.dataset = lake_rows.dataset
        and ingestion_log.source_file = lake_rows.source_file
    left join quarantine
        on ingestion_log.dataset = quarantine.dataset
        and ingestion_log.file_key = quarantine.file_key
)

select * from final
