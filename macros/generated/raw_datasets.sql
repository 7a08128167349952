{% macro raw_datasets(role=none) -%}
{#- generated from orchestration/datasets.py by `genai-finops generate-dbt`: do not edit.
    The raw datasets (one per landing format), optionally of one role: usage, usage_report, kpi, bill; each
    with its lake's day column (partition), and `events`: its role is one of EVENT_ROLES (records with the
    day they happened, whose late days widen a run's window). -#}
    {%- set datasets = [
        {'name': 'usage_events', 'role': 'usage', 'staging_model': 'stg_canonical__usage_events', 'partition': 'event_date', 'events': true},
        {'name': 'kpi_events', 'role': 'kpi', 'staging_model': 'stg_canonical__kpi_events', 'partition': 'event_date', 'events': true},
        {'name': 'otel_spans', 'role': 'usage', 'staging_model': 'stg_otel__genai_spans', 'partition': 'event_date', 'events': true},
        {'name': 'bedrock_invocations', 'role': 'usage', 'staging_model': 'stg_bedrock__invocations', 'partition': 'event_date', 'events': true},
        {'name': 'litellm_spend_logs', 'role': 'usage', 'staging_model': 'stg_litellm__spend_logs', 'partition': 'event_date', 'events': true},
        {'name': 'anthropic_messages', 'role': 'usage', 'staging_model': 'stg_anthropic__messages', 'partition': 'event_date', 'events': true},
        {'name': 'openai_usage', 'role': 'usage_report', 'staging_model': 'stg_openai__usage_completions', 'partition': 'event_date', 'events': true},
        {'name': 'anthropic_usage', 'role': 'usage_report', 'staging_model': 'stg_anthropic__usage_report', 'partition': 'event_date', 'events': true},
        {'name': 'openai_costs', 'role': 'other', 'staging_model': 'stg_openai__costs', 'partition': 'event_date', 'events': false},
        {'name': 'anthropic_costs', 'role': 'other', 'staging_model': 'stg_anthropic__cost_report', 'partition': 'event_date', 'events': false},
        {'name': 'focus_charges', 'role': 'bill', 'staging_model': 'stg_focus__charges', 'partition': 'charge_date', 'events': false},
        {'name': 'aws_cur', 'role': 'bill', 'staging_model': 'stg_aws__cur', 'partition': 'charge_date', 'events': false},
        {'name': 'azure_cost_actual', 'role': 'bill', 'staging_model': 'stg_azure__cost_details', 'partition': 'charge_date', 'events': false},
        {'name': 'azure_cost_amortized', 'role': 'bill', 'staging_model': 'stg_azure__cost_details', 'partition': 'charge_date', 'events': false},
        {'name': 'gcp_billing', 'role': 'bill', 'staging_model': 'stg_gcp__billing', 'partition': 'charge_date', 'events': false}
    ] -%}
    {%- if role is none -%}
        {{ return(datasets) }}
    {%- endif -%}
    {{ return(datasets | selectattr('role', 'equalto', role) | list) }}
{%- endmacro %}
