"""OpenTelemetry GenAI spans from OTLP/JSON files -> canonical usage fields.

Reads collector file-exporter output (one ExportTraceServiceRequest per line) or a single JSON document,
in DuckDB. Only allow-listed attributes are ever selected (token counts, models, ids, attribution keys):
content attributes (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`,
tool arguments and results, retrieval text, flattened `gen_ai.prompt.N.content`, ...) never leave the
parser. A span is a model call when it carries usage counts and is not an agent/tool span; other spans
(HTTP, DB, agent and workflow spans) are not records, but agent and workflow spans lend their use-case
attributes to the calls of their trace, and the trace id groups calls into a transaction.

Token semantics (semantic conventions v1.41): input tokens include cache reads and cache creation;
reasoning tokens are part of output tokens. The deprecated `gen_ai.usage.prompt_tokens` /
`completion_tokens` and `gen_ai.system` are read when the current names are absent.
"""

from __future__ import annotations

import json
import os

# provider (gen_ai.provider.name / gen_ai.system, lower-cased) -> platform that serves and bills the call
PLATFORMS = {
    "openai": "openai",
    "azure.ai.openai": "azure_openai",
    "az.ai.openai": "azure_openai",
    "azure_openai": "azure_openai",
    "anthropic": "anthropic",
    "aws.bedrock": "aws_bedrock",
    "aws_bedrock": "aws_bedrock",
    "gcp.vertex_ai": "gcp_vertex",
    "gcp.gen_ai": "gcp_vertex",
    "vertex_ai": "gcp_vertex",
    "gcp.gemini": "google_ai_studio",
}

SPAN_KEYS = (
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.response.id",
    "gen_ai.conversation.id",
    "gen_ai.agent.id",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "openai.response.service_tier",
    "gen_ai.usage.cost.amount",
    "gen_ai.usage.cost.currency",
    "gen_ai.usage.cost.source",
    "gen_ai.usage.cost",
    "cloud.region",
    "error.type",
)
RESOURCE_KEYS = ("service.name", "deployment.environment.name", "deployment.environment", "cloud.region")
NON_CALL_OPERATIONS = ("invoke_agent", "create_agent", "execute_tool", "invoke_workflow")


def attribution_keys() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Attribute keys (span or resource) that carry the use case, the variant and the team; configurable."""

    def keys(env: str, default: str) -> tuple[str, ...]:
        return tuple(k.strip() for k in os.environ.get(env, default).split(",") if k.strip())

    return (
        keys("FINOPS_OTEL_USE_CASE_KEYS", "genai_finops.use_case,app.use_case,use_case"),
        keys("FINOPS_OTEL_VARIANT_KEYS", "genai_finops.variant,app.variant,variant"),
        keys("FINOPS_OTEL_TEAM_KEYS", "genai_finops.team,team"),
    )


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def otel_relation(texts: str, field_names: tuple[str, ...], carried: tuple[str, ...]) -> str:
    """SQL: the `carried` columns of `texts` (a relation of files: carried columns, content; they name the file),
    line_no, is_json_valid, is_object and raw_<field> text columns for each model-call span. A trace's agent
    spans lend their attribution to the calls of the same file only."""
    c = ", ".join(carried)
    ns = ", ".join(f"numbered_spans.{x}" for x in carried)
    sv = ", ".join(f"span_values.{x}" for x in carried)
    use_case_keys, variant_keys, team_keys = attribution_keys()
    span_keys = SPAN_KEYS + use_case_keys + variant_keys + team_keys
    resource_keys = RESOURCE_KEYS + use_case_keys + variant_keys + team_keys
    key_list = ", ".join(_q(k) for k in span_keys)
    res_key_list = ", ".join(_q(k) for k in resource_keys)

    provider = "coalesce(s_gen_ai_provider_name, s_gen_ai_system)"

    def attr(key: str) -> str:
        return f"max(case when a.k = {_q(key)} then a.v end)"

    def first(keys: tuple[str, ...], prefix: str) -> str:
        return "coalesce(" + ", ".join(f"{prefix}{_k(k)}" for k in keys) + ")" if keys else "null"

    platform_case = (
        "case lower(coalesce(s_gen_ai_provider_name, s_gen_ai_system)) "
        + " ".join(f"when {_q(k)} then {_q(v)}" for k, v in PLATFORMS.items())
        + " end"
    )
    value_text = "coalesce(attr.value.stringValue, attr.value.intValue, attr.value.doubleValue, attr.value.boolValue)"
    fields = {
        "event_id": "coalesce(s_gen_ai_response_id, trace_id || ':' || span_id)",
        "occurred_at": "strftime(make_timestamp(cast(start_ns // 1000 as bigint)), '%Y-%m-%dT%H:%M:%S.%fZ')",
        # an unknown provider keeps its name, so the record is quarantined with it rather than guessed
        "platform": f"coalesce({platform_case}, 'unknown:' || lower({provider}))",
        "model": "coalesce(s_gen_ai_response_model, s_gen_ai_request_model)",
        "region": "coalesce(s_cloud_region, r_cloud_region)",
        "service_tier": "lower(s_openai_response_service_tier)",
        "use_case_id": f"coalesce({first(use_case_keys, 's_')}, {first(use_case_keys, 'r_')}, trace_use_case)",
        "variant_id": f"coalesce({first(variant_keys, 's_')}, {first(variant_keys, 'r_')}, trace_variant)",
        "transaction_id": "trace_id",
        "conversation_id": "s_gen_ai_conversation_id",
        "team": f"coalesce({first(team_keys, 's_')}, {first(team_keys, 'r_')})",
        "environment": "coalesce(r_deployment_environment_name, r_deployment_environment)",
        "api_key_id": "r_service_name",
        "input_tokens": "coalesce(s_gen_ai_usage_input_tokens, s_gen_ai_usage_prompt_tokens)",
        "cached_input_tokens": "s_gen_ai_usage_cache_read_input_tokens",
        "cache_write_tokens": "s_gen_ai_usage_cache_creation_input_tokens",
        "output_tokens": "coalesce(s_gen_ai_usage_output_tokens, s_gen_ai_usage_completion_tokens)",
        "reasoning_tokens": "s_gen_ai_usage_reasoning_output_tokens",
        "status": "case when status_code = '2' or s_error_type is not null then 'error' else 'success' end",
        "latency_ms": "cast((end_ns - start_ns) // 1000000 as varchar)",
        # cost the span reports (kept apart from the computed cost): the proposed gen_ai.usage.cost.* attributes,
        # else OpenLIT's gen_ai.usage.cost (USD)
        "reported_cost": "coalesce(s_gen_ai_usage_cost_amount, s_gen_ai_usage_cost)",
        "reported_cost_currency": (
            "case when s_gen_ai_usage_cost_amount is not null then upper(s_gen_ai_usage_cost_currency) "
            "when s_gen_ai_usage_cost is not null then 'USD' end"
        ),
        "reported_cost_source": (
            "case when s_gen_ai_usage_cost_amount is not null then coalesce(s_gen_ai_usage_cost_source, 'otel') "
            "when s_gen_ai_usage_cost is not null then 'openlit' end"
        ),
    }
    select_fields = ",\n".join(
        f"cast({fields[n]} as varchar) as raw_{n}" if n in fields else f"cast(null as varchar) as raw_{n}"
        for n in field_names
    )
    span_cols = ",\n".join(f"{attr(k)} as s_{_k(k)}" for k in span_keys)
    res_cols = ",\n".join(f"max(case when ra.k = {_q(k)} then ra.v end) as r_{_k(k)}" for k in resource_keys)
    trace_use_case = first(use_case_keys, "s_")
    trace_variant = first(variant_keys, "s_")
    return f"""
        with raw as (
            {texts}
        ),
        split as (
            -- a single (pretty-printed) JSON document is one record; otherwise one document per line
            select {c}, case
                when json_valid(content) and not json_valid(string_split(content, chr(10))[1]) then [content]
                else string_split(replace(content, chr(13), ''), chr(10))
            end as l
            from raw
        ),
        lines as (
            select {c}, unnest(range(1, len(l) + 1)) as line_no, unnest(l) as line from split
        ),
        -- materialized: read twice (the objects parsed, the other lines kept as records to quarantine);
        -- inlined into both, every line of every file was split, validated and typed twice
        docs as materialized (
            select {c}, line_no, line, json_valid(line) as is_json_valid,
                   case when json_valid(line) then json_type(line::json) = 'OBJECT' else false end as is_object
            from lines
            where trim(line) <> ''
        ),
        parsed as (
            -- each document parsed once into the parts read below (a part of another shape is null)
            select {c}, line_no, from_json(line, {_q(OTLP_SHAPE)}) as doc
            from docs where is_object
        ),
        resource_spans as (
            select {c}, line_no, unnest(doc.resourceSpans) as rs
            from parsed
        ),
        resources as (
            select {c}, line_no, rs, row_number() over () as resource_no from resource_spans
        ),
        resource_attrs as (
            select resource_no, attr.key as k, {value_text} as v
            from (select resource_no, unnest(rs.resource.attributes) as attr from resources)
            where attr.key in ({res_key_list})
        ),
        resource_values as (
            select resources.resource_no, {res_cols}
            from resources
            left join resource_attrs as ra on resources.resource_no = ra.resource_no
            group by 1
        ),
        spans as (
            select {c}, line_no, resource_no, unnest(ss.spans) as span
            from (select {c}, line_no, resource_no, unnest(rs.scopeSpans) as ss from resources)
        ),
        numbered_spans as (
            select
                {c}, line_no, resource_no, span,
                row_number() over () as span_no,
                span.traceId as trace_id,
                span.spanId as span_id,
                try_cast(span.startTimeUnixNano as hugeint) as start_ns,
                try_cast(span.endTimeUnixNano as hugeint) as end_ns,
                span.status.code as status_code
            from spans
        ),
        span_attrs as (
            select span_no, attr.key as k, {value_text} as v
            from (select span_no, unnest(span.attributes) as attr from numbered_spans)
            where attr.key in ({key_list})
        ),
        span_values as (
            select
                {ns}, numbered_spans.line_no, numbered_spans.resource_no, numbered_spans.span_no,
                numbered_spans.trace_id, numbered_spans.span_id, numbered_spans.start_ns,
                numbered_spans.end_ns, numbered_spans.status_code,
                {span_cols}
            from numbered_spans
            left join span_attrs as a on numbered_spans.span_no = a.span_no
            group by all
        ),
        with_trace as (
            select
                span_values.*,
                resource_values.* exclude (resource_no),
                -- agent / workflow spans lend their attribution to the calls of their trace
                max({trace_use_case}) over (partition by {sv}, trace_id) as trace_use_case,
                max({trace_variant}) over (partition by {sv}, trace_id) as trace_variant
            from span_values
            left join resource_values on span_values.resource_no = resource_values.resource_no
        ),
        calls as (
            select *
            from with_trace
            where coalesce(s_gen_ai_usage_input_tokens, s_gen_ai_usage_prompt_tokens,
                           s_gen_ai_usage_output_tokens, s_gen_ai_usage_completion_tokens) is not null
              and coalesce(s_gen_ai_operation_name, '') not in ({", ".join(_q(o) for o in NON_CALL_OPERATIONS)})
        )
        select {c}, line_no, true as is_json_valid, true as is_object,
        {select_fields}
        from calls
        union all
        select {c}, line_no, is_json_valid, is_object,
        {", ".join(f"cast(null as varchar) as raw_{n}" for n in field_names)}
        from docs
        where not is_object
    """


_ATTRIBUTES = [
    {
        "key": "VARCHAR",
        # OTLP/JSON: an int64 as a string (or a number), the others as JSON values; each read as its text
        "value": {"stringValue": "VARCHAR", "intValue": "VARCHAR", "doubleValue": "VARCHAR", "boolValue": "VARCHAR"},
    }
]
_SPAN = {
    "traceId": "VARCHAR",
    "spanId": "VARCHAR",
    "startTimeUnixNano": "VARCHAR",
    "endTimeUnixNano": "VARCHAR",
    "status": {"code": "VARCHAR"},
    "attributes": _ATTRIBUTES,
}
# the parts of an ExportTraceServiceRequest the relation reads, for DuckDB's from_json (content is not among them)
OTLP_SHAPE = json.dumps(
    {"resourceSpans": [{"resource": {"attributes": _ATTRIBUTES}, "scopeSpans": [{"spans": [_SPAN]}]}]}
)


def _k(key: str) -> str:
    return key.replace(".", "_")
