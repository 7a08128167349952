-- Every record that broke a raw contract, from every dataset: where it came from and why.
{%- set datasets = var('raw_datasets') %}
with unioned as (
    {%- for dataset in datasets %}
    select dataset, source_file, file_key, arrival_date, line_no, field, reason, field_value, run_id
    from {{ source('lake', dataset ~ '_quarantine') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from unioned
