"""Billing exports generated for the demo traffic, reconciled against the cost computed from usage: every
discrepancy the generator planted is found and put in its category, and nothing else is left unexplained."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import duckdb
import pytest

from orchestration.tools.sample_data.scenario import BILLING_INCIDENTS as B
from tests.conftest import query

pytestmark = pytest.mark.pipeline

START, DAYS = date(2026, 1, 1), 60  # the `billed` fixture's window
CENT = D("0.01")


@pytest.fixture(scope="module")
def reconciled(billed):
    work, _, instance, ok = billed
    return work, instance, ok


def _daily(work, where):
    return query(
        work,
        "select platform, model_id, day, variance, explained_corrections, explained_capacity, explained_untracked, "
        "explained_unpriced, explained_price_difference, unexplained_variance "
        f"from marts.rpt_billing_reconciliation_daily where {where} order by 1, 2, 3",
    )


def test_pipeline_ran_and_the_reconciliation_check_passed(reconciled):
    from dagster import AssetCheckKey, AssetKey

    work, instance, ok = reconciled
    assert ok
    key = AssetCheckKey(AssetKey(["marts", "rpt_billing_reconciliation_daily"]), "ge_billing_reconciliation")
    [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed is True
    [(platform_days,)] = query(
        work, "select count(*) from (select distinct platform, day from marts.rpt_billing_reconciliation_daily)"
    )
    assert evaluation.metadata["platform_days_validated"].value == platform_days > 0


def test_reconciliation_check_warns_above_the_tolerance(tmp_path):
    """The same check on a warehouse whose bill has 3% more than any category explains on one day."""
    from orchestration.quality.validation import billing_reconciliation_outcome

    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.rpt_billing_reconciliation_daily as select * from (values "
        "('aws_bedrock', date '2026-01-05', 100.00::decimal(38, 10), 0.50::decimal(38, 10)), "
        "('aws_bedrock', date '2026-01-06', 100.00, 3.00), ('openai', date '2026-01-06', 0.40, 0.30)) "
        "as t(platform, day, billed_effective_cost, unexplained_variance)"
    )
    con.close()
    outcome = billing_reconciliation_outcome(str(path), 1.0)
    # 3% on a $100 day fails; 0.5% passes; $0.30 on a $0.40 day is 30% of a dollar: fails
    assert [(f.column, f.unexpected_count, f.severity) for f in outcome.failures] == [
        ("unexplained_pct_abs", 2, "warn")
    ]
    assert not billing_reconciliation_outcome(str(path), 50.0).failures


def test_untracked_team_found(reconciled):
    work = reconciled[0]
    rows = _daily(work, "explained_untracked <> 0")
    assert {(p, m) for p, m, *_ in rows} == {("aws_bedrock", "claude-haiku-4-5")}
    # weekdays of the window: 2M input x 1.10 + 300k output x 5.50 per 1M (US profile) = 3.85 a day,
    # 10% less once the EDP applies (2026-02-01)
    expected = D(0)
    for i in range(DAYS):
        day = START + timedelta(days=i)
        if day.isoweekday() <= 5:
            list_cost = (
                B.untracked_input_tokens_per_day * D("1.1") + B.untracked_output_tokens_per_day * D("5.5")
            ) / 10**6
            expected += list_cost * (D("0.9") if day >= date(2026, 2, 1) else 1)
    assert sum(r[6] for r in rows) == expected
    assert all(r[9] == 0 for r in rows)


def test_price_difference_found_on_the_planted_days(reconciled):
    work = reconciled[0]
    first = START + timedelta(days=round(DAYS * B.price_error_day_fraction))
    rows = _daily(work, "abs(explained_price_difference) > 0.000001")
    assert [(p, m, d) for p, m, d, *_ in rows] == [
        ("azure_openai", "gpt-4.1", first + timedelta(days=i)) for i in range(B.price_error_days)
    ]
    # 20% more on the text input and output of gpt-4.1 those days, after Azure's 20% discount
    for _, _, day, _, _, _, _, _, price_diff, unexplained in rows:
        [(io_list,)] = query(
            work,
            "select sum(input_cost_usd + output_cost_usd) "
            "from marts.fct_genai_requests where platform = 'azure_openai' and model_id = 'gpt-4.1' "
            f"and capacity_type <> 'provisioned' and event_date = date '{day}'",
        )
        assert abs(price_diff - io_list * D("0.2") * D("0.8")) < D("0.000001")
        assert abs(unexplained) < D("0.000001")


def test_correction_found(reconciled):
    work = reconciled[0]
    day = START + timedelta(days=round(DAYS * B.correction_day_fraction))
    assert [(p, m, d, c) for p, m, d, _, c, *_ in _daily(work, "explained_corrections <> 0")] == [
        ("openai", "gpt-5", day, D(B.correction_usd))
    ]
    # delivered with the next month's bill, dated for the day it corrects
    assert query(
        work,
        "select billing_period_start, charge_date, charge_category from marts.fct_billing_charges "
        "where charge_class = 'Correction'",
    ) == [(date(2026, 2, 1), day, "Credit")]


def test_unpriced_usage_found(reconciled):
    work = reconciled[0]
    found = {(p, m) for p, m, *_ in _daily(work, "explained_unpriced <> 0")}
    # the unknown model, and Gemini 2.5 Pro's audio input (the book has no audio rate for it)
    assert found == {("openai", "gpt-5.1-codex-preview"), ("gcp_vertex", "gemini-2.5-pro")}
    assert query(
        work,
        "select count(*) from marts.fct_genai_requests where pricing_status = 'unpriced' "
        "and (platform, model_id) not in (('openai', 'gpt-5.1-codex-preview'), ('gcp_vertex', 'gemini-2.5-pro'))",
    ) == [(0,)]


def test_nothing_else_unexplained(reconciled):
    work = reconciled[0]
    [(variance, unexplained, capacity, worst)] = query(
        work,
        "select sum(variance), sum(unexplained_variance), sum(abs(explained_capacity)), max(abs(unexplained_variance)) "
        "from marts.rpt_billing_reconciliation_daily",
    )
    assert abs(unexplained) < D("0.000001") and worst < D("0.000001")
    assert capacity < D("0.00001")  # capacity bills agree with the capacity model to well under a cent
    assert variance > 0  # the untracked team outweighs the correction
    rows = {
        r[0]: r[1:]
        for r in query(
            work,
            "select platform, billed_effective_cost, computed_cost, unexplained_pct, usage_log_coverage_pct "
            "from marts.rpt_billing_reconciliation",
        )
    }
    assert set(rows) == {"(all platforms)", "anthropic", "aws_bedrock", "azure_openai", "gcp_vertex", "openai"}
    assert rows["aws_bedrock"][3] < 100 and rows["azure_openai"][3] == 100 and rows["anthropic"][3] == 100
    assert rows["anthropic"][0] == rows["anthropic"][1]  # nothing planted there: billed = computed exactly


def test_azure_reservation_purchase_once_per_view(reconciled):
    work = reconciled[0]
    rows = query(
        work,
        "select x_cost_view, x_charge_type, count(*), sum(billed_cost), sum(effective_cost) "
        "from marts.fct_billing_charges where billing_source = 'azure_cost_details' "
        "and x_pricing_model = 'Reservation' group by 1, 2 order by 1, 2",
    )
    # bought once a month in the actual view (100 PTU x 286 x 0.8 MACC = 22,880), billed there only; amortized
    # day by day in the amortized view (used and unused PTUs), effective there only; never both
    # the window (Jan 1 to Mar 1) holds three month starts: three purchases; January and February amortized
    # whole, March for one day (22,880 / 31)
    assert rows[0][:2] == ("actual", "Purchase") and rows[0][2] == 3
    assert rows[0][3] == 3 * D("22880") and rows[0][4] == 0
    assert [r[:2] for r in rows[1:]] == [("amortized", "UnusedReservation"), ("amortized", "Usage")]
    assert sum(r[3] for r in rows[1:]) == 0
    assert abs(sum(r[4] for r in rows[1:]) - (2 * D("22880") + D("22880") / 31)) < CENT
    # the month-to-date January delivery was replaced by the full one, not added to it
    lake = duckdb.sql(
        f"select count(distinct _arrival_date) from read_parquet('{work}/lake/azure_cost_actual/*/*.parquet', "
        "union_by_name = true) where charge_date < date '2026-01-16' and _arrival_date is not null"
    ).fetchall()
    assert lake == [(2,)]
