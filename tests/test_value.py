"""Value marts on the end-to-end data set: A/B statistics against scipy and textbook formulas, the demo's
known effects, and reconciliation of the marts' costs with the request fact."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tests.conftest import query, run_dbt

pytestmark = pytest.mark.pipeline


def _comparison(work):
    rows = query(
        work,
        "select use_case_id, variant_id, metric, estimate, difference_vs_control, p_value, verdict "
        "from marts.rpt_variant_comparison",
    )
    return {(u, v, m): {"estimate": e, "diff": d, "p": p, "verdict": x} for u, v, m, e, d, p, x in rows}


def _transactions(work, use_case, variant):
    rows = query(
        work,
        "select cast(total_cost_usd as double), cast(net_value_usd as double), case when is_success then 1 else 0 end "
        f"from marts.fct_use_case_transactions where use_case_id = '{use_case}' and variant_id = '{variant}'",
    )
    a = np.array(rows, dtype=float)
    return a[:, 0], a[:, 1], a[:, 2]


@pytest.mark.parametrize(
    "use_case, control, variant",
    [
        ("sales_email_writer", "control_gpt41", "gpt5mini_v2"),
        ("sales_email_writer", "control_gpt41", "sonnet_v2"),
        ("contract_extractor", "llama33", "maverick"),
    ],
)
def test_statistics_match_scipy_and_textbook(built, use_case, control, variant):
    work = built[0]
    got = _comparison(work)
    c_cost, c_net, c_succ = _transactions(work, use_case, control)
    v_cost, v_net, v_succ = _transactions(work, use_case, variant)
    # Welch's t-test (scipy)
    for metric, v, c in (("cost_per_transaction", v_cost, c_cost), ("net_value_per_transaction", v_net, c_net)):
        expected = stats.ttest_ind(v, c, equal_var=False).pvalue
        row = got[(use_case, variant, metric)]
        assert row["p"] == pytest.approx(expected, rel=1e-6, abs=1e-12)
        assert row["diff"] == pytest.approx(v.mean() - c.mean(), rel=1e-9)
    # two-proportion z-test with the pooled standard error (textbook)
    n1, n0 = len(v_succ), len(c_succ)
    p1, p0 = v_succ.mean(), c_succ.mean()
    pooled = (v_succ.sum() + c_succ.sum()) / (n1 + n0)
    z = (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    row = got[(use_case, variant, "success_rate")]
    assert row["estimate"] == pytest.approx(p1, rel=1e-12)
    assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-6, abs=1e-12)

    # cost per success: ratio of sums, delta-method standard error (textbook)
    def ratio(cost, succ):
        r = cost.sum() / succ.sum()
        var = np.var(cost, ddof=1) - 2 * r * np.cov(cost, succ, ddof=1)[0, 1] + r * r * np.var(succ, ddof=1)
        return r, math.sqrt(var / len(cost)) / succ.mean()

    (r1, s1), (r0, s0) = ratio(v_cost, v_succ), ratio(c_cost, c_succ)
    row = got[(use_case, variant, "cost_per_success")]
    assert row["estimate"] == pytest.approx(r1, rel=1e-9)
    assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(r1 - r0) / math.hypot(s1, s0)), rel=1e-6, abs=1e-12)


def test_known_effects_detected_and_no_false_winner(built):
    got = _comparison(built[0])
    # gpt5mini_v2: cheaper at the same reply rate -> cheaper wins, success rate no winner
    assert got[("sales_email_writer", "gpt5mini_v2", "cost_per_transaction")]["verdict"] == "variant wins"
    assert got[("sales_email_writer", "gpt5mini_v2", "success_rate")]["verdict"] == "no significant difference"
    # sonnet_v2: higher reply rate at a higher cost
    assert got[("sales_email_writer", "sonnet_v2", "success_rate")]["verdict"] == "variant wins"
    assert got[("sales_email_writer", "sonnet_v2", "cost_per_transaction")]["verdict"] == "control wins"
    # maverick vs llama33: the same success rate -> no winner on it
    assert got[("contract_extractor", "maverick", "success_rate")]["verdict"] == "no significant difference"


def test_value_marts_reconcile_with_requests(built):
    work = built[0]
    [(requests,)] = query(work, "select sum(total_cost_usd) from marts.fct_genai_requests")
    for sql in (
        "select sum(cost_usd) from marts.rpt_use_case_roi_daily",
        "select sum(total_cost_usd) from marts.fct_use_case_transactions",
        "select sum(cost_usd) from marts.rpt_use_case_leaderboard",
        "select sum(total_cost_usd) from marts.rpt_waste_daily",
    ):
        [(total,)] = query(work, sql)
        assert abs(total - requests) < 0.01, sql
    [(n,)] = query(work, "select count(*) from marts.rpt_use_case_leaderboard")
    assert n == 12


def _trailing_window(work):
    [(first, last, distribution, transactions)] = query(
        work,
        "select min(window_start_date), max(window_end_date), sum(total_cost_usd), sum(transactions) "
        "from marts.rpt_transaction_cost_distribution",
    )
    [(newest, in_window, n_in_window, before)] = query(
        work,
        f"select max(started_date), sum(total_cost_usd) filter (where started_date >= '{first}'), "
        f"count(*) filter (where started_date >= '{first}'), count(*) filter (where started_date < '{first}') "
        "from marts.fct_use_case_transactions",
    )
    assert last == newest and distribution == in_window and transactions == n_in_window
    [(lat_first, lat_last, calls)] = query(
        work, "select min(window_start_date), max(window_end_date), sum(calls) from marts.rpt_latency"
    )
    [(successes,)] = query(
        work,
        f"select count(*) from marts.fct_genai_requests where status = 'success' and event_date >= '{lat_first}'",
    )
    assert calls == successes
    return (last - first).days + 1, (lat_last - lat_first).days + 1, before


def test_percentile_reports_cover_a_trailing_window(built):
    """Exact percentiles need every value: the cost distribution and latency reports read the trailing
    `report_window_days` of data (30 by default), so their cost stays flat as history grows."""
    work = built[0]
    assert _trailing_window(work)[:2] == (30, 30)
    models = ("--select", "rpt_transaction_cost_distribution", "rpt_latency")
    try:
        run_dbt(work, "run", *models, "--vars", '{"report_window_days": 7}')
        days, latency_days, before = _trailing_window(work)
        assert (days, latency_days) == (7, 7) and before > 0  # older transactions are left out, exactly
    finally:
        run_dbt(work, "run", *models)
    [(n,)] = query(work, "select count(*) from marts.rpt_use_case_leaderboard")
    assert n == 12
