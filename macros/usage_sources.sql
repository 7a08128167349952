{% macro usage_sources(role) -%}
{#- The staging models of the raw datasets of one role, as relations to loop over: 'usage' (per-request
    sources, one row per call) or 'usage_report' (aggregated buckets, counted only where no per-request source
    covers the platform and day). The list comes from the dataset registry (raw_datasets). -#}
    {%- set names = [] -%}
    {%- for ds in raw_datasets(role) if ds.staging_model not in names -%}
        {%- do names.append(ds.staging_model) -%}
    {%- endfor -%}
    {%- set relations = [] -%}
    {%- for name in names -%}
        {%- do relations.append(ref(name)) -%}
    {%- endfor -%}
    {{ return(relations) }}
{%- endmacro %}
