"""One row per budget (seed budgets: a scope - total, platform, team or use case - and a month; the row with the
latest valid_from on or before the forecast origin counts) with the month's cost: actual to date, the forecast
month-end with its 80% interval (actual + the daily cost forecast of the month's remaining days, the days'
spreads combined as independent), the probability the month ends over the budget, and the day the cumulative
cost reaches it (an actual day if it already has). USD to the cent; days UTC."""

SCOPES = {"total": None, "platform": "platform", "team": "team", "use_case": "use_case_id"}


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from orchestration.forecast import core, frames

    budgets = frames.to_pandas(dbt.ref("budgets"))
    history = frames.to_pandas(dbt.ref("int_forecast_history"))
    forecasts = frames.to_pandas(dbt.ref("fct_forecast_daily"))
    history = history[history["metric"] == "cost_usd"].copy()
    forecasts = forecasts[forecasts["metric"] == "cost_usd"].copy()
    history["ds"] = pd.to_datetime(history["ds"])
    forecasts["ds"] = pd.to_datetime(forecasts["forecast_date"])
    origin = history["ds"].max()
    budgets["month"] = pd.to_datetime(budgets["month"])
    budgets["valid_from"] = pd.to_datetime(budgets["valid_from"])
    budgets = budgets[budgets["valid_from"] <= origin]
    budgets = budgets.sort_values("valid_from").drop_duplicates(["scope", "scope_id", "month"], keep="last")

    rows = []
    for _, b in budgets.iterrows():
        column = SCOPES[b["scope"]]
        select_h = history["scope"] == b["scope"]
        select_f = forecasts["scope"] == b["scope"]
        if column:
            select_h &= history[column] == b["scope_id"]
            select_f &= forecasts[column] == b["scope_id"]
        month_end = b["month"] + pd.offsets.MonthEnd(0)
        in_month_h = history[select_h & history["ds"].between(b["month"], month_end)]
        in_month_f = forecasts[select_f & forecasts["ds"].between(b["month"], month_end)]
        outlook = core.month_outlook(
            in_month_h[["ds", "y"]], in_month_f[["ds", "point", "lo_80", "hi_80"]], float(b["amount_usd"])
        )
        covered = month_end <= origin or in_month_f["ds"].max() == month_end
        run_out = outlook["run_out_date"]
        rows.append(
            {
                "scope": b["scope"],
                "scope_id": b["scope_id"],
                "month": b["month"].date(),
                "budget_usd": float(b["amount_usd"]),
                "budget_valid_from": b["valid_from"].date(),
                "origin_date": origin.date(),
                "is_month_closed": bool(month_end <= origin),
                "is_forecast_complete": bool(covered),
                "actual_to_date_usd": outlook["actual_to_date"],
                "forecast_month_end_usd": outlook["forecast_month_end"] if covered else None,
                "month_end_lo_80_usd": outlook["month_end_lo_80"] if covered else None,
                "month_end_hi_80_usd": outlook["month_end_hi_80"] if covered else None,
                "probability_over_budget": outlook["probability_over_budget"] if covered else None,
                "run_out_date": None if run_out is None else pd.Timestamp(run_out).date(),
                "is_forecast_over_budget": bool(covered and outlook["forecast_month_end"] > float(b["amount_usd"])),
            }
        )
    columns = {
        "scope": "string",
        "scope_id": "string",
        "month": "date",
        "budget_usd": "usd",
        "budget_valid_from": "date",
        "origin_date": "date",
        "is_month_closed": "boolean",
        "is_forecast_complete": "boolean",
        "actual_to_date_usd": "usd",
        "forecast_month_end_usd": "usd",
        "month_end_lo_80_usd": "usd",
        "month_end_hi_80_usd": "usd",
        "probability_over_budget": "double",
        "run_out_date": "date",
        "is_forecast_over_budget": "boolean",
    }
    return frames.output(pd.DataFrame(rows, columns=list(columns)), session, columns)
