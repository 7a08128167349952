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

{#- each raw dataset and the relation its rows are counted in: the staging model that reads it (with the
    filter that keeps one row per record: Anthropic's 1-hour cache writes can get a second staging row), or,
    for billing exports (whose staging keeps only each period's latest delivery), the lake itself -#}
{%- set staged = [
    ('usage_events', ref('stg_canonical__usage_events'), none, 'source_file'),
    ('kpi_events', ref('stg_canonical__kpi_events'), none, 'source_file'),
    ('otel_spans', ref('stg_otel__genai_spans'), none, 'source_file'),
    ('bedrock_invocations', ref('stg_bedrock__invocations'), none, 'source_file'),
    ('litellm_spend_logs', ref('stg_litellm__spend_logs'), none, 'source_file'),
    ('openai_usage', ref('stg_openai__usage_completions'), none, 'source_file'),
    ('anthropic_usage', ref('stg_anthropic__usage_report'), "coalesce(cache_write_ttl, '5m') = '5m'", 'source_file'),
    ('anthropic_messages', ref('stg_anthropic__messages'), "request_count = 1", 'source_file'),
    ('focus_charges', source('lake', 'focus_charges'), none, '_source_file'),
    ('aws_cur', source('lake', 'aws_cur'), none, '_source_file'),
    ('azure_cost_actual', source('lake', 'azure_cost_actual'), none, '_source_file'),
    ('azure_cost_amortized', source('lake', 'azure_cost_amortized'), none, '_source_file'),
    ('gcp_billing', source('lake', 'gcp_billing'), none, '_source_file'),
] %}
lake_rows as (
    {%- for dataset, model, row_filter, file_column in staged %}
    select '{{ dataset }}' as dataset, {{ file_column }} as source_file, count(*) as lake_rows
    from {{ model }}
    {%- if row_filter %}
    where {{ row_filter }}
    {%- endif %}
    group by 1, 2
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
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
