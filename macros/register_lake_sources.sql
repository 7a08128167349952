{#
  The raw lake as sources. DuckDB reads the Parquet folders in place through each source's
  `external_location` (models/staging/lake/_lake__sources.yml), so it registers nothing. Engines with a catalog
  (Spark) get one external table per lake dataset, created at the start of every dbt invocation
  (on-run-start), so a source() resolves to `raw.<dataset>` there and no model needs engine-specific code.
  The tables are re-created each run: the catalog then always shows the partitions and columns the
  ingestion assets have written since (dropping an external table never deletes its files).
#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'genai_finops')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
    {# read in place: nothing to register #}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake_sources = graph.sources.values() | selectattr('source_name', 'equalto', 'lake') | list -%}
        {%- for schema in lake_sources | map(attribute='schema') | unique -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for src in lake_sources -%}
            {%- set table = src.schema ~ '.' ~ src.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                "create table " ~ table ~ " using parquet options (mergeSchema 'true') location '"
                ~ lake_dir() ~ "/" ~ src.name ~ "'"
            ) -%}
            {%- do run_query('alter table ' ~ table ~ ' recover partitions') -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
