"""The in-memory Dagster instance a run without DAGSTER_HOME executes on, with an event log storage that writes
through one connection.

Dagster's `InMemoryEventLogStorage` keeps its events in an in-memory SQLite database and holds one connection to
it for its whole life, but opens a new connection for every write (SQLAlchemy's NullPool), runs two PRAGMAs on it
and closes it; it also opens one for every `has_table` question its writes ask (most asset events ask one). The
demo's run stores ~2,600 events (a materialization per asset and day, the check evaluations, the steps' lines).
`HeldConnectionEventLogStorage` writes through the connection it holds, under the same lock, in the thread that
made it (SQLite's connections belong to their thread), and answers `has_table` once per table (the tables are
made when the storage is, and never dropped); any other thread goes the storage's own way. The same rows either
way: only how they reach the database differs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster import DagsterInstance
from dagster._core.instance import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage


class HeldConnectionEventLogStorage(InMemoryEventLogStorage):
    """`InMemoryEventLogStorage` writing through the connection it holds (in the thread that made it)."""

    def __init__(self, inst_data=None, preload=None):
        self._owner = threading.get_ident()
        self._tables: set[str] = set()
        # the PRAGMAs Dagster's storage runs on each new connection are not run on the one it holds: the journal
        # mode of an in-memory database is `memory` whatever is asked, and the event log's tables have no foreign keys
        super().__init__(inst_data, preload)

    @contextmanager
    def _connect(self) -> Iterator[db.Connection]:
        if threading.get_ident() != self._owner:
            with super()._connect() as conn:
                yield conn
            return
        with self._db_lock:
            with self._held_conn.begin():
                yield self._held_conn

    def has_table(self, table_name: str) -> bool:
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found


def ephemeral_instance() -> DagsterInstance:
    """What `DagsterInstance.ephemeral()` makes, with `HeldConnectionEventLogStorage` as its event log storage."""
    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=HeldConnectionEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
