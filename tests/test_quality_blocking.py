"""Great Expectations checks can fail, and a failed contract check stops everything downstream."""

from __future__ import annotations

import gc
import json
import tracemalloc
import weakref
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from orchestration.datasets import dataset
from orchestration.ingest import engine
from orchestration.landing_state import PENDING
from orchestration.pipeline import run_pipeline
from orchestration.quality import suites
from tests.conftest import work_settings

USAGE = dataset("usage_events")
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
    suite = suites.dataset_suite(USAGE, date(2026, 1, 5))
    row = {c: None for c in suite.columns}
    row.update(
        {
            "event_id": "e1",
            "occurred_at": pd.Timestamp("2026-01-05 10:00"),
            "platform": "openai",
            "model": "gpt-5",
            "use_case_id": "x",
            "status": "success",
            **{f.name: 0 for f in USAGE.contract.fields if f.kind == "integer" and f.name in suite.columns},
        }
    )
    row.update({"input_tokens": 100, "output_tokens": 10})
    row.update(overrides)
    return suite.prepare(pd.DataFrame([row]))


def _validate(df):
    return _validate_all([df])


def _validate_all(frames: list[pd.DataFrame]):
    return suites.validate_batches("t", suites.dataset_suite(USAGE, date(2026, 1, 5)).expectations, iter(frames))


@pytest.mark.unit
def test_a_validated_batch_is_not_kept():
    # GE keeps its last context, whose pandas engine caches the last batch: the pipeline's process would hold
    # up to a million rows through the dbt build that follows
    batches = [_usage_frame(), _usage_frame(event_id="e2")]
    kept = [weakref.ref(df) for df in batches]
    outcome = _validate_all(batches)
    del batches
    gc.collect()
    assert outcome.rows == 2 and [ref() for ref in kept] == [None, None]


@pytest.mark.unit
def test_validating_does_not_copy_the_frame_for_each_expectation():
    """GE selects each expectation's rows with a boolean mask; without pandas' copy-on-write, a mask that keeps
    every row copies the whole frame (every column) once per expectation. Here a frame of 20 MB: 28 MB allocated
    at the peak of its validation without copy-on-write, 4 MB with it."""
    frame = pd.concat([_usage_frame()] * 50_000, ignore_index=True)
    frame["event_id"] = [f"e{i}" for i in range(len(frame))]
    size = frame.memory_usage(deep=True).sum()
    tracemalloc.start()
    try:
        outcome = _validate_all([frame])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.rows == 50_000 and outcome.failures == []
    assert peak < size / 2, f"{peak / 1e6:.1f} MB allocated validating a frame of {size / 1e6:.1f} MB"


@pytest.mark.unit
def test_empty_optional_values_do_not_make_ge_copy_the_frame():
    """GE skips an empty value by selecting the other rows of the whole batch, every column, for each expectation
    on a column that has one. Where every value must pass (no `mostly`), the expectation reads a column whose
    empty values are a passing value instead: 50,000 rows with `ttft_ms` and `cache_write_ttl` empty in one row
    of ten allocate at the peak of their validation 4.5 MB of a 22.9 MB frame (the columns read as they are:
    13.2 MB of 16.5 MB). A bad value among the empty ones still fails, alone."""
    n = 50_000
    raw = pd.concat([_usage_frame()[suites.dataset_suite(USAGE, date(2026, 1, 5)).columns]] * n, ignore_index=True)
    raw["event_id"] = [f"e{i}" for i in range(n)]
    raw["ttft_ms"] = pd.array(([None] + [250] * 9) * (n // 10), dtype="Int64")
    raw["cache_write_ttl"] = ([None] + ["5m"] * 9) * (n // 10)
    prepare = suites.dataset_suite(USAGE, date(2026, 1, 5)).prepare
    frame = prepare(raw)
    size = frame.memory_usage(deep=True).sum()
    _validate(prepare(raw.iloc[:10]))  # GE's own first-call allocations
    tracemalloc.start()
    try:
        outcome = _validate(frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.failures == [] and outcome.rows == n
    assert peak < size / 3, f"{peak / 1e6:.1f} MB allocated validating a frame of {size / 1e6:.1f} MB"
    raw.loc[4, "ttft_ms"], raw.loc[6, "cache_write_ttl"] = -5, "2h"
    failures = [(f.column, f.unexpected_count, f.sample) for f in _validate(prepare(raw)).failures]
    assert failures == [("ttft_ms__filled", 1, ["-5"]), ("cache_write_ttl__lower", 1, ["2h"])]


@pytest.mark.unit
def test_batches_are_made_and_validated_on_arrows_system_pool(monkeypatch):
    """A suite's batches are pulled (read, converted to pandas) and validated on Arrow's system pool, not on
    pyarrow's default (mimalloc in its wheels, which spends twice the system CPU here). The pool before is back
    after, also when validating raises; a pool chosen with ARROW_DEFAULT_MEMORY_POOL is left as it is."""
    seen = []

    def batches(fail: bool = False):
        for i in range(2):
            seen.append(pa.default_memory_pool().backend_name)
            yield _usage_frame(event_id=f"e{i}")
        if fail:
            raise OSError("lake file gone")

    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.mimalloc_memory_pool())
    try:
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)

        def expectations():
            return suites.dataset_suite(USAGE, date(2026, 1, 5)).expectations

        assert suites.validate_batches("t", expectations(), batches()).rows == 2
        assert seen == ["system", "system"] and pa.default_memory_pool().backend_name == "mimalloc"
        with pytest.raises(OSError):
            suites.validate_batches("t", expectations(), batches(fail=True))
        assert pa.default_memory_pool().backend_name == "mimalloc"
        seen.clear()
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
        suites.validate_batches("t", expectations(), batches())
        assert seen == ["mimalloc", "mimalloc"]
    finally:
        pa.set_memory_pool(before)


@pytest.mark.unit
def test_clean_batch_passes():
    outcome = _validate(_usage_frame())
    # id, 5 required fields, 14 integer ranges, the time range, 5 accepted-value sets, 3 subset rules, 2 drift
    assert outcome.failures == [] and outcome.rows == 1 and outcome.evaluated == 1 + 5 + 14 + 1 + 5 + 3 + 2


@pytest.mark.unit
@pytest.mark.parametrize(
    "overrides, column",
    [
        ({"platform": "ibm_watson"}, "platform__lower"),
        ({"status": "exploded"}, "status__lower"),
        ({"input_tokens": 5_000_000}, "input_tokens"),
        ({"occurred_at": pd.Timestamp("2026-03-01")}, "occurred_at__unix_s"),  # after its file arrived
        ({"occurred_at": pd.Timestamp("2019-12-31")}, "occurred_at__unix_s"),  # before 2020, as ingestion says
        ({"cached_input_tokens": 90, "cache_write_tokens": 20}, "input_tokens>=subset_0__input_tokens"),
        ({"event_id": None}, "event_id"),
    ],
)
def test_contract_violations_fail_with_error_severity(overrides, column):
    outcome = _validate(_usage_frame(**overrides))
    assert [f.column for f in outcome.errors] == [column]


@pytest.mark.unit
def test_an_empty_optional_timestamp_is_no_violation():
    """A CUR line without line_item_usage_end_date (optional) passes; a wrong one beside it still fails."""
    cur = dataset("aws_cur")
    suite = suites.dataset_suite(cur, date(2026, 1, 5))
    row = {c: None for c in suite.columns}
    row.update(
        line_item_id="l1",
        usage_start=pd.Timestamp("2026-01-04"),
        product_code="AmazonBedrock",
        usage_type="USE1-x",
        unblended_cost=1.5,
    )
    frame = pd.DataFrame([row, {**row, "line_item_id": "l2", "usage_end": pd.Timestamp("2019-01-01")}])
    expectations = suites.dataset_suite(cur, date(2026, 1, 5)).expectations
    outcome = suites.validate_batches("t", expectations, [suite.prepare(frame.iloc[:1])])
    assert outcome.failures == []
    expectations = suites.dataset_suite(cur, date(2026, 1, 5)).expectations
    outcome = suites.validate_batches("t", expectations, [suite.prepare(frame)])
    assert [(f.column, f.unexpected_count) for f in outcome.errors] == [("usage_end__unix_s", 1)]


@pytest.mark.unit
def test_derived_columns_are_computed_as_pandas_would():
    """The derived columns are computed on Arrow before the frame is made: the same values as pandas' floor
    division of microseconds, `.str.strip().str.lower()` and `fillna(0)` sums; an empty value, which GE would
    skip, as one that passes (the time range's first second, the first accepted value)."""
    suite = suites.dataset_suite(USAGE, date(2026, 1, 5))
    stamps = pd.Series(
        pd.to_datetime(["2026-01-05 10:00:00.999999", "1969-12-31 23:59:59.5", None, "1970-01-01 00:00:01.000000"])
    )
    rows = pd.DataFrame({c: [None] * 4 for c in suite.columns})
    rows["occurred_at"] = stamps
    rows["platform"] = pd.Series([" OpenAI\t", "AWS_bedrock\u00a0", None, "\u2003azure_OPENAI"], dtype="object")
    rows["cached_input_tokens"] = pd.Series([5, None, 1, None], dtype="Int64")
    rows["cache_write_tokens"] = pd.Series([2, 3, None, None], dtype="Int64")
    frame = suite.prepare(rows)
    micros = stamps.astype("int64") // 1000
    assert frame["occurred_at__unix_s"].tolist()[:2] == (micros[:2] // 1_000_000).tolist() == [1767607200, -1]
    assert frame["occurred_at__unix_s"][2] == 1577836800 and frame["occurred_at__unix_s"][3] == 1  # 2020-01-01
    expected = rows["platform"].str.strip().str.lower()
    assert (
        frame["platform__lower"].tolist()[:2] + frame["platform__lower"].tolist()[3:]
        == [
            "openai",
            "aws_bedrock",
            "azure_openai",
        ]
        == expected.tolist()[:2] + expected.tolist()[3:]
    )
    assert frame["platform__lower"][2] == dict(USAGE.contract.allowed())["platform"][0] == "anthropic"
    assert frame["subset_0__input_tokens"].tolist() == [7, 3, 1, 0]


@pytest.mark.unit
def test_what_a_run_loads_is_loaded_without_the_collector_and_frozen():
    """run_pipeline loads Dagster and the definitions inside long_lived_loaded: no collection while they load, all
    of it frozen after, and the collector's state as the caller had it."""
    from orchestration.pipeline import long_lived_loaded

    gc.unfreeze()
    try:
        for caller_enabled in (True, False):
            (gc.enable if caller_enabled else gc.disable)()
            with long_lived_loaded():
                assert not gc.isenabled()
                loaded = [[i] for i in range(1000)]  # tracked by the collector
            assert gc.get_freeze_count() >= len(loaded) and gc.isenabled() is caller_enabled
            gc.unfreeze()
    finally:
        gc.enable()
        gc.unfreeze()


@pytest.mark.unit
def test_enumerations_compare_lower_cased_as_ingestion_does():
    assert _validate(_usage_frame(platform=" OpenAI ", status="Success")).failures == []


@pytest.mark.unit
def test_drift_only_warns():
    outcome = _validate(_usage_frame(use_case_id=None))
    assert outcome.errors == [] and [f.column for f in outcome.warnings] == ["use_case_id"]


@pytest.mark.pipeline
def test_a_reader_that_lets_a_bad_record_through_is_stopped_before_dbt(tmp_path, monkeypatch):
    """The blocking contract check guards the readers: with the unknown-value rule planted away from ingestion
    (a reader bug), the record lands in the lake, the Great Expectations check fails, and nothing downstream
    runs."""
    real_checks = engine._checks
    monkeypatch.setattr(engine, "_checks", lambda c: [x for x in real_checks(c) if x[2] != "unknown_value"])
    day = tmp_path / "landing" / "usage_events" / "day=2026-01-05"
    day.mkdir(parents=True)
    bad = {**GOOD, "event_id": "e2", "platform": "ibm_watson"}
    (day / "events.jsonl").write_text(json.dumps(GOOD) + "\n" + json.dumps(bad) + "\n" + '{"event_id": "e3", ' + "\n")
    instance = DagsterInstance.ephemeral()
    outcome = run_pipeline(work_settings(tmp_path), instance=instance, quiet=True)
    assert not outcome.success
    assert gc.get_freeze_count() == 0  # the objects the run froze are thawed, the run failed or not
    # the raw data landed, but nothing downstream was built
    assert instance.get_latest_materialization_event(AssetKey(["raw", "usage_events"])) is not None
    assert instance.get_latest_materialization_event(AssetKey(["marts", "fct_genai_requests"])) is None
    assert instance.get_latest_materialization_event(AssetKey(["staging", "stg_canonical__usage_events"])) is None
    assert not (tmp_path / "warehouse.duckdb").exists()
    # its day counts as changed (pending, the run under way in the record): nothing recorded it as built
    state = json.loads((tmp_path / "warehouse.duckdb.landing.json").read_text())
    assert state["days"] == {"2026-01-05": PENDING} and list(state["runs"]) == [outcome.run_id]
    key = AssetCheckKey(AssetKey(["raw", "usage_events"]), "ge_contract")
    [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed is False
    failures = evaluation.metadata["failures"].value
    assert [(f["column"], f["severity"], f["unexpected"]) for f in failures] == [("platform__lower", "error", 1)]
    assert failures[0]["sample"] == ["ibm_watson"]  # GE's BASIC result still names the offending value
    # the broken third line was quarantined, and the (warn) quarantine check says so
    key = AssetCheckKey(AssetKey(["raw", "usage_events"]), "quarantine_empty")
    [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed is False and evaluation.severity.value == "WARN"
    assert evaluation.metadata["reasons"].value == {"invalid_json": 1}


@pytest.mark.unit
def test_without_the_planted_defect_the_same_record_is_quarantined(tmp_path):
    day = tmp_path / "landing" / "usage_events" / "day=2026-01-05"
    day.mkdir(parents=True)
    (day / "events.jsonl").write_text(json.dumps({**GOOD, "platform": "ibm_watson"}) + "\n")
    [result] = engine.ingest_day(USAGE, "2026-01-05", str(tmp_path / "landing"), str(tmp_path / "lake"), "salt")
    assert (result.records_loaded, result.records_quarantined) == (0, 1)


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


@pytest.mark.unit
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
