"""The anomaly models' frames: hourly components in, scored periods and episodes with their drivers out."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from orchestration.anomaly import core
from orchestration.frames import to_pandas

SERIES_KEYS = ["use_case_id", "platform", "model_id", "deployment_id"]
DEPLOYMENT = "deployment"  # the level of capacity utilization: one provisioned deployment
UTILIZATION_FLOOR = 0.05  # utilization is judged with a scale of at least 5 points ...
UTILIZATION_MIN_CHANGE = 0.10  # ... and moves by 10 points at least to be an anomaly
SIGNAL_COLUMNS = {
    "grain": "string",
    "level": "string",
    "use_case_id": "string",
    "platform": "string",
    "model_id": "string",
    "deployment_id": "string",
    "period_start": "timestamp",
    "metric": "string",
    "value": "double",
    "expected": "double",
    "scale": "double",
    "z": "double",
}
EPISODE_COLUMNS = {
    "anomaly_key": "string",
    "series_key": "string",
    "grain": "string",
    "level": "string",
    "use_case_id": "string",
    "platform": "string",
    "model_id": "string",
    "deployment_id": "string",
    "metric": "string",
    "direction": "string",
    "started_at": "timestamp",
    "ended_at": "timestamp",
    "anomalous_periods": "bigint",
    "peak_at": "timestamp",
    "peak_value": "double",
    "peak_expected": "double",
    "peak_z": "double",
    "observed_cost_usd": "usd",
    "expected_cost_usd": "usd",
    "impact_usd": "usd",
    **{f"{driver}_usd": "usd" for driver in (*core.DRIVERS, "other")},
    "top_driver": "string",
    "signals": "string",
    "status": "string",
    "data_through": "timestamp",
}


def _naive_hours(column: pd.Series) -> pd.Series:
    column = pd.to_datetime(column)
    return column.dt.tz_convert("UTC").dt.tz_localize(None) if column.dt.tz is not None else column


def components_frame(components, transactions) -> pd.DataFrame:
    """int_anomaly_components as pandas (with the model key and the capacity request counts), and the transaction
    starts of int_anomaly_transactions as rows of their own (no model, no route, only `transactions`)."""
    frame = to_pandas(components)
    frame["spillover_requests"] = np.where(frame["route"] == "spillover", frame["requests"], 0)
    frame["capacity_requests"] = np.where(frame["route"].isin(["spillover", "provisioned"]), frame["requests"], 0)
    frame["model"] = frame["platform"].astype(str) + "/" + frame["model_id"].astype(str)
    frame["transactions"] = 0
    starts = to_pandas(transactions)
    for part in (frame, starts):
        part["hour_at"] = _naive_hours(part["hour_at"])
        part["event_date"] = pd.to_datetime(part["event_date"])
    frame = pd.concat([frame, starts.assign(platform=None, model_id=None, route=None, model=None)], ignore_index=True)
    for column in (*core.COMPONENTS, "spillover_requests", "capacity_requests"):
        frame[column] = frame[column].fillna(0).astype(float)
    return frame


def level_frame(components: pd.DataFrame, level: str) -> pd.DataFrame:
    """The rows of a level: below the use case, the unit of volume is the successful request (transactions
    belong to use cases, not to one model)."""
    if level != "use_case_model":
        return components
    calls = components[components["route"].notna()].copy()
    calls["transactions"] = calls["requests"] - calls["failed_requests"]
    return calls


def period_of(components: pd.DataFrame, grain: str) -> pd.Series:
    """Each row's period at the grain: its hour, or its day."""
    return components["hour_at"] if grain == "hour" else components["event_date"]


def by_grain(components: pd.DataFrame, grain: str) -> pd.DataFrame:
    return components.assign(period=period_of(components, grain))


def detect(components: pd.DataFrame, threshold: float, min_impact_usd: float) -> pd.DataFrame:
    """Every anomalous period of every series, grain, level and metric (SIGNAL_COLUMNS)."""
    out = []
    if components.empty:
        return pd.DataFrame(columns=list(SIGNAL_COLUMNS))
    for grain in core.SEASON:
        frame = by_grain(components, grain)
        end = frame["period"].max()
        for level, keys in core.LEVELS.items():
            grid = core.SeriesGrid(core.metric_frame(level_frame(frame, level), keys), keys, grain, end)
            scores = core.score(grid, grain, threshold, min_impact_usd)
            # a day is judged once the data reaches its last hour (the newest day may still be filling up)
            complete = scores["period"] + core.PERIOD[grain] <= components["hour_at"].max() + core.PERIOD["hour"]
            flagged = scores[complete].copy()
            flagged["grain"], flagged["level"] = grain, level
            for key in SERIES_KEYS:
                if key not in keys:
                    flagged[key] = None
            out.append(flagged.rename(columns={"period": "period_start"}))
    return pd.concat(out, ignore_index=True)[list(SIGNAL_COLUMNS)]


def detect_utilization(capacity_hours, threshold: float) -> pd.DataFrame:
    """capacity_utilization of each provisioned deployment (fct_capacity_hourly: used over capacity weighted
    tokens), hourly and as the day's mean, against the same seasonal robust baseline (SIGNAL_COLUMNS). Hours
    without the deployment are not judged."""
    frame = to_pandas(capacity_hours)
    frame = frame[frame["deployment_id"] != "(unallocated)"]
    if frame.empty:
        return pd.DataFrame(columns=list(SIGNAL_COLUMNS))
    frame = frame.assign(hour_at=_naive_hours(frame["hour_at"]), utilization_pct=frame["utilization_pct"].astype(float))
    complete_through = frame["hour_at"].max() + core.PERIOD["hour"]
    out = []
    for grain, season in core.SEASON.items():
        periods = frame["hour_at"] if grain == "hour" else frame["hour_at"].dt.floor("D")
        means = frame.assign(period=periods).groupby(["deployment_id", "period"])["utilization_pct"].mean()
        for deployment, series in means.groupby(level=0):
            series = series.droplevel(0)
            series = series.reindex(pd.date_range(series.index.min(), series.index.max(), freq=core.PERIOD[grain]))
            values = series.to_numpy(float)
            expected, scale = core.seasonal_scores(values, season)
            floor = np.maximum(core.REL_FLOOR * np.abs(expected), UTILIZATION_FLOOR)
            with np.errstate(invalid="ignore"):
                scale = np.where(np.isnan(scale), np.nan, np.fmax(scale, floor))
                z = (values - expected) / scale
                flagged = (np.abs(z) >= threshold) & (np.abs(values - expected) >= UTILIZATION_MIN_CHANGE)
            flagged &= np.asarray(series.index + core.PERIOD[grain] <= complete_through)
            hits = np.flatnonzero(flagged)
            out.append(
                pd.DataFrame(
                    {
                        "grain": grain,
                        "level": DEPLOYMENT,
                        "use_case_id": None,
                        "platform": None,
                        "model_id": None,
                        "deployment_id": deployment,
                        "period_start": series.index[hits],
                        "metric": "capacity_utilization",
                        "value": values[hits],
                        "expected": expected[hits],
                        "scale": scale[hits],
                        "z": z[hits],
                    }
                )
            )
    return (
        pd.concat(out, ignore_index=True)[list(SIGNAL_COLUMNS)] if out else pd.DataFrame(columns=list(SIGNAL_COLUMNS))
    )


def metrics_by_series_and_period(signals: pd.DataFrame, keys: list[str]) -> dict:
    """(key values..., period_start) -> the metrics flagged there: one pass over the signals of a level and grain,
    for other_signals."""
    out: dict = {}
    for *at, metric in zip(*(signals[k] for k in keys), signals["period_start"], signals["metric"], strict=True):
        out.setdefault(tuple(at), set()).add(metric)
    return out


def other_signals(flagged: dict, key_values: tuple, periods, metric: str) -> str | None:
    """The other metrics flagged for the same series in an episode's periods, sorted and comma-separated (None:
    none). A series with a missing key value has none (a missing value equals nothing)."""
    found: set = set()
    if not any(v is None or v != v for v in key_values):
        for period in periods:
            found |= flagged.get((*key_values, period), set())
    found.discard(metric)
    return ",".join(sorted(found)) or None


def median_of_lags(values: np.ndarray) -> np.ndarray:
    """np.median(values, axis=1) of an array of a few lags per row without NaN (zeros for absent lags): the
    middle value, or the mean of the two middle ones, the same float as numpy's."""
    ordered = np.sort(values, axis=1)
    mid = values.shape[1] // 2
    return ordered[:, mid] if values.shape[1] % 2 else (ordered[:, mid - 1] + ordered[:, mid]) / 2


def period_components(frame: pd.DataFrame, keys: list[str], targets: pd.DataFrame, grain: str):
    """The components of each target period (targets: the series' keys and `period`, a row per period t) and of
    its baseline, for core.decompose_many: the routes (t, side, model, route, core.ROUTE_FIELDS; side 1 the
    period's own sums, side 0 the median, route by route, of the same slot over the BASELINE_WEEKS weeks
    before, a week without the route counting 0), and transactions and ok_tokens as (2, n) arrays the same way.
    `frame`: rows of one level and grain (by_grain). A series with a missing key value has no rows (a missing
    value equals nothing), as one without any."""
    step = core.PERIOD[grain] * core.SEASON[grain]
    weeks, n = core.BASELINE_WEEKS, len(targets)
    on = [*keys, "period"]
    calls = frame[frame["route"].notna()]
    lags = pd.concat(
        [targets[keys].assign(period=targets["period"] - w * step, t=np.arange(n), lag=w) for w in range(weeks + 1)],
        ignore_index=True,
    )
    scalars = {}
    for name, rows in (("transactions", frame), ("ok_tokens", calls)):
        found = lags.merge(rows.groupby(on)[name].sum().reset_index(), on=on)  # groupby drops missing keys
        values = np.zeros((n, weeks + 1))
        values[found["t"].to_numpy(), found["lag"].to_numpy()] = found[name].to_numpy(float)
        scalars[name] = np.stack([median_of_lags(values[:, 1:]), values[:, 0]])
    summed = calls.groupby([*on, "model", "route"])[list(ROUTE_VALUES)].sum().reset_index()
    found = lags.merge(summed, on=on)
    fields = dict(zip(ROUTE_VALUES, core.ROUTE_FIELDS, strict=True))
    observed = found.loc[found["lag"] == 0, ["t", "model", "route", *ROUTE_VALUES]].assign(side=1)
    before = found[found["lag"] > 0]
    route_of = before.groupby(["t", "model", "route"], sort=False).ngroup().to_numpy()
    lagged = np.zeros((route_of.max() + 1 if len(route_of) else 0, weeks, len(ROUTE_VALUES)))
    lagged[route_of, before["lag"].to_numpy() - 1] = before[list(ROUTE_VALUES)].to_numpy(float)
    first = np.unique(route_of, return_index=True)[1]
    baseline = before.iloc[first][["t", "model", "route"]].reset_index(drop=True).assign(side=0)
    medians = median_of_lags(lagged.transpose(0, 2, 1).reshape(-1, weeks)).reshape(len(first), len(ROUTE_VALUES))
    baseline[list(ROUTE_VALUES)] = medians
    routes = pd.concat([baseline, observed], ignore_index=True).rename(columns=fields)
    return routes, scalars["transactions"], scalars["ok_tokens"]


# the components of a route, in the order of core.ROUTE_FIELDS
ROUTE_VALUES = ("tokens", "cost_usd", "list_cost_usd", "no_cache_list_cost_usd")


def _key(*parts) -> str:
    return hashlib.md5("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


def build_episodes(components: pd.DataFrame, signals: pd.DataFrame) -> pd.DataFrame:
    """One row per episode (consecutive anomalous periods of a series and metric) with the cost decomposition of
    its anomalous periods (EPISODE_COLUMNS)."""
    if signals.empty:
        return pd.DataFrame(columns=list(EPISODE_COLUMNS))
    signals = signals.copy()
    signals["period_start"] = pd.to_datetime(signals["period_start"])
    rows = []
    for (grain, level), part in signals.groupby(["grain", "level"]):
        keys = core.LEVELS.get(level, ["deployment_id"])
        step = core.PERIOD[grain]
        # the end of the data: its newest hour, or the newest day that the data covers to its last hour
        data_through = components["hour_at"].max() + core.PERIOD["hour"]
        if grain == "day":
            data_through = data_through.floor("D")
        flagged = core.episodes(part.rename(columns={"period_start": "period"}).assign(is_anomalous=True), keys, grain)
        if flagged.empty:
            continue
        flagged_metrics = metrics_by_series_and_period(part, keys)
        # the episodes are runs of rows (sorted by series, metric and period): each one a slice of these columns
        numbers = flagged["episode"].to_numpy()
        starts = np.flatnonzero(np.r_[True, numbers[1:] != numbers[:-1]])
        ends = np.r_[starts[1:], len(numbers)]
        periods = list(flagged["period"])
        key_columns = {k: flagged[k].tolist() for k in keys}
        metrics = flagged["metric"].tolist()
        values, expecteds, zs = (flagged[c].to_numpy(float) for c in ("value", "expected", "z"))
        series_of = [tuple(key_columns[k][start] for k in keys) for start in starts]
        # a deployment's cost is its reservation's (fct_capacity_hourly): no use-case cost to decompose. The
        # decomposition reads the episodes' periods and the same slot of the BASELINE_WEEKS weeks before, each
        # series' period once (several metrics may flag it), all of them at once
        drivers = (*core.DRIVERS, "other")
        if level != DEPLOYMENT:
            season = step * core.SEASON[grain]
            flagged_periods = flagged["period"].drop_duplicates()
            read = pd.concat([flagged_periods - w * season for w in range(core.BASELINE_WEEKS + 1)]).unique()
            frame = level_frame(components, level)
            frame = by_grain(frame[period_of(frame, grain).isin(read)], grain)
            target_of = flagged.groupby([*keys, "period"], dropna=False, sort=False).ngroup().to_numpy()
            targets = flagged.iloc[np.unique(target_of, return_index=True)[1]][[*keys, "period"]]
            decomposed = core.decompose_many(*period_components(frame, keys, targets.reset_index(drop=True), grain))
            expected_of, observed_of = decomposed[0].tolist(), decomposed[1].tolist()
            contributions_of = decomposed[2].tolist()
        for start, end, key_values in zip(starts, ends, series_of, strict=True):
            episode_periods = periods[start:end]
            first_values = dict(zip(keys, key_values, strict=True))
            metric = metrics[start]
            totals = dict.fromkeys(drivers, 0.0)
            expected_cost = observed_cost = 0.0
            for row in range(start, end) if level != DEPLOYMENT else []:
                t = target_of[row]
                expected_cost += expected_of[t]
                observed_cost += observed_of[t]
                for driver, amount in zip(drivers, contributions_of[t], strict=True):
                    totals[driver] += amount
            impact_cents = int(round(observed_cost * 100)) - int(round(expected_cost * 100))
            cents = core.to_cents(totals, impact_cents)
            peak = start + int(np.argmax(np.abs(zs[start:end])))  # the first of equal peaks
            direction = "up" if zs[peak] > 0 else "down"
            moving = {d: c for d, c in cents.items() if d != "other"}
            top = (max if impact_cents >= 0 else min)(moving, key=lambda d: moving[d]) if impact_cents else None
            others = other_signals(flagged_metrics, key_values, episode_periods, metric)
            series_key = _key(grain, level, *[first_values.get(k) for k in SERIES_KEYS], metric)
            started, last = min(episode_periods), max(episode_periods)
            rows.append(
                {
                    "anomaly_key": _key(series_key, started.isoformat()),
                    "series_key": series_key,
                    "grain": grain,
                    "level": level,
                    **{k: first_values.get(k) for k in SERIES_KEYS},
                    "metric": metric,
                    "direction": direction,
                    "started_at": started,
                    "ended_at": last + step,
                    "anomalous_periods": end - start,
                    "peak_at": periods[peak],
                    "peak_value": values[peak],
                    "peak_expected": expecteds[peak],
                    "peak_z": zs[peak],
                    **(
                        {
                            "observed_cost_usd": round(observed_cost, 2),
                            "expected_cost_usd": round(observed_cost, 2) - impact_cents / 100,
                            "impact_usd": impact_cents / 100,
                            **{f"{d}_usd": c / 100 for d, c in cents.items()},
                        }
                        if level != DEPLOYMENT
                        else {}
                    ),
                    "top_driver": top,
                    "signals": others,
                    # open while the series is still anomalous in the newest period of the data
                    "status": "open" if last + step >= data_through else "resolved",
                    "data_through": data_through,
                }
            )
    return pd.DataFrame(rows, columns=list(EPISODE_COLUMNS))
