"""Ingestion assets: landing files of an arrival day -> raw lake, with their quarantine and log.

One asset per registry entry (orchestration/datasets.py), `raw/<dataset>`, daily partitioned (the arrival day);
a backfill of many days runs once. One asset writes the dataset's three lake tables (its rows, its quarantine,
its ingestion log; dbt's sources `<dataset>`, `<dataset>_quarantine` and `<dataset>_ingestion_log` all map to
it): Dagster records one materialization per asset and day, so a 92-day backfill of fifteen datasets records
1,380 of them instead of 4,140 (~3 ms each). Its checks:
- `ge_contract` (blocking, a step of its own): the Great Expectations suite over every row this run loaded; a
  contract violation stops everything downstream. The ingestion step asks the validation worker for it and goes
  on; the check's step collects the answer. The ingestion steps run first, in the registry's order (their
  priority), so the worker validates one dataset while the next one loads.
- `records_reconcile` (blocking): each file read = loaded + quarantined, and no file was unreadable.
- `quarantine_empty` (warn): how many records were quarantined, and why.
- `landing_entries_read` (warn): entries discovered = files processed + entries skipped, naming each skip and
  its reason (a stray file never passes in silence).
"""

import time
from collections import Counter

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset_check,
    multi_asset,
)

from orchestration.datasets import Dataset
from orchestration.ingest.engine import FileResult, ingest_days, lake_files
from orchestration.landing_state import records_itself, start_run
from orchestration.logs import step
from orchestration.partitions import single_run
from orchestration.quality import suites, validation
from orchestration.settings import Settings
from orchestration.warehouse import writer_lock

# a progress line at most this often while a run's landing files load (one call for all its days: the files
# read in batches across days; a call per 31 days cost ~0.15 s each in statements and listings)
PROGRESS_SECONDS = 10.0


def contract_check_result(ds: Dataset, outcome: suites.SuiteOutcome) -> AssetCheckResult:
    failures = [
        {
            "expectation": f.expectation,
            "column": f.column,
            "severity": f.severity,
            "unexpected": f.unexpected_count,
            "sample": f.sample,
        }
        for f in outcome.failures
    ]
    return AssetCheckResult(
        asset_key=AssetKey(["raw", ds.name]),
        check_name="ge_contract",
        passed=not outcome.failures,
        severity=AssetCheckSeverity.ERROR if outcome.errors else AssetCheckSeverity.WARN,
        description=(
            f"{len(outcome.errors)} contract violation(s), {len(outcome.warnings)} drift warning(s) "
            f"over {outcome.rows:,} rows in {outcome.batches} batch(es)"
        ),
        metadata={
            "rows_validated": outcome.rows,
            "batches": outcome.batches,
            "expectations_evaluated": outcome.evaluated,
            "seconds": outcome.seconds,
            "failures": MetadataValue.json(failures),
        },
    )


def build_ingest_asset(ds: Dataset, partitions: PartitionsDefinition, priority: int = 1) -> AssetsDefinition:
    """The ingestion asset of one registry entry: raw/<name> (the lake's <name>, <name>_quarantine and
    <name>_ingestion_log), with its checks but the contract (`build_contract_check`). Dagster runs the ready step
    of the highest `priority` first; a contract check's step has priority 0, so a run's ingestion steps come
    before its contract checks."""
    key = AssetKey(["raw", ds.name])

    @multi_asset(
        name=f"ingest_{ds.name}",
        specs=[
            AssetSpec(
                key,
                description=(
                    f"{ds.description} Parquet in the lake, partitioned by {ds.partition_column} (UTC); with "
                    f"{ds.name}_quarantine (the records that broke the contract: file, line, field and reason) and "
                    f"{ds.name}_ingestion_log (one row per entry of the {ds.landing}/ landing folder: a file's "
                    "read / loaded / quarantined counts, or why it was skipped), by arrival day."
                ),
                group_name="raw",
                kinds={"parquet"},
                metadata={"lake_tables": [ds.name, f"{ds.name}_quarantine", f"{ds.name}_ingestion_log"]},
            )
        ],
        check_specs=[
            AssetCheckSpec(
                "records_reconcile",
                asset=key,
                blocking=True,
                description="every file readable, and read = loaded + quarantined",
            ),
            AssetCheckSpec("quarantine_empty", asset=key, description="no record was quarantined"),
            AssetCheckSpec(
                "landing_entries_read", asset=key, description="every entry of the landing folder was read (no skip)"
            ),
        ],
        partitions_def=partitions,
        backfill_policy=single_run,
        op_tags={"dagster/priority": str(priority)},
        description=f"Ingest {ds.landing}/ landing files ({ds.role}) into the lake.",
    )
    def _ingest(context: AssetExecutionContext, finops: Settings):
        days = list(context.partition_keys)
        if records_itself(context.run.tags):  # its days pending, their landing fingerprinted before any file is read
            start_run(finops, context.run_id, days[0], days[-1])
        started = time.perf_counter()
        salt = finops.hash_salt(announce=context.log.warning)
        last_line = started

        def progress(done: int, total: int, records: int) -> None:
            nonlocal last_line
            now = time.perf_counter()
            if now - last_line >= PROGRESS_SECONDS and done < total:
                last_line = now
                context.log.debug(f"{ds.name}: {done:,}/{total:,} files, {records:,} records, {now - started:.1f}s")

        with writer_lock(finops, what=f"ingest {ds.name}, run {context.run_id}"):
            results: list[FileResult] = ingest_days(
                ds,
                days,
                finops.landing_roots,
                finops.lake_dir,
                salt,
                context.run_id,
                naive_timezone=finops.naive_timezone,
                file_timeout_s=finops.file_timeout_seconds,
                on_progress=progress,
            )
        files = [r for r in results if r.status != "skipped"]
        skipped = [r for r in results if r.status == "skipped"]
        read = sum(r.records_read for r in files)
        loaded = sum(r.records_loaded for r in files)
        quarantined = sum(r.records_quarantined for r in files)
        unreadable = [r for r in files if r.status != "loaded"]
        seconds = round(time.perf_counter() - started, 3)
        yield MaterializeResult(
            metadata={
                "files": len(files),
                "records_read": read,
                "records_loaded": loaded,
                "records_quarantined": quarantined,
                "entries_discovered": len(results),
                "entries_skipped": len(skipped),
                "unreadable_files": len(unreadable),
                "seconds": seconds,
            },
        )

        if files or skipped:
            context.log.info(
                step(
                    f"{ds.name}: {len(files):,} files read, {loaded:,} records loaded, {quarantined:,} quarantined, "
                    f"{len(skipped):,} entries skipped, {len(unreadable):,} unreadable ({seconds:.1f} s)"
                )
            )
        # validated by the worker while the next steps run; the contract check's step collects the outcome
        validation.submit(_contract_key(context.run.run_id, ds), "validate_run", ds, finops.lake_dir, days)

        unbalanced = [r for r in files if r.records_read != r.records_loaded + r.records_quarantined]
        problems = [f"{r.source_file}: unreadable ({r.error})" for r in unreadable] + [
            f"{r.source_file}: read {r.records_read} != loaded {r.records_loaded} + quarantined {r.records_quarantined}"
            for r in unbalanced
        ]
        yield AssetCheckResult(
            asset_key=key,
            check_name="records_reconcile",
            passed=not problems,
            description="; ".join(problems[:20]) or f"{len(files)} files reconcile",
            metadata={"records_read": read, "records_loaded": loaded, "records_quarantined": quarantined},
        )

        reasons = Counter()
        if quarantined:
            qfiles = [
                f
                for day in days
                for f in lake_files(finops.lake_dir, f"{ds.name}_quarantine", f"day={day}", "*.parquet")
            ]
            listing = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in qfiles) + "]"
            con = duckdb.connect()  # a connection of its own (the module's default one is shared in the process)
            try:
                for reason, field, n in con.execute(
                    f"select reason, field, count(*) from read_parquet({listing}) group by all order by 3 desc"
                ).fetchall():
                    reasons[f"{reason} ({field})" if field else reason] = n
            finally:
                con.close()
        yield AssetCheckResult(
            asset_key=key,
            check_name="quarantine_empty",
            passed=quarantined == 0,
            severity=AssetCheckSeverity.WARN,
            description=f"{quarantined:,} of {read:,} records quarantined",
            metadata={"reasons": MetadataValue.json(dict(reasons.most_common(20)))},
        )
        yield AssetCheckResult(
            asset_key=key,
            check_name="landing_entries_read",
            passed=not skipped,
            severity=AssetCheckSeverity.WARN,
            description=(
                f"{len(results):,} entries discovered = {len(files):,} files processed + {len(skipped):,} skipped"
                + "".join(f"; {r.source_file}: {r.error}" for r in skipped[:20])
            ),
            metadata={"skipped": MetadataValue.json({r.source_file: r.error for r in skipped[:200]})},
        )

    return _ingest


def _contract_key(run_id: str, ds: Dataset) -> tuple[str, str, str]:
    return ("ge_contract", run_id, ds.name)


def build_contract_check(ds: Dataset) -> AssetChecksDefinition:
    """raw/<name>'s `ge_contract`: the Great Expectations suite over the rows the run loaded (the files of its
    arrival days), as the ingestion step asked the validation worker for it, or asked now when this check runs
    without that step (run on its own)."""

    @asset_check(
        asset=AssetKey(["raw", ds.name]),
        name="ge_contract",
        blocking=True,
        description="Great Expectations contract over the rows the run loaded",
    )
    def _contract(context: AssetCheckExecutionContext, finops: Settings) -> AssetCheckResult:
        run = context.op_execution_context
        if not (run.has_partition_key or run.has_partition_key_range):
            raise Failure(
                f"ge_contract of raw/{ds.name} validates a run's arrival days: select them (a partition range)"
            )
        days = list(run.partition_keys)
        started = time.perf_counter()
        outcome = validation.collect(_contract_key(context.run.run_id, ds), "validate_run", ds, finops.lake_dir, days)
        if outcome.rows:
            context.log.info(
                step(
                    f"{ds.name}: Great Expectations validated {outcome.rows:,} rows: {len(outcome.errors)} contract "
                    f"violation(s), {len(outcome.warnings)} drift warning(s) "
                    f"(computed in {outcome.seconds:.1f} s, waited for {time.perf_counter() - started:.1f} s)"
                )
            )
        return contract_check_result(ds, outcome)

    return _contract


def build_ingest_assets(datasets: tuple[Dataset, ...], partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    """Each dataset's ingestion asset, their steps in the registry's order (priorities from len(datasets) down
    to 1)."""
    return [build_ingest_asset(ds, partitions, len(datasets) - i) for i, ds in enumerate(datasets)]


def build_contract_checks(datasets: tuple[Dataset, ...]) -> list[AssetChecksDefinition]:
    return [build_contract_check(ds) for ds in datasets]
