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

A run over many days records a materialization per asset and day (the demo's: 15 ingestion assets x 92 days), and
Dagster hands the ones of one output to the storage as a batch when the instance batches events (Dagster's
`DAGSTER_EVENT_BATCH_SIZE`; the in-memory instance here batches up to EVENT_BATCH_SIZE unless that variable says
otherwise). Dagster's SQL storages store a batch event by event; `store_event_batch` here writes a batch of
asset events (materializations, planned materializations, observations) in one transaction: each event's row and
its indexed tags as before, and the asset's row (its last materialization, run and time) from the batch's last
event of each kind of that asset, where event by event wrote that row once per event, each write replacing the
one before. The tables end the same.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as db
from dagster import DagsterEventType, DagsterInstance
from dagster._core.events.log import EventLogEntry
from dagster._core.instance import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.event_log.base import EventLogCursor
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage
from dagster._core.storage.sqlalchemy_compat import db_result

# the events of one output Dagster hands over at once at most (a run over a year of days: 366 per asset)
EVENT_BATCH_SIZE = 1000
BATCHED_EVENTS = (
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    DagsterEventType.ASSET_OBSERVATION,
)


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

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """The events in one transaction (see the module's docstring); event by event (Dagster's way) from another
        thread or when the batch holds anything but BATCHED_EVENTS of assets."""
        batchable = all(
            e.is_dagster_event and e.dagster_event_type in BATCHED_EVENTS and e.dagster_event.asset_key for e in events
        )
        if not events or not batchable or threading.get_ident() != self._owner:
            for event in events:
                self.store_event(event)
            return
        with self._connect() as conn:
            ids = []
            for event in events:
                with db_result(conn, self.prepare_insert_event(event)) as result:
                    ids.append(result.inserted_primary_key[0])
            self._store_asset_event_tags(conn, events, ids)
            # per asset, the last event of each kind, in the batch's order: each column of the asset's row ends with
            # the value of the last event that writes it, as when every event wrote it in turn
            last = {(e.dagster_event.asset_key, e.dagster_event_type): i for i, e in enumerate(events)}
            for i in sorted(last.values()):
                self._store_asset_event(conn, events[i], ids[i])
        for event in events:  # what InMemoryEventLogStorage.store_event does after each event it stored
            self._storage_id += 1
            for handler in list(self._handlers[event.run_id]):
                try:
                    handler(event, str(EventLogCursor.from_storage_id(self._storage_id)))
                except Exception:
                    logging.exception("Exception in callback for event watch on run %s.", event.run_id)

    def has_table(self, table_name: str) -> bool:
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found


class BatchingInstance(DagsterInstance):
    """A Dagster instance that hands a step's materializations of one output to its storage as a batch: up to
    DAGSTER_EVENT_BATCH_SIZE events where that variable is set, else EVENT_BATCH_SIZE."""

    def _get_event_batch_size(self) -> int:
        return int(os.environ.get("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE))


def ephemeral_instance() -> DagsterInstance:
    """What `DagsterInstance.ephemeral()` makes, with `HeldConnectionEventLogStorage` as its event log storage and
    events batched (BatchingInstance)."""
    return BatchingInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=HeldConnectionEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
