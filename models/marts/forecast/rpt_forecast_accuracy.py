"""One row per forecast series and candidate method (var `forecast_methods`): how the method did in
rolling-origin backtests (3 windows of 14 days ending on the last Sunday on or before the origin, fitted once on
the data before the first window): MASE, sMAPE, bias and the share of actuals inside its 80% and 95% intervals,
and whether it is the method chosen for the series (the lowest MASE). Series too short or too sparse to backtest
are not here: fct_forecast_daily names their fallback. A series whose backtest reads the same days and values as
in this table's last build keeps its rows (its backtest_key); var `forecast_reuse_backtests` false backtests
every series again."""


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.forecast import core, frames

    history = frames.history_frame(dbt.ref("int_forecast_history"))
    series = history[["unique_id", "ds", "y"]]
    tested = core.backtest_history(series, int(dbt.config.get("history_days")))
    planned = core.plan(series, tested)
    backtested = set(planned.loc[planned["mode"] == "backtest", "unique_id"])
    methods = core.candidates(dbt.config.get("methods"))
    reuse = core.switch(dbt.config.get("reuse_backtests"), "forecast_reuse_backtests")
    previous = frames.previous(session, dbt.this) if reuse else None
    accuracy = core.accuracy_reusing(tested[tested["unique_id"].isin(backtested)], methods, previous)
    accuracy = accuracy.rename(columns={"unique_id": "series_id"})
    accuracy["backtest_end"] = core.backtest_end(series["ds"].max()).date() if len(series) else None
    out = frames.series_keys(history).merge(accuracy, on="series_id", how="inner")
    columns = {
        **frames.SERIES_KEY_TYPES,
        "method": "string",
        "backtest_end": "date",
        "points": "bigint",
        "scale": "double",
        "mase": "double",
        "smape": "double",
        "bias_pct": "double",
        "coverage_80": "double",
        "coverage_95": "double",
        "is_chosen": "boolean",
        "backtest_key": "string",
    }
    return frames.output(out, session, columns)
