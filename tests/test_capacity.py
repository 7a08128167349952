# ruff: noqa: E501  (fixture CSV rows are kept one per line)
"""Provisioned capacity: docs/design.md worked examples 1, 5, 6 and 7, monthly spreads, overage, a deployment
swap, and allocation to requests, on a fixture project (the real models with fixture reservations)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import numpy as np
import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from orchestration.tools.sample_data.capacity import beyond_capacity
from tests.conftest import copy_project, query, run_dbt_in

pytestmark = pytest.mark.dbt

USAGE_EVENTS = dataset("usage_events")

RESERVATIONS = """reservation_id,platform,capacity_model,sku,dimension,scope,model_id,units,term,term_start,term_end,owner_team,overage_price_usd_per_unit_hour,notes
pool500,azure_openai,azure_ptu,GlobalProvisionedManaged,all,global,*,500,1_month,2026-04-01,2026-05-01,team-a,1,worked example 5
may31,azure_openai,azure_ptu,GlobalProvisionedManaged,all,global,*,10,1_month,2026-05-01,2026-06-01,team-b,1,a 31-day month
mid,azure_openai,azure_ptu,GlobalProvisionedManaged,all,global,*,10,1_month,2026-04-15,2026-05-15,team-c,1,starts and ends mid-month
small,azure_openai,azure_ptu,GlobalProvisionedManaged,all,global,*,20,1_month,2026-04-01,2026-05-01,team-d,1,overage
"""
DEPLOYMENTS = """deployment_id,reservation_id,model_id,units,valid_from,valid_to,spillover_enabled,notes
dep100,pool500,gpt-4o,100,2026-04-01,2026-05-01,true,100 of 500 deployed
big,small,gpt-4.1,10,2026-04-01,2026-04-10,false,
big,small,gpt-5,30,2026-04-10,2026-04-11,false,swapped to gpt-5 and scaled above the reservation for a day
big,small,gpt-5,10,2026-04-11,2026-05-01,false,
"""
HOURS_APRIL, HOURS_MAY = 720, 744


def _event(i, ts, deployment, model, inp, out, capacity_type="provisioned", platform="azure_openai"):
    return {
        "event_id": f"e{i}",
        "occurred_at": ts,
        "platform": platform,
        "model": model,
        "region_scope": "global",
        "deployment_id": deployment,
        "capacity_type": capacity_type,
        "use_case_id": "kb_search" if i % 2 else "call_summaries",
        "input_tokens": inp,
        "output_tokens": out,
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    work = tmp_path_factory.mktemp("capacity")
    project = copy_project(work / "project")
    (project / "seeds/reference/capacity_reservations.csv").write_text(RESERVATIONS)
    (project / "seeds/reference/capacity_deployments.csv").write_text(DEPLOYMENTS)
    events = [
        # worked example 5: 15% of dep100's hour (100 PTU x 2,500 TPM x 60 = 15M weighted tokens):
        # 3 requests of 600,000 input + 37,500 output (x4) = 750,000 each
        *[_event(i, f"2026-04-01T10:0{i}:00Z", "dep100", "gpt-4o-2024-11-20", 600_000, 37_500) for i in range(3)],
        # worked example 6: 1,000 served, 200 spilled over to pay-as-you-go in the same hour
        *[_event(100 + i, "2026-04-02T09:30:00Z", "dep100", "gpt-4o", 1000, 100) for i in range(1000)],
        *[_event(2000 + i, "2026-04-02T09:31:00Z", "dep100", "gpt-4o", 1000, 100, "spillover") for i in range(200)],
        # the swap: gpt-4.1 before 2026-04-10, gpt-5 after, on the same deployment
        _event(5000, "2026-04-09T12:00:00Z", "big", "gpt-4.1", 30_000, 1_000),
        _event(5001, "2026-04-10T12:00:00Z", "big", "gpt-5", 30_000, 1_000),
    ]
    landing = work / "landing" / "usage_events" / "day=2026-04-10"
    landing.mkdir(parents=True)
    (landing / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    ingest_day(USAGE_EVENTS, "2026-04-10", str(work / "landing"), str(work / "lake"), "salt")
    run_dbt_in(
        project,
        work,
        "build",
        "--select",
        "+fct_genai_requests",
        "+rpt_capacity_monthly",
        "+rpt_capacity_unit_rates",
        "+dim_use_cases",
    )
    return work


def _hour(work, reservation, deployment, hour):
    [row] = query(
        work,
        f"""
        select committed_cost_usd, used_cost_usd, idle_cost_usd, unallocated_cost_usd, overage_cost_usd,
               capacity_weighted_tokens, used_weighted_tokens, utilization_pct, spillover_requests,
               spillover_cost_usd, provisioned_requests
        from marts.fct_capacity_hourly
        where reservation_id = '{reservation}' and deployment_id = '{deployment}' and hour_at = '{hour}'
        """,
    )
    keys = "committed used idle unallocated overage capacity used_w util spill spill_cost requests".split()
    return dict(zip(keys, row, strict=True))


def test_unallocated_is_80_percent_with_100_of_500_deployed(warehouse):
    dep = _hour(warehouse, "pool500", "dep100", "2026-04-01 03:00:00")
    un = _hour(warehouse, "pool500", "(unallocated)", "2026-04-01 03:00:00")
    committed = dep["committed"] + un["committed"]
    # 500 PTU x $260 / 720 h x (1 - 20% enterprise discount)
    assert abs(committed - D(500) * 260 / HOURS_APRIL * D("0.8")) < D("1e-9")
    assert float(un["unallocated"] / committed) == pytest.approx(0.8, abs=1e-9)
    assert dep["used"] == 0 and dep["idle"] == dep["committed"]  # 3am, nothing ran


def test_15_percent_utilization_leaves_85_percent_idle(warehouse):
    dep = _hour(warehouse, "pool500", "dep100", "2026-04-01 10:00:00")
    assert dep["capacity"] == 100 * 2500 * 60
    assert dep["used_w"] == 3 * (600_000 + 4 * 37_500)
    assert dep["util"] == pytest.approx(0.15)
    assert float(dep["idle"] / dep["committed"]) == pytest.approx(0.85, abs=1e-9)
    # the used cost is spread over the three requests by weighted tokens, to the last decimal
    [(allocated, n)] = query(
        warehouse,
        "select sum(capacity_cost_usd), count(*) from marts.fct_genai_requests "
        "where occurred_at >= '2026-04-01 10:00' and occurred_at < '2026-04-01 11:00'",
    )
    assert n == 3 and allocated == dep["used"]


def test_spillover_is_counted_and_billed_on_demand(warehouse):
    dep = _hour(warehouse, "pool500", "dep100", "2026-04-02 09:00:00")
    assert dep["requests"] == 1000 and dep["spill"] == 200
    # gpt-4o on Azure Global standard: 1,000 x 2.50 + 100 x 10 per 1M tokens = $0.0035, less 20%
    assert dep["spill_cost"] == 200 * D("0.0035") * D("0.8")


def test_monthly_price_over_30_and_31_day_months_and_partial_terms(warehouse):
    totals = dict(
        query(
            warehouse,
            "select reservation_id || ' ' || strftime(month_start, '%Y-%m'), committed_cost_usd "
            "from marts.rpt_capacity_monthly",
        )
    )
    assert totals["pool500 2026-04"] == D(500) * 260 * D("0.8")  # 104,000.00 over 720 hours
    assert totals["may31 2026-05"] == D(10) * 260 * D("0.8")  # 2,080.00 over 744 hours
    # 16 days of April (of 30) and 14 days of May (of 31)
    assert abs(totals["mid 2026-04"] - D(2080) * 16 / 30) < D("0.000001")
    assert abs(totals["mid 2026-05"] - D(2080) * 14 / 31) < D("0.000001")
    [(hours,)] = query(
        warehouse, "select count(*) from intermediate.int_capacity_reservation_hours where reservation_id = 'mid'"
    )
    assert hours == 30 * 24


def test_overage_and_deployment_swap(warehouse):
    before = _hour(warehouse, "small", "big", "2026-04-09 12:00:00")
    after = _hour(warehouse, "small", "big", "2026-04-10 12:00:00")
    # gpt-4.1: 3,000 TPM per PTU, output x4; gpt-5: 4,750 TPM per PTU, output x8
    assert before["capacity"] == 10 * 3000 * 60 and before["used_w"] == 30_000 + 4 * 1_000
    assert after["capacity"] == 30 * 4750 * 60 and after["used_w"] == 30_000 + 8 * 1_000
    # 30 PTU deployed on a 20 PTU reservation: 10 PTU x $1/h x 0.8 overage, no unallocated line that hour
    assert after["overage"] == D("8")
    assert before["overage"] == 0
    [(unallocated_rows,)] = query(
        warehouse,
        "select count(*) from marts.fct_capacity_hourly where reservation_id = 'small' "
        "and deployment_id = '(unallocated)' and hour_at = '2026-04-10 12:00:00'",
    )
    assert unallocated_rows == 0
    allocated = dict(
        query(
            warehouse,
            "select event_id, capacity_cost_usd from marts.fct_genai_requests where event_id in ('e5000', 'e5001')",
        )
    )
    assert allocated == {"e5000": before["used"], "e5001": after["used"]}


def test_scale_tier_normalisation(warehouse):
    rates = {
        (m, d): (r, p)
        for m, d, r, p in query(
            warehouse,
            "select model_id, dimension, usd_per_mtok_at_full_use, premium_vs_list from marts.rpt_capacity_unit_rates "
            "where capacity_model = 'openai_scale_tier'",
        )
    }
    # GPT-5: $75/day for 25,000 TPM x 1,440 = 36M tokens -> $2.083/MTok (+67% on 1.25); $60/day for 3.6M -> $16.67
    assert rates[("gpt-5", "input")][0] == pytest.approx(75 / 36, rel=1e-12)
    assert rates[("gpt-5", "output")][0] == pytest.approx(60 / 3.6, rel=1e-12)
    assert rates[("gpt-5", "input")][1] == pytest.approx(2 / 3, rel=1e-9)
    # GPT-4.1: $110/day for 30,000 TPM -> $2.546/MTok vs 2.00 (+27%)
    assert rates[("gpt-4.1", "input")][1] == pytest.approx(110 / 43.2 / 2 - 1, rel=1e-9)
    assert round(rates[("gpt-4.1", "input")][1], 2) == 0.27


def test_conservation_holds_everywhere(warehouse):
    [(bad,)] = query(
        warehouse,
        "select count(*) from marts.fct_capacity_hourly "
        "where used_cost_usd + idle_cost_usd + unallocated_cost_usd <> committed_cost_usd + overage_cost_usd",
    )
    assert bad == 0


def test_generator_spills_what_exceeds_capacity():
    # worked example 6: capacity 1,000 requests a minute, a spike of 1,200 -> the last 200 spill over
    n = 1200
    over = beyond_capacity(np.zeros(n, dtype=int), np.arange(n), np.ones(n), np.full(n, 1000))
    assert over.sum() == 200 and not over[:1000].any() and over[1000:].all()
    # two groups are independent
    group = np.r_[np.zeros(5, dtype=int), np.ones(5, dtype=int)]
    over = beyond_capacity(group, np.arange(10), np.full(10, 2.0), np.full(10, 7.0))
    assert over.tolist() == [False, False, False, True, True] * 2
