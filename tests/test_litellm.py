"""LiteLLM proxy spend logs, as JSON lines and as CSV: token semantics, provider prefixes, attribution,
quarantine with line numbers, and prompts never stored."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from tests.conftest import FIXTURES, assert_never_stored, query, run_dbt

pytestmark = pytest.mark.dbt

LITELLM_SPEND_LOGS = dataset("litellm_spend_logs")

M = D("0.000001")
SECRETS = (b"LITELLM-SECRET-PROMPT-BLORB", b"LITELLM-SECRET-ANSWER-XYZZY", b"grace@example.com", b"heidi@example.com")


@pytest.fixture(scope="module", params=["json", "csv"])
def spend_logs(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"litellm_{request.param}")
    landing = FIXTURES / "litellm" / request.param
    [result] = ingest_day(LITELLM_SPEND_LOGS, "2026-01-10", str(landing), str(work / "lake"), "salt")
    run_dbt(work, "build", "--select", "+fct_genai_requests", "staging.lake", "--exclude", "test_type:data")
    return work, result, request.param, landing


def test_read_loaded_quarantined(spend_logs):
    work, result, fmt, _ = spend_logs
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (3, 2, 1)
    # the third record's prompt_tokens is -5: line 3 of the JSON file, line 4 of the CSV (after its header)
    line = 3 if fmt == "json" else 4
    assert query(work, "select line_no, field, reason from staging.stg_lake__quarantine") == [
        (line, "prompt_tokens", "negative_value")
    ]


def test_normalised_and_priced(spend_logs):
    work = spend_logs[0]
    rows = {
        r[0]: r[1:]
        for r in query(
            work,
            "select event_id, platform, model_id, region_scope, input_tokens, cached_input_tokens, cache_write_tokens, "
            "output_tokens, use_case_id, variant_id, ttft_ms, latency_ms, list_equivalent_cost_usd "
            "from marts.fct_genai_requests",
        )
    }
    openai = rows["chatcmpl-lite-1"]
    assert openai[:11] == (
        "openai",
        "gpt-4o",
        "global",
        1200,
        1000,
        0,
        300,
        "sales_email_writer",
        "control_gpt41",
        400,
        2500,
    )
    # 200 uncached x 2.50 + 1,000 cached x 1.25 + 300 output x 10 per 1M tokens
    assert openai[11] == 200 * D("2.5") * M + 1000 * D("1.25") * M + 300 * D(10) * M
    bedrock = rows["lite-2"]
    # 'bedrock/' prefix dropped; the us. profile is a geo scope; 1,500 of the 2,000 input tokens were cache writes
    assert bedrock[:7] == ("aws_bedrock", "claude-sonnet-4-5", "geo", 2000, 0, 1500, 100)
    assert bedrock[11] == 500 * D("3.3") * M + 1500 * D("4.125") * M + 100 * D("16.5") * M


def test_prompts_and_users_never_stored(spend_logs):
    work, _, _, landing = spend_logs
    assert_never_stored(SECRETS, landing, work)
