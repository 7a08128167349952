"""Great Expectations checks can fail, and a failed contract check stops everything downstream."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from orchestration.cli import run_pipeline
from orchestration.quality import suites

pytestmark = pytest.mark.slow

GOOD = {
    "event_id": "e1",
    "occurred_at": "2026-01-05T10:00:00Z",
    "platform": "openai",
    "model": "gpt-5",
    "use_case_id": "support_chatbot",
    "input_tokens": 100,
    "output_tokens": 10,
}


def _usage_frame(**overrides) -> pd.DataFrame:
    row = {c: None for c in suites.USAGE_COLUMNS}
    row.update(
        {
            "event_id": "e1",
            "occurred_at": pd.Timestamp("2026-01-05 10:00"),
            "platform": "openai",
            "model": "gpt-5",
            "use_case_id": "x",
            "latency_ms": 100,
            **{c: 0 for c in suites.TOKEN_COLUMNS},
        }
    )
    row.update({"input_tokens": 100, "output_tokens": 10})
    row.update(overrides)
    return suites.prepare_usage_batch(pd.DataFrame([row]))


def _validate(df):
    return suites.validate_batches("t", suites.usage_events_expectations(date(2026, 1, 5)), [df])


def test_clean_batch_passes():
    outcome = _validate(_usage_frame())
    assert outcome.failures == [] and outcome.rows == 1 and outcome.evaluated > 20


@pytest.mark.parametrize(
    "overrides, column",
    [
        ({"platform": "ibm_watson"}, "platform"),
        ({"status": "exploded"}, "status"),
        ({"input_tokens": 5_000_000}, "input_tokens"),
        ({"occurred_at": pd.Timestamp("2026-03-01")}, "occurred_at_unix_s"),  # after its file arrived
        ({"occurred_at": pd.Timestamp("2019-12-31")}, "occurred_at_unix_s"),
        ({"cached_input_tokens": 90, "cache_write_tokens": 20}, "input_tokens>=cache_parts"),
    ],
)
def test_contract_violations_fail_with_error_severity(overrides, column):
    outcome = _validate(_usage_frame(**overrides))
    assert [f.column for f in outcome.errors] == [column]


def test_drift_only_warns():
    outcome = _validate(_usage_frame(use_case_id=None))
    assert outcome.errors == [] and [f.column for f in outcome.warnings] == ["use_case_id"]


def test_failed_contract_check_blocks_dbt(isolated_env):
    day = isolated_env / "landing" / "usage_events" / "day=2026-01-05"
    day.mkdir(parents=True)
    bad = {**GOOD, "event_id": "e2", "platform": "ibm_watson"}  # passes ingestion, breaks the contract
    (day / "events.jsonl").write_text(json.dumps(GOOD) + "\n" + json.dumps(bad) + "\n" + '{"event_id": "e3", ' + "\n")
    instance = DagsterInstance.ephemeral()
    ok = run_pipeline(instance=instance)
    assert not ok
    # the raw data landed, but nothing downstream was built
    assert instance.get_latest_materialization_event(AssetKey(["raw", "usage_events"])) is not None
    assert instance.get_latest_materialization_event(AssetKey(["marts", "fct_genai_requests"])) is None
    assert instance.get_latest_materialization_event(AssetKey(["staging", "stg_canonical__usage_events"])) is None
    assert not (isolated_env / "warehouse.duckdb").exists()
    key = AssetCheckKey(AssetKey(["raw", "usage_events"]), "ge_contract")
    [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed is False
    failures = evaluation.metadata["failures"].value
    assert [(f["column"], f["severity"], f["unexpected"]) for f in failures] == [("platform", "error", 1)]
    assert failures[0]["sample"] == ["ibm_watson"]  # GE's BASIC result still names the offending value
    # the broken third line was quarantined, and the (warn) quarantine check says so
    key = AssetCheckKey(AssetKey(["raw", "usage_events_quarantine"]), "quarantine_empty")
    [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed is False and evaluation.severity.value == "WARN"
    assert evaluation.metadata["reasons"].value == {"invalid_json": 1}


def _capacity_frame(**overrides) -> pd.DataFrame:
    row = {
        "capacity_model": "azure_ptu",
        "committed_cost_usd": 10.0,
        "used_cost_usd": 4.0,
        "idle_cost_usd": 6.0,
        "unallocated_cost_usd": 0.0,
        "overage_cost_usd": 0.0,
        "conservation_gap_usd": 0.0,
        "utilization_pct": 0.4,
        "requests_without_weights": 0,
    }
    row.update(overrides)
    return pd.DataFrame([row])


@pytest.mark.parametrize(
    "overrides, column",
    [
        ({"conservation_gap_usd": 0.01}, "conservation_gap_usd"),  # a cent lost
        ({"utilization_pct": 1.2}, "utilization_pct"),
        ({"idle_cost_usd": -1.0}, "idle_cost_usd"),
    ],
)
def test_capacity_invariants_can_fail(overrides, column):
    ok = suites.validate_batches("c", suites.capacity_hourly_expectations(), [_capacity_frame()])
    assert ok.failures == []
    bad = suites.validate_batches("c", suites.capacity_hourly_expectations(), [_capacity_frame(**overrides)])
    assert [f.column for f in bad.errors] == [column]
