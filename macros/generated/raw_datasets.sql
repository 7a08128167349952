{% macro raw_datasets(role=none) -%}
{#- generated from orchestration/datasets.py by `genai-finops generate-dbt`: do not edit.
    The raw datasets (one per landing format), optionally of one role: usage, usage_report, kpi, bill. -#}
    {%- set datasets = [
        {'name': 'usage_events', 'role': 'usage', 'staging_model': 'stg_canonical__usage_events'},
        {'name': 'kpi_events', 'role': 'kpi', 'staging_model': 'stg_canonical__kpi_events'},
        {'name': 'otel_spans', 'role': 'usage', 'staging_model': 'stg_otel__genai_spans'},
        {'name': 'bedrock_invocations', 'role': 'usage', 'staging_model': 'stg_bedrock__invocations'},
        {'name': 'litellm_spend_logs', 'role': 'usage', 'staging_model': 'stg_litellm__spend_logs'},
        {'name': 'anthropic_messages', 'role': 'usage', 'staging_model': 'stg_anthropic__messages'},
        {'name': 'openai_usage', 'role': 'usage_report', 'staging_model': 'stg_openai__usage_completions'},
        {'name': 'anthropic_usage', 'role': 'usage_report', 'staging_model': 'stg_anthropic__usage_report'},
        {'name': 'openai_costs', 'role': 'other', 'staging_model': 'stg_openai__costs'},
        {'name': 'anthropic_costs', 'role': 'other', 'staging_model': 'stg_anthropic__cost_report'},
        {'name': 'focus_charges', 'role': 'bill', 'staging_model': 'stg_focus__charges'},
        {'name': 'aws_cur', 'role': 'bill', 'staging_model': 'stg_aws__cur'},
        {'name': 'azure_cost_actual', 'role': 'bill', 'staging_model': 'stg_azure__cost_details'},
        {'name': 'azure_cost_amortized', 'role': 'bill', 'staging_model': 'stg_azure__cost_details'},
        {'name': 'gcp_billing', 'role': 'bill', 'staging_model': 'stg_gcp__billing'}
    ] -%}
    {%- if role is none -%}
        {{ return(datasets) }}
    {%- endif -%}
    {{ return(datasets | selectattr('role', 'equalto', role) | list) }}
{%- endmacro %}
