"""Anomaly detection and the cost decomposition behind it (docs/design.md section 13).

Detection: for every series (grain hour or day; level use case x platform x model, use case, total) and metric,
the expected value is the median of the same slot (hour of week, or weekday) over the previous four weeks, the
scale is 1.4826 x the rolling median of the absolute residuals over the previous four weeks (a robust standard
deviation, pandas' rolling median), floored so quiet series do not alert on noise; the robust z-score is the
residual over the scale. A period is anomalous when |z| reaches the threshold (var `anomaly_threshold`) and,
for cost, the change is at least `anomaly_min_impact_usd`.

Decomposition: a period's cost is written as a product of factors per route (payg and spillover) plus the
capacity cost allocated to it:

    cost = capacity + sum over routes r of  T * tau * y * x[m(r)] * z[r] * c[r] * p[r]

T transactions (volume), tau successful tokens per transaction, y all tokens over successful tokens (failures
and retries), x the model's share of tokens (model mix), z the route's share of its model's tokens (spillover),
c list cost over list cost without caching (cache), p cost per token without caching (price). The change from
the baseline to the observed period is split among the eight drivers by the Shapley value: each driver's
contribution is its marginal effect averaged over every order of changing the drivers, so the contributions add
up to the change exactly, whatever the order, and a driver that did not move contributes nothing.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

DRIVERS = (
    "volume",
    "tokens_per_transaction",
    "failures_retries",
    "model_mix",
    "spillover",
    "cache",
    "price",
    "capacity",
)
SEASON = {"hour": 168, "day": 7}  # one week of periods
PERIOD = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1)}
BASELINE_WEEKS = 4
MIN_BASELINE_WEEKS = 3
MAD_TO_SIGMA = 1.4826  # median absolute deviation to standard deviation, for normal noise

# metrics: how each is computed from the summed components, and the floor of its scale
ADDITIVE = ("cost_usd", "requests", "transactions")
RATIO_METRICS = {
    "tokens_per_transaction": ("tokens", "transactions"),
    "cost_per_transaction": ("cost_usd", "transactions"),
    "cost_per_mtok": ("cost_usd", "tokens_m"),
    "cache_hit_share": ("cached_input_tokens", "input_tokens"),
    "failure_share": ("failed_requests", "requests"),
    "spillover_share": ("spillover_requests", "capacity_requests"),
}
METRICS = (*ADDITIVE, *RATIO_METRICS)
REL_FLOOR = 0.1  # the scale is at least 10% of the expected value
ABS_FLOOR = {"cache_hit_share": 0.03, "failure_share": 0.02, "spillover_share": 0.03}
MIN_REQUESTS = 20  # a ratio is judged only in periods with at least this many requests (observed and expected)
MIN_COUNT_CHANGE = 5  # a count moves by at least 5 transactions (their requests) to be an anomaly
# anomalous periods closer than this are one episode (hours: within a day; days: across a weekend)
EPISODE_GAP = {"hour": 24, "day": 3}

COMPONENTS = (
    "requests",
    "failed_requests",
    "transactions",
    "tokens",
    "ok_tokens",
    "input_tokens",
    "cached_input_tokens",
    "cost_usd",
    "list_cost_usd",
    "no_cache_list_cost_usd",
)
LEVELS = {
    "use_case_model": ["use_case_id", "platform", "model_id"],
    "use_case": ["use_case_id"],
    "total": [],
}


# --- the decomposition --------------------------------------------------------------------------------------------


def shapley_weights(n: int) -> np.ndarray:
    """The weight of a coalition of k other players in a player's Shapley value: k! (n - k - 1)! / n!."""
    return np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)])


@functools.cache
def _coalitions(n: int) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    """Per player i: the coalitions without i, the same coalitions with i, and each one's Shapley weight."""
    masks = np.arange(2**n)
    sizes = np.array([bin(m).count("1") for m in masks])
    weights = shapley_weights(n)
    out = []
    for i in range(n):
        without = masks[((masks >> i) & 1) == 0]
        out.append((without, without | (1 << i), weights[sizes[without]]))
    return tuple(out)


def shapley_of_table(values: np.ndarray, n: int) -> np.ndarray:
    """The Shapley values of n players from the game's value on every coalition (values[..., mask], bit i: player
    i moved), for each row of the leading axes: sum over the coalitions S without i of weight(|S|) (v(S + i) -
    v(S)). Each sum runs over a contiguous last axis, so a row's values are summed as numpy sums one row alone
    (pairwise, in this order): the same floats whatever the other rows."""
    return np.stack(
        [np.sum(np.ascontiguousarray(w * (values[..., a] - values[..., b])), axis=-1) for b, a, w in _coalitions(n)],
        axis=-1,
    )


def to_cents(values: Mapping[str, float], total_cents: int) -> dict[str, int]:
    """Round contributions to whole cents that add up to total_cents exactly (largest remainder; ties in the order
    of the contributions)."""
    keys = list(values)
    raw = np.array([values[k] * 100 for k in keys], dtype=float)
    floors = np.floor(raw).astype(np.int64)
    remainder = int(total_cents - floors.sum())
    fraction = np.round(raw - floors, 9)  # equal fractions (up to float noise) go in the drivers' order
    order = np.argsort(-fraction, kind="stable") if remainder >= 0 else np.argsort(fraction, kind="stable")
    for i in range(abs(remainder)):
        floors[order[i % len(keys)]] += 1 if remainder > 0 else -1
    return dict(zip(keys, (int(x) for x in floors), strict=True))


ROUTE_FIELDS = ("tokens", "cost", "list_cost", "no_cache_list_cost")
# the factor each driver moves (the module docstring's identity)
DRIVER_FACTORS = {
    "volume": "T",
    "tokens_per_transaction": "tau",
    "failures_retries": "y",
    "model_mix": "x",
    "spillover": "z",
    "cache": "c",
    "price": "p",
    "capacity": "capacity",
}


def decompose(before: Mapping, after: Mapping) -> tuple[float, float, dict[str, float]]:
    """Expected cost (before), observed cost (after) and each driver's contribution (Shapley) to the change,
    plus `other`: what the factor model cannot explain (only where a factor is undefined in both periods; 0
    otherwise). A period holds `transactions`, `ok_tokens` and `routes`, a frame of model, route and
    ROUTE_FIELDS. decompose_many of this one period."""
    periods = (before, after)
    columns = ["model", "route", *ROUTE_FIELDS]
    parts = [p["routes"][columns].assign(t=0, side=side) for side, p in enumerate(periods) if len(p["routes"])]
    routes = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["t", "side", *columns])
    transactions = np.array([[float(p["transactions"])] for p in periods])
    ok_tokens = np.array([[float(p["ok_tokens"])] for p in periods])
    expected, observed, contributions = decompose_many(routes, transactions, ok_tokens)
    drivers = (*DRIVERS, "other")
    return float(expected[0]), float(observed[0]), dict(zip(drivers, contributions[0].tolist(), strict=True))


PERIODS_AT_ONCE = 20_000  # periods x routes whose coalition values are computed at once (about 40 MB an array)


def _lookup(left: pd.DataFrame, right: pd.DataFrame, on: list[str], columns: list[str]) -> pd.DataFrame:
    """right's columns for each row of left (NaN where right has none): a left join in left's order."""
    return left[on].merge(right[[*on, *columns]], on=on, how="left", sort=False)[columns].reset_index(drop=True)


def _shapley_of_periods(scal: dict, vec: dict) -> np.ndarray:
    """The drivers' Shapley values of periods with the same number of routes r, as decompose computes one
    period's: scalar factors (before, after) as (periods,) arrays, per-route factors as (periods, r) arrays."""
    moved = ((np.arange(2 ** len(DRIVERS))[:, None] >> np.arange(len(DRIVERS))) & 1).astype(bool)
    column = {DRIVER_FACTORS[d]: i for i, d in enumerate(DRIVERS)}

    def scalar(k: str) -> np.ndarray:
        v0, v1 = scal[k]
        return np.where(moved[None, :, column[k]], v1[:, None], v0[:, None])

    def per_route(k: str) -> np.ndarray:
        v0, v1 = vec[k]
        return np.where(moved[None, :, column[k], None], v1[:, None, :], v0[:, None, :])

    x, z, c, p = (per_route(k) for k in ("x", "z", "c", "p"))
    # summed over a contiguous last axis, as numpy sums one period's array (pairwise, in this order)
    terms = np.ascontiguousarray(x * z * c * p)
    values = scalar("capacity") + scalar("T") * scalar("tau") * scalar("y") * np.sum(terms, axis=2)
    return shapley_of_table(values, len(DRIVERS))


def decompose_many(routes: pd.DataFrame, transactions: np.ndarray, ok_tokens: np.ndarray):
    """decompose() of n periods at once, each the same floats: `routes` has a row per period `t` (0 to n - 1),
    `side` (0: before, 1: after), model and route, with ROUTE_FIELDS; `transactions` and `ok_tokens` are (2, n)
    arrays (row 0 before, row 1 after). Returns expected (n), observed (n) and the contributions (n, DRIVERS
    and `other`). Undefined factors are NaN here where decompose has None."""
    n = transactions.shape[1]
    routes = routes.sort_values(["t", "side", "model", "route"], kind="stable").reset_index(drop=True)
    t, side = routes["t"].to_numpy(np.int64), routes["side"].to_numpy(np.int64)
    tokens, cost = routes["tokens"].to_numpy(float), routes["cost"].to_numpy(float)
    provisioned = (routes["route"] == "provisioned").to_numpy()
    totals = {name: np.zeros((2, n)) for name in ("tokens", "cost", "capacity")}
    np.add.at(totals["tokens"], (side, t), tokens)  # one addition after the other, in the routes' order
    np.add.at(totals["cost"], (side, t), cost)
    np.add.at(totals["capacity"], (side[provisioned], t[provisioned]), cost[provisioned])
    with np.errstate(all="ignore"):
        tau = np.where(transactions != 0, ok_tokens / transactions, np.nan)
        y = np.where(ok_tokens != 0, totals["tokens"] / ok_tokens, np.nan)
    by_model = routes.groupby(["t", "side", "model"], sort=False)["tokens"].sum().rename("model_tokens").reset_index()

    # the routes that are not provisioned, of either period, in decompose's order (sorted by model and route)
    union = routes.loc[~provisioned, ["t", "model", "route"]].drop_duplicates().sort_values(["t", "model", "route"])
    union = union.reset_index(drop=True)
    ut = union["t"].to_numpy(np.int64)
    picked = {}
    for s in (0, 1):
        mine = routes[routes["side"] == s]
        own = _lookup(union, mine, ["t", "model", "route"], list(ROUTE_FIELDS))
        present = own["tokens"].notna().to_numpy()
        model_tokens = _lookup(union, by_model[by_model["side"] == s], ["t", "model"], ["model_tokens"])
        model_tokens = model_tokens["model_tokens"].to_numpy(float)
        has_model = ~np.isnan(model_tokens)
        tok, cst, listed, no_cache = (own[f].to_numpy(float) for f in ROUTE_FIELDS)
        n_tokens = totals["tokens"][s, ut]
        with np.errstate(all="ignore"):
            x = np.where(has_model, np.where(n_tokens != 0, model_tokens / n_tokens, np.nan), np.nan)
            x_default = np.where(transactions[s, ut] != 0, 0.0, np.nan)
            z_default = np.where(has_model & ~np.isnan(x) & (x != 0), 0.0, np.nan)
            z = np.where(present, np.where(model_tokens != 0, tok / model_tokens, np.nan), z_default)
            c = np.where(present & (no_cache != 0), listed / no_cache, np.nan)
            c_true = ~np.isnan(c) & (c != 0)
            p = np.where(c_true & (tok * c != 0), cst / (tok * c), np.nan)
        picked[s] = {"x": np.where(has_model, x, x_default), "z": z, "c": c, "p": p}
    scalars = {"T": transactions, "tau": tau, "y": y, "capacity": totals["capacity"]}

    def both(f0: np.ndarray, f1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A factor's value before and after: an undefined one takes the other period's; undefined in both, 0."""
        before, after = np.where(np.isnan(f0), f1, f0), np.where(np.isnan(f1), f0, f1)
        return np.where(np.isnan(before), 0.0, before), np.where(np.isnan(after), 0.0, after)

    scal = {k: both(v[0], v[1]) for k, v in scalars.items()}
    vec = {k: both(picked[0][k], picked[1][k]) for k in ("x", "z", "c", "p")}
    width = np.bincount(ut, minlength=n)  # routes per period
    first = np.r_[0, np.cumsum(width)[:-1]]
    contributions = np.zeros((n, len(DRIVERS) + 1))
    for r in np.unique(width):
        periods = np.flatnonzero(width == r)
        step = max(1, PERIODS_AT_ONCE // max(int(r), 1))
        for start in range(0, len(periods), step):
            at = periods[start : start + step]
            rows = first[at][:, None] + np.arange(r)[None, :]  # (periods, r) rows of `union`
            contributions[at, : len(DRIVERS)] = _shapley_of_periods(
                {k: (v0[at], v1[at]) for k, (v0, v1) in scal.items()},
                {k: (v0[rows], v1[rows]) for k, (v0, v1) in vec.items()},
            )
    expected, observed = totals["cost"][0], totals["cost"][1]
    explained = np.zeros(n)
    for i in range(len(DRIVERS)):
        explained = explained + contributions[:, i]
    contributions[:, -1] = (observed - expected) - explained
    return expected, observed, contributions


# --- detection ------------------------------------------------------------------------------------------------------


def metric_frame(components: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per series and period: the summed components (the metrics are computed on the series' grid)."""
    c = components.groupby(keys + ["period"], dropna=False)[
        list(COMPONENTS) + ["spillover_requests", "capacity_requests"]
    ]
    return c.sum().reset_index()


class SeriesGrid:
    """Every series of a level on one grid of periods (rows: series, in key order; columns: periods from the
    level's first period to `end`): each summed component and metric as a series x periods array. A series
    starts at its first period: before it, NaN (not judged, not history); from it on, periods without requests
    are zeros (ratios there are undefined, NaN)."""

    def __init__(self, frame: pd.DataFrame, keys: list[str], grain: str, end: pd.Timestamp):
        step = PERIOD[grain]
        if keys:
            series_id = frame.groupby(keys, dropna=False, sort=True).ngroup().to_numpy()
            first_rows = pd.Series(np.arange(len(frame))).groupby(series_id).first().to_numpy()
            self.keys = frame[keys].iloc[first_rows].reset_index(drop=True)
        else:
            series_id = np.zeros(len(frame), dtype=np.int64)
            self.keys = pd.DataFrame(index=[0])
        self.start = frame["period"].min()
        self.periods = pd.date_range(self.start, end, freq=step)
        n_series, n_periods = len(self.keys), len(self.periods)
        position = ((frame["period"] - self.start) // step).to_numpy()
        first = np.full(n_series, n_periods)
        np.minimum.at(first, series_id, position)
        self.valid = np.arange(n_periods)[None, :] >= first[:, None]
        self.arrays: dict[str, np.ndarray] = {}
        for column in (*COMPONENTS, "spillover_requests", "capacity_requests"):
            values = np.where(self.valid, 0.0, np.nan)
            values[series_id, position] = frame[column].to_numpy(float)
            self.arrays[column] = values
        self.arrays["tokens_m"] = self.arrays["tokens"] / 1e6
        for metric, (num, den) in RATIO_METRICS.items():
            n, d = self.arrays[num], self.arrays[den]
            with np.errstate(all="ignore"):
                self.arrays[metric] = np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)


def _window_median(windows: np.ndarray, min_count: int) -> np.ndarray:
    """The median of the values of each window (last axis) that are not NaN; NaN where fewer than min_count."""
    ordered = np.sort(windows, axis=-1)  # NaN last
    count = np.sum(~np.isnan(windows), axis=-1)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(ordered, np.minimum(count // 2, windows.shape[-1] - 1)[..., None], axis=-1)[..., 0]
    return np.where(count >= max(min_count, 1), (low + high) / 2, np.nan)


WINDOW_VALUES_AT_ONCE = 4_000_000  # values of the trailing windows sorted at once (32 MB): memory stays bounded


def _trailing_median(values: np.ndarray, width: int, min_count: int) -> np.ndarray:
    """Per row of `values` (series x periods), the median of the `width` periods before each period (not the
    period itself; NaN skipped), NaN with fewer than min_count of them: pandas'
    rolling(width, min_periods).median().shift(1), as many rows at once as WINDOW_VALUES_AT_ONCE allows."""
    padded = np.pad(values, ((0, 0), (width, 0)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=1)[:, : values.shape[1]]
    rows = max(1, WINDOW_VALUES_AT_ONCE // max(1, values.shape[1] * width))
    out = np.empty(values.shape)
    for first in range(0, len(values), rows):
        out[first : first + rows] = _window_median(windows[first : first + rows], min_count)
    return out


def seasonal_scores(values: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected value (median of the same slot in the previous BASELINE_WEEKS seasons, with at least
    MIN_BASELINE_WEEKS of them) and the robust scale (1.4826 x the median absolute residual) of each period of
    one series, or of every row of a series x periods array (NaN: no period, e.g. before a series starts). Days:
    the residuals of the previous four weeks. Hours: those of the same hour of the day over the previous four
    weeks, so a busy hour is judged by the noise of busy hours, not by quiet nights."""
    values = np.asarray(values, dtype=float)
    rows = np.atleast_2d(values)
    n = rows.shape[1]
    lagged = np.full((*rows.shape, BASELINE_WEEKS), np.nan)
    for w in range(1, BASELINE_WEEKS + 1):
        if n > w * season:
            lagged[:, w * season :, w - 1] = rows[:, : n - w * season]
    expected = _window_median(lagged, MIN_BASELINE_WEEKS)
    residual = np.abs(rows - expected)
    days = BASELINE_WEEKS * 7
    if season == SEASON["hour"]:
        width = -(-n // 24) * 24
        by_hour = np.pad(residual, ((0, 0), (0, width - n)), constant_values=np.nan).reshape(len(rows), -1, 24)
        # the same hour of each day: a row per (series, hour of the day), its days in order
        by_hour = by_hour.transpose(0, 2, 1).reshape(-1, width // 24)
        mad = _trailing_median(by_hour, days, 7).reshape(len(rows), 24, -1).transpose(0, 2, 1).reshape(len(rows), -1)
        mad = mad[:, :n]
    else:
        mad = _trailing_median(residual, days, 7)
    scale = MAD_TO_SIGMA * mad
    return (expected[0], scale[0]) if values.ndim == 1 else (expected, scale)


def score(grid: SeriesGrid, grain: str, threshold: float, min_impact_usd: float) -> pd.DataFrame:
    """The anomalous periods of every series and metric of a grid, one row each (the series' keys, period,
    metric, value, expected, scale, z), in the order series, metric, period."""
    season = SEASON[grain]
    a = grid.arrays
    requests = a["requests"]
    expected_requests, _ = seasonal_scores(requests, season)
    # calls per transaction: an agent's or a conversation's requests come in bunches of this size
    total_transactions = np.nansum(a["transactions"], axis=1)
    with np.errstate(all="ignore"):
        calls = np.where(
            total_transactions > 0, np.maximum(1.0, np.nansum(requests, axis=1) / total_transactions), 1.0
        )[:, None]
    found = []
    for number, metric in enumerate(METRICS):
        values = a[metric]
        expected, scale = seasonal_scores(values, season)
        floor = np.maximum(REL_FLOOR * np.abs(expected), ABS_FLOOR.get(metric, 0.0))
        bunch = calls if metric == "requests" else 1.0
        with np.errstate(all="ignore"):
            if metric in ("requests", "transactions"):
                # the Poisson noise of transactions, in bunches of `bunch` requests
                floor = np.maximum(floor, np.sqrt(np.maximum(expected, 1.0) * bunch))
            scale = np.where(np.isnan(scale), np.nan, np.fmax(scale, floor))  # no residual history: not judged
            z = (values - expected) / scale
            flagged = np.abs(z) >= threshold
            if metric == "cost_usd":
                flagged &= np.abs(values - expected) >= min_impact_usd
            elif metric in ("requests", "transactions"):
                flagged &= np.abs(values - expected) >= MIN_COUNT_CHANGE * bunch
            elif metric in RATIO_METRICS:
                flagged &= (requests >= MIN_REQUESTS) & (expected_requests >= MIN_REQUESTS)
        series, position = np.nonzero(flagged & grid.valid)
        found.append(
            pd.DataFrame(
                {
                    "_series": series,
                    "_metric": number,
                    "period": grid.periods[position],
                    "metric": metric,
                    "value": values[series, position],
                    "expected": expected[series, position],
                    "scale": scale[series, position],
                    "z": z[series, position],
                }
            )
        )
    out = pd.concat(found, ignore_index=True).sort_values(["_series", "_metric", "period"], kind="stable")
    keys = grid.keys.iloc[out["_series"].to_numpy()].reset_index(drop=True)
    return pd.concat([keys, out.drop(columns=["_series", "_metric"]).reset_index(drop=True)], axis=1)


def episodes(flags: pd.DataFrame, keys: list[str], grain: str) -> pd.DataFrame:
    """Anomalous periods of one series and metric less than EPISODE_GAP periods apart, as one episode:
    started_at, ended_at (end of the last anomalous period), periods, and the peak (largest |z|)."""
    step = PERIOD[grain]
    flagged = flags[flags["is_anomalous"]].sort_values(keys + ["metric", "period"])
    if flagged.empty:
        return flagged.assign(episode=pd.Series(dtype="int64"))
    group_cols = keys + ["metric"]
    new_series = (flagged[group_cols].ne(flagged[group_cols].shift())).any(axis=1) if group_cols else False
    gap = flagged["period"].diff() > EPISODE_GAP[grain] * step
    flagged = flagged.assign(episode=(new_series | gap).cumsum())
    return flagged
