"""How far to trust the forecasts on a warehouse's own data: hold out its last N days, forecast them from the days
before exactly as the warehouse does (plan, backtest, chosen method or fallback), and score the forecast against
what happened, next to a seasonal naive forecast of the same days.

    genai-finops forecast-holdout [--warehouse data/demo/published/warehouse.duckdb] [--days 30] [--metric cost_usd]

Per series of the chosen scope: the method, the share of held-out days inside the 80% and 95% intervals, MASE of
the forecast and of seasonal naive (both over the series' in-sample weekly naive error), and the held-out total
against the forecast total. Reads int_forecast_history; writes nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.forecast import core, frames


def evaluate(history: pd.DataFrame, days: int, methods: tuple[str, ...] = core.CANDIDATES) -> pd.DataFrame:
    """history: unique_id, ds, y (every series up to a common origin). One row per series with at least one
    held-out day: method, is_fallback, coverage_80, coverage_95, mase, naive_mase, actual, forecast."""
    cut = history["ds"].max() - pd.Timedelta(days=days)
    train = history[history["ds"] <= cut]
    held = history[history["ds"] > cut]
    planned, _, forecasts = core.fit(train, days, methods)
    naive = core.forecast(train, dict.fromkeys(train["unique_id"].unique(), "seasonal_naive"), days)
    naive = naive.rename(columns={"point": "naive_point"})[["unique_id", "ds", "naive_point"]]
    scored = held.merge(forecasts, on=["unique_id", "ds"]).merge(naive, on=["unique_id", "ds"], how="left")
    scored = scored.merge(core.mase_scale(train), on="unique_id", how="left")
    scored["abs_error"] = (scored["point"] - scored["y"]).abs()
    scored["naive_abs_error"] = (scored["naive_point"].fillna(0) - scored["y"]).abs()
    for level in core.LEVELS:
        scored[f"inside_{level}"] = scored["y"].between(scored[f"lo_{level}"], scored[f"hi_{level}"]).astype(float)
    out = (
        scored.groupby("unique_id")
        .agg(
            method=("method", "first"),
            days=("y", "size"),
            coverage_80=("inside_80", "mean"),
            coverage_95=("inside_95", "mean"),
            mae=("abs_error", "mean"),
            naive_mae=("naive_abs_error", "mean"),
            scale=("scale", "first"),
            actual=("y", "sum"),
            forecast=("point", "sum"),
        )
        .reset_index()
    )
    positive = out["scale"] > 0
    out["mase"] = np.where(positive, out["mae"] / out["scale"].where(positive, 1), np.nan)
    out["naive_mase"] = np.where(positive, out["naive_mae"] / out["scale"].where(positive, 1), np.nan)
    fallback = planned.set_index("unique_id")["mode"] != "backtest"
    out["is_fallback"] = out["unique_id"].map(fallback).fillna(True).astype(bool)
    return out.drop(columns=["mae", "naive_mae"])


def report(warehouse: str, days: int, metric: str, scope: str, methods: tuple[str, ...]) -> str:
    import duckdb

    con = duckdb.connect(warehouse, read_only=True)
    try:
        relation = con.sql(
            "select * from intermediate.int_forecast_history where metric = ? and scope = ?", params=[metric, scope]
        )
        history = frames.history_frame(relation)
    finally:
        con.close()
    if history.empty:
        return f"no {scope} series of {metric} in {warehouse}"
    keys = frames.series_keys(history).set_index("series_id")
    scores = evaluate(history[["unique_id", "ds", "y"]], days, methods)
    label = {"use_case_model": ["use_case_id", "platform", "model_id"], "use_case": ["use_case_id"]}.get(
        scope, ["platform"] if scope == "platform" else ["team"] if scope == "team" else []
    )
    scores["series"] = [" ".join(keys.loc[uid, label]) if label else "(total)" for uid in scores["unique_id"]]
    lines = [
        f"{metric}, scope {scope}: the last {days} days held out, forecast from the days before "
        f"(origin {history['ds'].max() - pd.Timedelta(days=days):%Y-%m-%d})",
        f"{'series':40} {'method':>16} {'cov80':>6} {'cov95':>6} {'MASE':>6} {'naive':>6} "
        f"{'actual':>12} {'forecast':>12}",
    ]
    for row in scores.sort_values("series").itertuples():
        method = row.method + ("*" if row.is_fallback else "")
        lines.append(
            f"{row.series[:40]:40} {method:>16} {row.coverage_80:6.2f} {row.coverage_95:6.2f} {row.mase:6.2f} "
            f"{row.naive_mase:6.2f} {row.actual:12,.2f} {row.forecast:12,.2f}"
        )
    pooled = scores[["coverage_80", "coverage_95"]].mean()
    better = int((scores["mase"] < scores["naive_mase"]).sum())
    lines.append(
        f"{len(scores)} series: mean coverage 80% {pooled['coverage_80']:.2f}, 95% {pooled['coverage_95']:.2f}; "
        f"median MASE {scores['mase'].median():.2f} vs seasonal naive {scores['naive_mase'].median():.2f}; "
        f"better than seasonal naive on {better} of {len(scores)} (* = a fallback)"
    )
    return "\n".join(lines)
