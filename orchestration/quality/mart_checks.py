"""Great Expectations checks on the marts, run after dbt has built them (the DuckDB file is read
read-only once dbt has released it; this runs in the same run, after the dbt step). What each suite computes is
in orchestration.quality.validation (the run's validation worker computes it)."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.logs import step
from orchestration.quality import suites, validation
from orchestration.settings import Settings


@asset_check(
    asset=AssetKey(["marts", "fct_capacity_hourly"]),
    name="ge_capacity_invariants",
    description=(
        "Great Expectations: used + idle + unallocated = committed + overage on every row, "
        "utilization in [0, 1], no negative cost"
    ),
)
def ge_capacity_invariants(context: AssetCheckExecutionContext, finops: Settings) -> AssetCheckResult:
    outcome = validation.outcome("capacity_hourly_outcome", finops.duckdb_path)
    context.log.info(
        step(f"capacity invariants: Great Expectations validated {outcome.rows:,} rows, {len(outcome.failures)} failed")
    )
    return _check_result(outcome, rows_validated=outcome.rows)


def _check_result(outcome: suites.SuiteOutcome, **metadata) -> AssetCheckResult:
    """Passed when no expectation failed; an error-severity failure makes it an ERROR, else a WARN."""
    failures = [
        {"expectation": f.expectation, "column": f.column, "unexpected": f.unexpected_count} for f in outcome.failures
    ]
    return AssetCheckResult(
        passed=not outcome.failures,
        severity=AssetCheckSeverity.ERROR if outcome.errors else AssetCheckSeverity.WARN,
        metadata={**metadata, "failures": MetadataValue.json(failures)},
    )


@asset_check(
    asset=AssetKey(["marts", "rpt_billing_reconciliation_daily"]),
    name="ge_billing_reconciliation",
    description=(
        "Great Expectations: per platform and day, the variance between billed and computed cost that no "
        "category explains stays within FINOPS_RECONCILIATION_TOLERANCE_PCT (default 1%) of the bill; warns"
    ),
)
def ge_billing_reconciliation(context: AssetCheckExecutionContext, finops: Settings) -> AssetCheckResult:
    tolerance = suites.reconciliation_tolerance_pct()
    outcome = validation.outcome("billing_reconciliation_outcome", finops.duckdb_path, tolerance)
    context.log.info(
        step(
            f"billing reconciliation: {outcome.rows:,} platform-days against a {tolerance}% tolerance, "
            f"{len(outcome.failures)} failure(s)"
        )
    )
    return _check_result(outcome, platform_days_validated=outcome.rows, tolerance_pct=tolerance)


@asset_check(
    asset=AssetKey(["marts", "rpt_three_way_reconciliation_daily"]),
    name="ge_three_way_reconciliation",
    description=(
        "Great Expectations: per platform and day, the bill and the provider's own cost report agree, and the "
        "logged requests match the provider's count, within FINOPS_RECONCILIATION_TOLERANCE_PCT (default 1%); warns"
    ),
)
def ge_three_way_reconciliation(context: AssetCheckExecutionContext, finops: Settings) -> AssetCheckResult:
    tolerance = suites.reconciliation_tolerance_pct()
    outcome = validation.outcome("three_way_outcome", finops.duckdb_path, tolerance)
    context.log.info(
        step(
            f"three-way reconciliation: {outcome.rows:,} platform-days against a {tolerance}% tolerance, "
            f"{len(outcome.failures)} failure(s)"
        )
    )
    return _check_result(outcome, platform_days_validated=outcome.rows, tolerance_pct=tolerance)
