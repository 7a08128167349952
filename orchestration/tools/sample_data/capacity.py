"""Provisioned capacity in the generator: requests beyond a deployment's hourly capacity spill over to
pay-as-you-go (where the deployment allows it) or are throttled (HTTP 429).

Capacity and burndown weights come from the same seeds the warehouse uses
(seeds/reference/capacity_*.csv). The generator weighs requests with the input/cached/output/reasoning
weights only (no audio or long-context weights): an approximation good enough to decide saturation.
"""

from __future__ import annotations

import csv
import dataclasses
from datetime import UTC, date, datetime

import numpy as np

from orchestration.ingest.contracts import TOKEN_FIELDS
from orchestration.settings import SEEDS_DIR

US_PER_HOUR = 3_600_000_000


def beyond_capacity(group: np.ndarray, order: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """True for the requests that arrive after their group (e.g. a deployment-hour) is full.

    group: group id per request; order: arrival order key (timestamps); weight: capacity each request uses;
    capacity: the capacity of each request's group. Requests are served first come, first served; a
    request that does not fit is over capacity and leaves the capacity to the next ones.
    """
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=bool)
    idx = np.lexsort((order, group))
    g, w, cap = group[idx], weight[idx].astype(np.float64), capacity[idx].astype(np.float64)
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    lengths = np.diff(np.r_[starts, n])
    cum = np.cumsum(w)
    before_group = np.repeat(cum[starts] - w[starts], lengths)
    over_sorted = (cum - before_group) > cap
    over = np.empty(n, dtype=bool)
    over[idx] = over_sorted
    return over


def _read(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _us(day: str, start: date) -> int:
    d = datetime.fromisoformat(day).replace(tzinfo=UTC)
    s = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return int((d - s).total_seconds() * 1_000_000)


def apply_capacity(ev: dict[str, np.ndarray], routes: list, start: date) -> tuple[dict[str, np.ndarray], list]:
    """Mark provisioned requests beyond their deployment's hourly capacity as spillover or throttled.

    Returns the events and the (possibly extended) route table: a spilled request moves to a copy of its
    route with capacity_type 'spillover' (Scale Tier overage runs at the standard tier).
    """
    aliases = {r["raw_model"]: r["model_id"] for r in _read("model_aliases")}
    reservations = {r["reservation_id"]: r for r in _read("capacity_reservations")}
    throughput = {(r["capacity_model"], r["dimension"], r["model_id"]): r for r in _read("capacity_throughput")}
    deployments = _read("capacity_deployments")
    routes = list(routes)
    route = ev["route"]
    hour = ev["ts_us"] // US_PER_HOUR
    over = np.zeros(len(route), dtype=bool)
    spill_ok: dict[str, bool] = {}
    for dep in deployments:
        res = reservations[dep["reservation_id"]]
        w = throughput.get((res["capacity_model"], res["dimension"], dep["model_id"]))
        codes = [
            i
            for i, r in enumerate(routes)
            if r.deployment_id == dep["deployment_id"]
            and r.capacity_type == "provisioned"
            and aliases.get(r.raw_model) == dep["model_id"]
        ]
        if w is None or not codes:
            continue
        sel = (
            np.isin(route, codes)
            & (ev["ts_us"] >= _us(dep["valid_from"], start))
            & (ev["ts_us"] < _us(dep["valid_to"], start))
        )
        sel &= ev["status"] != 2
        if not sel.any():
            continue
        inp, cached = ev["input_tokens"][sel], ev["cached_input_tokens"][sel]
        out, reasoning = ev["output_tokens"][sel], ev["reasoning_tokens"][sel]
        weight = (
            float(w["input_weight"]) * (inp - cached)
            + float(w["cached_input_weight"]) * cached
            + float(w["output_weight"]) * (out - reasoning)
            + float(w["reasoning_weight"]) * reasoning
        )
        cap = int(dep["units"]) * float(w["tokens_per_minute_per_unit"]) * 60
        over[sel] |= beyond_capacity(hour[sel], ev["ts_us"][sel], weight, np.full(sel.sum(), cap))
        spill_ok[dep["deployment_id"]] = dep["spillover_enabled"].lower() == "true"

    if not over.any():
        return ev, routes
    ev = dict(ev)
    new_route = route.copy()
    status = ev["status"].copy()
    for code in np.unique(route[over]):
        r = routes[code]
        mask = over & (route == code)
        if spill_ok.get(r.deployment_id):
            spilled = dataclasses.replace(
                r, capacity_type="spillover", service_tier="standard" if r.service_tier == "scale" else r.service_tier
            )
            if spilled not in routes:
                routes.append(spilled)
            new_route[mask] = routes.index(spilled)
        else:
            status[mask] = 2  # throttled: 429, nothing processed
    throttled = over & (status == 2)
    for col in TOKEN_FIELDS:
        ev[col] = np.where(throttled, 0, ev[col])
    ev["ttft_ms"] = np.where(throttled, -1, ev["ttft_ms"])
    ev["route"], ev["status"] = new_route, status
    return ev, routes
