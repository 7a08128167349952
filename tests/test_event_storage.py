"""The in-memory instance's event log storage writes through the connection it holds, and stores what Dagster's
own in-memory storage stores, event by event or a batch at a time."""

from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as db
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    DagsterEventType,
    DagsterInstance,
)
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._serdes import deserialize_value

from orchestration.event_storage import HeldConnectionEventLogStorage, ephemeral_instance
from orchestration.pipeline import dagster_instance

pytestmark = pytest.mark.unit

KEY = AssetKey(["raw", "usage_events"])


def _report(instance, days: range) -> None:
    """A materialization per day (what a run over many days records for each asset) and a check evaluation."""
    for day in days:
        instance.report_runless_asset_event(
            AssetMaterialization(asset_key=KEY, partition=f"2026-01-{day:02d}", metadata={"records_loaded": day})
        )
    instance.report_runless_asset_event(
        AssetCheckEvaluation(asset_key=KEY, check_name="records_reconcile", passed=True, metadata={"files": 3})
    )


def _connections(storage) -> list[int]:
    """The threads of every new database connection `storage`'s engine opens from now on."""
    opened: list[int] = []
    db.event.listen(storage._engine, "connect", lambda *_: opened.append(threading.get_ident()))
    return opened


def test_a_run_without_dagster_home_gets_the_held_connection_storage(monkeypatch, tmp_path):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with dagster_instance() as instance:
        assert type(instance.event_log_storage) is HeldConnectionEventLogStorage
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    with dagster_instance() as instance:
        assert type(instance.event_log_storage) is not HeldConnectionEventLogStorage


def test_writes_after_the_first_open_no_connection():
    with ephemeral_instance() as instance:
        storage = instance.event_log_storage
        _report(instance, range(1, 3))  # the first questions of each table (has_table) open one connection each
        opened = _connections(storage)
        _report(instance, range(3, 31))
        assert opened == []
        records = instance.fetch_materializations(KEY, limit=100).records
        assert sorted(r.partition_key for r in records) == [f"2026-01-{d:02d}" for d in range(1, 31)]
        assert {r.asset_materialization.metadata["records_loaded"].value for r in records} == set(range(1, 31))


def test_another_thread_writes_through_connections_of_its_own():
    with ephemeral_instance() as instance:
        opened = _connections(instance.event_log_storage)
        failures: list[Exception] = []

        def write() -> None:
            try:
                _report(instance, range(1, 4))
            except Exception as exc:  # the assertion below shows it
                failures.append(exc)

        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
        assert failures == []
        assert opened and set(opened) == {thread.ident}
        assert len(instance.fetch_materializations(KEY, limit=10).records) == 3


def _tables(storage) -> dict[str, list[dict]]:
    """Every table's rows, but the time each row was written (`create_timestamp`, the database's default)."""
    out = {}
    with storage._engine.connect() as conn:
        for (table,) in conn.execute(db.text("select name from sqlite_master where type = 'table'")):
            rows = conn.execute(db.text(f'select * from "{table}"')).mappings().fetchall()
            out[table] = [{k: v for k, v in row.items() if k != "create_timestamp"} for row in rows]
    return out


def test_the_same_rows_as_dagsters_own_in_memory_storage():
    with DagsterInstance.ephemeral() as instance:
        _report(instance, range(1, 6))
        with instance.event_log_storage._engine.connect() as conn:
            events = [
                deserialize_value(e) for (e,) in conn.execute(db.text("select event from event_logs order by id"))
            ]
    stored = []
    for storage in (InMemoryEventLogStorage(), HeldConnectionEventLogStorage()):
        for event in events:
            storage.store_event(event)
        stored.append(_tables(storage))
        storage.dispose()
    dagsters, held = stored
    assert len(dagsters["event_logs"]) == 6 and len(dagsters["asset_check_executions"]) == 1
    assert held == dagsters


def _events(report) -> list:
    """The events `report(instance)` stores, as Dagster's own in-memory instance stored them (in order)."""
    with DagsterInstance.ephemeral() as instance:
        report(instance)
        with instance.event_log_storage._engine.connect() as conn:
            return [deserialize_value(e) for (e,) in conn.execute(db.text("select event from event_logs order by id"))]


def test_a_batch_of_materializations_stores_the_rows_of_one_event_at_a_time():
    other = AssetKey(["raw", "kpi_events"])

    def report(instance) -> None:
        _report(instance, range(1, 4))
        tags = {"dagster/data_version": "v"}  # an indexed tag: a row of asset_event_tags each
        for day in (1, 2):
            instance.report_runless_asset_event(
                AssetMaterialization(asset_key=other, partition=f"2026-01-{day:02d}", tags=tags)
            )
        for day in (4, 5):
            instance.report_runless_asset_event(AssetMaterialization(asset_key=KEY, partition=f"2026-01-{day:02d}"))
        instance.report_runless_asset_event(AssetObservation(asset_key=KEY, partition="2026-01-05"))

    events = _events(report)
    assert len(events) == 9
    dagsters = InMemoryEventLogStorage()
    for event in events:
        dagsters.store_event(event)
    held = HeldConnectionEventLogStorage()
    held.store_event_batch(events[:3])  # three days of one asset
    held.store_event(events[3])  # a check evaluation: never in a batch
    held.store_event_batch(events[4:7])  # two assets in one batch
    held.store_event_batch(events[7:])  # a materialization, then an observation of the same asset
    expected, stored = _tables(dagsters), _tables(held)
    assert len(expected["event_logs"]) == 9 and len(expected["asset_keys"]) == 2
    assert len(expected["asset_event_tags"]) == 2
    assert stored == expected
    assert held._storage_id == dagsters._storage_id == 9
    dagsters.dispose()
    held.dispose()


def test_a_run_over_many_days_hands_each_assets_materializations_over_as_one_batch(monkeypatch):
    from dagster import BackfillPolicy, DailyPartitionsDefinition, Definitions, MaterializeResult, asset
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    batches: list[tuple[int, set]] = []  # each batch's size and kinds of event
    store_event_batch = HeldConnectionEventLogStorage.store_event_batch

    def counted(self, events) -> None:
        batches.append((len(events), {e.dagster_event_type for e in events}))
        store_event_batch(self, events)

    monkeypatch.setattr(HeldConnectionEventLogStorage, "store_event_batch", counted)

    @asset(partitions_def=DailyPartitionsDefinition("2026-01-01"), backfill_policy=BackfillPolicy.single_run())
    def landing(context):
        return MaterializeResult(metadata={"days": len(context.partition_keys)})

    job = Definitions(assets=[landing]).resolve_implicit_global_asset_job_def()
    tags = {ASSET_PARTITION_RANGE_START_TAG: "2026-01-01", ASSET_PARTITION_RANGE_END_TAG: "2026-01-31"}
    with ephemeral_instance() as instance:
        assert job.execute_in_process(instance=instance, tags=tags).success
        records = instance.fetch_materializations(landing.key, limit=100).records
        planned, materialized = DagsterEventType.ASSET_MATERIALIZATION_PLANNED, DagsterEventType.ASSET_MATERIALIZATION
        assert batches == [(31, {planned}), (31, {materialized})]
        assert sorted(r.partition_key for r in records) == [f"2026-01-{d:02d}" for d in range(1, 32)]
        assert instance.get_latest_materialization_event(landing.key).dagster_event.partition == "2026-01-31"
    batches.clear()
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "0")  # batching off: Dagster stores event by event
    with ephemeral_instance() as instance:
        assert job.execute_in_process(instance=instance, tags=tags).success
        assert batches == []
        assert len(instance.fetch_materializations(landing.key, limit=100).records) == 31


def test_the_event_bench_runs_both_ways_and_leaves_the_environment_as_it_was(monkeypatch, capsys):
    from orchestration.tools import event_bench

    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    monkeypatch.delenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", raising=False)
    assert event_bench.main(["--assets", "2", "--days", "3", "--checks", "1", "--repeats", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2 assets x 3 days, 1 checks each"
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["batched", "event by event"]
    assert "DAGSTER_EVENT_BATCH_SIZE" not in os.environ
    assert "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS" not in os.environ
