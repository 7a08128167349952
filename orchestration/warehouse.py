"""One writer at a time, and a read-only copy for everybody else.

DuckDB lets one process write a database file, and a reader holding the file open stops the writer. So:
every step that writes (ingestion into the lake, dbt into the warehouse) runs under an exclusive lock on
`<warehouse>.lock` (an OS file lock: released when the process ends, even by SIGKILL, so a crashed run never
leaves it stuck), and a second refresh fails fast with a message naming the holder, or waits if asked.
After a successful build the warehouse file is copied to FINOPS_PUBLISHED_PATH and swapped in with an
atomic rename: BI tools read that copy (read-only), never block the writer and never see a half-built
table; a reader that keeps a connection open keeps the version it opened.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from orchestration.settings import Settings


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse."""


_held: dict[str, int] = {}  # lock path -> nesting depth in this process (the lock is re-entrant per process)
_guard = threading.Lock()


def lock_path(settings: Settings) -> Path:
    return Path(settings.duckdb_path + ".lock")


@contextmanager
def writer_lock(
    settings: Settings, wait_seconds: float | None = None, what: str = "refresh", on_wait=None
) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait up to `wait_seconds` (default FINOPS_LOCK_WAIT_SECONDS, 0) for
    another holder, then raise WarehouseBusy naming it. `on_wait(message)` is told once when the wait starts."""
    path = lock_path(settings)
    key = str(path)
    with _guard:
        if _held.get(key):
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    if wait_seconds is None:
        wait_seconds = float(os.environ.get("FINOPS_LOCK_WAIT_SECONDS", "0"))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 (held for the lock's lifetime)
    deadline = time.monotonic() + wait_seconds
    told = False
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait and wait_seconds > 0 and not told:
                    handle.seek(0)
                    on_wait(
                        f"waiting up to {wait_seconds:g} s for the writer lock ({handle.read().strip() or 'unknown'})"
                    )
                    told = True
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise WarehouseBusy(
                        f"the warehouse {settings.duckdb_path} is being written by another process ({holder}); "
                        f"waited {wait_seconds:g} s. Try again when it has finished, or pass --wait SECONDS "
                        "(FINOPS_LOCK_WAIT_SECONDS) to queue behind it."
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(json.dumps({"pid": os.getpid(), "what": what, "since": started}))
        handle.flush()
        with _guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _guard:
                _held.pop(key, None)
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
