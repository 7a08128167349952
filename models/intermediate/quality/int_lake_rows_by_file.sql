{{ config(materialized='incremental', on_schema_change='fail', **window_replace_config('arrival_date', lookback=false)) }}
{%- set windowed = is_incremental() and window_var('min_date') and window_var('max_date') %}
{%- set start = incremental_window_start('arrival_date', lookback=false) if is_incremental() else none %}
{%- set last_day = "cast('" ~ window_var('max_date') ~ "' as date)" %}
{%- set arrived_days = lake_days_arrived(raw_datasets(), start, last_day) if windowed else none %}
-- One row per landing file with rows in the lake: its dataset, source file, arrival day and the rows it has in
-- the lake (for rpt_ingestion_reconciliation). Incremental by arrival day: a run rebuilds the files that
-- arrived in its window (incremental_window on the arrival day: from min_date, or from the oldest late day),
-- and reads them from the day partitions those files wrote to (found from the lake's file names, macro
-- lake_days_arrived), so a daily run counts its own files' rows, not every row of the lake. A first build
-- counts every file.
{%- for ds in raw_datasets() %}
select
    '{{ ds.name }}' as dataset,
    _source_file as source_file,
    _arrival_date as arrival_date,
    count(*) as lake_rows
from {{ source('lake', ds.name) }}
{%- if start %}
where {{ incremental_window('_arrival_date', this_date_column='arrival_date', lookback=false) }}
    {%- if arrived_days is not none %}
    and {{ ds.partition }} in ({{ date_literals(arrived_days) }})
    {%- endif %}
{%- endif %}
group by 1, 2, 3
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
