"""An independent, per-period implementation of the anomaly cost decomposition (docs/design.md, anomalies),
used to check orchestration.anomaly.core.decompose_many: one period at a time, with dicts and Python floats,
following the factor model as written. It shares only the drivers, their factors and the Shapley weights.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from orchestration.anomaly.core import DRIVER_FACTORS, DRIVERS, ROUTE_FIELDS, _coalitions


def shapley_of_table(values: np.ndarray, n: int) -> np.ndarray:
    return np.array([float(np.sum(w * (values[a] - values[b]))) for b, a, w in _coalitions(n)])


def route_table(routes) -> dict[tuple[str, str], np.ndarray]:
    """Routes as {(model, route): [tokens, cost, list_cost, no_cache_list_cost]} (from a frame or as they are)."""
    if isinstance(routes, dict):
        return routes
    return {
        (m, r): np.array(v, dtype=float)
        for m, r, *v in routes[["model", "route", *ROUTE_FIELDS]].itertuples(index=False, name=None)
    }


def factors(period: Mapping) -> dict:
    """The decomposition's factors of one period from its components: scalars T, tau, y, capacity; per model x;
    per route z, c, p (None where undefined, e.g. a ratio over nothing). `period` holds T, ok_tokens, and
    `routes`: model, route, tokens, cost, list_cost, no_cache_list_cost (a frame, or route_table's dict)."""
    routes = route_table(period["routes"])
    t = float(period["transactions"])
    ok = float(period["ok_tokens"])
    n = float(sum(v[0] for v in routes.values()))
    by_model: dict[str, float] = {}
    for (model, _), v in routes.items():
        by_model[model] = by_model.get(model, 0.0) + float(v[0])

    def ratio(a: float, b: float) -> float | None:
        return a / b if b else None

    f: dict = {
        "T": t,
        "tau": ratio(ok, t),
        "y": ratio(n, ok),
        "capacity": float(sum(v[1] for (_, r), v in routes.items() if r == "provisioned")),
        "x": {m: ratio(v, n) for m, v in by_model.items()},
        "z": {},
        "c": {},
        "p": {},
    }
    for (model, route), (tokens, cost, listed, no_cache) in routes.items():
        if route == "provisioned":
            continue
        key = (model, route)
        f["z"][key] = ratio(float(tokens), by_model[model])
        c = ratio(float(listed), float(no_cache))
        f["c"][key] = c
        f["p"][key] = ratio(float(cost), float(tokens) * c) if c else None
    return f


def _pick(a, b):
    """The value of a factor: a, or b where a is undefined (the other period's value contributes no change)."""
    return b if a is None else a


def decompose(before: Mapping, after: Mapping) -> tuple[float, float, dict[str, float]]:
    """Expected cost (before), observed cost (after) and each driver's contribution (Shapley) to the change,
    plus `other`: what the factor model cannot explain (only where a factor is undefined in both periods; 0
    otherwise)."""
    f0, f1 = factors(before), factors(after)
    routes = sorted(set(f0["z"]) | set(f1["z"]))
    models = sorted(set(f0["x"]) | set(f1["x"]))

    def get(f, name, key=None):
        if key is None:
            return f[name]
        if name == "x":
            return f["x"].get(key, 0.0 if f["T"] else None)
        # a route's share of its model is 0 where the model ran without it, undefined where the model did not run
        default = 0.0 if name == "z" and f["x"].get(key[0]) else None
        return f[name].get(key, default)

    # a factor undefined in one period takes the other period's value
    scal = {k: (_pick(get(f0, k), get(f1, k)), _pick(get(f1, k), get(f0, k))) for k in ("T", "tau", "y", "capacity")}
    vec = {
        name: {
            key: (_pick(get(f0, name, key), get(f1, name, key)), _pick(get(f1, name, key), get(f0, name, key)))
            for key in (models if name == "x" else routes)
        }
        for name in ("x", "z", "c", "p")
    }

    # the cost of every coalition of moved drivers at once: row = coalition (bit i: DRIVERS[i] moved)
    moved = ((np.arange(2 ** len(DRIVERS))[:, None] >> np.arange(len(DRIVERS))) & 1).astype(bool)
    column = {DRIVER_FACTORS[d]: i for i, d in enumerate(DRIVERS)}

    def num(v) -> float:
        return 0.0 if v is None else float(v)

    def scalar(k: str) -> np.ndarray:
        v0, v1 = scal[k]
        return np.where(moved[:, column[k]], num(v1), num(v0))

    def per_route(name: str, keys: list) -> np.ndarray:
        a0 = np.array([num(vec[name][k][0]) for k in keys])
        a1 = np.array([num(vec[name][k][1]) for k in keys])
        return np.where(moved[:, column[name]][:, None], a1[None, :], a0[None, :])

    x = per_route("x", [m for m, _ in routes])
    z, c, p = (per_route(name, routes) for name in ("z", "c", "p"))
    values = scalar("capacity") + scalar("T") * scalar("tau") * scalar("y") * np.sum(x * z * c * p, axis=1)
    contributions = dict(zip(DRIVERS, shapley_of_table(values, len(DRIVERS)).tolist(), strict=True))
    expected = float(sum(v[1] for v in route_table(before["routes"]).values()))
    observed = float(sum(v[1] for v in route_table(after["routes"]).values()))
    contributions["other"] = (observed - expected) - sum(contributions.values())
    return expected, observed, contributions
