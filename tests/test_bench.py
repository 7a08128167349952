"""The benchmark command runs end to end at a tiny scale and prints every figure it promises (no timing is
asserted: the figures are measurements, not tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestration.cli import main


@pytest.mark.pipeline
def test_bench_prints_its_table(tmp_path, capsys, monkeypatch):
    """Without --workdir the bench works in a new temporary folder and removes it at the end (a 10M bench
    leaves about 4 GB there)."""
    import tempfile

    # the bench points FINOPS_* at its workdir: registered here so they are restored afterwards
    for key in ("FINOPS_DUCKDB_PATH", "FINOPS_LAKE_DIR", "FINOPS_LANDING_DIR", "FINOPS_PUBLISHED_PATH"):
        monkeypatch.setenv(key, str(tmp_path / key.lower()))
    temp_root = tmp_path / "temp"
    temp_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_root))  # where mkdtemp creates the bench's folder
    assert main(["bench", "--events", "3000", "--days", "3", "--calc-sample", "300"]) == 0
    out = capsys.readouterr().out
    [folder] = re.findall(r"^\s+workdir (\S+);", out, re.MULTILINE)
    assert Path(folder).parent == temp_root and Path(folder).name.startswith("finops_bench_")
    assert not Path(folder).exists()  # removed (Dagster's own temporary folders go when the process ends)
    assert f"removed the temporary folder {folder}" in out
    for label in (
        "generate",
        "dbt_warehouse",
        "ingest usage_events",
        "validate usage_events",
        "dbt marts (sum of node times)",
        "pipeline end to end (excl. generate)",
        "events / s end to end",
        "peak RSS of the generator (GiB)",
        "peak RSS, pipeline process tree (GiB)",
        "lower bound: one DuckDB pricing query (s)",
        "calc_price per request (events/s)",
        "pipeline throughput / calculator",
    ):
        assert re.search(rf"^\s+{re.escape(label)}\s+[\d,.]+", out, re.MULTILINE), label
    # who held the peak, when, and in which Dagster step (or between steps)
    assert re.search(
        r"^\s+at the peak \(\d\d:\d\d:\d\d UTC, (during \w+|between steps)\): (.+, )?this process [\d.]+ GiB",
        out,
        re.MULTILINE,
    )
    [rows] = re.findall(r"lower bound: one DuckDB pricing query \(s\)\s+[\d.]+\s+\(([\d,]+) rows\)", out)
    [events] = re.findall(r"genai-finops bench: ([\d,]+) events", out)
    assert rows == events  # the reference priced the same events


@pytest.mark.pipeline
def test_large_runs_are_generated_in_shards_with_distinct_ids(tmp_path, monkeypatch):
    import duckdb

    from orchestration.tools import bench

    monkeypatch.setattr(bench, "SHARD_EVENTS", 1_000)
    landing = tmp_path / "landing"
    total = bench.generate_landing(landing, events=2_500, days=2, real_formats=False)
    files = sorted(p.name for p in (landing / "usage_events").rglob("*.parquet"))
    assert {name[:3] for name in files} == {"s0_", "s1_", "s2_"}  # three shards of <= 1,000 events
    assert not list(tmp_path.glob(".landing.shard*")) and not list(landing.glob(".generating*"))  # no leftovers
    per_shard, rows, distinct = duckdb.sql(
        f"""
        with e as (
            select regexp_extract(filename, '/(s[0-9]+)_', 1) as shard, event_id
            from read_parquet('{landing}/usage_events/*/*.parquet', filename = true)
        )
        select (select sum(d) from (select count(distinct event_id) as d from e group by shard)),
               (select count(*) from e), (select count(distinct event_id) from e)
        """
    ).fetchall()[0]
    # no event id is shared between shards, and the generator's count is the rows it wrote
    assert per_shard == distinct
    assert rows == total  # the generator's count is the rows it wrote


@pytest.mark.pipeline
def test_windowed_backfill_builds_the_same_warehouse(tmp_path, capsys, monkeypatch):
    """`bench --window-days` (how 100M events are built) and `genai-finops run --window-days` run one Dagster
    run per window of arrival days; the incremental models append window by window and the result equals one
    run over everything."""
    from datetime import date

    import duckdb

    from orchestration.settings import workdir_env
    from orchestration.tools.sample_data.generator import generate
    from tests.conftest import same_contents, warehouse_contents

    for key in ("FINOPS_DUCKDB_PATH", "FINOPS_LAKE_DIR", "FINOPS_LANDING_DIR", "FINOPS_PUBLISHED_PATH"):
        monkeypatch.setenv(key, str(tmp_path / key.lower()))
    monkeypatch.setenv("FINOPS_DBT_THREADS", "1")  # what a windowed bench sets; restored afterwards
    landing = tmp_path / "landing"
    generate(landing, events=4_000, days=5, start=date(2026, 1, 1), seed=5)
    common = ["bench", "--landing", str(landing), "--calc-sample", "200", "--days", "5"]
    assert main([*common, "--workdir", str(tmp_path / "one"), "--window-days", "0"]) == 0
    assert main([*common, "--workdir", str(tmp_path / "windows"), "--window-days", "2"]) == 0
    out = capsys.readouterr().out
    assert "3 windows of 2 arrival days" in out  # 2026-01-01..06 (the last day's late arrivals)
    assert len(re.findall(r"^\s+window 2026-01-0\d\.\.2026-01-0\d: [\d.]+ s, ok=True", out, re.MULTILINE)) == 4
    for key, value in workdir_env(tmp_path / "run", landing).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FINOPS_SALT_POLICY", "demo")  # the bench's salt: the user hashes compare
    assert main(["run", "--landing", str(landing), "--no-pull", "--window-days", "4"]) == 0
    out = capsys.readouterr().out
    assert "2026-01-01..2026-01-06 in 2 windows of at most 4 days, one run each" in out
    built = re.findall(r"^\s+window (\S+): built", out, re.MULTILINE)
    assert built == ["2026-01-01..2026-01-04", "2026-01-05..2026-01-06"]
    one = warehouse_contents(tmp_path / "one" / "warehouse.duckdb")
    assert same_contents(one, warehouse_contents(tmp_path / "windows" / "warehouse.duckdb")) == []
    assert same_contents(one, warehouse_contents(tmp_path / "run" / "warehouse.duckdb")) == []
    generated = duckdb.sql(f"select count(distinct event_id) from read_parquet('{landing}/usage_events/*/*.parquet')")
    assert one["marts.fct_genai_requests"][0] == generated.fetchall()[0][0]  # every distinct generated call


@pytest.mark.pipeline
def test_the_incremental_bench_builds_its_history_in_the_windows_it_is_given(tmp_path, capsys, monkeypatch):
    """`bench --incremental --window-days D` builds the history in windows of D arrival days (how the backfill
    sizes compare at 100M), one dbt model at a time, then the new day on top of it and alone with the daily
    command's threads, and prints their ratio."""
    for key in ("FINOPS_DUCKDB_PATH", "FINOPS_LAKE_DIR", "FINOPS_LANDING_DIR", "FINOPS_PUBLISHED_PATH"):
        monkeypatch.setenv(key, str(tmp_path / key.lower()))  # the bench points them at its workdir: restored
    monkeypatch.setenv("FINOPS_SALT_POLICY", "demo")  # what the bench sets for its generated data
    monkeypatch.setenv("FINOPS_DBT_THREADS", "1")  # so that the unset below is restored afterwards
    monkeypatch.delenv("FINOPS_DBT_THREADS")  # not set by the user: the windows one thread, the day the default
    common = ["bench", "--incremental", "--events", "3000", "--days", "4", "--calc-sample", "200"]
    assert main([*common, "--window-days", "2", "--workdir", str(tmp_path / "work")]) == 0
    out = capsys.readouterr().out
    history = re.findall(r"^\s+history window (\S+): [\d.]+ s", out, re.MULTILINE)
    assert history == ["2026-01-01..2026-01-02", "2026-01-03..2026-01-04"]
    assert "history build (2026-01-01..2026-01-04, 2 windows of 2 days)" in out
    assert "(2026-01-05; arrivals 2026-01-05..2026-01-06)" in out  # the new day and its late arrivals
    assert "dbt threads: history 1, the day 2" in out  # the day as the daily command runs it
    assert re.search(r"^\s+ratio \(target <= 1\.5\)\s+[\d.]+x$", out, re.MULTILINE)


@pytest.mark.unit
def test_step_at_names_the_step_that_ran_at_a_time():
    from orchestration.tools.bench import step_at

    spans = [(10.0, 12.5, "ingest_usage_events"), (13.0, 40.0, "dbt_warehouse"), (40.5, 41.0, "published__warehouse")]
    assert step_at(spans, 10.0) == "during ingest_usage_events"  # a step's own start and end count
    assert step_at(spans, 40.0) == "during dbt_warehouse"
    assert step_at(spans, 25.2) == "during dbt_warehouse"
    assert step_at(spans, 12.7) == "between steps"
    assert step_at(spans, 9.9) == "between steps"
    assert step_at([], 25.0) == "between steps"


@pytest.mark.unit
def test_a_failed_bench_keeps_its_temporary_folder(tmp_path, monkeypatch, capsys):
    """A bench that ends well removes its temporary folder, and so does an interrupt; a failed one (an exception,
    SystemExit included, or a failed pipeline run) keeps it with its logs; --workdir is never removed."""
    import tempfile

    from orchestration.tools.bench import bench_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with bench_folder(None, "finops_bench_") as good:
        (good.path / "warehouse.duckdb").write_text("")
    with pytest.raises(SystemExit), bench_folder(None, "finops_bench_") as raised:
        raise SystemExit("the run 2026-01-01..2026-01-02 failed")
    with bench_folder(None, "finops_bench_") as failed_run:
        failed_run.keep = True  # `run` sets it when the pipeline failed
    with pytest.raises(KeyboardInterrupt), bench_folder(None, "finops_bench_") as interrupted:
        raise KeyboardInterrupt
    with bench_folder(str(tmp_path / "given"), "finops_bench_") as given:
        given.path.mkdir()
    assert [good.path.exists(), raised.path.exists(), failed_run.path.exists(), interrupted.path.exists()] == [
        False,
        True,
        True,
        False,
    ]
    assert (tmp_path / "given").is_dir()
    out = capsys.readouterr().out
    assert out.count("is kept (logs/ has the runs' logs)") == 2 and out.count("removed the temporary folder") == 2
