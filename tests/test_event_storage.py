"""The in-memory instance's event log storage writes through the connection it holds, and stores what Dagster's
own in-memory storage stores."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as db
from dagster import AssetCheckEvaluation, AssetKey, AssetMaterialization, DagsterInstance
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
