"""The same generated traffic, emitted as canonical events or as the formats real systems emit (OTel spans,
Bedrock invocation logs), gives the same priced totals."""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.engine import ingest_day, landing_days
from orchestration.sample_data.generator import generate
from tests.conftest import query, run_dbt

pytestmark = pytest.mark.slow


def _build(work, real_formats):
    generate(work / "landing", events=15_000, days=30, start=date(2026, 1, 1), seed=5, real_formats=real_formats)
    for contract in CONTRACTS.values():
        for day in landing_days(str(work / "landing"), contract.dataset):
            ingest_day(contract, day, str(work / "landing"), str(work / "lake"), "salt")
    run_dbt(work, "build", "--select", "+fct_genai_requests", "--exclude", "test_type:data")
    return {
        (u, s): (n, le, eff, cap, tin, tout)
        for u, s, n, le, eff, cap, tin, tout in query(
            work,
            "select use_case_id, source_format, count(*), sum(list_equivalent_cost_usd), sum(effective_cost_usd), "
            "sum(capacity_cost_usd), sum(input_tokens), sum(output_tokens) from marts.fct_genai_requests group by 1, 2",
        )
    }


def test_canonical_and_real_formats_price_the_same(tmp_path):
    canonical = _build(tmp_path / "canonical", False)
    real = _build(tmp_path / "real", True)
    # the two use cases moved to real formats
    assert ("support_chatbot", "otel") in real and ("contract_extractor", "bedrock_invocation") in real
    assert ("support_chatbot", "canonical") not in real
    moved = {"support_chatbot": "otel", "contract_extractor": "bedrock_invocation"}
    for (use_case, source), figures in canonical.items():
        assert source == "canonical"
        assert real[(use_case, moved.get(use_case, "canonical"))] == figures, use_case
