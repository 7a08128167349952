-- One row per entry of every dataset's landing folder (the latest load of each): a landing file with its
-- record counts, an unreadable file with its error, or a skipped entry with its reason.
-- Materialized (an incremental table), unlike the other staging models (views): its five tests, the
-- no-file-twice test and the ingestion reconciliation would each read the fifteen log tables of the lake again
-- (one file per landing file), where one read serves them all. Incremental by arrival day (the log's `day=`
-- folders): a run reads the log files of its window's arrival days (incremental_window with late=false: the
-- window's days, not the older event days its late data touched), not one file per landing file of all
-- history; an entry's row depends on its own log file only.
{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('arrival_date', lookback=false, late=false)) }}

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
    where {{ incremental_window('cast(day as date)', this_date_column='arrival_date', lookback=false, late=false) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from unioned
