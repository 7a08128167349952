{#
  The day partitions that lake files of some datasets (entries of raw_datasets) that arrived between first_day
  and last_day (SQL date expressions, inclusive) wrote rows to, read from the lake's file names
  (`<partition>=<day>/<arrival day>__<key>.part<n>.parquet`, orchestration/ingest/engine.py) without opening a
  file: a sorted list of 'YYYY-MM-DD'. A query that wants the rows of some arrival days filters the partitions
  by this list, and the engine opens only their files, not every file of the lake (one per landing file and day
  it held) to compare its arrival column. none where the engine cannot list files, while parsing, or when no
  file name matches: then every partition is read (a check never reads nothing because names were not understood).
#}
{% macro lake_days_arrived(datasets, first_day, last_day) -%}
    {{ return(adapter.dispatch('lake_days_arrived', 'genai_finops')(datasets, first_day, last_day)) }}
{%- endmacro %}

{% macro default__lake_days_arrived(datasets, first_day, last_day) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__lake_days_arrived(datasets, first_day, last_day) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set listings = [] -%}
    {%- for ds in datasets -%}
        {%- do listings.append("select file from glob('" ~ lake_dir() ~ "/" ~ ds.name ~ "/*/*__*.parquet')") -%}
    {%- endfor -%}
    {%- set sql -%}
        select distinct regexp_extract(file, '=([^/=]+)/[^/]+$', 1) as day
        from ({{ listings | join(' union all ') }}) as lake_files
        where try_cast(split_part(parse_filename(file), '__', 1) as date) between {{ first_day }} and {{ last_day }}
        order by 1
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values() | map('string') | list or none) }}
{%- endmacro %}
