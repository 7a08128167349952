"""Shared test helpers: isolated warehouse/lake/landing folders and a dbt runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR, workdir_env

FIXTURES = PROJECT_DIR / "tests" / "fixtures"
DBT = str(Path(sys.executable).with_name("dbt"))


def dbt_env(workdir: Path) -> dict[str, str]:
    return {**os.environ, **workdir_env(workdir), "DBT_PROFILES_DIR": str(PROJECT_DIR)}


def run_dbt(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run dbt against the warehouse and lake under `workdir` (target path kept per test)."""
    cmd = [DBT, *args, "--project-dir", str(PROJECT_DIR), "--target-path", str(workdir / "target")]
    proc = subprocess.run(cmd, env=dbt_env(workdir), cwd=PROJECT_DIR, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return proc


def run_dbt_in(project: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run dbt in a copy of the project (a fixture project with its own seeds) against `workdir`."""
    env = {**dbt_env(workdir), "DBT_PROFILES_DIR": str(project)}
    cmd = [DBT, *args, "--project-dir", str(project)]
    proc = subprocess.run(cmd, env=env, cwd=project, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return proc


def query(workdir: Path, sql: str):
    con = duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


VOLATILE = {"ingested_at", "_run_id", "run_id", "dbt_updated_at"}


def warehouse_checksums(path):
    """Row count and a checksum of every mart and intermediate table (money exactly; floating statistics to 6
    decimals; run ids and load times left out)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'intermediate') and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            cols = [
                # floating statistics to 6 decimals: DuckDB's parallel float sums may differ in the last bits
                f'round("{name}", 6)' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
                for name, kind in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if name not in VOLATILE
            ]
            expr = "hash(" + ", ".join(cols) + ")"
            out[f"{schema}.{table}"] = con.execute(f"select count(*), sum({expr}) from {schema}.{table}").fetchone()
        return out
    finally:
        con.close()


@pytest.fixture
def isolated_env(tmp_path, monkeypatch):
    """Point every FINOPS_* setting at a fresh temporary folder."""
    for key, value in dbt_env(tmp_path).items():
        if key.startswith("FINOPS_") or key == "DBT_PROFILES_DIR":
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return tmp_path


def pipeline_on_generated(tmp_path_factory, name: str, **generate_args):
    """Generate a landing folder and run the whole pipeline through Dagster on it, in folders of its own;
    yields (workdir, generator result, Dagster instance, success)."""
    from datetime import date

    from dagster import DagsterInstance

    from orchestration.cli import run_pipeline
    from orchestration.sample_data.generator import generate

    mp = pytest.MonkeyPatch()
    work = tmp_path_factory.mktemp(name)
    for key, value in {
        "FINOPS_DUCKDB_PATH": work / "warehouse.duckdb",
        "FINOPS_LAKE_DIR": work / "lake",
        "FINOPS_LANDING_DIR": work / "landing",
        "FINOPS_PUBLISHED_PATH": work / "published" / "warehouse.duckdb",
    }.items():
        mp.setenv(key, str(value))
    result = generate(work / "landing", start=date(2026, 1, 1), **generate_args)
    instance = DagsterInstance.ephemeral()
    ok = run_pipeline(instance=instance)
    yield work, result, instance, ok
    mp.undo()


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The whole pipeline through Dagster on a generated data set (shared by the end-to-end tests): 30 days
    from the default start, so the provisioned routes meet the capacity seeds' dates; large enough for the
    A/B test to see its known effects."""
    yield from pipeline_on_generated(tmp_path_factory, "e2e", events=100_000, days=30, seed=11)
