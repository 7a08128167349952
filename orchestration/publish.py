"""What BI tools read: the marts, published as Parquet, with a small DuckDB file of views over them.

    <published dir>/
      warehouse.duckdb             schema `marts`: one view per mart over the Parquet files of the current version
      current -> versions/<n>      the newest version (a symbolic link, swapped atomically)
      versions/<n>/<mart>.parquet              a mart rebuilt whole by dbt (tables, views)
      versions/<n>/<mart>/<column>=<value>/    a mart dbt replaces partition by partition (incremental,
                                               replaced by day on one column): one folder per partition
      versions/<n>/_publish.json   what the version holds: per mart its columns and, per partition, rows and files

Bounded: a new version links (hard links, no copy) the partitions of the previous version that did not change and
writes only the ones that did: the days the builds since the last publish rebuilt (recorded by the dbt asset in
`<warehouse>.publish-pending.json` as each build starts, kept until a publish succeeds, so a build that fails
halfway or a crash between build and publish is caught up by the next publish), and any partition whose row count
differs (after a build without a window: every partition). Whole marts are rewritten; they are small. A crash
mid-publish leaves an unfinished `versions/<n>.tmp` (removed by the next publish) and the previous version in place. A
reader's open connection keeps the version it opened (versions are kept for the `KEEP` newest).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.parallel import at_once
from orchestration.settings import duckdb_memory_limit

KEEP = 3  # versions kept: the current one and the two before (readers still on them)
MANIFEST = "_publish.json"
LOOKBACK_DAYS = 2  # dbt var lookback_days: days before the window the incremental models rebuild


@dataclass
class PublishReport:
    version: int
    marts: int = 0
    partitions_written: int = 0
    partitions_linked: int = 0
    rows_written: int = 0
    bytes_total: int = 0
    seconds: float = 0.0
    full: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"version {self.version}: {self.marts} marts, {self.partitions_written} files written "
            f"({self.rows_written:,} rows), {self.partitions_linked} partitions unchanged (linked), "
            f"{self.bytes_total / 2**20:.1f} MiB, {self.seconds:.2f} s{' (full)' if self.full else ''}"
        )


# --- what the builds changed since the last publish --------------------------------------------------------------
def pending_path(warehouse: str) -> Path:
    return Path(warehouse + ".publish-pending.json")


def record_build(warehouse: str, changed_from: str | None) -> None:
    """Called as each dbt build starts: the first day its incremental models rebuild (None: each model's newest
    day minus the lookback). Merged with what earlier unpublished builds changed (a failed build included)."""
    path = pending_path(warehouse)
    state = json.loads(path.read_text()) if path.exists() else {"builds": 0, "changed_from": [], "tail": False}
    state["builds"] += 1
    if changed_from:
        state["changed_from"] = sorted(set(state["changed_from"]) | {changed_from})[:1]
    else:
        state["tail"] = True
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)


def window_start(dbt_vars: dict[str, str]) -> str | None:
    """The first day a build with these vars rebuilds (macros/incremental_window_start.sql)."""
    if not dbt_vars.get("min_date"):
        return None
    first = date.fromisoformat(dbt_vars["min_date"]) - timedelta(days=LOOKBACK_DAYS)
    if dbt_vars.get("rebuild_from"):
        first = min(first, date.fromisoformat(dbt_vars["rebuild_from"]))
    return first.isoformat()


# --- the marts and how dbt replaces them ---------------------------------------------------------------------------
# the strategies of macros/partition_replace_config.sql and window_replace_config.sql
PARTITION_STRATEGIES = ("delete+insert", "replace_window")


def partition_columns(manifest_path: Path | None) -> dict[str, str]:
    """Marts dbt replaces one partition at a time (incremental, delete+insert or replace_window on a single
    column): mart -> column."""
    if manifest_path is None or not Path(manifest_path).exists():
        return {}
    nodes = json.loads(Path(manifest_path).read_text())["nodes"].values()
    out = {}
    for node in nodes:
        config = node.get("config", {})
        key = config.get("unique_key")
        if (
            node.get("resource_type") == "model"
            and config.get("materialized") == "incremental"
            and config.get("incremental_strategy") in PARTITION_STRATEGIES
            and isinstance(key, str)
        ):
            out[node.get("alias") or node["name"]] = key
    return out


def _select(con, mart: str) -> tuple[str, list[list[str]]]:
    """The export query of a mart (HUGEINT sums as BIGINT: Parquet has no 128-bit integer) and its columns."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = ? order by ordinal_position",
        [mart],
    ).fetchall()
    exprs = [f'cast("{c}" as bigint) as "{c}"' if t == "HUGEINT" else f'"{c}"' for c, t in columns]
    return f"select {', '.join(exprs)} from marts.{mart}", [list(c) for c in columns]


def _day(value: str) -> str:
    """A partition's day as a SQL date literal (checked to be an ISO date first)."""
    return f"date '{date.fromisoformat(value).isoformat()}'"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# --- publish -----------------------------------------------------------------------------------------------------
def publish_marts(
    warehouse: str, published_path: str, manifest_path: Path | None = None, full: bool = False
) -> PublishReport:
    """Publish the marts of `warehouse` as a new version and swap it in (the caller holds the writer lock)."""
    started = time.perf_counter()
    out_dir = Path(published_path).parent
    versions = out_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    for leftover in versions.glob("*.tmp"):  # an earlier publish that crashed
        shutil.rmtree(leftover, ignore_errors=True)
    done = sorted(int(p.name) for p in versions.iterdir() if p.name.isdigit())
    previous = versions / str(done[-1]) if done else None
    before = json.loads((previous / MANIFEST).read_text()) if previous and (previous / MANIFEST).exists() else None
    number = (done[-1] + 1) if done else 1
    report = PublishReport(version=number)

    pending_file = pending_path(warehouse)
    pending = json.loads(pending_file.read_text()) if pending_file.exists() else None
    report.full = full or before is None
    changed_from = (pending or {}).get("changed_from") or [None]
    changed_from = changed_from[0]
    tail = bool(pending and pending.get("tail"))

    if Path(warehouse + ".wal").exists():  # a write not yet checkpointed: fold it in first
        duckdb.connect(warehouse).execute("checkpoint").close()
    staging = versions / f"{number}.tmp"
    staging.mkdir()
    by_column = partition_columns(manifest_path)
    # the warehouse's memory limit (partitioned writes buffer every open partition); row order is not kept
    config = {
        "memory_limit": duckdb_memory_limit(),
        "preserve_insertion_order": False,
    }
    con = duckdb.connect(warehouse, read_only=True, config=config)
    try:
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        state: dict[str, dict] = {}
        for mart in marts:
            select, columns = _select(con, mart)
            column = by_column.get(mart)
            old = (before or {}).get(mart)
            if column is None or [column, "DATE"] not in columns:  # partitioned by day only
                con.execute(
                    f"copy ({select}) to '{_sql_path(staging / mart)}.parquet' (format parquet, compression zstd)"
                )
                rows = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
                state[mart] = {"columns": columns, "files": [f"{mart}.parquet"], "rows": rows}
                report.partitions_written += 1
                report.rows_written += rows
                continue
            state[mart] = _publish_partitioned(
                con, mart, column, select, columns, staging, previous, old, report, changed_from, tail
            )
        report.marts = len(marts)
    finally:
        con.close()
    (staging / MANIFEST).write_text(json.dumps(state, default=str))
    final = versions / str(number)
    os.replace(staging, final)

    _write_views(final, state, Path(published_path))
    link = out_dir / "current"
    tmp_link = out_dir / f".current.{os.getpid()}.tmp"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(Path("versions") / str(number))
    os.replace(tmp_link, link)
    for old_version in done[: max(len(done) + 1 - KEEP, 0)]:
        shutil.rmtree(versions / str(old_version), ignore_errors=True)
    if pending is not None:
        pending_file.unlink(missing_ok=True)
    report.bytes_total = sum(p.stat().st_size for p in final.rglob("*.parquet"))
    report.seconds = time.perf_counter() - started
    return report


def _publish_partitioned(con, mart, column, select, columns, staging, previous, old, report, changed_from, tail):
    # counted by the column's own values, then cast: one cast per partition, not one per row (the 3.0M rows of
    # rpt_context_creep_turns at 10M events: 0.11 s cast row by row, 0.01 s)
    counts = {
        str(value): rows
        for value, rows in con.execute(
            f'select cast("{column}" as varchar), partition_rows from '
            f'(select "{column}", count(*) as partition_rows from marts.{mart} group by 1) as by_partition'
        ).fetchall()
    }
    old_parts = (old or {}).get("partitions", {}) if old and old.get("columns") == columns else {}
    if report.full or not old_parts:
        changed = set(counts)
    else:
        changed = {p for p, n in counts.items() if old_parts.get(p, {}).get("rows") != n}
        if changed_from:
            changed |= {p for p in counts if p >= changed_from}
        if tail:  # a build without a window: each model rebuilt from its own newest day with traffic minus the
            # lookback, which may lie before the mart's newest partition (fct_capacity_hourly holds the future
            # idle hours of the reservations' terms): every partition is written
            changed = set(counts)
    parts: dict[str, dict] = {}
    target = staging / mart
    target.mkdir()
    for p in sorted(set(counts) - changed):  # unchanged: hard links to the previous version's files
        files = old_parts[p]["files"]
        for rel in files:
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(previous / rel, dest)
        parts[p] = {"rows": counts[p], "files": files}
        report.partitions_linked += 1
    if changed:
        if sum(counts[p] for p in changed) >= ROWS_PER_STATEMENT * len(changed):
            _write_partitions(con, select, column, sorted(changed), target)
        else:
            days = ", ".join(_day(p) for p in sorted(changed))
            con.execute(
                f"copy ({select} where \"{column}\" in ({days})) to '{_sql_path(target)}' "
                f'(format parquet, compression zstd, partition_by ("{column}"), write_partition_columns true, '
                f"overwrite_or_ignore true, filename_pattern 'data_{{i}}')"
            )
        for p in sorted(changed):
            folder = target / f"{column}={p}"
            files = sorted(str(f.relative_to(staging)) for f in folder.glob("*.parquet"))
            parts[p] = {"rows": counts[p], "files": files}
            report.partitions_written += 1
            report.rows_written += counts[p]
    files = [f for p in sorted(parts) for f in parts[p]["files"]]
    if not files:  # an empty mart: one empty file keeps its columns
        con.execute(f"copy ({select} limit 0) to '{_sql_path(target / 'empty.parquet')}' (format parquet)")
        files = [f"{mart}/empty.parquet"]
    return {"columns": columns, "partition_column": column, "partitions": parts, "files": files}


# changed partitions of at least this many rows on average are written one statement each (_write_partitions);
# smaller ones by one partitioned COPY, whose fixed cost is lower: the demo (~3,300 rows a day in its largest mart)
# published in 2.25 and 2.33 s that way, 2.52 and 2.66 s a statement per partition
ROWS_PER_STATEMENT = 50_000


def publish_threads() -> int:
    """Partitions written at once (FINOPS_PUBLISH_THREADS; default: the machine's cores, at most 4)."""
    return at_once("FINOPS_PUBLISH_THREADS", most=4)


def _write_partitions(con, select: str, column: str, values: list[str], target: Path) -> None:
    """One Parquet file per partition (`<column>=<value>/data_0.parquet`, the partition column inside it too, as
    the partitioned COPY writes it), one COPY statement each, publish_threads() at a time on cursors of `con`.
    DuckDB's partitioned COPY (`partition_by`) of the same rows took 2.4 times as long and as much CPU: the 10M
    rows of fct_genai_requests over 91 days, 34.9 s and 67.7 CPU-s against 14.4 s and 28.3 CPU-s (two threads,
    two cores). A statement per partition reads only that partition's row groups: dbt writes the marts day by
    day, so a day's rows sit together."""

    def write(value: str) -> None:
        folder = target / f"{column}={value}"
        folder.mkdir()
        cursor = con.cursor()
        try:
            cursor.execute(
                f'copy ({select} where "{column}" = {_day(value)}) '
                f"to '{_sql_path(folder / 'data_0.parquet')}' (format parquet, compression zstd)"
            )
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=min(publish_threads(), len(values))) as pool:
        list(pool.map(write, values))


def _write_views(version_dir: Path, state: dict[str, dict], published_path: Path) -> None:
    """The DuckDB file BI tools open: schema marts, one view per mart over its files in this version (absolute
    paths: the views read the version they were written for, whatever `current` points to later)."""
    tmp = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("create schema marts")
        for mart, info in state.items():
            paths = ", ".join(f"'{_sql_path(version_dir.resolve() / f)}'" for f in info["files"])
            con.execute(f"create view marts.{mart} as select * from read_parquet([{paths}], hive_partitioning = false)")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, published_path)
