"""The same dbt project on Spark: run dbt against the `spark` target in this process, and `spark-check`,
which builds a small demo warehouse on DuckDB and on Spark from the same lake and compares every mart.

Spark runs in session mode (pyspark inside this process, Java 17): nothing to start. dbt-spark runs SQL
models in that session but has no way to run a dbt Python model there (its Python models go to Databricks
clusters: `all_purpose_cluster`, `job_cluster`). `install_session_python_models` adds a `session` submission
method that executes the compiled model in the same SparkSession, the way dbt-duckdb runs Python models in
its own process; the project's Python models name it through `submission_method` (env
FINOPS_SPARK_PYTHON_SUBMISSION, default `session`; set `all_purpose_cluster` on Databricks).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from orchestration.settings import PROJECT_DIR, Settings, workdir_env

LOG4J_CONFIG = PROJECT_DIR / "orchestration" / "spark_log4j2.properties"
MONEY_TOLERANCE = Decimal("0.005")  # money columns agree to the cent
FLOAT_REL_TOLERANCE = 1e-6  # floating statistics (means, variances, p-values, shares)
FLOAT_ABS_TOLERANCE = 1e-9


def install_session_python_models() -> None:
    """Give dbt-spark a `session` submission method for Python models (idempotent)."""
    from dbt.adapters.base import PythonJobHelper
    from dbt.adapters.spark.impl import SparkAdapter

    if getattr(SparkAdapter, "_finops_session_python", False):
        return

    class SessionPythonJobHelper(PythonJobHelper):
        """Executes a compiled Python model (dbt-spark's own wrapper code included: it reads refs with
        spark.table and writes the returned DataFrame with saveAsTable) in this process's SparkSession."""

        def __init__(self, parsed_model: dict, credentials) -> None:
            self.name = f"{parsed_model['schema']}.{parsed_model['alias']}"

        def submit(self, compiled_code: str) -> None:
            from pyspark.sql import SparkSession

            spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
            namespace = {"spark": spark, "__name__": f"dbt_python_model.{self.name}"}
            exec(compile(compiled_code, f"<dbt python model {self.name}>", "exec"), namespace)

    base_helpers = SparkAdapter.python_submission_helpers.fget

    def python_submission_helpers(self):
        return {**base_helpers(self), "session": SessionPythonJobHelper}

    SparkAdapter.python_submission_helpers = property(python_submission_helpers)
    SparkAdapter._finops_session_python = True


def spark_env(lake_dir: str, spark_dir: str) -> dict[str, str]:
    """Environment for a dbt invocation on the spark target. Both paths absolute (Settings makes them so):
    Spark resolves relative locations against its own working directory."""
    return {
        "FINOPS_DBT_TARGET": "spark",
        "FINOPS_LAKE_DIR": lake_dir,
        "FINOPS_SPARK_DIR": spark_dir,
        "FINOPS_SPARK_JAVA_OPTIONS": os.environ.get(
            "FINOPS_SPARK_JAVA_OPTIONS", f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}"
        ),
        "FINOPS_SPARK_PYTHON_SUBMISSION": os.environ.get("FINOPS_SPARK_PYTHON_SUBMISSION", "session"),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
    }


def run_dbt_on_spark(
    args: list[str], env: dict[str, str], target_path: str, log_path: str, quiet: bool = False
) -> bool:
    """`dbt <args>` on the spark target in this process (so Python models can use the session). Quiet: only
    errors and a one-line summary on the console; the whole log is in log_path/dbt.log."""
    from collections import Counter

    from dbt.cli.main import dbtRunner

    os.environ.update(env)
    install_session_python_models()
    # pyspark 4.3 warns on every pandas conversion that pandas 3 is not fully supported; the one conversion
    # here (a Python model's few rows) is checked value by value against DuckDB by spark-check
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    flags = ["--quiet"] if quiet else []
    result = dbtRunner().invoke(
        [
            *flags,
            *args,
            "--project-dir",
            str(PROJECT_DIR),
            "--target",
            "spark",
            "--target-path",
            target_path,
            "--log-path",
            log_path,
        ]
    )
    if quiet:
        statuses = Counter(str(r.status) for r in getattr(result.result, "results", None) or [])
        print(f"dbt {' '.join(args)} on Spark: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    if result.exception is not None:
        print(f"dbt {' '.join(args)} on Spark: {result.exception}", file=sys.stderr)
    return bool(result.success)


# --- comparison -------------------------------------------------------------------------------------------


@dataclass
class ColumnResult:
    column: str
    kind: str
    duckdb: object
    spark: object
    ok: bool


@dataclass
class MartResult:
    mart: str
    duckdb_rows: int | None
    spark_rows: int | None
    columns: list[ColumnResult] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and self.duckdb_rows == self.spark_rows and all(c.ok for c in self.columns)


def _kind(duckdb_type: str, name: str = "") -> str:
    if name.lower().endswith("_id_hash"):
        return "other"  # an engine's own hash of an id (macro id_hash): the distinct counts agree, not the sums
    t = duckdb_type.upper()
    if t.startswith("DECIMAL"):
        scale = int(t.split(",")[1].rstrip(")")) if "," in t else 0
        return "money" if scale > 0 else "integer"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"):
        return "integer"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return "float"
    if t == "BOOLEAN":
        return "boolean"
    return "other"  # strings, dates, timestamps: non-null and distinct counts


QUOTE = {"duckdb": '"', "spark": "`"}
TEXT_TYPE = {"duckdb": "varchar", "spark": "string"}


def _aggregates(kind: str, col: str, dialect: str) -> list[str]:
    q = f"{QUOTE[dialect]}{col}{QUOTE[dialect]}"
    nonnull = f"count({q})"
    if kind in ("money", "integer"):
        return [nonnull, f"cast(sum({q}) as {TEXT_TYPE[dialect]})"]
    if kind == "float":
        return [nonnull, f"sum(cast({q} as double))"]
    if kind == "boolean":
        return [nonnull, f"sum(case when {q} then 1 else 0 end)"]
    return [nonnull, f"count(distinct {q})"]


def _close(kind: str, a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if kind == "money":
        return abs(Decimal(str(a)) - Decimal(str(b))) < MONEY_TOLERANCE
    if kind == "integer":
        return Decimal(str(a)) == Decimal(str(b))
    if kind == "float":
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=FLOAT_REL_TOLERANCE, abs_tol=FLOAT_ABS_TOLERANCE)
    return a == b


def compare_marts(duckdb_path: str, marts: list[str], spark) -> list[MartResult]:
    """Row counts, and per column: sums (money to the cent, integers and token counts exactly, floating
    statistics to FLOAT_REL_TOLERANCE), non-null counts, distinct counts of the other columns."""
    import duckdb

    con = duckdb.connect(duckdb_path, read_only=True)
    results = []
    try:
        for mart in marts:
            cols = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [mart],
            ).fetchall()
            if not cols:
                results.append(MartResult(mart, None, None, problem="not in the DuckDB warehouse"))
                continue
            try:
                spark_cols = {f.name.lower() for f in spark.table(f"marts.{mart}").schema.fields}
            except Exception as exc:  # noqa: BLE001 - reported as the mart's difference
                results.append(MartResult(mart, None, None, problem=f"not built on Spark: {str(exc)[:200]}"))
                continue
            duck_names = {c.lower() for c, _ in cols}  # column names are case-insensitive on both engines
            res = MartResult(mart, None, None)
            if duck_names != spark_cols:
                res.problem = (
                    f"columns differ: only on DuckDB {sorted(duck_names - spark_cols)}, "
                    f"only on Spark {sorted(spark_cols - duck_names)}"
                )
            checked = [(c, _kind(t, c)) for c, t in cols if c.lower() in spark_cols]
            duck_exprs = ["count(*)"] + [e for c, k in checked for e in _aggregates(k, c, "duckdb")]
            spark_exprs = ["count(*)"] + [e for c, k in checked for e in _aggregates(k, c, "spark")]
            d = con.execute(f'select {", ".join(duck_exprs)} from marts."{mart}"').fetchone()
            s = spark.sql(f"select {', '.join(spark_exprs)} from marts.`{mart}`").collect()[0]
            res.duckdb_rows, res.spark_rows = int(d[0]), int(s[0])
            for i, (col, kind) in enumerate(checked):
                for j, what in enumerate(
                    (
                        "non-null",
                        "sum" if kind in ("money", "integer", "float") else "true" if kind == "boolean" else "distinct",
                    )
                ):
                    a, b = d[1 + 2 * i + j], s[1 + 2 * i + j]
                    value_kind = kind if what == "sum" else "integer"
                    res.columns.append(ColumnResult(f"{col} ({what})", value_kind, a, b, _close(value_kind, a, b)))
            results.append(res)
    finally:
        con.close()
    return results


def format_comparison(results: list[MartResult]) -> str:
    lines = [f"{'mart':<36} {'rows duckdb':>12} {'rows spark':>12} {'checks':>7} {'differ':>7}  result"]
    for r in results:
        differ = sum(not c.ok for c in r.columns) + (r.duckdb_rows != r.spark_rows)
        lines.append(
            f"{r.mart:<36} {r.duckdb_rows if r.duckdb_rows is not None else '-':>12} "
            f"{r.spark_rows if r.spark_rows is not None else '-':>12} {len(r.columns) + 1:>7} {differ:>7}  "
            f"{'ok' if r.ok else 'DIFFERENT'}"
        )
    for r in results:
        if r.problem:
            lines.append(f"  {r.mart}: {r.problem}")
        for c in r.columns:
            if not c.ok:
                lines.append(f"  {r.mart}.{c.column} [{c.kind}]: duckdb {c.duckdb} vs spark {c.spark}")
    money = sum(c.kind == "money" for r in results for c in r.columns)
    lines.append(
        f"{len(results)} marts, {sum(len(r.columns) + 1 for r in results)} checks ({money} money sums to the cent, "
        f"floats to a relative {FLOAT_REL_TOLERANCE:g}): "
        f"{sum(not r.ok for r in results)} mart(s) differ"
    )
    return "\n".join(lines)


def mart_names(manifest_path: Path) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        n["alias"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] == "marts" and n["config"].get("enabled", True)
    )


# --- the command ------------------------------------------------------------------------------------------


# a table model whose Python code reads its own last build (frames.previous)
REREAD_MODEL = "rpt_forecast_accuracy"


def spark_check(workdir: str, events: int, days: int) -> int:
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        print("spark-check needs Java 17 (pyspark starts a JVM): install a JDK or set JAVA_HOME", file=sys.stderr)
        return 2
    work = Path(workdir).resolve()
    marker = work / ".spark-check"
    if work.exists() and any(work.iterdir()):
        if not marker.exists():
            print(
                f"spark-check: {work} is not empty and was not made by spark-check: choose another --workdir",
                file=sys.stderr,
            )
            return 2
        shutil.rmtree(work)  # always from scratch: the lake, both warehouses and the metastore (all its own)
    work.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by `python -m orchestration.tools.spark check`; removed by its next run\n")
    lake, spark_dir = work / "lake", work / "spark"
    duck_env = {**os.environ, **workdir_env(work), "FINOPS_DBT_TARGET": "duckdb"}
    timings = {}
    t0 = time.perf_counter()
    # 1. the demo data, ingested into the lake and built on DuckDB (the default pipeline, through Dagster)
    with open(work / "duckdb_run.log", "w") as log:
        rc = subprocess.call(
            [
                sys.executable,
                "-m",
                "orchestration.cli",
                "demo",
                "--dir",
                str(work),
                "--events",
                str(events),
                "--days",
                str(days),
            ],
            env=duck_env,
            cwd=PROJECT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    timings["generate, ingest, build on DuckDB"] = time.perf_counter() - t0
    if rc != 0:
        print(f"the DuckDB build failed (exit {rc}); see {work / 'duckdb_run.log'}", file=sys.stderr)
        return 1
    # 2. the same lake, built on Spark (seeds, models, unit and data tests)
    env, target, logs = spark_env(str(lake), str(spark_dir)), str(work / "target_spark"), str(work / "logs_spark")
    t1 = time.perf_counter()
    ok = run_dbt_on_spark(["build"], env, target, logs, quiet=True)
    timings["dbt build on Spark"] = time.perf_counter() - t1
    # 3. an incremental run of the last day (insert_overwrite of its partitions and the lookback's) must
    #    leave every row as it was, and so must a rebuild of the model that reads its own last build (its
    #    backtests reused): the comparison below runs after them
    import duckdb

    with duckdb.connect(duck_env["FINOPS_DUCKDB_PATH"], read_only=True) as con:
        last_day = str(con.execute("select max(event_date) from marts.fct_genai_requests").fetchone()[0])
    t2 = time.perf_counter()
    window = json.dumps({"min_date": last_day, "max_date": last_day})
    ok = (
        run_dbt_on_spark(
            ["run", "--select", f"config.materialized:incremental {REREAD_MODEL}", "--vars", window],
            env,
            target,
            logs,
            quiet=True,
        )
        and ok
    )
    timings[f"incremental run of {last_day} on Spark"] = time.perf_counter() - t2
    if not ok:
        print(f"dbt on Spark failed; see {work / 'logs_spark' / 'dbt.log'}", file=sys.stderr)
    # 4. every mart compared
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    marts = mart_names(work / "target_spark" / "manifest.json")
    t3 = time.perf_counter()
    results = compare_marts(str(work / "warehouse.duckdb"), marts, spark)
    timings["comparison"] = time.perf_counter() - t3
    print(format_comparison(results))
    reread = last_build_problem(spark, REREAD_MODEL)
    print(f"frames.previous on Spark: {reread or 'reads the last build of marts.' + REREAD_MODEL}")
    print("  ".join(f"{k}: {v:.1f}s" for k, v in timings.items()))
    return 0 if ok and all(r.ok for r in results) and not reread else 1


def last_build_problem(spark, model: str) -> str:
    """What is wrong with `frames.previous` on Spark ('' if nothing): it must hand over every row of the model's
    table in `marts`, and nothing for a table that does not exist."""
    from types import SimpleNamespace

    from orchestration.frames import previous

    rows = spark.table(f"marts.{model}").count()
    last = previous(spark, SimpleNamespace(schema="marts", identifier=model))
    if last is None or len(last) != rows or not rows:
        return f"read {'nothing' if last is None else f'{len(last)} rows'} of marts.{model}, which holds {rows} rows"
    if previous(spark, SimpleNamespace(schema="marts", identifier=f"{model}_missing")) is not None:
        return f"read rows of marts.{model}_missing, which does not exist"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.tools.spark", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="build a small demo on DuckDB and on Spark and compare every mart")
    p.add_argument("--workdir", default=str(PROJECT_DIR / "data" / "spark_check"))
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--days", type=int, default=60)  # 56 days and more are backtested: the forecasts run whole
    p = sub.add_parser(
        "dbt", help="run dbt on the spark target in this process: python -m orchestration.tools.spark dbt build"
    )
    p.add_argument("dbt_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "check":
        return spark_check(args.workdir, args.events, args.days)
    settings = Settings.from_env()
    ok = run_dbt_on_spark(
        args.dbt_args,
        spark_env(settings.lake_dir, settings.spark_dir),
        str(Path(settings.dbt_target_dir) / "spark"),
        str(Path(settings.dbt_target_dir) / "spark" / "logs"),
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
