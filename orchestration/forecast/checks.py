"""The Dagster check on the forecasts: `budget_within_forecast` on marts/rpt_budget_status warns when a budget's
forecast month-end (actual to date + the forecast of the month's remaining days) exceeds it, with the numbers in
its description. Months that have ended are history, not forecasts: they are left to the mart."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.logs import step
from orchestration.settings import Settings

OPEN_BUDGETS_SQL = """
select scope, scope_id, month, budget_usd, forecast_month_end_usd, month_end_lo_80_usd, month_end_hi_80_usd,
       probability_over_budget, run_out_date
from marts.rpt_budget_status
where not is_month_closed and is_forecast_complete
order by month, scope, scope_id
"""


def open_budgets(duckdb_path: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(duckdb_path, read_only=True)
    try:
        cursor = con.execute(OPEN_BUDGETS_SQL)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def describe(budget: dict) -> str:
    """One budget's outlook in a line: 'total (all) 2026-04: forecast $3,075.66 (80%: $2,914.36 to $3,236.97)
    against a budget of $3,000.00; 63% likely over; runs out 2026-04-28'."""
    line = (
        f"{budget['scope']} {budget['scope_id']} {budget['month']:%Y-%m}: forecast "
        f"${budget['forecast_month_end_usd']:,.2f} (80%: ${budget['month_end_lo_80_usd']:,.2f} to "
        f"${budget['month_end_hi_80_usd']:,.2f}) against a budget of ${budget['budget_usd']:,.2f}"
    )
    if budget["probability_over_budget"] is not None:
        line += f"; {budget['probability_over_budget']:.0%} likely over"
    if budget["run_out_date"] is not None:
        line += f"; runs out {budget['run_out_date']:%Y-%m-%d}"
    return line


def budget_check_result(budgets: list[dict]) -> AssetCheckResult:
    over = [b for b in budgets if b["forecast_month_end_usd"] > b["budget_usd"]]
    if over:
        description = f"{len(over)} of {len(budgets)} open budget(s) forecast over: " + " | ".join(map(describe, over))
    else:
        description = f"all {len(budgets)} open budget(s) forecast within: " + " | ".join(map(describe, budgets))
    return AssetCheckResult(
        passed=not over,
        severity=AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "open_budgets": len(budgets),
            "forecast_over_budget": len(over),
            "over": MetadataValue.json([describe(b) for b in over]),
        },
    )


@asset_check(
    asset=AssetKey(["marts", "rpt_budget_status"]),
    name="budget_within_forecast",
    description=(
        "Warns when the forecast month-end cost of an open month exceeds its budget (seed budgets); the "
        "numbers are in the result's description"
    ),
)
def budget_within_forecast(context: AssetCheckExecutionContext, finops: Settings) -> AssetCheckResult:
    result = budget_check_result(open_budgets(finops.duckdb_path))
    context.log.info(step(f"budgets: {result.description}"))
    return result
