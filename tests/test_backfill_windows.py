"""`genai-finops run --window-days N`: a long range built as consecutive windows of days, one run each (what
keeps a large history inside DuckDB's memory limit), and what a run that ran out of memory says to do. That the
windows build the same warehouse as one run is in tests/test_bench.py
(test_windowed_backfill_builds_the_same_warehouse)."""

from __future__ import annotations

import json
import os
import re
from datetime import date

import pytest

from orchestration.cli import main
from orchestration.pipeline import RunOutcome, windows


@pytest.mark.unit
def test_windows_cover_every_day_of_the_range_once_in_order():
    assert windows("2026-01-01", "2026-01-05", 2) == [
        ("2026-01-01", "2026-01-02"),
        ("2026-01-03", "2026-01-04"),
        ("2026-01-05", "2026-01-05"),
    ]
    # across a month's end; a window as long as the range, or longer, or 0: one run
    assert windows("2026-01-30", "2026-02-02", 3) == [("2026-01-30", "2026-02-01"), ("2026-02-02", "2026-02-02")]
    assert windows("2026-01-01", "2026-01-03", 3) == [("2026-01-01", "2026-01-03")]
    assert windows("2026-01-01", "2026-01-03", 10) == [("2026-01-01", "2026-01-03")]
    assert windows("2026-01-01", "2026-01-03", 0) == [("2026-01-01", "2026-01-03")]


def _warehouse_env(tmp_path, monkeypatch) -> None:
    """The FINOPS_* paths of a warehouse in `tmp_path` (restored afterwards), with the demo salt."""
    for key, value in {
        "FINOPS_DUCKDB_PATH": tmp_path / "warehouse.duckdb",
        "FINOPS_LAKE_DIR": tmp_path / "lake",
        "FINOPS_PUBLISHED_PATH": tmp_path / "published" / "warehouse.duckdb",
    }.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("FINOPS_SALT_POLICY", "demo")


def _landing_days(tmp_path, monkeypatch, days: int) -> str:
    """A landing folder with a usage file on each of `days` days from 2026-01-01, and a warehouse beside it."""
    landing = tmp_path / "landing"
    for d in range(1, days + 1):
        day = landing / "usage_events" / f"day=2026-01-{d:02d}"
        day.mkdir(parents=True)
        (day / "calls.jsonl").write_text("{}\n")
    _warehouse_env(tmp_path, monkeypatch)
    return str(landing)


@pytest.mark.unit
@pytest.mark.parametrize("stop", ["failed", "interrupted"])
def test_a_window_that_stops_ends_the_backfill_and_says_where_to_go_on(tmp_path, monkeypatch, capsys, stop):
    """The windows run in order, one Dagster run each, with one dbt thread; the second one fails (or is
    interrupted): the third never runs, and the command names the failed step and the day to rerun from.
    The runs themselves are stand-ins here (what is under test is the command's loop); real windowed runs are
    in tests/test_bench.py."""
    from orchestration import pipeline
    from orchestration.dbt import manifest

    landing = _landing_days(tmp_path, monkeypatch, 5)
    monkeypatch.setenv("FINOPS_DBT_THREADS", "1")  # recorded, so that the command's setting is undone afterwards
    monkeypatch.delenv("FINOPS_DBT_THREADS")  # not set by the user
    monkeypatch.setattr(manifest, "start_parse", lambda settings: None)
    calls = []

    def run_pipeline(settings, first, last, **kwargs):
        calls.append((first, last, os.environ.get("FINOPS_DBT_THREADS")))
        if first < "2026-01-03":
            return RunOutcome(True, "run-1", first, last)
        if stop == "interrupted":
            raise KeyboardInterrupt("the run was interrupted")
        return RunOutcome(False, "run-2", first, last, ("dbt_warehouse: dbt build failed: planted",))

    monkeypatch.setattr(pipeline, "run_pipeline", run_pipeline)
    code = main(["run", "--landing", landing, "--no-pull", "--window-days", "2"])
    out, err = capsys.readouterr()
    assert calls == [("2026-01-01", "2026-01-02", "1"), ("2026-01-03", "2026-01-04", "1")]
    assert "2026-01-01..2026-01-05 in 3 windows of at most 2 days, one run each" in out
    assert "  window 2026-01-01..2026-01-02: built (" in out
    assert "genai-finops: the days before 2026-01-03 are built and published; to go on from there, rerun with " \
        "--first-day 2026-01-03" in err  # fmt: skip
    if stop == "interrupted":
        assert code == 130
        return
    assert code == 1
    assert "  window 2026-01-03..2026-01-04: FAILED (" in out
    summary = json.loads(out[out.index("{") : out.index("}") + 1])
    assert (summary["success"], summary["days"], summary["windows"], summary["failed_days"]) == (
        False,
        "2026-01-01..2026-01-05",
        3,
        "2026-01-03..2026-01-04",
    )
    assert "genai-finops: dbt_warehouse: dbt build failed: planted" in err


@pytest.mark.unit
def test_a_first_window_that_fails_has_nothing_to_go_on_from(tmp_path, monkeypatch, capsys):
    """A failure in the first window: no day to resume from is named; FINOPS_DBT_THREADS set by the user is kept."""
    from orchestration import pipeline
    from orchestration.dbt import manifest

    landing = _landing_days(tmp_path, monkeypatch, 3)
    monkeypatch.setenv("FINOPS_DBT_THREADS", "2")  # set by the user: kept
    monkeypatch.setattr(manifest, "start_parse", lambda settings: None)
    calls = []

    def run_pipeline(settings, first, last, **kwargs):
        calls.append((first, last, os.environ.get("FINOPS_DBT_THREADS")))
        return RunOutcome(False, "run-1", first, last, ("dbt_warehouse: dbt build failed: planted",))

    monkeypatch.setattr(pipeline, "run_pipeline", run_pipeline)
    assert main(["run", "--landing", landing, "--no-pull", "--window-days", "2"]) == 1
    err = capsys.readouterr().err
    assert calls == [("2026-01-01", "2026-01-02", "2")]
    assert "the days before" not in err and "the run failed; see " in err


@pytest.mark.pipeline
def test_a_build_that_runs_duckdb_out_of_memory_names_the_models_and_what_to_do(tmp_path, monkeypatch, capsys):
    """A real out-of-memory error: 30,000 events under a 30 MB DuckDB limit. The dbt step's failure names the
    nodes DuckDB ran out of memory in, the limit, and the ways out (windows, one thread, a higher limit)."""
    from orchestration.tools.sample_data.generator import generate

    landing = tmp_path / "landing"
    generate(landing, events=30_000, days=3, start=date(2026, 1, 1), seed=5)
    _warehouse_env(tmp_path, monkeypatch)
    monkeypatch.setenv("FINOPS_DUCKDB_MEMORY_LIMIT", "30MB")
    assert main(["run", "--landing", str(landing), "--no-pull"]) == 1
    err = capsys.readouterr().err
    [advice] = re.findall(
        r"DuckDB ran out of its memory limit \(FINOPS_DUCKDB_MEMORY_LIMIT=30MB\) in ([a-z_, ]+): (.+)$", err, re.M
    )
    assert "int_usage_events" in advice[0].split(", ")
    assert "`genai-finops run --window-days 10`" in advice[1] and "FINOPS_DBT_THREADS=1" in advice[1]
    assert re.search(r"^genai-finops: dbt_warehouse: dbt build failed: ", err, re.M)  # the step's own message


@pytest.mark.unit
@pytest.mark.parametrize("day", ["2026-1-5", "20260105", "2026-02-30", "yesterday"])
def test_a_day_that_is_not_yyyy_mm_dd_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys, day):
    """The windows are counted from the days given: a day the partitions could not be named by is refused by the
    parser (exit 2), before the landing folder is even looked at."""
    _warehouse_env(tmp_path, monkeypatch)
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--landing", str(tmp_path / "nothing"), "--no-pull", "--first-day", day, "--window-days", "2"])
    assert stopped.value.code == 2
    assert f"argument --first-day: not a day (YYYY-MM-DD): '{day}'" in capsys.readouterr().err


@pytest.mark.unit
@pytest.mark.parametrize("size", ["-1", "ten", "2.5"])
def test_a_window_size_that_is_not_a_whole_number_of_days_is_refused(tmp_path, monkeypatch, capsys, size):
    _warehouse_env(tmp_path, monkeypatch)
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--landing", str(tmp_path / "nothing"), "--no-pull", "--window-days", size])
    assert stopped.value.code == 2
    assert f"argument --window-days: not a number of days (0 or more): '{size}'" in capsys.readouterr().err


@pytest.mark.unit
def test_a_first_day_after_the_last_day_is_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    landing = _landing_days(tmp_path, monkeypatch, 3)
    code = main(["run", "--landing", landing, "--no-pull", "--first-day", "2026-01-03", "--last-day", "2026-01-02"])
    assert code == 2
    assert "genai-finops: the first day 2026-01-03 is after the last day 2026-01-02" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landing"]  # no salt, no warehouse, no lake
