"""Provider-reported cost beside the computed cost: the OpenAI Costs API and Anthropic cost report readers (the
reference samples, amounts exact), OpenTelemetry cost attributes (the proposed gen_ai.usage.cost.* and OpenLIT's
gen_ai.usage.cost), and the staging models that keep them apart from the price book."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal as D

import duckdb
import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from tests.conftest import FORMATS, query, run_dbt


def _lake(tmp_path, name: str, columns: str):
    return duckdb.execute(
        f"select {columns} from read_parquet('{tmp_path}/lake/{name}/*/*.parquet', hive_partitioning = true, "
        "union_by_name = true) where event_date > '1970-01-01' order by all"
    ).fetchall()


@pytest.mark.unit
@pytest.mark.parametrize(
    "name", ["costs_response_example_latest_f85dbe22.json", "costs_response_example_prev_a3276900.json"]
)
def test_openai_costs_pages(tmp_path, name):
    day = tmp_path / "landing" / "openai_costs" / "day=2024-11-02"
    day.mkdir(parents=True)
    shutil.copy(FORMATS / "openai_usage_costs" / name, day)
    [r] = ingest_day(dataset("openai_costs"), "2024-11-02", str(tmp_path / "landing"), str(tmp_path / "lake"), "s")
    assert (r.records_read, r.records_loaded, r.records_quarantined) == (1, 1, 0)
    [row] = _lake(tmp_path, "openai_costs", "amount, currency, line_item, cast(bucket_start as varchar)")
    assert row == (D("0.0600000000"), "usd", None, "2024-11-01 00:00:00")


@pytest.mark.unit
def test_anthropic_cost_report_amount_in_cents_read_exactly(tmp_path):
    day = tmp_path / "landing" / "anthropic_costs" / "day=2025-08-02"
    day.mkdir(parents=True)
    shutil.copy(FORMATS / "anthropic_usage" / "admin_cost_report_CONSTRUCTED.json", day)
    [r] = ingest_day(dataset("anthropic_costs"), "2025-08-02", str(tmp_path / "landing"), str(tmp_path / "lake"), "s")
    assert (r.records_read, r.records_loaded, r.records_quarantined) == (1, 1, 0)
    [row] = _lake(tmp_path, "anthropic_costs", "amount, currency, model, token_type, cost_type")
    assert row == (D("123.4500000000"), "USD", "claude-sonnet-4-5-20250929", "uncached_input_tokens", "tokens")


def _span(span_id: str, attributes: list[dict]) -> dict:
    base = [
        {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-2024-08-06"}},
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "100"}},
        {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "10"}},
    ]
    return {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": span_id,
        "name": "chat gpt-4o",
        "kind": 3,
        "startTimeUnixNano": "1768039200000000000",
        "endTimeUnixNano": "1768039201000000000",
        "attributes": base + attributes,
        "status": {},
    }


@pytest.mark.unit
def test_otel_cost_attributes_kept_with_their_source(tmp_path):
    spans = [
        _span(
            "0000000000000001",
            [
                {"key": "gen_ai.usage.cost.amount", "value": {"doubleValue": 0.0123}},
                {"key": "gen_ai.usage.cost.currency", "value": {"stringValue": "usd"}},
                {"key": "gen_ai.usage.cost.source", "value": {"stringValue": "litellm"}},
            ],
        ),
        _span("0000000000000002", [{"key": "gen_ai.usage.cost", "value": {"doubleValue": 0.5}}]),
        _span("0000000000000003", []),
    ]
    doc = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": spans}]}]}
    day = tmp_path / "landing" / "otel_spans" / "day=2026-01-10"
    day.mkdir(parents=True)
    (day / "spans.jsonl").write_text(json.dumps(doc) + "\n")
    [r] = ingest_day(dataset("otel_spans"), "2026-01-10", str(tmp_path / "landing"), str(tmp_path / "lake"), "s")
    assert (r.records_read, r.records_loaded, r.records_quarantined) == (3, 3, 0)
    rows = _lake(tmp_path, "otel_spans", "event_id, reported_cost, reported_cost_currency, reported_cost_source")
    assert [row[1:] for row in rows] == [
        (D("0.0123000000"), "USD", "litellm"),
        (D("0.5000000000"), "USD", "openlit"),
        (None, None, None),
    ]


@pytest.mark.dbt
def test_staging_keeps_reported_cost_apart_in_dollars(tmp_path):
    """The Anthropic report's cents become dollars exactly; the OpenAI line item gives model and token type; the
    reported costs reach int_reported_costs_daily and int_reported_call_costs, never the computed cost."""
    landing = tmp_path / "landing"
    for folder, src in (
        ("anthropic_costs/day=2025-08-02", FORMATS / "anthropic_usage" / "admin_cost_report_CONSTRUCTED.json"),
        ("openai_costs/day=2024-11-02", None),
    ):
        (landing / folder).mkdir(parents=True)
        if src:
            shutil.copy(src, landing / folder)
    page = {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": 1730419200,
                "end_time": 1730505600,
                "results": [
                    {
                        "object": "organization.costs.result",
                        "amount": {"value": 1.25, "currency": "usd"},
                        "line_item": "gpt-4o-2024-08-06, input",
                        "project_id": "proj_a",
                    },
                    {
                        "object": "organization.costs.result",
                        "amount": {"value": 0.0000000001, "currency": "usd"},
                        "line_item": "gpt-4o-2024-08-06, output",
                        "project_id": "proj_a",
                    },
                ],
            }
        ],
        "has_more": False,
        "next_page": None,
    }
    (landing / "openai_costs/day=2024-11-02/page.json").write_text(json.dumps(page))
    ingest_day(dataset("anthropic_costs"), "2025-08-02", str(landing), str(tmp_path / "lake"), "s")
    ingest_day(dataset("openai_costs"), "2024-11-02", str(landing), str(tmp_path / "lake"), "s")
    run_dbt(tmp_path, "build", "--select", "+int_reported_costs_daily", "--exclude", "test_type:unit")
    assert query(tmp_path, "select raw_model, token_type, reported_cost from staging.stg_anthropic__cost_report") == [
        ("claude-sonnet-4-5-20250929", "uncached_input_tokens", D("1.2345000000"))
    ]
    assert query(
        tmp_path, "select raw_model, token_type, reported_cost from staging.stg_openai__costs order by token_type"
    ) == [
        ("gpt-4o-2024-08-06", "input", D("1.2500000000")),
        ("gpt-4o-2024-08-06", "output", D("0.0000000001")),
    ]
    assert query(
        tmp_path,
        "select platform, model_id, cast(day as varchar), reported_source, reported_cost "
        "from intermediate.int_reported_costs_daily order by platform",
    ) == [
        ("anthropic", "claude-sonnet-4-5", "2025-08-01", "anthropic_cost_report", D("1.2345000000")),
        ("openai", "gpt-4o", "2024-11-01", "openai_costs_api", D("1.2500000001")),
    ]
