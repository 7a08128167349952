"""Shared test helpers: isolation from the developer's environment, work folders, a dbt runner.

Isolation (autouse, for the whole session): every FINOPS_*, DBT_* and DAGSTER_HOME variable of the shell is
removed, and dbt's artifacts, logs and the parsed manifest go to a temporary folder shared by the session (one
`dbt parse` for all the tests that build definitions). Nothing a test does is written inside the repository.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR, Settings, workdir_env

# With the Spark extra installed (`make spark-check`), importing Great Expectations imports pyspark.sql.connect,
# which takes a main module without __file__ (pytest-xdist's workers) for a doctest run and calls sys.exit
# when its Connect extras are missing. In such a worker that module is marked missing, which Great
# Expectations handles (it imports it only to recognise Spark Connect frames).
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    try:
        import pyspark.sql.connect.dataframe  # noqa: F401
    except ImportError:
        pass
    except SystemExit:  # the package and its module: a later import raises ImportError
        sys.modules["pyspark.sql.connect"] = sys.modules["pyspark.sql.connect.dataframe"] = None

FIXTURES = PROJECT_DIR / "tests" / "fixtures"
FORMATS = FIXTURES / "formats"  # real-format samples; provenance in tests/fixtures/formats/README.md
DBT = str(Path(sys.executable).with_name("dbt"))


KINDS = ("unit", "dbt", "pipeline", "crash")


# session fixtures built once per worker: the tests that use one run in the same worker (pytest-xdist's
# loadgroup distribution), so each is built once
SHARED_BUILDS = {"built": "built", "built_copy": "built", "billed": "billed", "demo": "demo", "clean_run": "crash"}


def pytest_itemcollected(item):
    """Tests that share a session build run in the same worker (pytest-xdist's loadgroup), so it is built once.
    (Set while collecting: pytest-xdist reads the groups before other modifyitems hooks run.)"""
    groups = {SHARED_BUILDS[f] for f in getattr(item, "fixturenames", ()) if f in SHARED_BUILDS}
    if groups:
        item.add_marker(pytest.mark.xdist_group(sorted(groups)[0]))


def pytest_collection_modifyitems(items):
    """Every test says what it runs (one of KINDS), so `make test-fast` can leave the slow kinds out."""
    unmarked = [item.nodeid for item in items if sum(1 for k in KINDS if item.get_closest_marker(k)) != 1]
    if unmarked:
        raise pytest.UsageError(f"tests without exactly one of the markers {KINDS}: {unmarked[:10]}")


@pytest.fixture(autouse=True)
def own_duckdb_default_connection():
    """Each test gets DuckDB's module-level connection (`duckdb.sql`) to itself: a relation a test leaves unread
    would otherwise hold an unfinished result that the next test on the same worker trips over."""
    import duckdb

    con = duckdb.connect()
    duckdb.set_default_connection(con)
    yield
    con.close()


@pytest.fixture(scope="session", autouse=True)
def isolated_session(tmp_path_factory):
    """The developer's FINOPS_* / DBT_* / DAGSTER_HOME settings never reach a test; dbt writes outside the
    repository."""
    mp = pytest.MonkeyPatch()
    for key in list(os.environ):
        if key.startswith(("FINOPS_", "DBT_")) or key == "DAGSTER_HOME":
            mp.delenv(key)
    shared = tmp_path_factory.mktemp("dbt_shared")
    mp.setenv("FINOPS_DBT_TARGET_DIR", str(shared / "target"))
    mp.setenv("DBT_LOG_PATH", str(shared / "logs"))
    mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    mp.setenv("GX_ANALYTICS_ENABLED", "false")
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def restore_environ():
    """Whatever a test (or a tool it runs in process, like the benchmark) sets in the environment is undone."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def work_settings(work: Path, landing: Path | None = None, **overrides) -> Settings:
    """Settings of a self-contained run in `work` (landing, lake, warehouse, published copy)."""
    paths = workdir_env(work, landing)
    return Settings.from_env(
        duckdb_path=paths["FINOPS_DUCKDB_PATH"],
        lake_dir=paths["FINOPS_LAKE_DIR"],
        landing_dir=paths["FINOPS_LANDING_DIR"],
        published_path=paths["FINOPS_PUBLISHED_PATH"],
        **overrides,
    )


def site_customized(folder: Path, code: str) -> str:
    """A PYTHONPATH under which a new Python runs `code` first (`sitecustomize.py` in `folder`), then finds the
    project."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(code)
    return os.pathsep.join([str(folder), str(PROJECT_DIR)])


def dbt_env(workdir: Path) -> dict[str, str]:
    return {**os.environ, **workdir_env(workdir), "DBT_PROFILES_DIR": str(PROJECT_DIR)}


def run_dbt(workdir: Path, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run dbt against the warehouse and lake under `workdir` (target and log paths kept per test; `env`: more
    environment variables)."""
    cmd = [DBT, *args, "--project-dir", str(PROJECT_DIR), "--target-path", str(workdir / "target")]
    env = {**dbt_env(workdir), "DBT_LOG_PATH": str(workdir / "target" / "logs"), **(env or {})}
    proc = subprocess.run(cmd, env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return proc


def run_dbt_in(project: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run dbt in a copy of the project (a fixture project with its own seeds) against `workdir`."""
    env = {**dbt_env(workdir), "DBT_PROFILES_DIR": str(project), "DBT_LOG_PATH": str(workdir / "logs")}
    cmd = [DBT, *args, "--project-dir", str(project), "--target-path", str(workdir / "target")]
    proc = subprocess.run(cmd, env=env, cwd=project, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return proc


def copy_project(dest: Path) -> Path:
    """A copy of the dbt project (its dbt files only) to change in a test."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for part in ("models", "macros", "seeds", "tests/dbt"):
        shutil.copytree(PROJECT_DIR / part, dest / part)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, dest / name)
    return dest


def query(workdir: Path, sql: str):
    con = duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_never_stored(secrets, landing: Path, work: Path) -> None:
    """Each secret (prompt text, a user's e-mail, an IAM identity) is in the landing files, so the test can fail,
    and in none of the lake's files nor the warehouse file."""
    import gzip

    def readable(path: Path) -> bytes:
        data = path.read_bytes()
        return gzip.decompress(data) if path.name.endswith(".gz") else data

    given = b"".join(readable(p) for p in landing.rglob("*") if p.is_file())
    missing = [s for s in secrets if s not in given]
    assert not missing, f"the test's input lacks {missing}: it could not fail"
    stored = [p for p in (work / "lake").rglob("*.parquet")] + [work / "warehouse.duckdb"]
    for path in stored:
        data = path.read_bytes()
        found = [s for s in secrets if s in data]
        assert not found, f"{found} stored in {path}"


VOLATILE = {"ingested_at", "_run_id", "run_id", "dbt_updated_at"}


def warehouse_contents(path) -> dict[str, tuple[int, dict[str, object]]]:
    """Every mart and intermediate table: its row count and, per column, an order-free summary: exact for
    decimals, integers, text, dates and times (sum of a hash of each value), the sum of the values for
    floating-point columns (compare them with `same_contents`, within a relative 1e-9). Run ids and load times
    are left out."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'intermediate') and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            columns = [
                (name, kind)
                for name, kind in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if name not in VOLATILE
            ]
            exprs = [
                f'sum("{name}")' if kind in ("DOUBLE", "FLOAT") else f'sum(hash("{name}")::hugeint)'
                for name, kind in columns
            ]
            row = con.execute(f"select count(*), {', '.join(exprs)} from {schema}.{table}").fetchone()
            out[f"{schema}.{table}"] = (
                row[0],
                {name: value for (name, _), value in zip(columns, row[1:], strict=True)},
            )
        return out
    finally:
        con.close()


def same_contents(a: dict, b: dict) -> list[str]:
    """The differences between two `warehouse_contents` (floats within a relative 1e-9; all else exactly)."""
    diffs = []
    for table in sorted(set(a) | set(b)):
        if table not in a or table not in b:
            diffs.append(f"{table}: only in one warehouse")
            continue
        (rows_a, cols_a), (rows_b, cols_b) = a[table], b[table]
        if rows_a != rows_b:
            diffs.append(f"{table}: {rows_a} vs {rows_b} rows")
        for column in sorted(set(cols_a) | set(cols_b)):
            x, y = cols_a.get(column), cols_b.get(column)
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None or not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    diffs.append(f"{table}.{column}: {x} vs {y}")
            elif x != y:
                diffs.append(f"{table}.{column}: {x} vs {y}")
    return diffs


@pytest.fixture
def isolated_env(tmp_path, monkeypatch):
    """Point every FINOPS_* path at a fresh temporary folder (for code that reads the environment)."""
    for key, value in workdir_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return tmp_path


def pipeline_on_generated(tmp_path_factory, name: str, **generate_args):
    """Generate a landing folder and run the whole pipeline through Dagster on it, in folders of its own;
    yields (workdir, generator result, Dagster instance, success)."""
    from datetime import date

    from dagster import DagsterInstance

    from orchestration.pipeline import run_pipeline
    from orchestration.tools.sample_data.generator import generate

    work = tmp_path_factory.mktemp(name)
    result = generate(work / "landing", start=date(2026, 1, 1), **generate_args)
    instance = DagsterInstance.ephemeral()
    outcome = run_pipeline(work_settings(work, salt_policy="demo"), instance=instance, quiet=True)
    yield work, result, instance, outcome.success


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The whole pipeline through Dagster on a generated data set (shared by the end-to-end tests, which only
    read it): 30 days from the default start, so the provisioned routes meet the capacity seeds' dates; large
    enough for the A/B test to see its known effects."""
    yield from pipeline_on_generated(tmp_path_factory, "e2e", events=100_000, days=30, seed=11)


@pytest.fixture(scope="session")
def billed(tmp_path_factory):
    """The whole pipeline on 60 days of demo traffic in the formats real systems emit, with the providers' bills
    and their planted discrepancies (shared by the billing tests, which only read it)."""
    yield from pipeline_on_generated(
        tmp_path_factory, "billing_e2e", events=40_000, days=60, seed=21, real_formats=True
    )


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The whole pipeline on the demo's data (`make run`: 300,000 events over 90 days in real formats, seed 42),
    with its planted anomalies (shared by the anomaly tests, which only read it)."""
    yield from pipeline_on_generated(tmp_path_factory, "demo_e2e", events=300_000, days=90, seed=42, real_formats=True)


def copy_of(work: Path, into: Path) -> Path:
    """A work folder for a test that changes a shared warehouse: a copy of its warehouse file beside links to
    its lake and landing folder (read only), so the shared one stays as the pipeline left it."""
    import shutil

    shutil.copyfile(work / "warehouse.duckdb", into / "warehouse.duckdb")
    for folder in ("lake", "landing"):
        (into / folder).symlink_to(work / folder)
    return into


@pytest.fixture
def built_copy(built, tmp_path):
    return copy_of(built[0], tmp_path)
