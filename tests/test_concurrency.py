"""One writer at a time, readers on the published copy: a second refresh fails fast (or waits) with a clear
message; a crashed holder never leaves the lock stuck; BI readers query the published file during a run
without blocking it and without seeing a half-built table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from orchestration.cli import EX_TEMPFAIL, main
from orchestration.settings import Settings
from orchestration.warehouse import WarehouseBusy, writer_lock
from tests.conftest import PROJECT_DIR

HOLD = """
import sys, time
from orchestration.settings import Settings
from orchestration.warehouse import writer_lock
with writer_lock(Settings.from_env(), what="test holder"):
    print("locked", flush=True)
    time.sleep(120)
"""


def _holder():
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_lock_is_exclusive_reentrant_and_freed_by_a_crash(isolated_env):
    settings = Settings.from_env()
    with writer_lock(settings), writer_lock(settings):  # re-entrant within a process
        pass
    holder = _holder()
    try:
        with pytest.raises(WarehouseBusy, match=f'"pid": {holder.pid}.*"what": "test holder"'):
            with writer_lock(settings, wait_seconds=0):
                pass
        with pytest.raises(WarehouseBusy, match="waited 0.5 s"):
            with writer_lock(settings, wait_seconds=0.5):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the OS released the lock with the killed process: nothing stale to clean up
    with writer_lock(settings, wait_seconds=0):
        pass


def test_second_refresh_fails_fast_or_waits(isolated_env, capsys):
    holder = _holder()
    try:
        started = time.monotonic()
        assert main(["run", "--events", "3000", "--days", "3"]) == EX_TEMPFAIL
        assert time.monotonic() - started < 30  # failed fast: no generation, no pipeline
        err = capsys.readouterr().err
        assert "is being written by another process" in err and f'"pid": {holder.pid}' in err
        assert not (isolated_env / "landing").exists() and not (isolated_env / "warehouse.duckdb").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # queued behind a holder that finishes: the run goes ahead once the lock is free
    holder = _holder()
    subprocess.Popen(["sh", "-c", f"sleep 2; kill -9 {holder.pid}"])
    assert main(["run", "--events", "3000", "--days", "3", "--wait", "60"]) == 0
    holder.wait()


def test_readers_query_the_published_copy_during_a_run(isolated_env):
    assert main(["run", "--events", "3000", "--days", "4"]) == 0
    published = isolated_env / "published" / "warehouse.duckdb"
    reader = duckdb.connect(str(published), read_only=True)
    [(before,)] = reader.execute("select count(*) from marts.fct_genai_requests").fetchall()
    assert before > 0
    # a second refresh with more data, in another process, while the reader stays connected and queries
    log = open(isolated_env / "second_run.log", "w")  # noqa: SIM115 (a file, not a pipe: Dagster logs a lot)
    run = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--regenerate", "--events", "6000", "--days", "4"],
        cwd=PROJECT_DIR,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    seen = set()
    while run.poll() is None:
        seen.add(reader.execute("select count(*) from marts.fct_genai_requests").fetchall()[0][0])
        time.sleep(0.2)
    log.close()
    assert run.returncode == 0, (isolated_env / "second_run.log").read_text()[-3000:]
    assert seen == {before}  # the open connection keeps the version it opened: never half-built
    reader.close()
    with duckdb.connect(str(published), read_only=True) as fresh:
        [(after,)] = fresh.execute("select count(*) from marts.fct_genai_requests").fetchall()
    assert after > before
