{#
  The day partitions that lake files of one role's datasets arrived in between first_day and last_day
  (inclusive) wrote rows to, read from the lake's file names (`<partition>=<day>/<arrival day>__<key>.part<n>.parquet`,
  orchestration/ingest/engine.py) without opening a file: a sorted list of 'YYYY-MM-DD'. A query that wants the
  rows of some arrival days filters its partitions by this list, and the engine opens only their files instead of
  every file of the lake to compare each one's arrival column (a day on top of 100M events: ~28,000 files).
  none where the engine cannot list files or nothing is executing (parsing): then every partition is read.
#}
{% macro lake_days_arrived(role, first_day, last_day) -%}
    {{ return(adapter.dispatch('lake_days_arrived', 'genai_finops')(role, first_day, last_day)) }}
{%- endmacro %}

{% macro default__lake_days_arrived(role, first_day, last_day) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__lake_days_arrived(role, first_day, last_day) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set listings = [] -%}
    {%- for ds in raw_datasets(role) -%}
        {%- do listings.append("select file from glob('" ~ lake_dir() ~ "/" ~ ds.name ~ "/*/*__*.parquet')") -%}
    {%- endfor -%}
    {%- set sql -%}
        select distinct regexp_extract(file, '=([^/=]+)/[^/]+$', 1) as day
        from ({{ listings | join(' union all ') }}) as lake_files
        where split_part(parse_filename(file), '__', 1) between '{{ first_day }}' and '{{ last_day }}'
        order by 1
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values() | map('string') | list) }}
{%- endmacro %}
