"""The three-way reconciliation on the generated billing data: the providers' cost reports (written from the same
usage lines as their bills) agree with the bills to the cent, LiteLLM's per-call spend is carried exactly as the
logs report it and never priced into the computed cost, every OpenAI request the Usage API counted is logged,
and the Great Expectations check passes."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.quality.validation import three_way_outcome
from tests.conftest import query

pytestmark = pytest.mark.pipeline


def test_cost_reports_agree_with_the_bills(billed):
    work, _, _, success = billed
    assert success
    rows = query(
        work,
        "select platform, count(*), sum(provider_reported_cost), sum(billed_usage_cost), "
        "count(*) filter (where billed_vs_reported <> 0) "
        "from marts.rpt_three_way_reconciliation_daily where provider_reported_cost is not null "
        "and billed_usage_cost is not null group by 1 order by 1",
    )
    assert [r[0] for r in rows] == ["anthropic", "openai"]
    for platform, n, reported, billed_usage, differing in rows:
        assert n > 0 and reported == billed_usage and differing == 0, platform


def test_per_call_spend_is_carried_exactly_and_kept_apart(billed):
    work, _, _, _ = billed
    [(from_logs, lines)] = duckdb.execute(
        "select sum(cast(spend as decimal(38, 10))), count(*) from read_json("
        f"'{work}/landing/litellm_spend_logs/*/*.jsonl', columns = {{spend: 'VARCHAR'}})"
    ).fetchall()
    [(reported, calls)] = query(
        work,
        "select sum(per_call_reported_cost), sum(per_call_reported_requests) "
        "from marts.rpt_three_way_reconciliation_daily",
    )
    assert from_logs > 0 and reported == from_logs
    [(computed,)] = query(
        work, "select sum(effective_cost_usd) from marts.fct_genai_requests where source_format = 'litellm_spend'"
    )
    [(per_call_computed,)] = query(
        work, "select sum(per_call_computed_cost) from marts.rpt_three_way_reconciliation_daily"
    )
    # the computed side of those calls is the price book's, not LiteLLM's estimate
    assert per_call_computed == computed and per_call_computed != reported
    assert calls == lines  # log lines that report a cost (a call logged twice reports it twice)


def test_every_counted_openai_request_is_logged(billed):
    work, _, _, _ = billed
    rows = query(
        work,
        "select sum(provider_requests), sum(logged_requests), count(*) filter (where unlogged_requests <> 0) "
        "from marts.rpt_three_way_reconciliation_daily where platform = 'openai' and provider_requests is not null",
    )
    provider, logged, gaps = rows[0]
    assert provider > 0 and provider == logged and gaps == 0


def test_great_expectations_check_passes_and_can_fail(billed, tmp_path):
    work, _, _, _ = billed
    outcome = three_way_outcome(str(work / "warehouse.duckdb"), 1.0)
    assert outcome.rows > 0 and outcome.failures == []
    # a copy where one day's OpenAI report is 5% above the bill: the check warns on that day
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes((work / "warehouse.duckdb").read_bytes())
    con = duckdb.connect(str(copy))
    con.execute(
        "update marts.rpt_three_way_reconciliation_daily set provider_reported_cost = billed_usage_cost * 1.05 "
        "where platform = 'openai' and day = (select min(day) from marts.rpt_three_way_reconciliation_daily "
        "where platform = 'openai' and billed_usage_cost > 1 and provider_reported_cost is not null) "
        "and provider_reported_cost is not null"
    )
    con.close()
    outcome = three_way_outcome(str(copy), 1.0)
    assert [(f.column, f.severity, f.unexpected_count) for f in outcome.failures] == [
        ("billed_vs_reported_pct_abs", "warn", 1)
    ]
