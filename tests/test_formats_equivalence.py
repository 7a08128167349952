"""The same generated traffic, emitted as canonical events or as the formats real systems emit (OTel spans,
Bedrock invocation logs, LiteLLM spend logs, Anthropic message usage), gives the same priced totals; the
providers' usage reports written beside them reconcile with the per-request rows and are not counted twice."""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.datasets import DATASETS
from orchestration.ingest.engine import ingest_days
from orchestration.ingest.landing import list_dataset
from orchestration.tools.sample_data.generator import generate
from tests.conftest import query, run_dbt

pytestmark = pytest.mark.dbt


def _build(work, real_formats):
    generate(work / "landing", events=15_000, days=30, start=date(2026, 1, 1), seed=5, real_formats=real_formats)
    for ds in DATASETS:
        days = list_dataset(str(work / "landing"), ds.landing).days
        ingest_days(ds, days, str(work / "landing"), str(work / "lake"), "salt")
    run_dbt(
        work, "build", "--select", "+fct_genai_requests", "+rpt_usage_report_coverage", "--exclude", "test_type:data"
    )
    return {
        (u, s): (n, le, eff, cap, tin, tout)
        for u, s, n, le, eff, cap, tin, tout in query(
            work,
            "select use_case_id, source_format, count(*), sum(list_equivalent_cost_usd), sum(effective_cost_usd), "
            "sum(capacity_cost_usd), sum(input_tokens), sum(output_tokens) from marts.fct_genai_requests group by 1, 2",
        )
    }


MOVED = {
    "support_chatbot": "otel",
    "contract_extractor": "bedrock_invocation",
    "sales_email_writer": "litellm_spend",
    "doc_summarizer": "anthropic_message",
}


def test_canonical_and_real_formats_price_the_same(tmp_path):
    canonical = _build(tmp_path / "canonical", False)
    real = _build(tmp_path / "real", True)
    # the four use cases moved to real formats, and nothing else: the usage reports add no rows
    assert {s for _, s in real} == {"canonical", *MOVED.values()}
    assert all((use_case, "canonical") not in real for use_case in MOVED)
    assert len(real) == len(canonical)
    for (use_case, source), figures in canonical.items():
        assert source == "canonical"
        assert real[(use_case, MOVED.get(use_case, "canonical"))] == figures, use_case
    # the reports cover every day of OpenAI and Anthropic traffic and agree with the per-request rows
    coverage = query(
        tmp_path / "real",
        "select platform, coverage, count(*), sum(abs(input_tokens_gap)), "
        "sum(abs(report_output_tokens - per_request_output_tokens)), "
        "sum(abs(coalesce(report_requests, per_request_requests) - per_request_requests)) "
        "from marts.rpt_usage_report_coverage where platform in ('openai', 'anthropic') group by 1, 2 order by 1",
    )
    assert coverage == [
        ("anthropic", "both: per-request counted", 30, 0, 0, 0),
        ("openai", "both: per-request counted", 30, 0, 0, 0),
    ]
