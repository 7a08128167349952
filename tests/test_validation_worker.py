"""The run's validation worker: Great Expectations imported and run in a process of its own, the same outcomes
as in the pipeline's process, and a run whose checks it computes still stopped by a failed contract check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from orchestration.datasets import dataset
from orchestration.ingest import engine
from orchestration.quality import validation
from tests.test_quality_blocking import GOOD  # a usage event that breaks no rule

pytestmark = pytest.mark.unit

USAGE = dataset("usage_events")


@pytest.fixture
def worker():
    assert validation.start_worker()
    try:
        yield validation._worker
    finally:
        validation.stop_worker()


def _lake(tmp_path) -> str:
    """A lake of three usage events, two without a use case (a drift warning)."""
    day = tmp_path / "landing" / "usage_events" / "day=2026-01-05"
    day.mkdir(parents=True)
    records = [GOOD, {**GOOD, "event_id": "e2", "use_case_id": None}, {**GOOD, "event_id": "e3", "use_case_id": ""}]
    (day / "events.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    lake = str(tmp_path / "lake")
    engine.ingest_day(USAGE, "2026-01-05", str(tmp_path / "landing"), lake, "salt")
    return lake


def test_the_worker_computes_what_this_process_would(tmp_path, worker, monkeypatch):
    lake = _lake(tmp_path)
    here = validation.validate_run(USAGE, lake, ["2026-01-05"])
    assert here.rows == 3 and [f.column for f in here.warnings] == ["use_case_id"]
    assert validation.outcome("validate_run", USAGE, lake, ["2026-01-05"]) == here
    # with this process's environment of the moment: one row per batch
    monkeypatch.setenv("FINOPS_GE_MAX_BATCH_ROWS", "1")
    remote = validation.outcome("validate_run", USAGE, lake, ["2026-01-05"])
    assert (remote.rows, remote.batches) == (3, 3)
    assert worker.alive()


def test_an_error_in_the_worker_raises_here_and_the_worker_serves_on(tmp_path, worker):
    with pytest.raises(RuntimeError, match="(?s)validation worker failed \\(capacity_hourly_outcome\\).*IOException"):
        validation.outcome("capacity_hourly_outcome", str(tmp_path / "missing.duckdb"))
    assert worker.alive() and validation._worker is worker
    assert validation.outcome("validate_run", USAGE, _lake(tmp_path), ["2026-01-05"]).rows == 3


class _EndsTheWorker:
    """An argument whose unpickling ends the process that reads it: the worker dies inside a request."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_worker_that_dies_raises_once_then_this_process_validates(tmp_path, worker):
    lake = _lake(tmp_path)
    with pytest.raises(RuntimeError, match="validation worker failed \\(validate_run, exit 3\\)"):
        validation.outcome("validate_run", _EndsTheWorker())
    assert validation._worker is None and worker.process.poll() == 3
    assert validation.outcome("validate_run", USAGE, lake, ["2026-01-05"]).rows == 3


def test_submitted_requests_are_collected_in_any_order(tmp_path, worker):
    """An ingestion step submits its dataset's validation and goes on; each contract check collects its own
    answer. Collecting a later request first reads the earlier answers and keeps them for their own collection;
    an error stays with its own request."""
    lake = _lake(tmp_path)
    validation.submit("first", "validate_run", USAGE, lake, ["2026-01-05"])
    validation.submit("broken", "capacity_hourly_outcome", str(tmp_path / "missing.duckdb"))
    validation.submit("empty", "validate_run", USAGE, lake, ["2026-01-06"])  # a day without rows
    assert [key for key, _ in validation._sent] == ["first", "broken", "empty"]  # all sent, none answered yet
    assert validation.collect("empty", "validate_run", USAGE, lake, ["2026-01-06"]).rows == 0
    assert set(validation._answers) == {"first", "broken"}
    with pytest.raises(RuntimeError, match="(?s)validation worker failed \\(capacity_hourly_outcome\\).*IOException"):
        validation.collect("broken", "capacity_hourly_outcome", str(tmp_path / "missing.duckdb"))
    first = validation.collect("first", "validate_run", USAGE, lake, ["2026-01-05"])
    assert (first.rows, [f.column for f in first.warnings]) == (3, ["use_case_id"])
    assert not validation._pending and not validation._sent and not validation._answers
    # nothing submitted under a key: asked for when collected
    assert validation.collect("unasked", "validate_run", USAGE, lake, ["2026-01-05"]).rows == 3
    assert worker.alive() and validation._worker is worker


def test_requests_wait_for_answers_while_too_many_bytes_are_unanswered(tmp_path, worker, monkeypatch):
    """Sending never waits on a full pipe to the worker (which could itself be waiting for this process to read
    its answers): with more than IN_FLIGHT_BYTES of requests unanswered, the oldest answers are read first."""
    lake = _lake(tmp_path)
    validation.submit("a", "validate_run", USAGE, lake, ["2026-01-05"])
    validation.submit("b", "validate_run", USAGE, lake, ["2026-01-05"])
    assert [key for key, _ in validation._sent] == ["a", "b"]  # 2 requests of ~6 KB: under the limit
    monkeypatch.setattr(validation, "IN_FLIGHT_BYTES", 1)
    validation.submit("c", "validate_run", USAGE, lake, ["2026-01-06"])
    assert [key for key, _ in validation._sent] == ["c"] and set(validation._answers) == {"a", "b"}
    assert [validation.collect(k, "validate_run").rows for k in ("c", "b", "a")] == [0, 3, 3]


def test_the_request_to_send_counts_in_the_bytes_unanswered(tmp_path, worker, monkeypatch):
    """The limit holds with the new request in it: one request unanswered, and the limit one byte short of it
    and the next together, its answer is read before the next is sent."""
    lake = _lake(tmp_path)
    validation.submit("a", "validate_run", USAGE, lake, ["2026-01-05"])
    ((_, size_a),) = validation._sent
    size_b = len(validation._worker.encode("validate_run", dict(os.environ), USAGE, lake, ["2026-01-06"]))
    monkeypatch.setattr(validation, "IN_FLIGHT_BYTES", size_a + size_b - 1)
    validation.submit("b", "validate_run", USAGE, lake, ["2026-01-06"])
    assert [key for key, _ in validation._sent] == ["b"] and set(validation._answers) == {"a"}
    assert [validation.collect(k, "validate_run").rows for k in ("b", "a")] == [0, 3]


def test_an_ingestion_step_asks_for_its_validation_and_goes_on(tmp_path, worker):
    """The ingestion step sends its dataset's validation to the worker and ends without waiting for the answer
    (the worker validates while the next dataset loads); the contract check's step collects it by the run and
    the dataset."""
    from dagster import materialize

    from orchestration.ingest.assets import build_ingest_asset
    from orchestration.partitions import daily_partitions
    from tests.conftest import work_settings

    day = tmp_path / "landing" / "usage_events" / "day=2026-01-05"
    day.mkdir(parents=True)
    (day / "events.jsonl").write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "event_id": "e2"}) + "\n")
    settings = work_settings(tmp_path)
    asset = build_ingest_asset(USAGE, daily_partitions("2026-01-01"))
    result = materialize([asset], partition_key="2026-01-05", resources={"finops": settings})
    assert result.success
    key = ("ge_contract", result.run_id, "usage_events")
    assert [k for k, _ in validation._sent] == [key]  # sent, its answer not read
    outcome = validation.collect(key, "validate_run", USAGE, settings.lake_dir, ["2026-01-05"])
    assert (outcome.rows, outcome.failures) == (2, [])
    assert not validation._sent and not validation._pending


def test_requests_left_when_the_worker_dies_are_computed_here(tmp_path, worker):
    """The worker dies answering an earlier request: that one raises when collected, the ones after it are
    computed in this process."""
    lake = _lake(tmp_path)
    validation.submit("dies", "validate_run", _EndsTheWorker())
    validation.submit("after", "validate_run", USAGE, lake, ["2026-01-05"])
    assert validation.collect("after", "validate_run", USAGE, lake, ["2026-01-05"]).rows == 3
    assert validation._worker is None and worker.process.poll() == 3
    with pytest.raises(RuntimeError, match="validation worker failed \\(validate_run, exit 3\\)"):
        validation.collect("dies", "validate_run", _EndsTheWorker())
    assert not validation._pending and not validation._answers


def test_a_worker_that_exited_between_requests_is_not_asked(tmp_path, worker):
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait()
    assert validation.outcome("validate_run", USAGE, _lake(tmp_path), ["2026-01-05"]).rows == 3
    assert validation._worker is None


def test_no_worker_when_turned_off(monkeypatch):
    monkeypatch.setenv("FINOPS_VALIDATION_WORKER", "0")
    assert not validation.start_worker() and validation._worker is None


RUN = """
import json, sys
from dagster import AssetCheckKey, AssetKey, DagsterInstance
from orchestration.ingest import engine
from orchestration.pipeline import run_pipeline
from tests.conftest import work_settings
from pathlib import Path

real_checks = engine._checks  # a reader bug planted in this process: unknown platforms reach the lake
engine._checks = lambda c: [x for x in real_checks(c) if x[2] != "unknown_value"]
instance = DagsterInstance.ephemeral()
outcome = run_pipeline(work_settings(Path(sys.argv[1])), instance=instance, quiet=True)
key = AssetCheckKey(AssetKey(["raw", "usage_events"]), "ge_contract")
[record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
evaluation = record.event.dagster_event.event_specific_data
failures = [(f["column"], f["unexpected"]) for f in evaluation.metadata["failures"].value]
print(json.dumps([outcome.success, evaluation.passed, failures, "great_expectations" in sys.modules]))
"""


def test_a_run_validates_in_the_worker_and_is_still_stopped(tmp_path):
    """A run in a new process: its contract check fails on the record the planted reader bug let through, the
    run stops, and the run's own process never imported Great Expectations."""
    day = tmp_path / "landing" / "usage_events" / "day=2026-01-05"
    day.mkdir(parents=True)
    (day / "events.jsonl").write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "platform": "ibm_watson"}) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINOPS_")}
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(tmp_path)], capture_output=True, text=True, env=env, timeout=300, check=True
    )
    success, passed, failures, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert (success, passed, failures) == (False, False, [["platform__lower", 1]])
    assert imported is False
