"""One row per forecast series and future day (1 to `forecast_horizon_days` days after the series' origin, the
newest day of data): the forecast with its 80% and 95% intervals, by the method its backtest chose, or a
stated fallback (flagged) when the series is too short or too sparse to backtest. Never below 0."""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from orchestration.forecast import core, frames

    horizon = int(dbt.config.get("horizon_days") or 180)
    history = frames.history_frame(dbt.ref("int_forecast_history"))
    accuracy = frames.to_pandas(dbt.ref("rpt_forecast_accuracy"))
    series = history[["unique_id", "ds", "y"]]
    tested = core.backtest_history(series, int(dbt.config.get("history_days")))
    planned = core.plan(series, tested).set_index("unique_id")
    methods = core.methods_for(planned.reset_index(), accuracy)
    forecasts = core.forecast(series, methods, horizon)
    origin = history.groupby("unique_id")["ds"].max().rename("origin")
    out = forecasts.merge(origin, left_on="unique_id", right_index=True)
    out = out.merge(planned[["history_days", "mode", "fallback_reason"]], left_on="unique_id", right_index=True)
    out = out.rename(columns={"unique_id": "series_id"}).merge(frames.series_keys(history), on="series_id")
    out["forecast_date"] = pd.to_datetime(out["ds"]).dt.date
    out["origin_date"] = pd.to_datetime(out["origin"]).dt.date
    out["horizon_days"] = (pd.to_datetime(out["ds"]) - pd.to_datetime(out["origin"])).dt.days.astype("int64")
    out["is_fallback"] = out["mode"] != "backtest"
    columns = {
        **frames.SERIES_KEY_TYPES,
        "origin_date": "date",
        "forecast_date": "date",
        "horizon_days": "bigint",
        "method": "string",
        "is_fallback": "boolean",
        "fallback_reason": "string",
        "history_days": "bigint",
        **dict.fromkeys(["point", "lo_80", "hi_80", "lo_95", "hi_95"], "double"),
    }
    return frames.output(out.sort_values(["series_id", "forecast_date"]), session, columns)
