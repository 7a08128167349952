-- One row per landing file ingested (latest load), with its record counts, from every dataset.
{%- set datasets = var('raw_datasets') %}
with unioned as (
    {%- for dataset in datasets %}
    select dataset, source_file, file_key, arrival_date, records_read, records_loaded, records_quarantined,
           file_status, error, run_id, ingested_at
    from {{ source('lake', dataset ~ '_ingestion_log') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from unioned
