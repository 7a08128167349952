"""Daily forecasts with intervals, their backtests, price scenarios and month-end budget outlooks.

A series is one metric of one scope (a use case on a platform and model, a use case, a platform, a team, the
total), one value per day from its first active day to the forecast origin, zeros included. Each series is
planned by its history:
- `backtest`: at least MIN_DAYS_FOR_BACKTEST days up to the backtests' end (backtest_end: the last Sunday on or
  before the origin) and active on at least MIN_ACTIVE_SHARE of them: the candidate methods (seasonal naive,
  AutoETS and MSTL with weekly seasonality by default, AutoARIMA on request; statsforecast) are backtested from
  rolling origins (BACKTEST_WINDOWS windows of BACKTEST_HORIZON days ending on that Sunday; fitted once on the
  data before the first window, then rolled forward) and the method with the lowest MASE forecasts it. The
  backtests of a week read the same days, so a series whose days and values are the ones an earlier run
  backtested keeps that run's rows (accuracy_reusing; keyed by backtest_keys);
- otherwise a stated fallback, flagged: seasonal naive when at least two weeks of history allow a weekly
  pattern (`too_short_for_backtest`), else the historic average (`too_short_for_seasonality`, `sparse`).
Forecasts and intervals of counts and money are never below 0.
"""

from __future__ import annotations

import atexit
import hashlib
import math
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from orchestration.parallel import at_once
from orchestration.workers import WorkerProcess

SEASON = 7
BACKTEST_HORIZON = 14
BACKTEST_WINDOWS = 3
MIN_DAYS_FOR_BACKTEST = 2 * SEASON + BACKTEST_HORIZON * BACKTEST_WINDOWS  # 56: two weeks to fit, three windows
MIN_DAYS_FOR_SEASONALITY = 2 * SEASON
MIN_ACTIVE_SHARE = 0.3
LEVELS = (80, 95)
Z80 = 1.2815515655446004  # the 90th percentile of the standard normal: half an 80% interval in sigmas
CANDIDATES = ("seasonal_naive", "ets", "mstl")
METHODS = ("seasonal_naive", "ets", "mstl", "arima")  # what `forecast_methods` may list
DAYS_PER_MONTH = 365.25 / 12
BACKTEST_KEY_VERSION = 1  # part of every backtest key: raise it when what a backtest computes changes


def _model(name: str):
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, HistoricAverage, SeasonalNaive

    if name == "seasonal_naive":
        return SeasonalNaive(season_length=SEASON, alias=name)
    if name == "ets":
        return AutoETS(season_length=SEASON, alias=name)
    if name == "mstl":
        return MSTL(season_length=SEASON, trend_forecaster=AutoETS(model="ZZN"), alias=name)
    if name == "arima":
        return AutoARIMA(season_length=SEASON, alias=name)
    if name == "historic_average":
        return HistoricAverage(alias=name)
    raise ValueError(f"unknown forecasting method {name!r}")


def candidates(text: str | None) -> tuple[str, ...]:
    """The candidate methods of a comma-separated list (dbt var `forecast_methods`), in METHODS' order; the
    seasonal naive baseline is always one of them."""
    names = {part.strip() for part in (text or ",".join(CANDIDATES)).split(",") if part.strip()}
    unknown = names - set(METHODS)
    if unknown:
        raise ValueError(f"forecast_methods: unknown {sorted(unknown)}; choose from {', '.join(METHODS)}")
    return tuple(name for name in METHODS if name in names | {"seasonal_naive"})


ACCURACY_COLUMNS = {
    "unique_id": "object",
    "method": "object",
    "points": "int64",
    "scale": "float64",
    "smape": "float64",
    "coverage_80": "float64",
    "coverage_95": "float64",
    "mase": "float64",
    "bias_pct": "float64",
    "is_chosen": "bool",
}
FORECAST_COLUMNS = {
    "unique_id": "object",
    "ds": "datetime64[ns]",
    "method": "object",
    **{column: "float64" for column in ("point", "lo_80", "hi_80", "lo_95", "hi_95")},
}


def empty(columns: dict[str, str]) -> pd.DataFrame:
    """A frame without rows whose columns have their types (a table built from it has them too)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def backtest_end(origin) -> pd.Timestamp:
    """The last day the backtests read: the last Sunday on or before the origin (the newest day of data), so that
    every run of a week backtests the same days."""
    origin = pd.Timestamp(origin).normalize()
    return origin - pd.Timedelta(days=(origin.dayofweek + 1) % 7)


def backtest_history(history: pd.DataFrame, history_days: int) -> pd.DataFrame:
    """The rows (unique_id, ds, y) the backtests read: the days up to backtest_end of the newest day, at most
    `history_days` - 6 of them (the history keeps `history_days` days before the origin, which is at most six days
    after that Sunday: so the same days whichever day of the week the origin is)."""
    if history.empty:
        return history
    end = backtest_end(history["ds"].max())
    first = end - pd.Timedelta(days=history_days - (SEASON - 1))
    return history[(history["ds"] > first) & (history["ds"] <= end)]


def plan(history: pd.DataFrame, backtested: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per series (unique_id): its days of history, the share of them with activity, and how it is forecast:
    mode `backtest`, or the fallback method with its reason. A series is backtested by the days of `backtested`
    (backtest_history; all of `history` when not given): at least MIN_DAYS_FOR_BACKTEST of them, active on
    MIN_ACTIVE_SHARE of them; its fallback is decided by all of its history."""
    if history.empty:
        return empty(
            {
                "unique_id": "object",
                "history_days": "int64",
                "active_share": "float64",
                "mode": "object",
                "fallback_method": "object",
                "fallback_reason": "object",
            }
        )

    def stats_of(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.groupby("unique_id").agg(history_days=("y", "size"), active_share=("y", lambda y: (y > 0).mean()))

    stats = stats_of(history).reset_index()
    tested = stats_of(history if backtested is None else backtested)
    tested = tested[(tested["history_days"] >= MIN_DAYS_FOR_BACKTEST) & (tested["active_share"] >= MIN_ACTIVE_SHARE)]
    is_backtested = stats["unique_id"].isin(tested.index)

    def decide(row):
        if row.history_days >= MIN_DAYS_FOR_SEASONALITY and row.active_share >= MIN_ACTIVE_SHARE:
            return "fallback", "seasonal_naive", "too_short_for_backtest"
        reason = "sparse" if row.history_days >= MIN_DAYS_FOR_SEASONALITY else "too_short_for_seasonality"
        return "fallback", "historic_average", reason

    decided = stats.apply(decide, axis=1, result_type="expand")
    decided.loc[is_backtested.to_numpy()] = ["backtest", None, None]
    stats[["mode", "fallback_method", "fallback_reason"]] = decided
    return stats


def _stats_forecast(names):
    from statsforecast import StatsForecast

    return StatsForecast(models=[_model(n) for n in names], freq="D", n_jobs=1)


def _long(frame: pd.DataFrame, names, keep: list[str]) -> pd.DataFrame:
    """statsforecast's wide output (one column set per method) as one row per method."""
    parts = []
    for name in names:
        part = frame[keep].copy()
        part["method"] = name
        part["point"] = frame[name].to_numpy()
        for level in LEVELS:
            part[f"lo_{level}"] = frame[f"{name}-lo-{level}"].to_numpy()
            part[f"hi_{level}"] = frame[f"{name}-hi-{level}"].to_numpy()
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def backtest(history: pd.DataFrame, methods: tuple[str, ...] = CANDIDATES, workers: int | None = None) -> pd.DataFrame:
    """backtest_series of every series, the series split among `workers` processes (by_series)."""
    return by_series(backtest_series, history, workers, list(methods), methods)


def backtest_series(history: pd.DataFrame, methods: tuple[str, ...] = CANDIDATES) -> pd.DataFrame:
    """Rolling-origin backtest of every candidate on every series (all fitted at once): one row per series,
    method, window cutoff and day, with the actual, the forecast, its intervals and the series' MASE scale (the
    mean absolute weekly difference before the first window)."""
    if history.empty:
        return pd.DataFrame()
    sf = _stats_forecast(methods)
    cv = sf.cross_validation(
        df=history[["unique_id", "ds", "y"]],
        h=BACKTEST_HORIZON,
        n_windows=BACKTEST_WINDOWS,
        step_size=BACKTEST_HORIZON,
        level=list(LEVELS),
        refit=False,
    )
    cv = cv.reset_index() if "unique_id" not in cv.columns else cv
    out = _long(cv, methods, ["unique_id", "ds", "cutoff", "y"])
    first_cutoff = cv.groupby("unique_id")["cutoff"].min().rename("first_cutoff")
    training = history.merge(first_cutoff, on="unique_id")
    return out.merge(mase_scale(training[training["ds"] <= training["first_cutoff"]]), on="unique_id", how="left")


def mase_scale(training: pd.DataFrame) -> pd.Series:
    """Per series (unique_id), MASE's scale: the mean absolute weekly difference of its training days."""
    training = training.sort_values(["unique_id", "ds"])
    seasonal_error = (training["y"] - training.groupby("unique_id")["y"].shift(SEASON)).abs()
    return seasonal_error.groupby(training["unique_id"]).mean().rename("scale")


def accuracy(points: pd.DataFrame) -> pd.DataFrame:
    """Per series and method, from backtest points: MASE (mean absolute error over the series' scale), sMAPE
    (mean of 2|f - a| / (|f| + |a|), days where both are 0 count as exact), bias (sum of f - a over the sum of
    actuals), and the share of actuals inside the 80% and 95% intervals; `is_chosen` marks the method with the
    lowest MASE (ties: the earlier candidate)."""
    if points.empty:
        return empty(ACCURACY_COLUMNS)
    p = points.copy()
    p["abs_error"] = (p["point"] - p["y"]).abs()
    denominator = p["point"].abs() + p["y"].abs()
    p["smape_term"] = np.where(denominator > 0, 2 * p["abs_error"] / denominator.where(denominator > 0, 1), 0.0)
    p["error"] = p["point"] - p["y"]
    for level in LEVELS:
        p[f"inside_{level}"] = ((p["y"] >= p[f"lo_{level}"]) & (p["y"] <= p[f"hi_{level}"])).astype(float)
    grouped = p.groupby(["unique_id", "method"], sort=False)
    out = grouped.agg(
        points=("y", "size"),
        mae=("abs_error", "mean"),
        scale=("scale", "first"),
        smape=("smape_term", "mean"),
        error_sum=("error", "sum"),
        actual_sum=("y", "sum"),
        coverage_80=("inside_80", "mean"),
        coverage_95=("inside_95", "mean"),
    ).reset_index()
    out["mase"] = np.where(out["scale"] > 0, out["mae"] / out["scale"].where(out["scale"] > 0, 1), np.nan)
    out["bias_pct"] = np.where(out["actual_sum"] != 0, 100 * out["error_sum"] / out["actual_sum"], np.nan)
    order = {name: i for i, name in enumerate(METHODS)}
    out["_rank_key"] = out["mase"].fillna(np.inf)
    out["_order"] = out["method"].map(order).fillna(len(order))
    best = out.sort_values(["unique_id", "_rank_key", "_order"]).groupby("unique_id").head(1)
    out["is_chosen"] = out.index.isin(best.index)
    return out[list(ACCURACY_COLUMNS)]


def switch(value, name: str) -> bool:
    """A dbt var rendered into a model's config as true or false (dbt renders YAML's true as 'True')."""
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"{name}: {value!r} is neither true nor false")
    return text == "true"


def backtest_keys(history: pd.DataFrame, methods: tuple[str, ...]) -> dict[str, str]:
    """Per series (unique_id): a key of everything its backtest's rows depend on (a series is backtested on its
    own data only): its days and values to the bit, the candidate methods, the backtest's settings and the
    versions of the forecasting libraries (statsforecast, statsmodels, scipy, numpy)."""
    from importlib.metadata import version

    libraries = tuple(version(name) for name in ("statsforecast", "statsmodels", "scipy", "numpy"))
    settings = (BACKTEST_KEY_VERSION, libraries, tuple(methods))
    settings += (SEASON, BACKTEST_HORIZON, BACKTEST_WINDOWS, LEVELS)
    keys = {}
    for uid, days, values in series_data(history):
        digest = hashlib.sha256(repr(settings).encode())
        digest.update(days)
        digest.update(values)
        keys[uid] = digest.hexdigest()
    return keys


def accuracy_reusing(
    history: pd.DataFrame, methods: tuple[str, ...], previous: pd.DataFrame | None = None, workers: int | None = None
) -> pd.DataFrame:
    """accuracy(backtest(history, methods)) with each series' backtest_key (backtest_keys), ordered by series and
    method. A series whose key has rows in `previous` (an earlier result: backtest_key, method and accuracy's
    columns) gets those rows instead of a new backtest: they are the rows the backtest would give again."""
    keys = backtest_keys(history, methods)
    known = empty({**ACCURACY_COLUMNS, "backtest_key": "object"})
    if previous is not None and not previous.empty and "backtest_key" in previous.columns:
        known = previous[previous["backtest_key"].isin(set(keys.values()))]
        known = known.drop_duplicates(["backtest_key", "method"])
    reuse = {uid: key for uid, key in keys.items() if key in set(known["backtest_key"])}
    fresh = accuracy(backtest(history[~history["unique_id"].isin(reuse)], methods, workers))
    fresh["backtest_key"] = fresh["unique_id"].map(keys)
    by_key = dict(tuple(known.groupby("backtest_key", sort=False)))
    reused = [by_key[key].assign(unique_id=uid) for uid, key in reuse.items()]
    out = pd.concat([fresh, *reused], ignore_index=True) if reused else fresh
    out = out.astype({**ACCURACY_COLUMNS, "backtest_key": "object"})[[*ACCURACY_COLUMNS, "backtest_key"]]
    order = {name: i for i, name in enumerate(METHODS)}
    out = out.assign(_order=out["method"].map(order)).sort_values(["unique_id", "_order"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def forecast(history: pd.DataFrame, methods: dict[str, str], horizon: int, workers: int | None = None) -> pd.DataFrame:
    """forecast_series of every series, the series split among `workers` processes (by_series); series with the
    same data are the same only when their methods are too."""
    return by_series(
        forecast_series, history, workers, sorted(set(methods.values())), methods, horizon, same=methods.get
    )


def forecast_series(history: pd.DataFrame, methods: dict[str, str], horizon: int) -> pd.DataFrame:
    """Each series forecast `horizon` days past its last day by its method, with 80% and 95% intervals; one
    row per series and day (ds), never below 0."""
    parts = []
    for method in sorted(set(methods.values())):
        ids = [uid for uid, m in methods.items() if m == method]
        subset = history[history["unique_id"].isin(ids)][["unique_id", "ds", "y"]]
        if subset.empty:
            continue
        frame = _stats_forecast([method]).forecast(df=subset, h=horizon, level=list(LEVELS))
        frame = frame.reset_index() if "unique_id" not in frame.columns else frame
        parts.append(_long(frame, [method], ["unique_id", "ds"]))
    if not parts:
        return empty(FORECAST_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    for column in ("point", "lo_80", "hi_80", "lo_95", "hi_95"):
        out[column] = out[column].clip(lower=0)
    return out


MIN_SERIES_PER_WORKER = 16  # below this, a worker process costs more than it saves


def forecast_workers() -> int:
    """Processes fitting forecasts at once (FINOPS_FORECAST_WORKERS; default: the machine's cores)."""
    return at_once("FINOPS_FORECAST_WORKERS")


class _Worker(WorkerProcess):
    """A worker process (orchestration.forecast.worker), kept for the next split. `spawn(n)` starts n of them
    from one new interpreter (python -m), not a fork of this one (dbt's process has threads whose locks a fork
    would copy held, and multiprocessing's spawn would run the caller's main script again): the first imports
    the forecasting libraries and forks the others (their pipes passed to it), so they are imported once, not
    once per worker. A worker exits when this process closes its input."""

    what = "forecast worker"

    @classmethod
    def spawn(cls, n: int = 1) -> list[_Worker]:
        pipes = [(os.pipe(), os.pipe()) for _ in range(n - 1)]  # (requests, results) of each forked worker
        theirs = [fd for requests, results in pipes for fd in (requests[0], results[1])]
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.forecast.worker", *map(str, theirs)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                pass_fds=theirs,
            )
        finally:
            for fd in theirs:
                os.close(fd)
        first = cls(process.stdin, process.stdout, process)
        return [first] + [cls(os.fdopen(requests[1], "wb"), os.fdopen(results[0], "rb")) for requests, results in pipes]


_workers: list[_Worker] = []
_pool_lock = threading.Lock()


def _pool(n: int) -> list[_Worker]:
    """n worker processes: the ones still running from before, and new ones (started together)."""
    _workers[:] = [w for w in _workers if w.alive()]
    if len(_workers) < n:
        _workers.extend(_Worker.spawn(n - len(_workers)))
    return _workers[:n]


@atexit.register
def _close_pool() -> None:
    for worker in _workers:
        worker.close()
    for worker in _workers:  # a first worker waits for the ones it forked before it exits
        if worker.process is None:
            continue
        try:
            worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.process.kill()


def series_data(history: pd.DataFrame):
    """Each series (unique_id, in order) with its days and values as bytes (by day): its data to the bit."""
    for uid, part in history.sort_values(["unique_id", "ds"]).groupby("unique_id", sort=True):
        yield uid, part["ds"].to_numpy("datetime64[ns]").tobytes(), part["y"].to_numpy(float).tobytes()


def same_data(history: pd.DataFrame, same=None) -> dict[str, str]:
    """Series whose data repeat an earlier series' exactly (the same days, the same values to the bit, and the
    same `same(unique_id)` where given): each one's first series (by unique_id). A team with a single use case, a
    use case on a single model, a platform serving one use case: the scopes repeat each other's series."""
    first: dict = {}
    out = {}
    for uid, days, values in series_data(history):
        key = (days, values, same(uid) if same else None)
        if key in first:
            out[uid] = first[key]
        else:
            first[key] = uid
    return out


def by_series(function, history: pd.DataFrame, workers: int | None, method_order: list[str], *args, same=None):
    """function(history, *args) with the series of `history` (unique_id) split among worker processes, the rows
    in the order one call on all series gives (by method in `method_order`, then series). Every series is fitted
    on its own data only, so the split changes no number, and a series whose data repeat another's (same_data)
    is fitted once: its rows are the other's under its own id. The fits hold the interpreter: in processes of
    their own they use the other cores and leave dbt's own threads (in whose process a Python model runs) free;
    the processes stay for the next split (the forecasts after the backtests: no second start-up)."""
    ids = history["unique_id"].drop_duplicates().sort_values().tolist()
    copies = same_data(history, same)
    fitted = history[~history["unique_id"].isin(copies)] if copies else history
    out = _split(function, fitted, workers, method_order, *args)
    if not copies or out.empty:
        return out
    repeated = [out[out["unique_id"] == source].assign(unique_id=copy) for copy, source in copies.items()]
    out = pd.concat([out, *repeated], ignore_index=True)
    return _in_order(out, ids, method_order)


def _split(function, history: pd.DataFrame, workers: int | None, method_order: list[str], *args) -> pd.DataFrame:
    """function(history, *args), the series split among `workers` processes (at most one per
    MIN_SERIES_PER_WORKER series), the rows by method, then series, as one call gives them."""
    ids = history["unique_id"].drop_duplicates().sort_values().tolist()
    workers = min(forecast_workers() if workers is None else workers, len(ids) // MIN_SERIES_PER_WORKER)
    if workers <= 1:
        return function(history, *args)
    chunks = [set(ids[i::workers]) for i in range(workers)]

    def run(worker_and_chunk) -> pd.DataFrame:
        worker, chunk = worker_and_chunk
        return worker.call(function.__name__, history[history["unique_id"].isin(chunk)], *args)

    with _pool_lock:  # one split at a time: the workers are this process's
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(run, zip(_pool(workers), chunks, strict=True)))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return function(history.iloc[:0], *args)
    out = pd.concat(parts, ignore_index=True)
    return _in_order(out, ids, method_order)


def _in_order(out: pd.DataFrame, ids: list[str], method_order: list[str]) -> pd.DataFrame:
    """Rows by method (in `method_order`), then series (in `ids`), each series' own rows in the order they came."""
    rank = {uid: i for i, uid in enumerate(ids)}
    method_rank = {m: i for i, m in enumerate(method_order)}
    order = np.lexsort((out["unique_id"].map(rank).to_numpy(), out["method"].map(method_rank).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def methods_for(planned: pd.DataFrame, accuracy: pd.DataFrame) -> dict[str, str]:
    """Each series' forecasting method: the winner of its backtest (accuracy's is_chosen, keyed by unique_id or
    series_id), or its plan's fallback."""
    if accuracy.empty:
        chosen = {}
    else:
        key = "unique_id" if "unique_id" in accuracy.columns else "series_id"
        winners = accuracy[accuracy["is_chosen"].astype(bool)]
        chosen = dict(zip(winners[key], winners["method"], strict=True))
    return {
        row.unique_id: chosen.get(row.unique_id, "seasonal_naive") if row.mode == "backtest" else row.fallback_method
        for row in planned.itertuples()
    }


def fit(history: pd.DataFrame, horizon: int, methods: tuple[str, ...] = CANDIDATES, history_days: int = 365):
    """plan -> backtest -> accuracy -> forecast of every series of `history` (unique_id, ds, y): the plan, the
    backtest accuracy (on backtest_history) and the forecasts, as the dbt models build them."""
    tested = backtest_history(history, history_days)
    planned = plan(history, tested)
    backtested = set(planned.loc[planned["mode"] == "backtest", "unique_id"])
    scores = accuracy(backtest(tested[tested["unique_id"].isin(backtested)], methods))
    return planned, scores, forecast(history, methods_for(planned, scores), horizon)


def decline_factor(days_ahead: float, monthly_decline_pct: float) -> float:
    """Price after `days_ahead` days of a decline of `monthly_decline_pct` a month, compounded (docs/design.md
    worked example 8: 6.67% a month is a factor of 0.437 after 12 months)."""
    return (1 - monthly_decline_pct / 100) ** (days_ahead / DAYS_PER_MONTH)


def normal_sf(x: float) -> float:
    """P(Z > x) for a standard normal Z."""
    return 0.5 * math.erfc(x / math.sqrt(2))


def month_outlook(actual_days: pd.DataFrame, forecast_days: pd.DataFrame, budget: float | None) -> dict:
    """A month's spend outlook: `actual_days` (ds, y) up to the origin, `forecast_days` (ds, point, lo_80,
    hi_80) for the rest of the month. The month-end total is the actual plus the forecast points, its 80%
    interval from the daily intervals (each day's sigma = its 80% half-width / z80, days independent); with a
    budget, the probability the month ends above it and the first day the cumulative spend reaches it (an
    actual day if it already has)."""
    actual = float(actual_days["y"].sum()) if not actual_days.empty else 0.0
    points = forecast_days["point"].to_numpy(dtype=float) if not forecast_days.empty else np.array([])
    sigmas = (
        (forecast_days["hi_80"].to_numpy(dtype=float) - forecast_days["lo_80"].to_numpy(dtype=float)) / (2 * Z80)
        if not forecast_days.empty
        else np.array([])
    )
    mean = actual + float(points.sum())
    sd = float(math.sqrt(float((sigmas**2).sum())))
    out = {
        "actual_to_date": actual,
        "forecast_month_end": mean,
        "month_end_lo_80": max(actual, mean - Z80 * sd),
        "month_end_hi_80": mean + Z80 * sd,
        "probability_over_budget": None,
        "run_out_date": None,
    }
    if budget is None:
        return out
    out["probability_over_budget"] = (1.0 if mean > budget else 0.0) if sd == 0 else normal_sf((budget - mean) / sd)
    parts = []
    if not actual_days.empty:
        parts.append(actual_days[["ds", "y"]].rename(columns={"y": "amount"}))
    if not forecast_days.empty:
        parts.append(forecast_days[["ds", "point"]].rename(columns={"point": "amount"}))
    if not parts:
        return out
    days = pd.concat(parts).sort_values("ds")
    reached = days[days["amount"].cumsum() >= budget]
    out["run_out_date"] = reached["ds"].iloc[0] if not reached.empty else None
    return out
