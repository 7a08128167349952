-- Every record that broke a raw contract, from every dataset: where it came from and why.
with usage_quarantine as (
    select * from {{ source('lake', 'usage_events_quarantine') }}
),

kpi_quarantine as (
    select * from {{ source('lake', 'kpi_events_quarantine') }}
),

otel_quarantine as (
    select * from {{ source('lake', 'otel_spans_quarantine') }}
),

unioned as (
    select dataset, source_file, file_key, arrival_date, line_no, field, reason, field_value, run_id
    from usage_quarantine
    union all
    select dataset, source_file, file_key, arrival_date, line_no, field, reason, field_value, run_id
    from kpi_quarantine
    union all
    select dataset, source_file, file_key, arrival_date, line_no, field, reason, field_value, run_id
    from otel_quarantine
)

select * from unioned
