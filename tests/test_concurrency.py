"""One writer at a time, readers on the published copy: a second refresh fails fast (or waits, and says so)
with a clear message; a crashed holder never leaves the lock stuck; BI readers query the published file during
a run without blocking it and without seeing a half-built table. Every step waits for an event the code
emits, never for a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import duckdb
import pytest

from orchestration.cli import EX_TEMPFAIL, main
from orchestration.warehouse import WarehouseBusy, writer_lock
from tests.conftest import PROJECT_DIR, work_settings

pytestmark = pytest.mark.pipeline

# holds the writer lock until a line arrives on its standard input
HOLD = """
import sys
from orchestration.settings import Settings
from orchestration.warehouse import writer_lock
with writer_lock(Settings.from_env(duckdb_path=sys.argv[1]), what="test holder"):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def _holder(settings):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, settings.duckdb_path],
        cwd=PROJECT_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _release(holder) -> None:
    holder.stdin.write("done\n")
    holder.stdin.flush()
    assert holder.wait() == 0


def _landing(tmp_path):
    day = tmp_path / "landing" / "usage_events" / "day=2026-01-02"
    day.mkdir(parents=True)
    (day / "a.jsonl").write_text(
        '{"event_id": "a1", "occurred_at": "2026-01-02T10:00:00Z", "platform": "openai", "model": "gpt-5", '
        '"input_tokens": 10, "output_tokens": 2}\n'
    )
    return tmp_path / "landing"


def test_lock_is_exclusive_reentrant_and_freed_by_a_crash(tmp_path):
    settings = work_settings(tmp_path)
    with writer_lock(settings), writer_lock(settings):  # re-entrant within a process
        pass
    holder = _holder(settings)
    try:
        with pytest.raises(WarehouseBusy, match=f'"pid": {holder.pid}.*"what": "test holder"'):
            with writer_lock(settings, wait_seconds=0):
                pass
        told = []
        with pytest.raises(WarehouseBusy, match="waited 0.5 s"):
            with writer_lock(settings, wait_seconds=0.5, on_wait=told.append):
                pass
        assert len(told) == 1 and "test holder" in told[0]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the OS released the lock with the killed process: nothing stale to clean up
    with writer_lock(settings, wait_seconds=0):
        pass


def test_second_refresh_fails_fast(tmp_path, monkeypatch, capsys):
    settings = work_settings(tmp_path)
    landing = _landing(tmp_path)
    monkeypatch.setenv("FINOPS_DUCKDB_PATH", settings.duckdb_path)
    monkeypatch.setenv("FINOPS_LAKE_DIR", settings.lake_dir)
    holder = _holder(settings)
    try:
        assert main(["run", "--landing", str(landing)]) == EX_TEMPFAIL
        err = capsys.readouterr().err
        assert "is being written by another process" in err and f'"pid": {holder.pid}' in err
        assert not (tmp_path / "lake").exists() and not (tmp_path / "warehouse.duckdb").exists()
    finally:
        _release(holder)


def test_second_refresh_waits_when_asked(tmp_path):
    """With --wait the run says it waits, goes on once the holder lets go, and builds."""
    settings = work_settings(tmp_path)
    landing = _landing(tmp_path)
    holder = _holder(settings)
    env = {
        **os.environ,
        "FINOPS_DUCKDB_PATH": settings.duckdb_path,
        "FINOPS_LAKE_DIR": settings.lake_dir,
        "FINOPS_PUBLISHED_PATH": settings.published_path,
        "FINOPS_HASH_SALT": "s",
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--landing", str(landing), "--wait", "600"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    waited = False
    for line in run.stdout:  # the event: the run says it is waiting for the holder
        if "waiting up to 600 s for the writer lock" in line and "test holder" in line:
            waited = True
            break
    assert waited
    assert run.poll() is None and not (tmp_path / "warehouse.duckdb").exists()  # still waiting, nothing built
    _release(holder)
    rest = run.stdout.read()
    assert run.wait() == 0, rest[-3000:]
    assert '"success": true' in rest


def test_readers_query_the_published_copy_during_a_run(tmp_path):
    """`genai-finops demo` generates the demo in the formats real systems emit and builds it; a second demo run
    with more data replaces the published copy while a reader keeps querying the one it opened."""
    demo = tmp_path / "demo"
    assert main(["demo", "--dir", str(demo), "--events", "3000", "--days", "4"]) == 0
    published = demo / "published" / "warehouse.duckdb"
    reader = duckdb.connect(str(published), read_only=True)
    formats = {r[0] for r in reader.execute("select distinct source_format from marts.fct_genai_requests").fetchall()}
    assert formats == {"canonical", "otel", "bedrock_invocation", "litellm_spend", "anthropic_message"}
    [(before,)] = reader.execute("select count(*) from marts.fct_genai_requests").fetchall()
    assert before > 0
    # a second refresh with more data, in another process, while the reader stays connected and queries
    log = open(tmp_path / "second_run.log", "w")  # noqa: SIM115 (a file, not a pipe)
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "demo",
            "--dir",
            str(demo),
            "--regenerate",
            "--events",
            "6000",
            "--days",
            "4",
        ],
        cwd=PROJECT_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    seen = set()
    queries = 0
    while run.poll() is None:
        seen.add(reader.execute("select count(*) from marts.fct_genai_requests").fetchall()[0][0])
        queries += 1
    log.close()
    assert run.returncode == 0, (tmp_path / "second_run.log").read_text()[-3000:]
    assert queries > 0 and seen == {before}  # the open connection keeps the version it opened: never half-built
    reader.close()
    with duckdb.connect(str(published), read_only=True) as fresh:
        [(after,)] = fresh.execute("select count(*) from marts.fct_genai_requests").fetchall()
    assert after > before
