"""The bounded publish (orchestration/publish.py) on a hand-made warehouse: the marts only, as Parquet and a DuckDB
file of views; the second publish writes only what changed (the days a build rebuilt, and partitions whose row
count moved) and links the rest; a reader keeps the version it opened; a crash mid-publish leaves the previous
version in place and is cleaned up by the next."""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import KEEP, pending_path, publish_marts, record_build, window_start

pytestmark = pytest.mark.unit


def make_warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema intermediate")
    con.execute(
        """
        create table marts.fct_daily as
        select 'e' || i as event_id, date '2026-01-01' + cast(i % 5 as integer) as event_date,
               cast(i * 0.01 as decimal(38, 10)) as cost_usd
        from range(1000) as t(i)
        """
    )
    con.execute("create table marts.rpt_small as select 'a' as k, cast(sum(i) as hugeint) as n from range(10) t(i)")
    con.execute("create table intermediate.int_big as select i from range(100000) t(i)")
    con.close()


def make_manifest(path: Path) -> Path:
    node = {
        "resource_type": "model",
        "name": "fct_daily",
        "alias": "fct_daily",
        "config": {"materialized": "incremental", "incremental_strategy": "delete+insert", "unique_key": "event_date"},
    }
    path.write_text(json.dumps({"nodes": {"model.x.fct_daily": node}}))
    return path


def published_rows(published: Path, sql: str):
    con = duckdb.connect(str(published), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def setup(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse)
    manifest = make_manifest(tmp_path / "manifest.json")
    published = tmp_path / "published" / "warehouse.duckdb"
    return warehouse, manifest, published


def test_first_publish_holds_the_marts_only_as_views_over_parquet(setup):
    warehouse, manifest, published = setup
    report = publish_marts(str(warehouse), str(published), manifest)
    assert report.full and report.marts == 2
    assert report.partitions_written == 5 + 1 and report.rows_written == 1000 + 1
    schemas = published_rows(
        published,
        "select distinct schema_name from duckdb_tables() union all "
        "select distinct schema_name from duckdb_views() where not internal",
    )
    assert {s for (s,) in schemas} == {"marts"}  # nothing of intermediate
    assert published_rows(published, "select count(*), sum(cost_usd) from marts.fct_daily") == [
        (1000, Decimal("4995.0000000000"))
    ]
    # Parquet has no 128-bit integer: HUGEINT sums are published as BIGINT, exact
    assert published_rows(published, "select n, typeof(n) from marts.rpt_small") == [(45, "BIGINT")]
    current = published.parent / "current"
    assert os.readlink(current) == "versions/1"
    days = sorted(p.name for p in (current / "fct_daily").iterdir())
    assert days == [f"event_date=2026-01-0{d}" for d in range(1, 6)]
    # one file per day, the day inside it too (a reader of the files alone sees the column)
    assert [sorted(f.name for f in (current / "fct_daily" / d).iterdir()) for d in days] == [["data_0.parquet"]] * 5
    one_day = duckdb.connect().execute(
        f"select count(*), min(event_date), max(event_date) from '{current}/fct_daily/event_date=2026-01-03/*.parquet'"
    )
    assert one_day.fetchall() == [(200, date(2026, 1, 3), date(2026, 1, 3))]


def test_a_second_publish_writes_only_the_days_a_build_changed(setup):
    warehouse, manifest, published = setup
    publish_marts(str(warehouse), str(published), manifest)
    # nothing built since: the whole marts are written again, every partition linked
    again = publish_marts(str(warehouse), str(published), manifest)
    assert (again.partitions_written, again.partitions_linked) == (1, 5)
    # a build rebuilt 2026-01-04 onwards (window 01-06 minus the lookback of 2 days) and changed a value there
    con = duckdb.connect(str(warehouse))
    con.execute("update marts.fct_daily set cost_usd = cost_usd + 1 where event_date = date '2026-01-05'")
    con.close()
    assert window_start({"min_date": "2026-01-06", "max_date": "2026-01-06"}) == "2026-01-04"
    record_build(str(warehouse), window_start({"min_date": "2026-01-06", "max_date": "2026-01-06"}))
    third = publish_marts(str(warehouse), str(published), manifest)
    assert (third.partitions_written, third.partitions_linked) == (1 + 2, 3)
    assert not pending_path(str(warehouse)).exists()  # consumed by the publish that wrote it
    assert published_rows(published, "select sum(cost_usd) from marts.fct_daily") == [(Decimal("5195.0000000000"),)]
    # a partition outside the window whose row count changed (a rebuild dbt did outside Dagster) is caught too
    con = duckdb.connect(str(warehouse))
    con.execute("delete from marts.fct_daily where event_id = 'e0'")  # a row of 2026-01-01
    con.close()
    fourth = publish_marts(str(warehouse), str(published), manifest)
    assert (fourth.partitions_written, fourth.partitions_linked) == (1 + 1, 4)
    assert published_rows(published, "select count(*) from marts.fct_daily") == [(999,)]
    # linked, not copied: an unchanged day is the same file in every version
    a = published.parent / "versions" / "3" / "fct_daily" / "event_date=2026-01-02"
    b = published.parent / "versions" / "4" / "fct_daily" / "event_date=2026-01-02"
    assert [f.stat().st_ino for f in sorted(a.iterdir())] == [f.stat().st_ino for f in sorted(b.iterdir())]
    assert sorted(p.name for p in (published.parent / "versions").iterdir()) == [str(v) for v in range(5 - KEEP, 5)]


def test_a_reader_keeps_the_version_it_opened(setup):
    warehouse, manifest, published = setup
    publish_marts(str(warehouse), str(published), manifest)
    reader = duckdb.connect(str(published), read_only=True)
    con = duckdb.connect(str(warehouse))
    con.execute("insert into marts.fct_daily values ('new', date '2026-01-06', 1)")
    con.close()
    record_build(str(warehouse), "2026-01-06")
    publish_marts(str(warehouse), str(published), manifest)
    assert reader.execute("select count(*) from marts.fct_daily").fetchall() == [(1000,)]
    reader.close()
    assert published_rows(published, "select count(*) from marts.fct_daily") == [(1001,)]


def test_a_crash_mid_publish_leaves_the_previous_version_and_the_pending_days(setup, monkeypatch):
    warehouse, manifest, published = setup
    publish_marts(str(warehouse), str(published), manifest)
    con = duckdb.connect(str(warehouse))
    con.execute("update marts.fct_daily set cost_usd = 0 where event_date = date '2026-01-05'")
    con.close()
    record_build(str(warehouse), "2026-01-05")

    import orchestration.publish as publish

    def crash(*args, **kwargs):
        raise RuntimeError("killed while writing the views")

    monkeypatch.setattr(publish, "_write_views", crash)
    with pytest.raises(RuntimeError):
        publish_marts(str(warehouse), str(published), manifest)
    monkeypatch.undo()
    # readers still see version 1; the build's days are still pending
    assert os.readlink(published.parent / "current") == "versions/1"
    assert published_rows(published, "select sum(cost_usd) from marts.fct_daily") == [(Decimal("4995.0000000000"),)]
    assert pending_path(str(warehouse)).exists()
    (published.parent / "versions" / "9.tmp").mkdir()  # a version a crash left half-written
    after = publish_marts(str(warehouse), str(published), manifest)
    assert after.partitions_written == 1 + 1
    assert not (published.parent / "versions" / "9.tmp").exists()
    expected = duckdb.connect(str(warehouse), read_only=True).execute("select sum(cost_usd) from marts.fct_daily")
    assert published_rows(published, "select sum(cost_usd) from marts.fct_daily") == expected.fetchall()


def test_pending_days_merge_until_a_publish_writes_them(setup):
    """A build records its window as it starts (a build that then fails has changed some of those days too);
    builds pile up until a publish: the earliest day counts. After a build without a window every partition is
    written (each model rebuilt from its own newest day with traffic, which the publish does not know)."""
    warehouse, manifest, published = setup
    publish_marts(str(warehouse), str(published), manifest)
    record_build(str(warehouse), "2026-01-04")  # a build that failed halfway
    record_build(str(warehouse), "2026-01-02")  # a backfill
    assert json.loads(pending_path(str(warehouse)).read_text()) == {
        "builds": 2,
        "changed_from": ["2026-01-02"],
        "tail": False,
    }
    report = publish_marts(str(warehouse), str(published), manifest)
    assert (report.partitions_written, report.partitions_linked) == (1 + 4, 1)  # 01-02..01-05 and rpt_small
    assert not pending_path(str(warehouse)).exists()
    record_build(str(warehouse), "2026-01-05")
    record_build(str(warehouse), None)  # a run without a window
    assert json.loads(pending_path(str(warehouse)).read_text()) == {
        "builds": 2,
        "changed_from": ["2026-01-05"],
        "tail": True,
    }
    report = publish_marts(str(warehouse), str(published), manifest)
    assert (report.partitions_written, report.partitions_linked) == (1 + 5, 0)  # 01-01..01-05 and rpt_small
    assert not pending_path(str(warehouse)).exists()


def test_large_partitions_are_written_one_statement_each_with_the_same_files(setup, monkeypatch):
    """Partitions of ROWS_PER_STATEMENT rows or more on average are written one COPY each (two at a time); the
    files, their names and rows are the same as the partitioned COPY's."""
    import orchestration.publish as publish

    warehouse, manifest, published = setup
    calls = []
    write_partitions = publish._write_partitions
    monkeypatch.setattr(publish, "_write_partitions", lambda *args: calls.append(args[3]) or write_partitions(*args))
    whole = publish_marts(str(warehouse), str(published), manifest, full=True)
    assert calls == []  # 200 rows a day: one partitioned COPY
    monkeypatch.setattr(publish, "ROWS_PER_STATEMENT", 200)
    split = publish_marts(str(warehouse), str(published), manifest, full=True)
    assert calls == [[f"2026-01-0{d}" for d in range(1, 6)]]
    versions = published.parent / "versions"
    a, b = (json.loads((versions / str(r.version) / "_publish.json").read_text()) for r in (whole, split))
    assert a == b and (whole.partitions_written, whole.rows_written) == (split.partitions_written, split.rows_written)
    rows = "select event_id, event_date, cost_usd from '{}/fct_daily/*/*.parquet' order by 1"
    con = duckdb.connect()
    assert con.execute(rows.format(versions / "1")).fetchall() == con.execute(rows.format(versions / "2")).fetchall()
