"""Golden pricing tests: requests priced by the dbt models, checked against hand-computed figures.

Prices (USD per 1M tokens) are those of seeds/reference/model_prices.csv; each expected figure is worked
out in the comment next to it.
"""

from __future__ import annotations

import shutil
from decimal import Decimal as D

import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from tests.conftest import FIXTURES, query, run_dbt

pytestmark = pytest.mark.dbt

USAGE_EVENTS = dataset("usage_events")

M = D("0.000001")  # per-token factor of a per-MTok price


@pytest.fixture(scope="module")
def priced(tmp_path_factory):
    work = tmp_path_factory.mktemp("golden")
    shutil.copytree(FIXTURES / "golden", work / "landing")
    for day in ("2026-01-20", "2026-02-10"):  # the EDP case arrives in its own day (nothing lands early)
        ingest_day(USAGE_EVENTS, day, str(work / "landing"), str(work / "lake"), "salt")
    run_dbt(work, "build", "--select", "+fct_genai_requests", "--exclude", "test_type:data")
    rows = query(
        work,
        """
        select event_id, pricing_status, unpriced_reason, is_long_context, list_equivalent_cost_usd,
               list_cost_usd, effective_cost_usd, total_cost_usd, cached_input_cost_usd, cache_write_cost_usd,
               reasoning_cost_usd, delivered_copies, region_scope, model_id, capacity_cost_status
        from marts.fct_genai_requests
        """,
    )
    cols = [
        "pricing_status",
        "unpriced_reason",
        "is_long_context",
        "list_equivalent",
        "list",
        "effective",
        "total",
        "cached",
        "cache_write",
        "reasoning",
        "copies",
        "region_scope",
        "model_id",
        "capacity_status",
    ]
    return {r[0]: dict(zip(cols, r[1:], strict=True)) for r in rows}


CASES = {  # hand-computed list-equivalent costs (USD), the arithmetic beside each
    # gpt-5 1.25 / 10: 1,000 x 1.25 + 500 x 10
    "plain": D("0.00625"),  # = 1000 * D("1.25") * M + 500 * D(10) * M
    # 2,000 uncached x 1.25 + 8,000 cached x 0.125 + 1,000 x 10
    "cached": D("0.0135"),  # = 2000 * D("1.25") * M + 8000 * D("0.125") * M + 1000 * D(10) * M
    # sonnet 4.5: 2,000 x 3 + 8,000 x 3.75 (5m write) + 100 x 15
    "cache_write_5m": D("0.0375"),  # = 2000 * D(3) * M + 8000 * D("3.75") * M + 100 * D(15) * M
    # same with a 1h write at 6.00
    "cache_write_1h": D("0.0555"),  # = 2000 * D(3) * M + 8000 * D(6) * M + 100 * D(15) * M
    # o4-mini 1.1 / 4.4, reasoning at the output rate: 2,000 x 1.1 + 500 x 4.4 + 2,500 x 4.4
    "reasoning": D("0.0154"),  # = 2000 * D("1.1") * M + 500 * D("4.4") * M + 2500 * D("4.4") * M
    # 250k input > 200k: the whole request at 6 / 22.50
    "long_context_above": D("1.545"),  # = 250000 * D(6) * M + 2000 * D("22.5") * M
    # exactly 200k does not exceed the threshold: 3 / 15
    "long_context_at_threshold": D("0.63"),  # = 200000 * D(3) * M + 2000 * D(15) * M
    # batch 50%: (100k x 3 + 10k x 15) x 0.5
    "batch": D("0.225"),  # = (100000 * D(3) * M + 10000 * D(15) * M) * D("0.5")
    # Bedrock us. profile of Opus 4.5: 5 / 25 until 2026-01-19, 5.50 / 27.50 from 2026-01-20
    "before_price_change": D("0.075"),  # = 10000 * D(5) * M + 1000 * D(25) * M
    "after_price_change": D("0.0825"),  # = 10000 * D("5.5") * M + 1000 * D("27.5") * M
    # Azure gpt-4.1 global 2 / 8: 1M x 2 + 100k x 8 = 2.80 list
    "azure_discount": D("2.8"),  # = 1000000 * D(2) * M + 100000 * D(8) * M
    "bedrock_after_edp": D("0.0825"),  # = 10000 * D("5.5") * M + 1000 * D("27.5") * M
    # gpt-realtime: text 4 / 16, audio 32 / 64: 200 x 4 + 800 x 32 + 100 x 16 + 400 x 64
    "audio": D("0.0536"),  # = 200 * D(4) * M + 800 * D(32) * M + 100 * D(16) * M + 400 * D(64) * M
    # gemini-2.5-flash 0.30 / 2.50, image at the input rate: 500 x 0.3 + 1,500 x 0.3 + 100 x 2.5
    "image": D("0.00085"),  # = 500 * D("0.3") * M + 1500 * D("0.3") * M + 100 * D("2.5") * M
    # gpt-5 priority tier 2.50 / 20
    "priority_tier": D("0.0225"),  # = 1000 * D("2.5") * M + 1000 * D(20) * M
    # provisioned Azure gpt-4o Data Zone 2.75 / 11: the shadow (list-equivalent) price
    "provisioned": D("0.00385"),  # = 1000 * D("2.75") * M + 100 * D(11) * M
    # Bedrock us. profile of Sonnet 4.5 is a geo scope: +10% (3.30 / 16.50)
    "bedrock_geo_profile": D("0.00495"),  # = 1000 * D("3.3") * M + 100 * D("16.5") * M
}

EFFECTIVE = {  # after the enterprise discount in force on the event date (seeds/reference/enterprise_discounts.csv)
    "azure_discount": D("2.24"),  # Azure MACC 20%: 2.80 x 0.8
    "bedrock_after_edp": D("0.07425"),  # Bedrock EDP 10% from 2026-02-01: 0.0825 x 0.9
    "image": D("0.0008075"),  # Vertex 5%: 0.00085 x 0.95
}


@pytest.mark.parametrize("event_id", sorted(CASES))
def test_list_equivalent_cost(priced, event_id):
    row = priced[event_id]
    assert row["pricing_status"] == "priced", row
    assert row["list_equivalent"] == CASES[event_id]


@pytest.mark.parametrize("event_id", sorted(set(CASES) - {"provisioned"}))
def test_effective_cost_applies_enterprise_discount(priced, event_id):
    row = priced[event_id]
    assert row["list"] == CASES[event_id]
    assert row["effective"] == EFFECTIVE.get(event_id, CASES[event_id])
    assert row["total"] == row["effective"]  # no capacity cost on pay-as-you-go requests


def test_components(priced):
    assert priced["cached"]["cached"] == D("0.001")
    assert priced["cache_write_5m"]["cache_write"] == D("0.03")
    assert priced["cache_write_1h"]["cache_write"] == D("0.048")
    assert priced["reasoning"]["reasoning"] == D("0.011")
    assert priced["long_context_above"]["is_long_context"] is True
    assert priced["long_context_at_threshold"]["is_long_context"] is False


def test_provisioned_request_carries_shadow_price_only(priced):
    row = priced["provisioned"]
    assert row["list"] == 0 and row["effective"] == 0
    assert row["list_equivalent"] == D("0.00385")
    # its deployment (ptu-1) belongs to no reservation: capacity cost unknown, so the total is null, not 0
    assert row["capacity_status"] == "no_matching_capacity" and row["total"] is None


def test_region_scope_from_bedrock_profile(priced):
    assert priced["bedrock_geo_profile"]["region_scope"] == "geo"
    assert priced["bedrock_geo_profile"]["model_id"] == "claude-sonnet-4-5"


@pytest.mark.parametrize(
    "event_id, reason",
    [
        ("unknown_model", "unknown_model"),
        ("missing_audio_rate", "no_audio_input_rate"),
        ("batch_without_batch_rate", "no_batch_rate"),
    ],
)
def test_unpriced_is_flagged_never_zero(priced, event_id, reason):
    row = priced[event_id]
    assert row["pricing_status"] == "unpriced"
    assert row["unpriced_reason"] == reason
    assert row["list_equivalent"] is None and row["effective"] is None and row["total"] is None


def test_duplicate_delivery_counted_once(priced):
    assert priced["plain"]["copies"] == 2
    assert len(priced) == 20
