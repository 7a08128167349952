{% macro usage_sources(kind) -%}
{#- The staging models that feed int_usage_events, in one place: 'per_request' sources (one row per call,
    request_count 1) and aggregated 'reports' (one row per bucket; counted only where no per-request source
    covers the platform and day). Returns their relations, so callers loop instead of listing them. -#}
{%- set models = {
    'per_request': [
        'stg_canonical__usage_events',
        'stg_otel__genai_spans',
        'stg_bedrock__invocations',
        'stg_litellm__spend_logs',
        'stg_anthropic__messages',
    ],
    'reports': ['stg_openai__usage_completions', 'stg_anthropic__usage_report'],
} -%}
{%- set relations = [] -%}
{%- for name in models[kind] -%}
{%- do relations.append(ref(name)) -%}
{%- endfor -%}
{{ return(relations) }}
{%- endmacro %}
