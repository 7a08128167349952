-- One row per entry of every dataset's landing folder (the latest load of each): a landing file with its
-- record counts, an unreadable file with its error, or a skipped entry with its reason.
-- A table, unlike the other staging models: its five tests, the no-file-twice test and the ingestion
-- reconciliation would each read the fifteen log tables of the lake again (one file per landing file), where
-- one read serves them all (on the demo 1.9-2.0 s of node time for the model, its tests and its report, 3.1-3.4 s
-- as a view).
{{ config(materialized='table') }}

with unioned as (
    {%- for ds in raw_datasets() %}
    select
        dataset,
        source_file,
        file_key,
        cast(arrival_date as date) as arrival_date,
        records_read,
        records_loaded,
        records_quarantined,
        file_status,
        case when file_status = 'unreadable' then error end as error,
        case when file_status = 'skipped' then error end as skip_reason,
        run_id,
        ingested_at
    from {{ source('lake', ds.name ~ '_ingestion_log') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from unioned
