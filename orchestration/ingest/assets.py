"""Ingestion assets: landing files of an arrival day -> raw lake, with their quarantine and log.

One multi-asset per dataset, daily partitioned (the arrival day); a backfill of many days runs once.
Its checks:
- `ge_contract` (blocking) on raw/<dataset>: the Great Expectations suite over every row this run
  loaded; a contract violation stops everything downstream.
- `records_reconcile` (blocking) on raw/<dataset>_ingestion_log: each file read = loaded + quarantined,
  and no file was unreadable.
- `quarantine_empty` (warn) on raw/<dataset>_quarantine: how many records were quarantined, and why.
"""

import time
from collections import Counter
from collections.abc import Iterator
from datetime import date

import duckdb
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.ingest.contracts import (
    ANTHROPIC_MESSAGES,
    ANTHROPIC_USAGE,
    AWS_CUR,
    AZURE_COST_ACTUAL,
    AZURE_COST_AMORTIZED,
    BEDROCK_INVOCATIONS,
    FOCUS_CHARGES,
    GCP_BILLING,
    KPI_EVENTS,
    LITELLM_SPEND_LOGS,
    OPENAI_USAGE,
    OTEL_SPANS,
    USAGE_EVENTS,
    Contract,
)
from orchestration.ingest.engine import FileResult, glob_files, ingest_days
from orchestration.partitions import daily_partitions, single_run
from orchestration.quality import suites
from orchestration.settings import Settings
from orchestration.warehouse import writer_lock

SUITES = {
    "usage_events": (suites.usage_events_expectations, suites.USAGE_COLUMNS, suites.prepare_usage_batch),
    "otel_spans": (suites.usage_events_expectations, suites.USAGE_COLUMNS, suites.prepare_usage_batch),
    "openai_usage": suites.OPENAI_USAGE_SUITE,
    "litellm_spend_logs": (
        suites.litellm_spend_log_expectations,
        suites.LITELLM_COLUMNS,
        suites.prepare_litellm_batch,
    ),
    "anthropic_usage": suites.ANTHROPIC_USAGE_SUITE,
    "anthropic_messages": (
        suites.anthropic_message_expectations,
        suites.ANTHROPIC_MESSAGE_COLUMNS,
        suites.prepare_anthropic_message_batch,
    ),
    "bedrock_invocations": (
        suites.bedrock_invocations_expectations,
        suites.BEDROCK_COLUMNS,
        suites.prepare_bedrock_batch,
    ),
    "kpi_events": (suites.kpi_events_expectations, suites.KPI_COLUMNS, suites.prepare_kpi_batch),
    "focus_charges": suites.FOCUS_SUITE,
    "aws_cur": suites.AWS_CUR_SUITE,
    "azure_cost_actual": suites.AZURE_COST_SUITE,
    "azure_cost_amortized": suites.AZURE_COST_SUITE,
    "gcp_billing": suites.GCP_BILLING_SUITE,
}


def run_batches(contract: Contract, lake_dir: str, days: list[str], columns: list[str]) -> Iterator[pd.DataFrame]:
    """The rows the run loaded (files of its arrival days), in frames of at most FINOPS_GE_MAX_BATCH_ROWS."""
    files = [f for day in days for f in glob_files(lake_dir, contract.dataset, "*", f"{day}__*.part*.parquet")]
    if not files:
        return
    listing = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    con = duckdb.connect()
    try:
        reader = con.sql(
            f"select {', '.join(columns)} from read_parquet({listing}, union_by_name = true)"
        ).to_arrow_reader(suites.max_batch_rows())
        pending: list[pd.DataFrame] = []
        size = 0
        for batch in reader:
            pending.append(batch.to_pandas())
            size += batch.num_rows
            if size >= suites.max_batch_rows():
                yield pd.concat(pending, ignore_index=True)
                pending, size = [], 0
        if pending:
            yield pd.concat(pending, ignore_index=True)
    finally:
        con.close()


def validate_run(contract: Contract, lake_dir: str, days: list[str]) -> suites.SuiteOutcome:
    expectations, columns, prepare = SUITES[contract.dataset]
    latest = date.fromisoformat(max(days))
    batches = (prepare(df) for df in run_batches(contract, lake_dir, days, columns))
    return suites.validate_batches(f"raw_{contract.dataset}", expectations(latest), batches)


def contract_check_result(contract: Contract, outcome: suites.SuiteOutcome) -> AssetCheckResult:
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
        asset_key=AssetKey(["raw", contract.dataset]),
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
            "failures": MetadataValue.json(failures),
        },
    )


def build_ingest_asset(contract: Contract):
    ds = contract.dataset
    main, quarantine, log = (
        AssetKey(["raw", ds]),
        AssetKey(["raw", f"{ds}_quarantine"]),
        AssetKey(["raw", f"{ds}_ingestion_log"]),
    )

    @multi_asset(
        name=f"ingest_{ds}",
        specs=[
            AssetSpec(
                main,
                description=f"Raw {ds} in the lake, Parquet partitioned by event_date.",
                group_name="raw",
            ),
            AssetSpec(
                quarantine,
                description=f"{ds} records that broke the contract, with reasons.",
                group_name="raw",
            ),
            AssetSpec(log, description=f"One row per ingested {ds} landing file with its counts.", group_name="raw"),
        ],
        check_specs=[
            AssetCheckSpec("ge_contract", asset=main, blocking=True, description="Great Expectations contract"),
            AssetCheckSpec("records_reconcile", asset=log, blocking=True, description="read = loaded + quarantined"),
            AssetCheckSpec("quarantine_empty", asset=quarantine, description="no record was quarantined"),
        ],
        partitions_def=daily_partitions,
        backfill_policy=single_run,
    )
    def _ingest(context: AssetExecutionContext):
        settings = Settings.from_env()
        days = list(context.partition_keys)
        started = time.perf_counter()
        results: list[FileResult] = []
        with writer_lock(settings, what=f"ingest {ds}, run {context.run_id}"):
            for i in range(0, len(days), 10):
                chunk = days[i : i + 10]
                results += ingest_days(
                    contract, chunk, settings.landing_dir, settings.lake_dir, settings.hash_salt, context.run_id
                )
                context.log.info(
                    f"{ds}: {i + len(chunk)}/{len(days)} days, {len(results)} files, "
                    f"{sum(r.records_read for r in results):,} records, {time.perf_counter() - started:.1f}s"
                )
        read = sum(r.records_read for r in results)
        loaded = sum(r.records_loaded for r in results)
        quarantined = sum(r.records_quarantined for r in results)
        unreadable = [r for r in results if r.status != "loaded"]
        seconds = round(time.perf_counter() - started, 3)
        yield MaterializeResult(
            asset_key=main,
            metadata={"files": len(results), "records_loaded": loaded, "seconds": seconds},
        )
        yield MaterializeResult(asset_key=quarantine, metadata={"records_quarantined": quarantined})
        yield MaterializeResult(
            asset_key=log,
            metadata={"files": len(results), "records_read": read, "unreadable_files": len(unreadable)},
        )

        outcome = validate_run(contract, settings.lake_dir, days)
        context.log.info(
            f"{ds}: GE validated {outcome.rows:,} rows in {outcome.batches} batch(es): "
            f"{len(outcome.errors)} error(s), {len(outcome.warnings)} warning(s)"
        )
        yield contract_check_result(contract, outcome)

        unbalanced = [r for r in results if r.records_read != r.records_loaded + r.records_quarantined]
        problems = [f"{r.source_file}: unreadable ({r.error})" for r in unreadable] + [
            f"{r.source_file}: read {r.records_read} != loaded {r.records_loaded} + quarantined {r.records_quarantined}"
            for r in unbalanced
        ]
        yield AssetCheckResult(
            asset_key=log,
            check_name="records_reconcile",
            passed=not problems,
            description="; ".join(problems[:20]) or f"{len(results)} files reconcile",
            metadata={"records_read": read, "records_loaded": loaded, "records_quarantined": quarantined},
        )

        reasons = Counter()
        if quarantined:
            files = [
                f for day in days for f in glob_files(settings.lake_dir, f"{ds}_quarantine", f"day={day}", "*.parquet")
            ]
            listing = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
            for reason, field, n in duckdb.sql(
                f"select reason, field, count(*) from read_parquet({listing}) group by all order by 3 desc"
            ).fetchall():
                reasons[f"{reason} ({field})" if field else reason] = n
        yield AssetCheckResult(
            asset_key=quarantine,
            check_name="quarantine_empty",
            passed=quarantined == 0,
            severity=AssetCheckSeverity.WARN,
            description=f"{quarantined:,} of {read:,} records quarantined",
            metadata={"reasons": MetadataValue.json(dict(reasons.most_common(20)))},
        )

    return _ingest


ingest_usage_events = build_ingest_asset(USAGE_EVENTS)
ingest_kpi_events = build_ingest_asset(KPI_EVENTS)
ingest_otel_spans = build_ingest_asset(OTEL_SPANS)
ingest_bedrock_invocations = build_ingest_asset(BEDROCK_INVOCATIONS)
ingest_openai_usage = build_ingest_asset(OPENAI_USAGE)
ingest_anthropic_usage = build_ingest_asset(ANTHROPIC_USAGE)
ingest_anthropic_messages = build_ingest_asset(ANTHROPIC_MESSAGES)
ingest_litellm_spend_logs = build_ingest_asset(LITELLM_SPEND_LOGS)
ingest_focus_charges = build_ingest_asset(FOCUS_CHARGES)
ingest_aws_cur = build_ingest_asset(AWS_CUR)
ingest_azure_cost_actual = build_ingest_asset(AZURE_COST_ACTUAL)
ingest_azure_cost_amortized = build_ingest_asset(AZURE_COST_AMORTIZED)
ingest_gcp_billing = build_ingest_asset(GCP_BILLING)
