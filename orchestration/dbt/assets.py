"""The dbt project as one Dagster multi-asset: one `dbt build` per run.

The dbt assets are not partitioned themselves (a table or a view has no partitions); the run's partition
range (Dagster's `context.partition_key_range`, a single day or a backfill range of the ingestion assets)
decides the window the incremental models rebuild: min_date / max_date (inclusive), passed to dbt in the
environment (FINOPS_WINDOW_MIN_DATE, ...; the macro window_var reads them, or the dbt vars of those names given
by hand), so that a new window keeps dbt's partial parsing.
Incremental models rebuild that window plus `lookback_days`, and any older day that files arriving in the
window brought events for (late data of any age); every other node (seeds, views, dimensions, reports) is
rebuilt whole, which keeps them consistent with the facts and stays cheap: the reports read daily
aggregates, or a trailing window where they need every value (exact percentiles). A run without a partition
lets the models take their own window (the newest built day minus the lookback). One dbt invocation per run
keeps dbt's own ordering of models and tests (a relationships test runs after both of its models) and
DuckDB's single writer. dbt tests are reported as asset checks.
"""

import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure, MaterializeResult, asset
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.datasets import EVENT_ROLES, Dataset
from orchestration.dbt.manifest import record_profile, wait_for_parse
from orchestration.dbt.project import dbt_project
from orchestration.dbt.translator import FinopsDbtTranslator
from orchestration.ingest.engine import oldest_event_day
from orchestration.landing_state import finish_run, records_itself, state_path
from orchestration.logs import step
from orchestration.publish import publish_marts, record_build, window_start
from orchestration.settings import Settings, duckdb_memory_limit
from orchestration.warehouse import writer_lock


def window_vars(context: AssetExecutionContext, finops: Settings, datasets: tuple[Dataset, ...]) -> dict[str, str]:
    """dbt vars for the run's daily partition or partition range (inclusive days), and `rebuild_from` when files
    that arrived in it carried events older than its first day; {} without a partition."""
    if not context.has_partition_key_range:
        return {}
    days = context.partition_key_range
    out = {"min_date": days.start, "max_date": days.end}
    events = tuple(d for d in datasets if d.role in EVENT_ROLES)
    oldest = oldest_event_day(finops.lake_dir, events, days.start, days.end)
    if oldest and oldest < days.start:
        out["rebuild_from"] = oldest
    return out


def build_args(finops: Settings) -> list[str]:
    """The refresh job's dbt command. Without the unit tests unless FINOPS_DBT_UNIT_TESTS: they check the models'
    code on fixed rows, not the data, so `make test` and CI run them, not every refresh (dbt's advice for
    production builds; 17 of them, ~6 s of node time on the demo). The window is not here: see window_env."""
    return ["build"] + ([] if finops.dbt_unit_tests else ["--exclude-resource-type", "unit_test"])


WINDOW_VARS = ("min_date", "max_date", "rebuild_from")


def window_env(dbt_vars: Mapping[str, str]) -> dict[str, str]:
    """The window as dbt's build reads it (macro window_var): FINOPS_WINDOW_MIN_DATE, ..._MAX_DATE and
    ..._REBUILD_FROM, empty when not set. Not as --vars: dbt parses the whole project again whenever the vars
    change, and every daily run's window differs (window_var reads the environment when a node compiles, never
    while parsing, so dbt skips its parse: `dbt compile` of one model 3.3-3.7 s instead of 8.2-12.1 s)."""
    return {f"FINOPS_WINDOW_{name.upper()}": dbt_vars.get(name, "") for name in WINDOW_VARS}


def dbt_log_env() -> dict[str, str]:
    """dbt's log file (<target>/dbt.log) in the refresh job's build: `warn`, unless DBT_LOG_LEVEL_FILE says
    otherwise. dbt writes it at `debug` by default (every statement: 7.1 MB of JSON lines for the demo's build),
    and the build's own events are in Dagster's event log already (dagster-dbt streams them from dbt's standard
    output), so the file keeps the warnings and errors. A dbt command run by hand keeps dbt's default."""
    return {"DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "warn")}


@contextmanager
def subprocess_env(values: Mapping[str, str]) -> Iterator[None]:
    """The environment a subprocess starts with (dagster-dbt passes os.environ to dbt): set while dbt starts,
    restored right after."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_dbt_assets(settings: Settings, manifest: Path, datasets: tuple[Dataset, ...]) -> AssetsDefinition:
    @dbt_assets(
        manifest=manifest,
        project=dbt_project(settings),
        dagster_dbt_translator=FinopsDbtTranslator(),
        name="dbt_warehouse",
    )
    def dbt_warehouse(context: AssetExecutionContext, dbt: DbtCliResource, finops: Settings):
        dbt_vars = window_vars(context, finops, datasets)
        context.log.info(f"dbt build, window {dbt_vars or 'from the models (newest built day minus lookback)'}")
        args = build_args(finops)
        # runs are one at a time (the writer lock), so they share one target folder and dbt's partial parse
        target = Path(finops.dbt_target_dir)
        started = time.perf_counter()
        with writer_lock(finops, what=f"dbt build, run {context.run_id}"):
            # the days this build may change, recorded before it starts: a build that fails halfway has changed
            # some of them too, and the next publish writes them (orchestration/publish.py)
            record_build(finops.duckdb_path, window_start(dbt_vars))
            # a parse for this profile started in the background by the command (start_parse) writes dbt's
            # partial-parse file: done before dbt starts, which then finds nothing to parse
            wait_for_parse(finops)
            with subprocess_env({**finops.dbt_env(), **window_env(dbt_vars), **dbt_log_env()}):
                invocation = dbt.cli(args, context=context, target_path=target, raise_on_error=False)
            yield from invocation.stream()
            record_profile(finops)  # dbt's partial-parse file now holds this profile (start_parse reads it)
        context.log.info(step(f"dbt build: {summarize(invocation)} ({time.perf_counter() - started:.1f} s)"))
        if not invocation.is_successful():
            advice = out_of_memory_advice(results_of(invocation))
            raise Failure(f"dbt build failed: {summarize(invocation)}; see {target / 'dbt.log'}" + advice)

    return dbt_warehouse


def results_of(invocation) -> list[dict]:
    """dbt's run results of the invocation ([]: dbt failed before it ran anything)."""
    try:
        return invocation.get_artifact("run_results.json")["results"]
    except Exception:  # no artifact
        return []


OUT_OF_MEMORY = "Out of Memory Error"  # how DuckDB's error begins


def out_of_memory_advice(results: list[dict]) -> str:
    """What to do when DuckDB ran out of its memory limit in some nodes ("": none did): their names, the
    limit, and the three ways out, smallest first."""
    nodes = [r["unique_id"].split(".")[-1] for r in results if OUT_OF_MEMORY in (r.get("message") or "")]
    if not nodes:
        return ""
    limit = duckdb_memory_limit()
    return (
        f". DuckDB ran out of its memory limit (FINOPS_DUCKDB_MEMORY_LIMIT={limit}) in {', '.join(nodes)}: "
        "build fewer days per run (`genai-finops run --window-days 10` builds the range in windows of 10 days, "
        "one dbt model at a time), set FINOPS_DBT_THREADS=1, or raise the limit"
    )


def summarize(invocation) -> str:
    """'62 models, 13 seeds, 190 tests: 3 warn, 0 error' from dbt's run results."""
    results = results_of(invocation)
    if not results:
        return "no results"
    kinds = Counter(r["unique_id"].split(".")[0] for r in results)
    statuses = Counter(r["status"] for r in results)
    made = ", ".join(f"{n} {kind}s" for kind, n in sorted(kinds.items()))
    bad = ", ".join(f"{statuses[s]} {s}" for s in ("warn", "error", "fail", "skipped") if statuses.get(s))
    return made + (f": {bad}" if bad else ": all passed")


def build_published_warehouse(dbt_warehouse: AssetsDefinition, ingested: Iterable[AssetKey] = ()) -> AssetsDefinition:
    """The published copy; for a run of the refresh job that records itself (launched by hand, a backfill, the
    schedule), also the record of what its days were built from, when the run ingested every dataset (`ingested`)
    and built every dbt model."""
    whole_refresh = {*dbt_warehouse.keys, *ingested}

    @asset(
        key=AssetKey(["published", "warehouse"]),
        deps=list(dbt_warehouse.keys),
        group_name="published",
        description=(
            "The marts published for readers after a successful build: Parquet per mart (per day for the marts "
            "dbt rebuilds by day; only the days a build changed are written) and a DuckDB file of views over "
            "them at FINOPS_PUBLISHED_PATH, a new version swapped in atomically, so BI tools never block a run "
            "nor see a half-written mart (orchestration/publish.py)."
        ),
    )
    def published_warehouse(context: AssetExecutionContext, finops: Settings) -> MaterializeResult:
        manifest = Path(finops.dbt_target_dir) / "manifest.json"
        with writer_lock(finops, what="publish"):
            report = publish_marts(finops.duckdb_path, finops.published_path, manifest)
        context.log.info(step(f"published the marts for readers at {finops.published_path}: {report.summary()}"))
        if (
            records_itself(context.run.tags)
            and whole_refresh <= context.job_def.asset_layer.selected_asset_keys
            and finish_run(finops, context.run_id)
        ):
            context.log.info(f"recorded the run's days as built in {state_path(finops)}")
        return MaterializeResult(
            metadata={
                "path": finops.published_path,
                "version": report.version,
                "marts": report.marts,
                "files_written": report.partitions_written,
                "partitions_linked": report.partitions_linked,
                "rows_written": report.rows_written,
                "parquet_bytes": report.bytes_total,
                "seconds": round(report.seconds, 2),
            }
        )

    return published_warehouse
