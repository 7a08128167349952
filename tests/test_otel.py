"""OpenTelemetry GenAI spans: the reader against the reference OTLP files and a fixture with deprecated
attributes, agent and non-GenAI spans, a broken line and an unknown provider; prompt text never stored."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal as D

import duckdb
import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from tests.conftest import FIXTURES, FORMATS, assert_never_stored, query, run_dbt

pytestmark = pytest.mark.dbt

OTEL_SPANS = dataset("otel_spans")

REFERENCE = FORMATS / "otel_genai_traces"
SECRETS = (
    b"SECRET-PROMPT-XYZZY",
    b"SYSTEM-SECRET-PLUGH",
    b"ANSWER-SECRET-FROTZ",
    b"FLATTENED-SECRET-QUUX",
    b"carol@example.com",
)
M = D("0.000001")


def _lake_rows(lake):
    return duckdb.sql(
        f"select event_id, platform, model, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, "
        f"reasoning_tokens, use_case_id, variant_id, transaction_id, latency_ms, status, api_key_id "
        f"from read_parquet('{lake}/otel_spans/*/*.parquet', hive_partitioning = true) "
        "where event_date > '1970-01-01' order by event_id"
    ).fetchall()


def test_reference_otlp_file_exporter_sample(tmp_path):
    day = tmp_path / "landing" / "otel_spans" / "day=2024-05-06"
    day.mkdir(parents=True)
    shutil.copy(REFERENCE / "otlp_file_exporter_genai_CONSTRUCTED.jsonl", day)
    shutil.copy(REFERENCE / "opentelemetry-proto_examples_trace.json", day)  # a single document, no GenAI span
    results = ingest_day(OTEL_SPANS, "2024-05-06", str(tmp_path / "landing"), str(tmp_path / "lake"), "salt")
    counts = {
        r.source_file.rsplit("/", 1)[1]: (r.records_read, r.records_loaded, r.records_quarantined) for r in results
    }
    assert counts == {
        "otlp_file_exporter_genai_CONSTRUCTED.jsonl": (2, 2, 0),
        "opentelemetry-proto_examples_trace.json": (0, 0, 0),
    }
    rows = _lake_rows(tmp_path / "lake")
    # span 1: OpenAI, 52 in / 47 out; span 2: Anthropic 175 in (incl. 50 cache read + 25 cache
    # creation), 180 out incl. 50 reasoning
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows] == [
        (
            "5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174",
            "anthropic",
            "claude-sonnet-4-5-20250929",
            175,
            50,
            25,
            180,
            50,
        ),
        ("chatcmpl-9J3uIL87gldCFtiIbyaOvTeYBRA3l", "openai", "gpt-4-0613", 52, None, None, 47, None),
    ]
    assert [r[11] for r in rows] == [2500, 1200]  # end - start


@pytest.fixture(scope="module")
def otel_warehouse(tmp_path_factory):
    work = tmp_path_factory.mktemp("otel")
    shutil.copytree(FIXTURES / "otel", work / "landing" / "otel_spans")
    results = ingest_day(OTEL_SPANS, "2026-01-12", str(work / "landing"), str(work / "lake"), "salt")
    run_dbt(work, "build", "--select", "+fct_genai_requests", "staging.lake", "--exclude", "test_type:data")
    return work, results


def test_fixture_records_read_loaded_quarantined(otel_warehouse):
    work, results = otel_warehouse
    counts = {
        r.source_file.rsplit("/", 1)[1]: (r.records_read, r.records_loaded, r.records_quarantined) for r in results
    }
    # spans.jsonl: 2 model calls loaded (agent and HTTP spans are not records), 1 broken line, 1 unknown provider
    assert counts["spans.jsonl"] == (4, 2, 2)
    assert counts["opentelemetry-proto_examples_trace.json"] == (0, 0, 0)
    quarantined = query(
        work, "select line_no, field, reason, field_value from staging.stg_lake__quarantine order by line_no"
    )
    assert quarantined == [(3, None, "invalid_json", None), (4, "platform", "unknown_value", "unknown:cohere")]


def test_fixture_normalised_and_attributed(otel_warehouse):
    work, _ = otel_warehouse
    rows = query(
        work,
        "select event_id, platform, model_id, input_tokens, cached_input_tokens, output_tokens, use_case_id, "
        "variant_id, environment, status, list_equivalent_cost_usd from marts.fct_genai_requests order by event_id",
    )
    by_id = {r[0]: r for r in rows}
    claude = by_id["msg_otel_1"]
    # use case from the resource, variant from the agent span of the same trace
    assert claude[1:10] == (
        "anthropic",
        "claude-sonnet-4-5",
        1200,
        1000,
        200,
        "support_chatbot",
        "v2",
        "production",
        "success",
    )
    # 200 uncached x $3 + 1,000 cached x $0.30 + 200 output x $15 per 1M tokens
    assert claude[10] == 200 * D(3) * M + 1000 * D("0.3") * M + 200 * D(15) * M
    [legacy] = [r for r in rows if r[0] != "msg_otel_1"]
    # deprecated attributes: gen_ai.system 'OpenAI', prompt/completion tokens, string intValues
    assert legacy[1:8] == ("openai", "gpt-4o", 300, 0, 40, "sales_email_writer", "default")
    assert legacy[9] == "success"  # status code 1 is OK
    assert legacy[10] == 300 * D("2.5") * M + 40 * D(10) * M


def test_no_prompt_text_or_user_identity_anywhere(otel_warehouse):
    work, _ = otel_warehouse
    assert_never_stored(SECRETS, work / "landing", work)


def test_attribute_values_as_strings_or_json_numbers_read_alike(tmp_path):
    """OTLP/JSON writes an int64 as a string, some exporters as a number; a double as a number; the status code
    as a number or a name. Each is read as its value, and a part of another shape (attributes given as an object)
    is no attribute rather than a broken file."""

    def span(span_id: str, tokens_in, tokens_out, cost, code, attributes_extra=()) -> dict:
        return {
            "traceId": "cccc0000000000000000000000000001",
            "spanId": span_id,
            "startTimeUnixNano": "1768219200000000000",
            "endTimeUnixNano": 1768219201500000000,
            "status": {"code": code},
            "attributes": [
                {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
                {"key": "gen_ai.response.model", "value": {"stringValue": "gpt-4o-2024-08-06"}},
                {"key": "gen_ai.response.id", "value": {"stringValue": f"resp_{span_id}"}},
                {"key": "gen_ai.usage.input_tokens", "value": {"intValue": tokens_in}},
                {"key": "gen_ai.usage.output_tokens", "value": {"intValue": tokens_out}},
                {"key": "gen_ai.usage.cost", "value": {"doubleValue": cost}},
                *attributes_extra,
            ],
        }

    document = {
        "resourceSpans": [
            {
                "resource": {"attributes": {"key": "service.name"}},  # an object, not a list: no attribute
                "scopeSpans": [
                    {
                        "spans": [
                            span("s1", "1200", "80", 0.0042, 2),
                            span("s2", 1200, 80, 4.2e-3, "STATUS_CODE_OK"),
                        ]
                    }
                ],
            }
        ]
    }
    day = tmp_path / "landing" / "otel_spans" / "day=2026-01-12"
    day.mkdir(parents=True)
    (day / "spans.jsonl").write_text(json.dumps(document) + "\n")
    [result] = ingest_day(OTEL_SPANS, "2026-01-12", str(tmp_path / "landing"), str(tmp_path / "lake"), "salt")
    assert (result.records_read, result.records_loaded) == (2, 2)
    rows = duckdb.sql(
        "select event_id, input_tokens, output_tokens, reported_cost, status, latency_ms, api_key_id "
        f"from read_parquet('{tmp_path}/lake/otel_spans/*/*.parquet') where event_date > '1970-01-01' order by 1"
    ).fetchall()
    assert rows == [
        ("resp_s1", 1200, 80, D("0.0042"), "error", 1500, None),
        ("resp_s2", 1200, 80, D("0.0042"), "success", 1500, None),
    ]
