"""A hostile, careless landing folder, generated here: every entry is read or skipped with its reason, every
record lands or is quarantined with its reason, nothing is invented, and the user's files are byte-identical
after every command. One case per way a landing folder has been seen to lose or invent data."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from orchestration.pipeline import run_pipeline
from orchestration.settings import PROJECT_DIR
from tests.conftest import query, work_settings

pytestmark = pytest.mark.pipeline


USAGE = dataset("usage_events")
DAY = "2026-01-02"


def event(event_id: str, **overrides) -> dict:
    e = {
        "event_id": event_id,
        "occurred_at": "2026-01-02T09:00:00Z",
        "platform": "openai",
        "model": "gpt-5-2025-08-07",
        "use_case_id": "research_agent",
        "input_tokens": 1000,
        "output_tokens": 100,
    }
    e.update(overrides)
    return e


def jsonl(*events) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def snapshot(folder: Path) -> dict[str, str]:
    """Every regular file under a folder (links not followed) and the sha256 of its bytes."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The corpus, one pipeline run (Dagster, every dataset, dbt), and the landing folder before and after."""
    work = tmp_path_factory.mktemp("hostile")
    outside = work / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    landing = work / "landing"
    usage = landing / "usage_events"
    day = usage / f"day={DAY}"
    day.mkdir(parents=True)
    # 2. names that are glob patterns, read literally
    (day / "x[1].jsonl").write_text(jsonl(event("glob-bracket")))
    (day / "x1.jsonl").write_text(jsonl(event("glob-plain")))
    (day / "all*.jsonl").write_text(jsonl(event("glob-star")))
    # 3. names whose readable keys collide
    (day / "dup key.jsonl").write_text(jsonl(event("key-space")))
    (day / "dup_key.jsonl").write_text(jsonl(event("key-underscore")))
    (day / "same.jsonl").write_text(jsonl(event("same-jsonl")))
    (day / "same.csv").write_text(
        "event_id,occurred_at,platform,model,input_tokens,output_tokens\n"
        "same-csv,2026-01-02T09:00:00Z,openai,gpt-5-2025-08-07,10,1\n"
    )
    # 4. late data older than any lookback, in a file that arrived today
    (day / "late.jsonl").write_text(jsonl(event("late-2025", occurred_at="2025-06-01T12:00:00Z")))
    # 5. a FIFO named like a landing file (reading it would block forever)
    os.mkfifo(day / "pipe.jsonl")
    # 6. a 240-character file name
    (day / ("n" * 234 + ".jsonl")).write_text(jsonl(event("long-name")))
    # 7. stray names at the dataset's root and a day folder that is no date
    (usage / "root.jsonl").write_text(jsonl(event("at-root")))
    (usage / "README.txt").write_text("notes\n")
    (usage / "day=2026-13-45").mkdir()
    (usage / "day=2026-13-45" / "a.jsonl").write_text(jsonl(event("bad-day")))
    # 8. misplaced and misnamed
    (day / "upper.JSONL").write_text(jsonl(event("upper-case-extension")))
    (day / "notes.txt").write_text(jsonl(event("txt")))
    (day / "events.log").write_text(jsonl(event("log")))
    (day / "noextension").write_text(jsonl(event("noext")))
    (day / ".hidden.jsonl").write_text(jsonl(event("hidden")))
    (day / "sub").mkdir()
    (day / "sub" / "deeper.jsonl").write_text(jsonl(event("nested")))
    (usage / "DAY=2026-01-02").mkdir()
    (usage / "DAY=2026-01-02" / "a.jsonl").write_text(jsonl(event("upper-day")))
    (usage / "day=2026-1-2").mkdir()
    (usage / "day=2026-1-2" / "a.jsonl").write_text(jsonl(event("short-day")))
    (landing / "usage-events" / f"day={DAY}").mkdir(parents=True)
    (landing / "usage-events" / f"day={DAY}" / "a.jsonl").write_text(jsonl(event("dash-folder")))
    (landing / "NOTES.txt").write_text("the user's notes: never touched\n")
    # 9. a timestamp without a zone (UTC, whatever the host's zone)
    (day / "naive.jsonl").write_text(jsonl(event("naive-time", occurred_at="2026-01-02 23:30:00")))
    # 10. conflicting duplicates: the same id, other counts, delivered on two days
    (day / "conflict_a.jsonl").write_text(jsonl(event("conflict", input_tokens=100)))
    next_day = usage / "day=2026-01-03"
    next_day.mkdir()
    (next_day / "conflict_b.jsonl").write_text(jsonl(event("conflict", input_tokens=999_999)))
    (next_day / "same_again.jsonl").write_text(jsonl(event("glob-plain")))  # an agreeing duplicate
    # 11. one bad record among good ones: quarantined, the warehouse still builds
    (day / "bad_values.jsonl").write_text(
        jsonl(
            event("ok-among-bad"),
            event("unknown-platform", platform="ibm_watson"),
            event("before-2020", occurred_at="2019-12-31T23:59:59Z"),
        )
    )
    # 12. lenient parsing: duplicate keys, strings for numbers, control characters, formulas
    (day / "lenient.jsonl").write_text(
        '{"event_id": "dup-key", "occurred_at": "2026-01-02T09:00:00Z", "platform": "openai", '
        '"model": "gpt-5", "input_tokens": 100, "input_tokens": 999999, "output_tokens": 1}\n'
        + jsonl(
            event("underscore-number", input_tokens="1_000"),
            event("padded-number", input_tokens=" 12"),
            event("string-digits", input_tokens="12"),
            event("nul", use_case_id="research\u0000agent"),
            event("formula", use_case_id='=HYPERLINK("http://evil.example","x")'),
            event("plus-formula", team="+cmd|' /C calc'!A0"),
        )
    )
    os.symlink(outside / "passwd", day / "passwd.jsonl")  # a link out of the landing folder
    os.symlink(day / "x1.jsonl", usage / "day=2026-01-03" / "linked.jsonl")  # a link inside it: read
    before = snapshot(landing)

    settings = work_settings(work, landing)
    outcome = run_pipeline(settings, instance=DagsterInstance.ephemeral(), quiet=True)
    return work, landing, before, outcome


def _log(work):
    rows = query(
        work,
        "select regexp_replace(source_file, '^.*/usage_events/', ''), file_status, records_read, records_loaded, "
        "records_quarantined, skip_reason from staging.stg_lake__ingestion_log where dataset = 'usage_events'",
    )
    return {r[0]: r[1:] for r in rows}


def test_the_run_succeeds_and_the_landing_folder_is_untouched(hostile):
    work, landing, before, outcome = hostile
    assert outcome.success
    assert snapshot(landing) == before
    assert (landing / "NOTES.txt").read_text() == "the user's notes: never touched\n"


def test_every_entry_is_read_or_skipped_with_its_reason(hostile):
    log = _log(hostile[0])
    skipped = {path: row[4] for path, row in log.items() if row[0] == "skipped"}
    assert skipped == {
        "README.txt": "not_in_a_day_folder",
        "root.jsonl": "not_in_a_day_folder",
        "day=2026-13-45/": "not_a_day_folder",
        "DAY=2026-01-02/": "not_a_day_folder",
        "day=2026-1-2/": "not_a_day_folder",
        f"day={DAY}/pipe.jsonl": "not_a_regular_file",
        f"day={DAY}/notes.txt": "unsupported_extension",
        f"day={DAY}/events.log": "unsupported_extension",
        f"day={DAY}/noextension": "unsupported_extension",
        f"day={DAY}/.hidden.jsonl": "hidden_file",
        f"day={DAY}/sub/": "nested_folder",
        f"day={DAY}/passwd.jsonl": "outside_landing",
    }
    loaded = {path for path, row in log.items() if row[0] == "loaded"}
    assert loaded == {
        f"day={DAY}/{name}"
        for name in (
            "x[1].jsonl",
            "x1.jsonl",
            "all*.jsonl",
            "dup key.jsonl",
            "dup_key.jsonl",
            "same.jsonl",
            "same.csv",
            "late.jsonl",
            "n" * 234 + ".jsonl",
            "upper.JSONL",
            "naive.jsonl",
            "conflict_a.jsonl",
            "bad_values.jsonl",
            "lenient.jsonl",
        )
    } | {"day=2026-01-03/conflict_b.jsonl", "day=2026-01-03/same_again.jsonl", "day=2026-01-03/linked.jsonl"}
    # read = loaded + quarantined for every file, and what the log says is what the lake holds
    assert query(
        hostile[0],
        "select count(*), count(*) filter (where is_reconciled) from marts.rpt_ingestion_reconciliation "
        "where dataset = 'usage_events'",
    ) == [(len(log), len(log))]


def test_file_names_are_not_patterns_and_keys_do_not_collide(hostile):
    log = _log(hostile[0])
    for name in ("x[1].jsonl", "x1.jsonl", "all*.jsonl", "dup key.jsonl", "dup_key.jsonl", "same.jsonl", "same.csv"):
        assert log[f"day={DAY}/{name}"][1:4] == (1, 1, 0), name
    keys = query(hostile[0], "select count(distinct file_key), count(*) from staging.stg_lake__ingestion_log")
    assert keys[0][0] == keys[0][1]
    ids = {r[0] for r in query(hostile[0], "select event_id from marts.fct_genai_requests")}
    assert {"glob-bracket", "glob-plain", "glob-star", "key-space", "key-underscore", "same-jsonl", "same-csv"} <= ids
    assert "long-name" in ids and "upper-case-extension" in ids


def test_late_data_of_any_age_reaches_the_facts(hostile):
    assert query(hostile[0], "select event_date from marts.fct_genai_requests where event_id = 'late-2025'") == [
        (__import__("datetime").date(2025, 6, 1),)
    ]


def test_nothing_stray_is_loaded(hostile):
    ids = {r[0] for r in query(hostile[0], "select event_id from marts.fct_genai_requests")}
    stray = {"at-root", "bad-day", "txt", "log", "noext", "hidden", "nested", "upper-day", "short-day", "dash-folder"}
    assert ids & stray == set()


def test_naive_timestamps_are_utc(hostile):
    assert query(
        hostile[0], "select occurred_at, event_date from marts.fct_genai_requests where event_id = 'naive-time'"
    ) == [(__import__("datetime").datetime(2026, 1, 2, 23, 30), __import__("datetime").date(2026, 1, 2))]


def test_conflicting_duplicates_keep_the_latest_and_are_counted(hostile):
    work = hostile[0]
    assert query(
        work,
        "select input_tokens, delivered_copies, has_conflicting_copies from marts.fct_genai_requests "
        "where event_id in ('conflict', 'glob-plain') order by event_id",
    ) == [(999_999, 2, True), (1000, 3, False)]
    assert query(
        work,
        "select source_format, event_date, duplicated_events, conflicting_events from marts.rpt_delivery_conflicts",
    ) == [("canonical", __import__("datetime").date(2026, 1, 2), 2, 1)]


def test_bad_records_are_quarantined_each_with_its_reason(hostile):
    rows = query(
        hostile[0],
        "select regexp_replace(source_file, '^.*/', ''), line_no, field, reason from staging.stg_lake__quarantine "
        "order by 1, 2",
    )
    assert rows == [
        ("bad_values.jsonl", 2, "platform", "unknown_value"),
        ("bad_values.jsonl", 3, "occurred_at", "timestamp_out_of_range"),
        ("lenient.jsonl", 1, None, "duplicate_key"),
        ("lenient.jsonl", 2, "input_tokens", "not_a_number"),
        ("lenient.jsonl", 3, "input_tokens", "not_a_number"),
        ("lenient.jsonl", 5, "use_case_id", "control_character"),
        ("lenient.jsonl", 6, "use_case_id", "formula_like_text"),
        ("lenient.jsonl", 7, "team", "formula_like_text"),
    ]
    ids = {r[0] for r in query(hostile[0], "select event_id from marts.fct_genai_requests")}
    assert {"ok-among-bad", "string-digits"} <= ids  # strictly digits as a string: accepted


def test_the_run_reports_what_it_did_not_read(hostile, capsys):
    """The command line names the entries it skipped and the top-level entries that are no dataset folder."""
    from orchestration.cli import report_unread

    work, landing, _, _ = hostile
    report_unread(work_settings(work, landing))
    out = capsys.readouterr().out
    assert (
        "not read: usage-events/ (not a dataset folder)" in out and "not read: NOTES.txt (not a dataset folder)" in out
    )
    assert "not read: usage_events/README.txt: not_in_a_day_folder" in out


# --- commands never delete, overwrite or invent ------------------------------------------------------------


def _cli(*args, env=None, **kw):
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        **kw,
    )


def test_demo_and_sample_data_refuse_a_folder_with_the_users_files(tmp_path):
    users = tmp_path / "mine"
    (users / "landing" / "usage_events" / f"day={DAY}").mkdir(parents=True)
    (users / "landing" / "usage_events" / f"day={DAY}" / "calls.jsonl").write_text(jsonl(event("mine")))
    (users / "landing" / "NOTES.txt").write_text("notes\n")
    before = snapshot(users)
    proc = _cli("sample-data", "--out", str(users / "landing"), "--events", "1000", "--days", "2")
    assert proc.returncode == 2 and "not empty and holds no demo data" in proc.stderr
    proc = _cli("demo", "--dir", str(users), "--events", "1000", "--days", "2")
    assert proc.returncode == 2 and "not empty and holds no demo data" in proc.stderr
    assert snapshot(users) == before


def test_regenerating_a_demo_removes_only_its_own_files(tmp_path):
    from orchestration.tools.sample_data.generator import generate

    demo = tmp_path / "demo"
    generate(demo, events=1000, days=2)
    (demo / "NOTES.txt").write_text("mine\n")
    (demo / "usage_events" / "mine.jsonl").write_text("{}\n")
    generate(demo, events=1200, days=3)
    assert (demo / "NOTES.txt").read_text() == "mine\n" and (demo / "usage_events" / "mine.jsonl").exists()
    manifest = json.loads((demo / "_manifest.json").read_text())
    assert manifest["days"] == 3 and "NOTES.txt" not in manifest["files"]
    assert {p for p in manifest["files"]} == {
        str(p.relative_to(demo))
        for p in demo.rglob("*")
        if p.is_file() and p.name not in ("NOTES.txt", "mine.jsonl", "_manifest.json")
    }


def test_run_on_a_missing_or_empty_folder_says_how_to_get_demo_data(tmp_path):
    missing = tmp_path / "typo"
    proc = _cli("run", "--landing", str(missing))
    assert proc.returncode == 66 and "does not exist" in proc.stderr and "genai-finops demo" in proc.stderr
    assert not missing.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = _cli("run", "--landing", str(empty), env={"FINOPS_DUCKDB_PATH": str(tmp_path / "w.duckdb")})
    assert proc.returncode == 66 and "no landing files" in proc.stderr and "genai-finops demo" in proc.stderr
    assert list(empty.iterdir()) == []


def test_run_reads_exactly_the_users_files(tmp_path):
    """`genai-finops run` on a folder of the user's own files plus NOTES.txt: those records and nothing else."""
    landing = tmp_path / "landing"
    (landing / "usage_events" / f"day={DAY}").mkdir(parents=True)
    (landing / "usage_events" / f"day={DAY}" / "calls.jsonl").write_text(jsonl(event("u1"), event("u2")))
    (landing / "NOTES.txt").write_text("notes\n")
    before = snapshot(landing)
    env = {k: v for k, v in {**os.environ}.items()}
    paths = {
        "FINOPS_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "FINOPS_LAKE_DIR": str(tmp_path / "lake"),
        "FINOPS_PUBLISHED_PATH": str(tmp_path / "published.duckdb"),
    }
    proc = _cli("run", "--landing", str(landing), env={**env, **paths})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert snapshot(landing) == before
    assert "NOTES.txt (not a dataset folder)" in proc.stdout
    assert "created a random salt" in proc.stdout + proc.stderr  # not the public demo salt
    assert query(tmp_path, "select event_id from marts.fct_genai_requests order by 1") == [("u1",), ("u2",)]


# --- a hung or slow reader never holds the warehouse -----------------------------------------------------


def _slow_and_fine(tmp_path) -> None:
    """A landing day of two one-event files: a_slow.jsonl (the one a test slows down) and b_fine.jsonl."""
    day = tmp_path / "landing" / "usage_events" / f"day={DAY}"
    day.mkdir(parents=True)
    (day / "a_slow.jsonl").write_text(jsonl(event("slow")))
    (day / "b_fine.jsonl").write_text(jsonl(event("fine")))


def test_a_file_that_reads_too_long_is_interrupted_and_logged(tmp_path, monkeypatch):
    """A reader that would run for hours (here: a relation over 10^12 rows standing in for a hung network file)
    is interrupted by the per-file time limit: the file is logged unreadable, the next one loads."""
    from orchestration.ingest import engine

    _slow_and_fine(tmp_path)
    real_relation = engine._source_relation

    def relation(con, contract, files):
        sql = real_relation(con, contract, files)
        if any("slow" in open(path).read() for path, _ in files):
            return f"select * from ({sql}) where (select count(*) from range(1000000000000)) > 0"
        return sql

    monkeypatch.setattr(engine, "_source_relation", relation)
    slow, fine = ingest_day(USAGE, DAY, str(tmp_path / "landing"), str(tmp_path / "lake"), "salt", file_timeout_s=1)
    assert (slow.status, slow.records_read) == ("unreadable", 0) and slow.error.startswith("timed out after 1 s")
    assert (fine.status, fine.records_loaded) == ("loaded", 1)


def test_a_time_limit_reached_between_two_statements_still_stops_the_file(tmp_path, monkeypatch):
    """The time limit passes while a file is copied for reading (no statement running, so DuckDB's interrupt is
    forgotten): the batch starts no statement after it, the file is logged timed out, the next one loads."""
    from orchestration.ingest import engine

    _slow_and_fine(tmp_path)
    real_readable = engine._readable

    def readable(path, tmp, name):
        if "a_slow" in path:
            time.sleep(3)  # three times the limit of 1 s
        return real_readable(path, tmp, name)

    monkeypatch.setattr(engine, "_readable", readable)
    slow, fine = ingest_day(USAGE, DAY, str(tmp_path / "landing"), str(tmp_path / "lake"), "salt", file_timeout_s=1)
    assert (slow.status, slow.records_read) == ("unreadable", 0) and slow.error.startswith("timed out after 1 s")
    assert (fine.status, fine.records_loaded) == ("loaded", 1)


def _held_read(monkeypatch, tmp_path):
    """Three landing files, each a batch of its own; reading b_held.jsonl holds between two DuckDB statements
    (where DuckDB forgets an interrupt) until a stop is requested, 30 s at most. Returns the event set once the
    hold starts and a function reading the lake's log as {file: (status, error)}."""
    import threading

    import duckdb

    from orchestration.ingest import engine

    day = tmp_path / "landing" / "usage_events" / f"day={DAY}"
    day.mkdir(parents=True)
    for name in ("a_first", "b_held", "c_last"):
        (day / f"{name}.jsonl").write_text(jsonl(event(name)))
    monkeypatch.setattr(engine, "_batches", lambda tasks, workers: [[i] for i in range(len(tasks))])
    held = threading.Event()
    real_readable = engine._readable

    def readable(path, tmp, name):
        if "b_held" in path:
            held.set()
            deadline = time.monotonic() + 30
            while not engine._stop_requested and time.monotonic() < deadline:
                time.sleep(0.01)
        return real_readable(path, tmp, name)

    monkeypatch.setattr(engine, "_readable", readable)

    def log() -> dict:
        rows = duckdb.sql(
            f"select source_file, file_status, error "
            f"from read_parquet('{tmp_path}/lake/usage_events_ingestion_log/*/*.parquet')"
        ).fetchall()
        return {Path(path).stem: (status, error) for path, status, error in rows}

    return held, log


def test_a_stop_request_stops_the_file_being_read_even_between_two_statements(tmp_path, monkeypatch):
    """interrupt_reads (what the command's SIGTERM handler calls) while a file's batch is between two statements:
    the batch starts no further statement, so that file is logged interrupted instead of loaded; the files before
    and after it load."""
    import threading

    from orchestration.ingest import engine

    held, log = _held_read(monkeypatch, tmp_path)
    results = []
    reader = threading.Thread(
        target=lambda: results.extend(
            engine.ingest_days(USAGE, [DAY], str(tmp_path / "landing"), str(tmp_path / "lake"), "salt", workers=1)
        )
    )
    reader.start()
    assert held.wait(30)
    assert engine.interrupt_reads() == 1
    reader.join(60)
    assert {Path(r.source_file).stem: (r.status, r.records_loaded) for r in results} == {
        "a_first": ("loaded", 1),
        "b_held": ("unreadable", 0),
        "c_last": ("loaded", 1),
    }
    assert log()["b_held"] == ("unreadable", "interrupted: the run was asked to stop")
    assert not engine._stop_requested and not engine._live_connections


def test_a_stop_raised_in_the_ingestion_step_stops_its_reads_in_flight(tmp_path, monkeypatch):
    """The interruption Dagster raises in the step (where the command's SIGTERM handler does not run), here from
    the progress callback once the second file is being read: the read in flight stops (logged interrupted), the
    batch not begun is never read, and the interruption comes out as it is."""
    from orchestration.ingest import engine

    held, log = _held_read(monkeypatch, tmp_path)

    def progress(done, total, records):
        assert held.wait(30)
        raise KeyboardInterrupt("stop")

    with pytest.raises(KeyboardInterrupt, match="stop"):
        engine.ingest_days(
            USAGE, [DAY], str(tmp_path / "landing"), str(tmp_path / "lake"), "salt", workers=1, on_progress=progress
        )
    assert log() == {
        "a_first": ("loaded", None),
        "b_held": ("unreadable", "interrupted: the run was asked to stop"),
    }
    assert not engine._stop_requested and not engine._live_connections


def test_a_stop_inside_a_dagster_step_reaches_the_command_and_its_sigterm_handler_is_put_back(tmp_path):
    """pipeline._execute on two one-step jobs: Dagster replaces the command's SIGTERM handler while it executes and
    leaves Python's Ctrl-C handler behind; the command's own is put back after a run, and a step stopped by an
    interrupt (which Dagster records as a failed run) reaches the command as the stop it is, also when another
    error is raised while the step unwinds from it."""
    from dagster import job, op

    from orchestration import pipeline
    from orchestration.logs import finops_console

    @op
    def quiet():
        return None

    @op
    def stopped():
        raise KeyboardInterrupt("Ctrl-C while a step runs")

    @job(logger_defs={"console": finops_console})
    def finishes():
        quiet()

    @op
    def fails_while_it_stops():
        from dagster._core.errors import DagsterExecutionInterruptedError

        try:
            raise DagsterExecutionInterruptedError()  # what Dagster's handler raises in a step on SIGINT or SIGTERM
        finally:
            raise RuntimeError("a connection refused to close while the step unwound")  # noqa: B012

    @job(logger_defs={"console": finops_console})
    def interrupted_in_a_step():
        stopped()

    @job(logger_defs={"console": finops_console})
    def interrupted_then_failed():
        fails_while_it_stops()

    def commands_own(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    settings = work_settings(tmp_path)
    previous = signal.signal(signal.SIGTERM, commands_own)
    try:
        outcome = pipeline._execute(finishes, settings, DAY, DAY, DagsterInstance.ephemeral(), None, None, True)
        assert outcome.success
        assert signal.getsignal(signal.SIGTERM) is commands_own
        with pytest.raises(KeyboardInterrupt, match="interrupted"):
            pipeline._execute(interrupted_in_a_step, settings, DAY, DAY, DagsterInstance.ephemeral(), None, None, True)
        assert signal.getsignal(signal.SIGTERM) is commands_own
        # an error raised while the step unwinds from the interruption: still a stop, not a failure
        with pytest.raises(KeyboardInterrupt, match="interrupted"):
            pipeline._execute(
                interrupted_then_failed, settings, DAY, DAY, DagsterInstance.ephemeral(), None, None, True
            )
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize("moment", ["run_started", "ingestion_step"])
def test_sigterm_stops_the_run_and_frees_the_warehouse(tmp_path, moment):
    """SIGTERM once the run holds the writer lock, or once Dagster runs the ingestion step (Dagster then holds the
    signal and raises its interruption in the step): the run stops, says so (exit 130), and the writer lock is free
    for the next run."""
    from orchestration.warehouse import writer_lock

    day = tmp_path / "landing" / "usage_events" / f"day={DAY}"
    day.mkdir(parents=True)
    for k in range(4):
        (day / f"big{k}.jsonl").write_text(jsonl(*[event(f"b{k}_{i}") for i in range(150_000)]))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {
        "FINOPS_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "FINOPS_LAKE_DIR": str(tmp_path / "lake"),
        "FINOPS_INGEST_WORKERS": "1",
        "FINOPS_HASH_SALT": "s",
        "TMPDIR": str(scratch),  # where a batch being read has its scratch folder
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--landing", str(tmp_path / "landing")],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in proc.stdout:  # the event: the run has started building
        if "Dagster's event stream" in line:
            break
    run_log = Path(line.split(": ", 1)[1].strip())
    lock = Path(env["FINOPS_DUCKDB_PATH"] + ".lock")
    while proc.poll() is None and (not lock.exists() or not lock.read_text()):  # the run holds the writer lock
        pass
    if moment == "ingestion_step":  # Dagster's step of the usage events reads its first file
        while proc.poll() is None and not (
            "ingest_usage_events - STEP_START" in (run_log.read_text() if run_log.exists() else "")
            and any(scratch.glob("finops_ingest_*"))
        ):
            time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    rest = proc.stdout.read()
    assert proc.wait(timeout=300) == 130, rest
    assert "stopped" in rest
    with writer_lock(work_settings(tmp_path), what="after the stop"):  # free: no WarehouseBusy
        pass
