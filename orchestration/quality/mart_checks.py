"""Great Expectations checks on the marts, run after dbt has built them (the DuckDB file is read
read-only once dbt has released it; this runs in the same run, after the dbt step)."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.logs import step
from orchestration.quality import suites
from orchestration.settings import Settings


def capacity_hourly_outcome(duckdb_path: str) -> suites.SuiteOutcome:
    import duckdb

    con = duckdb.connect(duckdb_path, read_only=True)
    try:
        reader = con.sql(suites.CAPACITY_HOURLY_SQL).to_arrow_reader(suites.max_batch_rows())
        batches = (batch.to_pandas() for batch in reader)
        return suites.validate_batches("marts_fct_capacity_hourly", suites.capacity_hourly_expectations(), batches)
    finally:
        con.close()


@asset_check(
    asset=AssetKey(["marts", "fct_capacity_hourly"]),
    name="ge_capacity_invariants",
    description=(
        "Great Expectations: used + idle + unallocated = committed + overage on every row, "
        "utilization in [0, 1], no negative cost"
    ),
)
def ge_capacity_invariants(context: AssetCheckExecutionContext, finops: Settings) -> AssetCheckResult:
    outcome = capacity_hourly_outcome(finops.duckdb_path)
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


def _frame_outcome(duckdb_path: str, sql: str, suite: str, expectations: list) -> suites.SuiteOutcome:
    """A Great Expectations suite over one query's result (a mart summarised to a frame), read-only."""
    import duckdb

    con = duckdb.connect(duckdb_path, read_only=True)
    try:
        frame = con.sql(sql).df()
    finally:
        con.close()
    return suites.validate_batches(suite, expectations, [frame])


def billing_reconciliation_outcome(duckdb_path: str, tolerance_pct: float) -> suites.SuiteOutcome:
    return _frame_outcome(
        duckdb_path,
        suites.RECONCILIATION_SQL,
        "marts_rpt_billing_reconciliation",
        suites.reconciliation_expectations(tolerance_pct),
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
    outcome = billing_reconciliation_outcome(finops.duckdb_path, tolerance)
    context.log.info(
        step(
            f"billing reconciliation: {outcome.rows:,} platform-days against a {tolerance}% tolerance, "
            f"{len(outcome.failures)} failure(s)"
        )
    )
    return _check_result(outcome, platform_days_validated=outcome.rows, tolerance_pct=tolerance)


def three_way_outcome(duckdb_path: str, tolerance_pct: float) -> suites.SuiteOutcome:
    return _frame_outcome(
        duckdb_path,
        suites.THREE_WAY_SQL,
        "marts_rpt_three_way_reconciliation",
        suites.three_way_expectations(tolerance_pct),
    )


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
    outcome = three_way_outcome(finops.duckdb_path, tolerance)
    context.log.info(
        step(
            f"three-way reconciliation: {outcome.rows:,} platform-days against a {tolerance}% tolerance, "
            f"{len(outcome.failures)} failure(s)"
        )
    )
    return _check_result(outcome, platform_days_validated=outcome.rows, tolerance_pct=tolerance)
