"""What the report shows, read from the published marts: the headline figures of the period and the previous one,
and the small tables behind each chart (aggregated in SQL, so the report's size does not grow with traffic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pandas as pd

PERIOD_DAYS = 30
FORECAST_DAYS_SHOWN = 90


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    kind: str  # usd | ratio
    value: float | None
    previous: float | None
    good_when: str  # up | down | zero: how the change is coloured

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return (self.value - self.previous) / abs(self.previous)


@dataclass
class ReportData:
    period_start: date
    period_end: date
    previous_start: date
    headlines: list[Headline]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _tables(con) -> set[str]:
    sql = "select table_name from information_schema.tables where table_schema = 'marts'"
    return {r[0] for r in con.execute(sql).fetchall()}


def _one(con, sql: str, params) -> float | None:
    value = con.execute(sql, params).fetchone()[0]
    return None if value is None else float(value)


def period_end(con) -> date:
    """The newest day the warehouse computes cost for (the billing reconciliation's computed side)."""
    day = con.execute("select max(day) from marts.rpt_billing_reconciliation_daily where computed_cost <> 0").fetchone()
    if day[0] is None:
        day = con.execute("select max(event_date) from marts.rpt_use_case_roi_daily").fetchone()
    if day[0] is None:
        raise ValueError("the warehouse holds no priced traffic yet: run the pipeline first")
    return day[0]


HEADLINE_SQL = {
    # total spend: pay-as-you-go after discounts plus provisioned capacity (the semantic layer's total_cost)
    "total_cost": "select sum(computed_cost) from marts.rpt_billing_reconciliation_daily where day between ? and ?",
    "value": "select sum(value_usd) from marts.rpt_use_case_roi_daily where event_date between ? and ?",
    "net_value": (
        "select sum(value_usd) - sum(cost_usd) from marts.rpt_use_case_roi_daily where event_date between ? and ?"
    ),
    "roi": (
        "select (sum(value_usd) - sum(cost_usd)) / nullif(sum(cost_usd), 0) from marts.rpt_use_case_roi_daily "
        "where event_date between ? and ?"
    ),
    "unexplained_billing_variance": (
        "select sum(unexplained_variance) from marts.rpt_billing_reconciliation_daily where day between ? and ?"
    ),
    "idle_capacity_cost": "select sum(idle_cost_usd) from marts.fct_capacity_hourly where hour_date between ? and ?",
    "unallocated_capacity_cost": (
        "select sum(unallocated_cost_usd) from marts.fct_capacity_hourly where hour_date between ? and ?"
    ),
}
HEADLINES = (
    ("total_cost", "Total spend", "usd", "down"),
    ("value", "Value delivered", "usd", "up"),
    ("net_value", "Net value", "usd", "up"),
    ("roi", "ROI", "ratio", "up"),
    ("unexplained_billing_variance", "Unexplained billing variance", "usd", "zero"),
    ("idle_capacity_cost", "Idle capacity", "usd", "down"),
    ("unallocated_capacity_cost", "Unallocated capacity", "usd", "down"),
)


def headlines(con, start: date, end: date) -> list[Headline]:
    days = (end - start).days + 1
    prev_start, prev_end = start - timedelta(days=days), start - timedelta(days=1)
    out = []
    for key, label, kind, good in HEADLINES:
        sql = HEADLINE_SQL[key]
        out.append(
            Headline(key, label, kind, _one(con, sql, [start, end]), _one(con, sql, [prev_start, prev_end]), good)
        )
    return out


def collect(warehouse: str, period_days: int = PERIOD_DAYS) -> ReportData:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        end = period_end(con)
        start = end - timedelta(days=period_days - 1)
        data = ReportData(start, end, start - timedelta(days=period_days), headlines(con, start, end))
        present = _tables(con)
        for name, sql in QUERIES.items():
            if REQUIRES[name] <= present:  # a mart a warehouse lacks leaves its section out
                data.tables[name] = _run(con, sql, start, end)
        return data
    finally:
        con.close()


def _run(con, sql: str, start: date, end: date) -> pd.DataFrame:
    sql = sql.replace("$start", f"date '{start.isoformat()}'").replace("$end", f"date '{end.isoformat()}'")
    return con.execute(sql).df()


# the tables behind the charts; $start / $end are the period's first and last day
QUERIES = {
    "spend_by_platform": """
        select day, platform, sum(computed_cost)::double as cost_usd
        from marts.rpt_billing_reconciliation_daily where day <= $end group by all order by day, platform""",
    "spend_by_use_case": """
        select event_date as day, use_case_id, sum(cost_usd)::double as cost_usd
        from marts.rpt_use_case_roi_daily where event_date <= $end group by all order by day, use_case_id""",
    "calls_cost_actual": """
        select event_date as day, sum(cost_usd)::double as cost_usd
        from marts.rpt_use_case_roi_daily where event_date <= $end group by all order by day""",
    "calls_cost_forecast": f"""
        select forecast_date as day, point, lo_80, hi_80, lo_95, hi_95, method
        from marts.fct_forecast_daily
        where scope = 'total' and metric = 'cost_usd' and horizon_days <= {FORECAST_DAYS_SHOWN}
        order by day""",
    "leaderboard": """
        select net_value_rank, use_case_id, use_case_name, owner_team, stage, requests, transactions,
               success_rate, cost_usd::double as cost_usd, value_usd::double as value_usd,
               net_value_usd::double as net_value_usd, roi, cost_per_success_usd,
               net_value_last_30d_usd::double as net_value_last_30d_usd,
               net_value_prior_30d_usd::double as net_value_prior_30d_usd, trend
        from marts.rpt_use_case_leaderboard order by net_value_rank""",
    "cost_distribution": """
        select use_case_id || ' / ' || variant_id as use_case_variant, transactions,
               mean_cost_usd::double as mean, p50_cost_usd::double as p50, p90_cost_usd::double as p90,
               p99_cost_usd::double as p99, max_cost_usd::double as max
        from marts.rpt_transaction_cost_distribution where transactions > 0 order by use_case_variant""",
    "ab_verdicts": """
        select use_case_id, variant_id, control_variant_id, metric, better_when, transactions,
               difference_vs_control, difference_ci_low, difference_ci_high, p_value, verdict
        from marts.rpt_variant_comparison where not is_control order by use_case_id, variant_id, metric""",
    "capacity_heatmap": """
        select reservation_id, isodow(hour_at) as dow, hour(hour_at) as hour,
               avg(utilization_pct) as utilization
        from marts.fct_capacity_hourly where hour_date between $start and $end group by all""",
    "capacity_split": """
        select reservation_id, sum(committed_cost_usd)::double as committed,
               sum(used_cost_usd)::double as used, sum(idle_cost_usd)::double as idle,
               sum(unallocated_cost_usd)::double as unallocated, sum(overage_cost_usd)::double as overage
        from marts.fct_capacity_hourly where hour_date between $start and $end group by all order by 1""",
    "billing_by_platform": """
        select platform, sum(billed_effective_cost)::double as billed, sum(computed_cost)::double as computed,
               sum(explained_corrections)::double as corrections, sum(explained_capacity)::double as capacity,
               sum(explained_untracked)::double as untracked, sum(explained_unpriced)::double as unpriced,
               sum(explained_price_difference)::double as price_difference,
               sum(unexplained_variance)::double as unexplained
        from marts.rpt_billing_reconciliation_daily where day between $start and $end group by all order by 1""",
    "budgets": """
        select scope, scope_id, month, budget_usd::double as budget_usd, actual_to_date_usd::double as actual,
               forecast_month_end_usd::double as forecast, month_end_lo_80_usd::double as lo_80,
               month_end_hi_80_usd::double as hi_80, probability_over_budget, run_out_date, is_forecast_over_budget
        from marts.rpt_budget_status order by month, scope, scope_id""",
    "anomalies": """
        select anomaly_id, use_case_id, cast(started_at as date) as day, anomalous_periods, status, top_driver,
               impact_usd::double as impact_usd, observed_cost_usd::double as observed_usd,
               expected_cost_usd::double as expected_usd, signals
        from marts.fct_anomalies
        where grain = 'day' and level = 'use_case' and metric = 'cost_usd' and status <> 'withdrawn'
        order by started_at desc, use_case_id""",
}
REQUIRES = {
    "spend_by_platform": {"rpt_billing_reconciliation_daily"},
    "spend_by_use_case": {"rpt_use_case_roi_daily"},
    "calls_cost_actual": {"rpt_use_case_roi_daily"},
    "calls_cost_forecast": {"fct_forecast_daily"},
    "leaderboard": {"rpt_use_case_leaderboard"},
    "cost_distribution": {"rpt_transaction_cost_distribution"},
    "ab_verdicts": {"rpt_variant_comparison"},
    "capacity_heatmap": {"fct_capacity_hourly"},
    "capacity_split": {"fct_capacity_hourly"},
    "billing_by_platform": {"rpt_billing_reconciliation_daily"},
    "budgets": {"rpt_budget_status"},
    "anomalies": {"fct_anomalies"},
}
