"""One row per forecast series and candidate method (var `forecast_methods`): how the method did in
rolling-origin backtests (3 windows of 14 days, fitted once on the data before the first window): MASE, sMAPE,
bias and the share of actuals inside its 80% and 95% intervals, and whether it is the method chosen for the
series (the lowest MASE). Series too short or too sparse to backtest are not here: fct_forecast_daily names their
fallback."""


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.forecast import core, frames

    history = frames.history_frame(dbt.ref("int_forecast_history"))
    planned = core.plan(history[["unique_id", "ds", "y"]])
    backtested = set(planned.loc[planned["mode"] == "backtest", "unique_id"])
    methods = core.candidates(dbt.config.get("methods"))
    points = core.backtest(history[history["unique_id"].isin(backtested)][["unique_id", "ds", "y"]], methods)
    accuracy = core.accuracy(points).rename(columns={"unique_id": "series_id"})
    out = frames.series_keys(history).merge(accuracy, on="series_id", how="inner")
    columns = {
        **frames.SERIES_KEY_TYPES,
        "method": "string",
        "points": "bigint",
        "scale": "double",
        "mase": "double",
        "smape": "double",
        "bias_pct": "double",
        "coverage_80": "double",
        "coverage_95": "double",
        "is_chosen": "boolean",
    }
    return frames.output(out, session, columns)
