-- Every record that broke a raw contract, from every dataset: where it came from and why.
with unioned as (
    {%- for ds in raw_datasets() %}
    select
        dataset,
        source_file,
        file_key,
        cast(arrival_date as date) as arrival_date,
        line_no,
        field,
        reason,
        field_value,
        run_id
    from {{ source('lake', ds.name ~ '_quarantine') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from unioned
