"""Deterministic, vectorised generator of demo usage events and KPI events.

numpy draws every numeric column for all events of a use case at once (no per-row Python); DuckDB
then joins the small dimension tables (routes, use cases, variants), formats ids and writes one file
per arrival day into the landing folder:

    <out>/usage_events/day=YYYY-MM-DD/usage_events.{parquet|json}
    <out>/kpi_events/day=YYYY-MM-DD/kpi_events.{parquet|json}
    <out>/_manifest.json

The same (events, days, start, seed) always gives the same files.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from orchestration.settings import SEEDS_DIR
from orchestration.tools.sample_data.billing import write_billing_exports
from orchestration.tools.sample_data.capacity import apply_capacity
from orchestration.tools.sample_data.scenario import ANTHROPIC_OPUS, INCIDENTS, USE_CASES, Route, UseCase

US_PER_S = 1_000_000
US_PER_DAY = 86_400 * US_PER_S

DEFAULT_START = date(2026, 1, 1)
DEFAULT_DAYS = 90

# the use cases whose traffic real_formats writes the way real systems emit it, instead of as canonical events
OTEL_CASES = ("support_chatbot",)
BEDROCK_CASES = ("contract_extractor",)
LITELLM_CASES = ("sales_email_writer",)
MESSAGE_CASES = ("doc_summarizer",)
REAL_FORMAT_CASES = OTEL_CASES + BEDROCK_CASES + LITELLM_CASES + MESSAGE_CASES


@dataclass(frozen=True)
class GeneratorResult:
    out_dir: str
    events: int
    kpi_events: int
    transactions: int
    days: int
    start: str
    seed: int
    seconds: float
    file_format: str


def _hour_profile(shape: str) -> np.ndarray:
    h = np.arange(24)
    if shape in ("business", "weekday_business"):
        # US business hours in UTC (13:00-23:00), a small overnight floor
        w = 0.08 + np.exp(-0.5 * ((h - 18) / 2.8) ** 2)
    elif shape == "nightly":
        w = np.where((h >= 1) & (h <= 4), 1.0, 0.0)
    elif shape == "evening":
        w = 0.15 + np.exp(-0.5 * ((h - 23.5) / 3.0) ** 2) + np.exp(-0.5 * ((h + 0.5) / 3.0) ** 2)
    else:  # steady 24/7
        w = 1.0 + 0.1 * np.sin(h / 24 * 2 * np.pi)
    return w / w.sum()


def _day_weights(uc: UseCase, start: date, days: int) -> np.ndarray:
    d = np.arange(days)
    growth = 1.0 + uc.growth * d / max(days - 1, 1)
    dow = np.array([(start + timedelta(days=int(i))).weekday() for i in range(days)])
    weekend = dow >= 5
    if uc.shape == "weekday_business":
        factor = np.where(weekend, 0.06, 1.0)
    elif uc.shape == "business":
        factor = np.where(weekend, 0.3, 1.0)
    else:
        factor = np.ones(days)
    w = growth * factor
    if uc.use_case_id in ("support_chatbot", "call_summaries"):  # a product launch: chats and calls spike
        w[round(days * INCIDENTS.spike_day_fraction)] *= INCIDENTS.spike_factor
    return w / w.sum()


# the narrowest integer type each event column holds (the timestamps stay int64): a shard's events are copied
# whole three times (the use cases joined, the capacity applied, the arrival order), and on this machine class
# writing memory anew costs more than the copy itself (the virtual machine's host backs a page on its first
# write, ~2.5 s per GB, and takes freed memory back within seconds); the SQL that writes the files casts the
# columns back to the types the files have always had
_NARROW = {
    "txn": np.int32,
    "turn": np.int16,
    "attempt": np.int8,
    "route": np.int16,
    "variant": np.int16,
    "cache_ttl": np.int8,
    "status": np.int8,
    "ttft_ms": np.int32,
    "latency_ms": np.int32,
    "user": np.int16,
    "input_tokens": np.int32,
    "cached_input_tokens": np.int32,
    "cache_write_tokens": np.int32,
    "output_tokens": np.int32,
    "reasoning_tokens": np.int32,
    "image_input_tokens": np.int32,
    "audio_input_tokens": np.int32,
    "audio_output_tokens": np.int32,
}


def _narrow(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each column in its type of _NARROW where every value fits (else as it is: concatenation widens)."""
    out = {}
    for name, a in columns.items():
        dtype = _NARROW.get(name)
        if dtype is not None and len(a) and np.iinfo(dtype).min <= a.min() and a.max() <= np.iinfo(dtype).max:
            a = a.astype(dtype)
        out[name] = a
    return out


def _padded(prefix: str, column: str, width: int) -> str:
    """SQL for `prefix` and the column's value zero-padded to `width` digits: what printf('%0<width>d') writes
    for a value of at most that many digits (ids count events and transactions: generate() takes fewer than
    10**9 events), at two thirds of printf's cost."""
    return f"'{prefix}' || lpad({column}::varchar, {width}, '0')"


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    if median <= 0:
        return np.zeros(n, dtype=np.int64)
    return np.maximum(1, np.rint(rng.lognormal(np.log(median), sigma, n))).astype(np.int64)


def _group_index(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of sizes k: the group of each element and its position within the group."""
    group = np.repeat(np.arange(len(k)), k)
    starts = np.cumsum(k) - k
    pos = np.arange(int(k.sum())) - np.repeat(starts, k)
    return group, pos


def _exclusive_group_cumsum(values: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Sum of the earlier values in the same group (groups are consecutive, sizes k)."""
    cs = np.cumsum(values) - values
    starts = np.cumsum(k) - k
    return cs - np.repeat(cs[starts], k)


class _Tables:
    """Small dimension tables shared by all use cases (their index is what the event arrays hold)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.variants: list[tuple[str | None, str]] = []

    def route(self, r: Route) -> int:
        if r not in self.routes:
            self.routes.append(r)
        return self.routes.index(r)

    def variant(self, use_case_id: str | None, variant_id: str) -> int:
        key = (use_case_id, variant_id)
        if key not in self.variants:
            self.variants.append(key)
        return self.variants.index(key)


def _use_case_events(
    rng: np.random.Generator,
    uc: UseCase,
    n_events: int,
    start: date,
    days: int,
    tables: _Tables,
    txn_offset: int,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    retry_factor = 1 + uc.error_rate + uc.timeout_rate
    n_txn = max(1, int(round(n_events / (uc.calls_mean * retry_factor))))

    # --- transactions: day, start time, variant, calls ---------------------------------------------
    day = rng.choice(days, size=n_txn, p=_day_weights(uc, start, days))
    hour = rng.choice(24, size=n_txn, p=_hour_profile(uc.shape))
    # planted anomalies draw from their own generator, so the ordinary traffic stays what it was
    irng = np.random.default_rng([zlib.crc32((uc.use_case_id or "").encode()), days])
    if uc.use_case_id == "call_summaries":  # a backlog replayed: the burst hours' transactions x overflow_factor
        h0, h1 = INCIDENTS.overflow_hours
        burst = np.flatnonzero((day == round(days * INCIDENTS.overflow_day_fraction)) & (hour >= h0) & (hour < h1))
        extra = np.repeat(burst, INCIDENTS.overflow_factor - 1)
        day, hour = np.r_[day, day[extra]], np.r_[hour, hour[extra]]
        n_txn = len(day)
    t0 = day * US_PER_DAY + hour * 3600 * US_PER_S + rng.integers(0, 3600 * US_PER_S, n_txn)

    # variants active on each day (a prompt change swaps variants at a given day)
    var_idx = np.empty(n_txn, dtype=np.int64)
    weights = np.array([v.weight for v in uc.variants])
    active = np.array(
        [
            [(v.first_day is None or d >= v.first_day) and (v.last_day is None or d <= v.last_day) for v in uc.variants]
            for d in range(days)
        ]
    )
    p_day = active * weights
    p_day = p_day / p_day.sum(axis=1, keepdims=True)
    u = rng.random(n_txn)
    cdf = np.cumsum(p_day, axis=1)[day]
    var_idx = (u[:, None] > cdf).sum(axis=1).clip(0, len(uc.variants) - 1)

    if uc.kind == "conversation":
        k = 1 + rng.geometric(1.0 / uc.calls_mean, n_txn) - 1
        k = np.clip(k, 1, 20)
    elif uc.kind == "agent":
        k = np.clip(3 + rng.poisson(uc.calls_mean - 3, n_txn), 2, 15)
    else:
        k = np.ones(n_txn, dtype=np.int64)
    k = k.astype(np.int64)
    runaway = np.zeros(n_txn, dtype=bool)
    if uc.kind == "agent":  # a runaway loop: part of the day's transactions take runaway_factor times the steps
        runaway_day = round(days * INCIDENTS.runaway_day_fraction)
        runaway = (day == runaway_day) & (irng.random(n_txn) < INCIDENTS.runaway_share)
        k = np.where(runaway, k * INCIDENTS.runaway_factor, k)
    group, pos = _group_index(k)
    n = int(k.sum())

    # --- per call: route, tokens ---------------------------------------------------------------------
    v_of = var_idx[group]
    in_scale = np.array([v.input_scale for v in uc.variants])[v_of]
    out_scale = np.array([v.output_scale for v in uc.variants])[v_of]
    route_code = np.empty(n, dtype=np.int64)
    for vi, v in enumerate(uc.variants):
        sel = np.flatnonzero(v_of == vi)
        codes = np.array([tables.route(r) for r, _ in v.routes])
        rw = np.array([w for _, w in v.routes])
        if uc.kind == "agent" and len(codes) > 1:
            # the planning step runs on the first (larger) model, tool steps on the others
            rest = rng.choice(codes[1:], size=len(sel), p=rw[1:] / rw[1:].sum())
            route_code[sel] = np.where(pos[sel] == 0, codes[0], rest)
        else:
            route_code[sel] = rng.choice(codes, size=len(sel), p=rw / rw.sum())
    if uc.use_case_id == "doc_summarizer":  # silently pointed at Claude Opus 4.5 (real time) for a day
        switched = day[group] == round(days * INCIDENTS.model_switch_day_fraction)
        route_code[switched] = tables.route(ANTHROPIC_OPUS)
    variant_code = np.array([tables.variant(uc.use_case_id, v.variant_id) for v in uc.variants])[v_of]

    new_in = np.rint(_lognormal(rng, uc.input_median, uc.input_sigma, n) * in_scale).astype(np.int64)
    out = np.rint(_lognormal(rng, uc.output_median, uc.output_sigma, n) * out_scale).astype(np.int64)
    if uc.long_context_share > 0:
        long = rng.random(n) < uc.long_context_share
        new_in = np.where(long, rng.integers(205_000, 420_000, n), np.minimum(new_in, 190_000))
    system = np.full(n, uc.system_tokens, dtype=np.int64)
    cached = np.zeros(n, dtype=np.int64)
    cache_write = np.zeros(n, dtype=np.int64)
    cache_ttl = np.zeros(n, dtype=np.int64)

    if uc.kind in ("conversation", "agent"):
        # context creep: every call re-sends the system prompt and the whole history
        history = _exclusive_group_cumsum(new_in + out, k)
        inp = system + history + new_in
        prev_prefix = np.where(pos > 0, inp - new_in - (np.roll(new_in + out, 1)), 0)
        prev_prefix = np.maximum(prev_prefix, 0)
        if uc.cache.startswith("anthropic"):
            # explicit prefix caching: turn 0 writes the system prompt; later turns read the old prefix
            # and write the previous exchange
            cached = np.where(pos > 0, prev_prefix, 0)
            cache_write = np.where(pos > 0, inp - new_in - prev_prefix, system)
            if uc.use_case_id == "support_chatbot":
                # a prompt change puts a timestamp before the system prompt: no call reads the cache, each
                # writes its whole prefix again
                broken = day[group] == round(days * INCIDENTS.cache_break_day_fraction)
                cache_write = np.where(broken, inp - new_in, cache_write)
                cached = np.where(broken, 0, cached)
            cache_ttl = np.where(cache_write > 0, 1 if uc.cache == "anthropic_5m" else 2, 0)
        elif uc.cache == "automatic":
            # automatic prefix caching in 128-token blocks once the prefix reaches 1,024 tokens
            block = (prev_prefix // 128) * 128
            cached = np.where((pos > 0) & (prev_prefix >= 1024), block, 0)
    else:
        inp = system + new_in
        if uc.cache == "automatic":
            hit = rng.random(n) < 0.6
            cached = np.where(hit & (system >= 1024), (system // 128) * 128, 0)

    reasoning = np.zeros(n, dtype=np.int64)
    if uc.reasoning_share > 0:
        reasoning = np.rint(out * rng.uniform(uc.reasoning_share * 0.6, min(0.95, uc.reasoning_share * 1.3), n))
        reasoning = reasoning.astype(np.int64)
    image = np.zeros(n, dtype=np.int64)
    if uc.image_tokens_median > 0:
        image = _lognormal(rng, uc.image_tokens_median, 0.4, n) * (1 + rng.poisson(0.6, n))
        inp = inp + image
    audio_in = np.rint(new_in * uc.audio_share_input).astype(np.int64)
    audio_out = np.rint(out * uc.audio_share_output).astype(np.int64)

    # --- failures, retries, throttling ---------------------------------------------------------------
    status = np.zeros(n, dtype=np.int64)
    if uc.error_rate or uc.timeout_rate:
        r = rng.random(n)
        status = np.where(r < uc.error_rate, 1, np.where(r < uc.error_rate + uc.timeout_rate, 3, 0))
    call_offset = _exclusive_group_cumsum(rng.integers(2 * US_PER_S, 40 * US_PER_S, n), k)
    t = t0[group] + call_offset
    if uc.kind == "agent":
        throttle_day = round(days * INCIDENTS.throttle_day_fraction)
        tod = t % US_PER_DAY
        in_incident = (t // US_PER_DAY == throttle_day) & (tod >= 14 * 3600 * US_PER_S) & (tod < 18 * 3600 * US_PER_S)
        status = np.where(in_incident & (rng.random(n) < INCIDENTS.throttle_share), 2, status)
        status = np.where(runaway[group] & (irng.random(n) < INCIDENTS.runaway_error_rate), 1, status)
    failed = status > 0
    # a failed call is retried once (attempt 2, success); the failure keeps the tokens it consumed
    rep = np.where(failed, 2, 1)
    idx = np.repeat(np.arange(n), rep)
    first = np.ones(len(idx), dtype=bool)
    first[1:] = idx[1:] != idx[:-1]
    attempt = np.where(first, 1, 2)
    st = np.where(first, status[idx], 0)

    def rep_(a: np.ndarray) -> np.ndarray:
        return a[idx]

    out_r = rep_(out)
    # error: input billed, no output; timeout: a part of the output streamed; throttled: nothing
    out_r = np.where(st == 1, 0, np.where(st == 3, out_r // 3, out_r))
    zero = st == 2
    inp_r = np.where(zero, 0, rep_(inp))
    cached_r = np.where(zero, 0, rep_(cached))
    write_r = np.where(zero, 0, rep_(cache_write))
    out_r = np.where(zero, 0, out_r)
    reasoning_r = np.minimum(np.where(zero, 0, rep_(reasoning)), out_r)
    audio_out_r = np.minimum(np.where(zero, 0, rep_(audio_out)), out_r - reasoning_r)
    route_r = rep_(route_code)
    tps = np.array([r.tokens_per_second for r in tables.routes])[route_r]
    ttft_base = np.array([r.ttft_ms for r in tables.routes])[route_r]
    ttft = np.rint(ttft_base * rng.lognormal(0, 0.35, len(idx))).astype(np.int64)
    latency = ttft + np.rint(out_r / tps * 1000).astype(np.int64)
    backoff = np.where(attempt == 2, rng.integers(1 * US_PER_S, 20 * US_PER_S, len(idx)), 0)
    ts = rep_(t) + backoff + np.where(attempt == 2, latency * 1000, 0)
    if uc.kind == "batch":
        ttft = np.full(len(idx), -1)
        latency = latency * 20  # batch jobs finish within the 24h window; per-request latency is queue time

    events = {
        "ts_us": ts,
        "txn": rep_(group) + txn_offset,
        "turn": rep_(pos),
        "attempt": attempt,
        "route": route_r,
        "variant": rep_(variant_code),
        "input_tokens": inp_r,
        "cached_input_tokens": cached_r,
        "cache_write_tokens": write_r,
        "cache_ttl": np.where(write_r > 0, rep_(cache_ttl), 0),
        "output_tokens": out_r,
        "reasoning_tokens": reasoning_r,
        "image_input_tokens": np.where(zero, 0, rep_(image)),
        "audio_input_tokens": np.where(zero, 0, rep_(audio_in)),
        "audio_output_tokens": audio_out_r,
        "status": st,
        "ttft_ms": np.where(zero | (ttft < 0), -1, ttft),
        "latency_ms": np.where(zero, ttft // 10, latency),
        "user": rng.integers(0, 5000, n_txn)[rep_(group)],
    }

    # --- KPI outcomes per transaction ------------------------------------------------------------------
    kpis: dict[str, np.ndarray] = {}
    if uc.use_case_id is not None:
        p = np.array([v.success_rate for v in uc.variants])[var_idx]
        # a transaction whose last call failed for good cannot succeed
        success = rng.random(n_txn) < p
        end = t0 + call_offset[np.cumsum(k) - 1] + rng.integers(60 * US_PER_S, 3600 * US_PER_S, n_txn)
        primary_value = success.astype(np.float64)
        if uc.use_case_id == "code_review_bot":
            primary_value = np.where(success, 1 + rng.poisson(2.0, n_txn), 0).astype(np.float64)
        elif uc.use_case_id == "contract_extractor":
            primary_value = np.where(success, 3 + rng.poisson(6.0, n_txn), 0).astype(np.float64)
        txn_ids = np.arange(n_txn) + txn_offset
        kpis = {
            "ts_us": end,
            "txn": txn_ids,
            "variant": variant_code[np.cumsum(k) - k],
            "kpi": np.zeros(n_txn, dtype=np.int64),
            "value": primary_value,
        }
        if "csat_score" in uc.extra_kpis:
            rated = rng.random(n_txn) < 0.3
            score = np.clip(np.rint(np.where(success, 4.2, 2.6) + rng.normal(0, 0.8, n_txn)), 1, 5)
            kpis = {
                "ts_us": np.concatenate([kpis["ts_us"], end[rated] + 30 * US_PER_S]),
                "txn": np.concatenate([kpis["txn"], txn_ids[rated]]),
                "variant": np.concatenate([kpis["variant"], kpis["variant"][rated]]),
                "kpi": np.concatenate([kpis["kpi"], np.ones(int(rated.sum()), dtype=np.int64)]),
                "value": np.concatenate([kpis["value"], score[rated]]),
            }
    return events, kpis


def generate(
    out_dir: str | Path,
    events: int = 200_000,
    days: int = DEFAULT_DAYS,
    start: date = DEFAULT_START,
    seed: int = 42,
    file_format: str = "parquet",
    real_formats: bool = False,
    cur_layout: str = "landing",
) -> GeneratorResult:
    """Write a landing folder of demo usage events and KPI events; returns counts and timing.

    With real_formats, four use cases' traffic is written the way real systems emit it instead of as
    canonical events, so the demo exercises those readers: support_chatbot (Anthropic) as OpenTelemetry
    GenAI spans (OTLP/JSON lines, the trace id as transaction id, the use case as a resource attribute),
    contract_extractor (Bedrock) as gzipped Bedrock model invocation logs (provisioned traffic under its
    provisioned-model ARN, attribution in requestMetadata), sales_email_writer (Bedrock and Azure behind a
    LiteLLM proxy) as LiteLLM spend logs (requester_metadata), and doc_summarizer (Anthropic batch) as the
    team's log of Messages API responses (usage objects with its metadata). The providers' aggregated
    usage reports are written too, over all of each provider's traffic, one page per day: the OpenAI Usage
    API (grouped by project, API key, model, batch, service tier; one project per use case) and the
    Anthropic Admin usage report (grouped by API key, workspace, model, tier, context window). Those days
    are covered by per-request sources, so the reports only reconcile (rpt_usage_report_coverage).
    """
    if file_format not in ("parquet", "jsonl"):
        raise ValueError(f"file_format must be parquet or jsonl, not {file_format!r}")
    if events < 100 or days < 1:
        raise ValueError("need at least 100 events and 1 day")
    if events >= 10**9:  # the ids' digits (_padded); the bench writes larger landings in shards
        raise ValueError("at most 999,999,999 events in one call")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    tables = _Tables()
    out = Path(out_dir)
    ev_parts: list[dict[str, np.ndarray]] = []
    kpi_parts: list[dict[str, np.ndarray]] = []
    uc_codes = []
    txn_offset = 0
    total_share = sum(uc.share for uc in USE_CASES)
    for ui, uc in enumerate(USE_CASES):
        ev, kp = _use_case_events(rng, uc, int(events * uc.share / total_share), start, days, tables, txn_offset)
        ev = _narrow(ev)
        ev["use_case"] = np.full(len(ev["ts_us"]), ui, dtype=np.int8)
        ev_parts.append(ev)
        if kp:
            kp["use_case"] = np.full(len(kp["ts_us"]), ui)
            kpi_parts.append(kp)
        txn_offset = int(ev["txn"].max()) + 1
        uc_codes.append(uc.use_case_id)

    ev_all = {c: np.concatenate([p[c] for p in ev_parts]) for c in ev_parts[0]}
    # saturated provisioned deployments spill over to pay-as-you-go or throttle (429)
    ev_all, tables.routes = apply_capacity(ev_all, tables.routes, start)
    n = len(ev_all["ts_us"])
    # late and duplicated deliveries land in the next day's file
    late = rng.random(n) < INCIDENTS.late_share
    dup = np.flatnonzero(rng.random(n) < INCIDENTS.duplicate_share)
    rows = np.concatenate([np.arange(n), dup])
    lag = np.concatenate([late.astype(np.int8), np.ones(len(dup), dtype=np.int8)])
    # the rows in arrival-day order (the use cases written in other formats first), so that each day's file of
    # canonical events is written from a slice of them
    routed_codes = [ui for ui, uc in enumerate(USE_CASES) if real_formats and uc.use_case_id in REAL_FORMAT_CASES]
    arrival = ev_all["ts_us"][rows] // US_PER_DAY + lag
    is_routed = np.isin(ev_all["use_case"][rows], routed_codes)
    routed = int(is_routed.sum())  # the rows before the first canonical event
    order = np.argsort(np.where(is_routed, -1, arrival), kind="stable")
    rows, lag, arrival = rows[order], lag[order], arrival[order]
    ev_all = {c: a[rows] for c, a in ev_all.items()}
    ev_all["idx"] = rows
    ev_all["arrival_lag"] = lag
    kpi_all = {c: np.concatenate([p[c] for p in kpi_parts]) for c in kpi_parts[0]}
    kpi_day = kpi_all["ts_us"] // US_PER_DAY
    order = np.argsort(kpi_day, kind="stable")
    kpi_all, kpi_day = {c: a[order] for c, a in kpi_all.items()}, kpi_day[order]

    start_us = int(np.datetime64(start.isoformat(), "us").astype(np.int64))
    con = duckdb.connect()
    con.execute("set preserve_insertion_order=false")
    con.execute("set enable_progress_bar=false")
    con.register("ev", pa.table(ev_all))
    _table(
        con,
        "routes",
        pa.table(
            {
                "route": list(range(len(tables.routes))),
                **{
                    f: [getattr(r, f) for r in tables.routes]
                    for f in (
                        "platform",
                        "raw_model",
                        "region",
                        "region_scope",
                        "capacity_type",
                        "service_tier",
                        "deployment_id",
                    )
                },
            }
        ),
    )
    _table(
        con,
        "variants",
        pa.table(
            {
                "variant": list(range(len(tables.variants))),
                "use_case_id": [u for u, _ in tables.variants],
                "variant_id": [v for _, v in tables.variants],
            }
        ),
    )
    _table(
        con,
        "use_cases",
        pa.table(
            {
                "use_case": list(range(len(USE_CASES))),
                "team": [uc.team for uc in USE_CASES],
                "conversational": [uc.kind == "conversation" for uc in USE_CASES],
                "primary_kpi": [_primary_kpi(uc.use_case_id) for uc in USE_CASES],
            }
        ),
    )
    # the generator writes only into an empty folder or over a demo it wrote before (its manifest lists the
    # files); it writes into a private folder first and moves the files in, never over a file it did not write
    destination = out
    clear_previous_demo(destination)
    destination.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(dir=destination, prefix=".generating-"))
    ext = "parquet" if file_format == "parquet" else "json"
    copy_opts = "format parquet, compression zstd" if file_format == "parquet" else "format json"

    def ts_sql(col: str) -> str:
        if file_format == "parquet":
            return f"make_timestamptz({col} + {start_us})"
        return f"strftime(make_timestamp({col} + {start_us}), '%Y-%m-%dT%H:%M:%S.%fZ')"

    otel_cases = OTEL_CASES if real_formats else ()
    bedrock_cases = BEDROCK_CASES if real_formats else ()
    litellm_cases = LITELLM_CASES if real_formats else ()
    message_cases = MESSAGE_CASES if real_formats else ()
    canonical = f"""
          select
            {_padded(f"req_{seed}_", "ev.idx", 10)} as event_id,
            {ts_sql("ev.ts_us")} as occurred_at,
            r.platform,
            r.raw_model as model,
            r.region,
            r.region_scope,
            r.deployment_id,
            r.capacity_type,
            r.service_tier,
            v.use_case_id,
            case when v.use_case_id is null then null else v.variant_id end as variant_id,
            {_padded(f"txn_{seed}_", "ev.txn", 9)} as transaction_id,
            case when u.conversational then {_padded(f"conv_{seed}_", "ev.txn", 9)} end as conversation_id,
            ev.turn::integer as turn_index,
            ev.turn::integer as step_index,
            u.team,
            'production' as environment,
            'key_' || coalesce(v.use_case_id, 'dev') as api_key_id,
            {_padded("user", "ev.user", 4)} || '@corp.example.com' as user_id,
            ev.input_tokens::bigint as input_tokens,
            ev.cached_input_tokens::bigint as cached_input_tokens,
            ev.cache_write_tokens::bigint as cache_write_tokens,
            case ev.cache_ttl when 1 then '5m' when 2 then '1h' end as cache_write_ttl,
            ev.output_tokens::bigint as output_tokens,
            ev.reasoning_tokens::bigint as reasoning_tokens,
            ev.image_input_tokens::bigint as image_input_tokens,
            ev.audio_input_tokens::bigint as audio_input_tokens,
            ev.audio_output_tokens::bigint as audio_output_tokens,
            ['success','error','throttled','timeout','filtered'][ev.status + 1] as status,
            [200, 500, 429, 408, 400][ev.status + 1] as http_status,
            ev.attempt::integer as attempt,
            case when ev.ttft_ms >= 0 then ev.ttft_ms::bigint end as ttft_ms,
            ev.latency_ms::bigint as latency_ms,
            ev.ts_us + {start_us} as ts_abs_us,
            strftime(make_timestamp(ev.ts_us + {start_us}) + to_days(ev.arrival_lag::integer), '%Y-%m-%d') as day
          from ev
          join routes r using (route)
          join variants v using (variant)
          join use_cases u using (use_case)
        """
    con.execute(f"create temp view canonical_events as {canonical}")
    _write_days(
        con,
        "ev",
        pa.table(ev_all),
        arrival,
        routed,
        f"select * exclude (ts_abs_us) from ({canonical})",
        out / "usage_events",
        ext,
        copy_opts,
        start,
    )
    if otel_cases:
        _write_otel(con, out / "otel_spans", otel_cases)
    if bedrock_cases:
        _write_bedrock(con, out / "bedrock_invocations", bedrock_cases)
    if litellm_cases:
        _write_litellm(con, out / "litellm_spend_logs", litellm_cases)
    if message_cases:
        _write_anthropic_messages(con, out / "anthropic_messages", message_cases)
    if real_formats:
        _write_openai_usage_report(con, out / "openai_usage")
        _write_anthropic_usage_report(con, out / "anthropic_usage")
        write_billing_exports(con, out, start, days, cur_layout=cur_layout)
    plain_txn = _padded(f"txn_{seed}_", "kp.txn", 9)
    trace_id = (
        f"case when v.use_case_id in ({', '.join(repr(c) for c in otel_cases)}) "
        f"then md5({plain_txn}) else {plain_txn} end"
        if otel_cases
        else plain_txn
    )
    _write_days(
        con,
        "kp",
        pa.table(kpi_all),
        kpi_day,
        0,
        f"""
          select
            -- one event per transaction and KPI: the pair is the id (no sort of every KPI event to number them)
            {_padded(f"kpi_{seed}_", "kp.txn", 10)} || '_' || kp.kpi as kpi_event_id,
            {ts_sql("kp.ts_us")} as occurred_at,
            v.use_case_id,
            v.variant_id,
            {trace_id} as transaction_id,
            case when kp.kpi = 0 then u.primary_kpi else 'csat_score' end as kpi_id,
            kp.value,
            strftime(make_timestamp(kp.ts_us + {start_us}), '%Y-%m-%d') as day
          from kp
          join variants v using (variant)
          join use_cases u using (use_case)
        """,
        out / "kpi_events",
        ext,
        copy_opts,
        start,
    )
    if ext == "json":
        for p in out.rglob("*.json"):
            p.rename(p.with_suffix(".jsonl"))
    n_events = len(ev_all["ts_us"])
    n_kpi = len(kpi_all["ts_us"])
    result = GeneratorResult(
        out_dir=str(destination),
        events=n_events,
        kpi_events=n_kpi,
        transactions=txn_offset,
        days=days,
        start=start.isoformat(),
        seed=seed,
        seconds=round(time.perf_counter() - started, 3),
        file_format=file_format,
    )
    publish_demo(out, destination, asdict(result))
    return result


# consecutive days are written by one statement until they hold this many rows: a day each in a 2.5M-event shard
# (~28k rows a day), about a week each in the demo
ROWS_PER_STATEMENT = 25_000


def _write_days(
    con: duckdb.DuckDBPyConnection,
    name: str,
    rows: pa.Table,
    days: np.ndarray,
    first: int,
    select: str,
    folder: Path,
    ext: str,
    copy_opts: str,
    start: date,
) -> None:
    """`select` over the rows `first:` of `rows` (the table `name`), one file per day in `folder`:
    `day=<day>/<folder name>_0.<ext>`. The rows are in day order (`days`: each row's day after `start`; the
    select's column `day` names the same day). Runs of consecutive days of at least ROWS_PER_STATEMENT rows are
    written a statement each, the machine's cores at a time on cursors of `con`: a run of one day by a COPY to
    its file, a run of several by a partitioned COPY (`partition_by (day)`). In a 2.5M-event shard, the
    partitioned COPY of all days at once took twice as long as a COPY per day (3.8 s against 1.9 s), and one
    day's rows by a partitioned COPY 1.5 times as long as to its file (91 days: 2.9 s against 1.9 s)."""
    cuts = np.flatnonzero(np.diff(days[first:])) + 1 + first  # where a day starts
    runs, lo = [], first
    for cut in cuts.tolist():
        if cut - lo >= ROWS_PER_STATEMENT:
            runs.append((lo, cut))
            lo = cut
    if lo < len(days):
        runs.append((lo, len(days)))

    def write(lo: int, hi: int) -> None:
        cursor = con.cursor()
        try:
            cursor.register(name, rows.slice(lo, hi - lo))
            if days[lo] == days[hi - 1]:
                day_folder = folder / f"day={start + timedelta(days=int(days[lo]))}"
                day_folder.mkdir(parents=True)
                target = f"'{day_folder / f'{folder.name}_0.{ext}'}' ({copy_opts})"
                cursor.execute(f"copy (select * exclude (day) from ({select})) to {target}")
            else:
                cursor.execute(
                    f"copy ({select}) to '{folder}' ({copy_opts}, partition_by (day), overwrite_or_ignore true, "
                    f"filename_pattern '{folder.name}_{{i}}')"
                )
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda run: write(*run), runs))


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> None:
    """A small dimension table in the database, so that the connection's cursors see it too."""
    con.register(f"{name}_rows", rows)
    con.execute(f"create table {name} as select * from {name}_rows")
    con.unregister(f"{name}_rows")


MANIFEST = "_manifest.json"


class DemoFolderError(RuntimeError):
    """The folder holds something other than a demo this generator wrote."""


def _files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def check_demo_folder(out: Path) -> list[str] | None:
    """The files a previous demo in `out` wrote (its manifest's list), None for a missing or empty folder;
    DemoFolderError for anything else (a folder holding other files, a file)."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise DemoFolderError(f"{out} is not a folder: demo data goes into an empty folder")
    if not any(out.iterdir()):
        return None
    manifest = out / MANIFEST
    if not manifest.is_file():
        raise DemoFolderError(
            f"{out} is not empty and holds no demo data ({MANIFEST} is missing): refusing to write demo data "
            "there. Choose an empty folder (genai-finops demo --dir DIR); to build your own data, use "
            "`genai-finops run`."
        )
    files = json.loads(manifest.read_text()).get("files")
    if not isinstance(files, list):
        raise DemoFolderError(f"{manifest} lists no files (an older demo): remove {out} yourself to regenerate")
    return files


def clear_previous_demo(out: Path) -> None:
    """Make `out` ready for demo data: a missing or empty folder is; a folder holding a previous demo (its
    manifest lists the files it wrote) has exactly those files removed, and the folders they leave empty;
    anything else is refused. Nothing the generator did not write is ever removed or overwritten."""
    files = check_demo_folder(out)
    if files is None:
        return
    manifest = out / MANIFEST
    root = out.resolve()
    for rel in files:
        path = out / rel
        if path.resolve().is_relative_to(root) and path.is_file() and not path.is_symlink():
            path.unlink()
    manifest.unlink()
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _move_tree(src: Path, dest: Path) -> None:
    """Move what `src` holds into the folder `dest`: an entry `dest` lacks is renamed whole (a folder of days in
    one step), a folder both hold is merged entry by entry. No folder is created and then removed for each file:
    on a file system that scans recently freed inodes when it allocates one (ext4 without a journal), thousands
    of removed folders make every later file of the run slower to create."""
    for entry in src.iterdir():
        target = dest / entry.name
        if not target.exists() and not target.is_symlink():
            entry.rename(target)
        elif target.is_dir() and not target.is_symlink() and entry.is_dir() and not entry.is_symlink():
            _move_tree(entry, target)
        else:  # publish_demo checked that no file clashes: a file where a folder is (or the reverse)
            raise DemoFolderError(f"{target} is in the way of the demo's {entry.name}: refusing to overwrite")


def publish_demo(written: Path, out: Path, manifest: dict) -> list[str]:
    """Move the files of a private generation folder into `out` (never over an existing file), then write the
    manifest listing them."""
    files = _files_under(written)
    clashes = [rel for rel in files if (out / rel).exists()]
    if clashes:
        shutil.rmtree(written, ignore_errors=True)
        raise DemoFolderError(f"{out} already holds {clashes[0]} (not written by the generator): refusing to overwrite")
    _move_tree(written, out)
    shutil.rmtree(written, ignore_errors=True)
    (out / MANIFEST).write_text(json.dumps({**manifest, "files": files}, indent=2) + "\n")
    return files


def _attr(key: str, value_sql: str, kind: str = "stringValue") -> str:
    other = "intValue" if kind == "stringValue" else "stringValue"
    return f"{{'key': '{key}', 'value': {{'{kind}': cast({value_sql} as varchar), '{other}': cast(null as varchar)}}}}"


def _write_otel(con: duckdb.DuckDBPyConnection, folder: Path, use_cases: tuple[str, ...]) -> None:
    """The use cases' calls as OTLP/JSON lines (one ExportTraceServiceRequest per call), as the collector's
    file exporter writes them. Content attributes are not emitted: the demo has no prompts to leak."""
    span_attrs = ", ".join(
        [
            _attr("gen_ai.provider.name", "platform"),
            _attr("gen_ai.operation.name", "'chat'"),
            _attr("gen_ai.request.model", "model"),
            _attr("gen_ai.response.model", "model"),
            _attr("gen_ai.response.id", "event_id"),
            _attr("gen_ai.conversation.id", "conversation_id"),
            _attr("genai_finops.variant", "variant_id"),
            _attr("gen_ai.usage.input_tokens", "input_tokens", "intValue"),
            _attr("gen_ai.usage.output_tokens", "output_tokens", "intValue"),
            _attr("gen_ai.usage.cache_read.input_tokens", "cached_input_tokens", "intValue"),
            _attr("gen_ai.usage.cache_creation.input_tokens", "cache_write_tokens", "intValue"),
            _attr("gen_ai.usage.reasoning.output_tokens", "reasoning_tokens", "intValue"),
        ]
    )
    resource_attrs = ", ".join(
        [
            _attr("service.name", "team"),
            _attr("genai_finops.use_case", "use_case_id"),
            _attr("deployment.environment.name", "environment"),
        ]
    )
    cases = ", ".join(f"'{c}'" for c in use_cases)
    con.execute(
        f"""
        copy (
          select
            [{{
              'resource': {{'attributes': [{resource_attrs}]}},
              'scopeSpans': [{{
                'scope': {{'name': 'genai-finops-demo', 'version': '1'}},
                'spans': [{{
                  'traceId': md5(transaction_id),
                  'spanId': left(md5(event_id || cast(attempt as varchar)), 16),
                  'name': 'chat ' || model,
                  'kind': 3,
                  'startTimeUnixNano': cast(ts_abs_us * 1000 as varchar),
                  'endTimeUnixNano': cast((ts_abs_us + coalesce(latency_ms, 0) * 1000) * 1000 as varchar),
                  'attributes': [{span_attrs}],
                  'status': {{'code': case when status = 'success' then 0 else 2 end}}
                }}]
              }}]
            }}] as resourceSpans,
            day
          from canonical_events
          where use_case_id in ({cases})
        ) to '{folder}' (format json, partition_by (day), filename_pattern 'spans_{{i}}')
        """
    )
    for p in folder.rglob("*.json"):
        p.rename(p.with_suffix(".jsonl"))


def _write_bedrock(con: duckdb.DuckDBPyConnection, folder: Path, use_cases: tuple[str, ...]) -> None:
    """The use cases' calls as Bedrock model invocation log records (gzipped JSON lines). Bedrock counts
    input without cache reads and writes; provisioned calls name their provisioned-model ARN."""
    cases = ", ".join(f"'{c}'" for c in use_cases)
    con.execute(
        f"""
        copy (
          select
            'ModelInvocationLog' as schemaType,
            '1.0' as schemaVersion,
            strftime(make_timestamp(ts_abs_us), '%Y-%m-%dT%H:%M:%S.%fZ') as "timestamp",
            '123456789012' as accountId,
            {{'arn': 'arn:aws:sts::123456789012:assumed-role/' || team || '/' || user_id}} as identity,
            region,
            event_id as requestId,
            'Converse' as operation,
            case when capacity_type = 'provisioned' then deployment_id else model end as modelId,
            case status
                when 'throttled' then 'ThrottlingException'
                when 'error' then 'InternalServerException'
                when 'timeout' then 'ModelTimeoutException'
                when 'filtered' then 'ValidationException'
            end as errorCode,
            {{
              'inputTokenCount': input_tokens - cached_input_tokens - cache_write_tokens,
              'cacheReadInputTokenCount': cached_input_tokens,
              'cacheWriteInputTokenCount': cache_write_tokens
            }} as input,
            {{'outputTokenCount': output_tokens}} as output,
            {{
              'use_case': use_case_id, 'variant': variant_id, 'team': team,
              'transaction_id': transaction_id, 'user_id': user_id
            }} as requestMetadata,
            day
          from canonical_events
          where use_case_id in ({cases})
        ) to '{folder}' (format json, compression gzip, partition_by (day), filename_pattern 'invocations_{{i}}')
        """
    )
    for p in folder.rglob("*"):
        if p.is_file() and not p.name.endswith(".json.gz"):
            p.rename(p.with_name(p.name.split(".")[0] + ".json.gz"))


def _json_lines(folder: Path, suffix: str = ".jsonl") -> None:
    for p in folder.rglob("*.json"):
        p.rename(p.with_suffix(suffix))


def _write_litellm(con: duckdb.DuckDBPyConnection, folder: Path, use_cases: tuple[str, ...]) -> None:
    """The use cases' calls as rows of a LiteLLM proxy's spend-log table exported as JSON lines: provider
    prefix on the model, prompt tokens OpenAI-style (cache included), hashed virtual key per team, the
    caller's requester_metadata, failures with LiteLLM's error_information. No messages stored (the proxy
    runs with store_prompts_in_spend_logs off)."""
    cases = ", ".join(f"'{c}'" for c in use_cases)
    con.execute(
        f"""
        copy (
          select
            event_id as request_id,
            'acompletion' as call_type,
            sha256('sk-litellm-' || team) as api_key,
            team as team_id,
            case when status = 'success' then 'success' else 'failure' end as status,
            strftime(make_timestamp(ts_abs_us), '%Y-%m-%dT%H:%M:%S.%fZ') as startTime,
            strftime(make_timestamp(ts_abs_us + coalesce(latency_ms, 0) * 1000), '%Y-%m-%dT%H:%M:%S.%fZ') as endTime,
            case when ttft_ms is not null
                then strftime(make_timestamp(ts_abs_us + ttft_ms * 1000), '%Y-%m-%dT%H:%M:%S.%fZ') end
                as completionStartTime,
            case platform when 'aws_bedrock' then 'bedrock/' when 'azure_openai' then 'azure/' else '' end || model
                as model,
            model as model_group,
            case platform when 'aws_bedrock' then 'bedrock' when 'azure_openai' then 'azure' else platform end
                as custom_llm_provider,
            user_id as "user",
            input_tokens as prompt_tokens,
            output_tokens as completion_tokens,
            input_tokens + output_tokens as total_tokens,
            -- LiteLLM's own estimate: its price map's current input and output rates, no cache discount
            round((input_tokens * p.input_usd_per_mtok + output_tokens * p.output_usd_per_mtok) / 1000000, 10)
                as spend,
            {{
              'usage_object': {{
                'prompt_tokens_details': {{'cached_tokens': cached_input_tokens}},
                'cache_creation_input_tokens': cache_write_tokens,
                'completion_tokens_details': {{'reasoning_tokens': reasoning_tokens}}
              }},
              'requester_metadata': {{
                'use_case': use_case_id, 'variant': variant_id, 'transaction_id': transaction_id
              }},
              'error_information': case when status <> 'success'
                then {{'error_code': cast(http_status as varchar), 'error_class': status}} end
            }} as metadata,
            day
          from canonical_events
          left join (
            select a.raw_model as price_model, p.platform as price_platform,
                   cast(p.input_usd_per_mtok as double) as input_usd_per_mtok,
                   cast(p.output_usd_per_mtok as double) as output_usd_per_mtok
            from read_csv('{SEEDS_DIR / "model_aliases.csv"}', header = true, all_varchar = true) as a
            join read_csv('{SEEDS_DIR / "model_prices.csv"}', header = true, all_varchar = true) as p
                on a.model_id = p.model_id and p.service_tier = 'standard'
            qualify row_number() over (partition by a.raw_model, p.platform order by p.valid_from desc) = 1
          ) as p on canonical_events.model = p.price_model and canonical_events.platform = p.price_platform
          where use_case_id in ({cases})
        ) to '{folder}' (format json, partition_by (day), filename_pattern 'spend_logs_{{i}}')
        """
    )
    _json_lines(folder)


def _write_anthropic_messages(con: duckdb.DuckDBPyConnection, folder: Path, use_cases: tuple[str, ...]) -> None:
    """The use cases' calls as a team's log of Anthropic Messages API responses: its time and metadata
    around the response, whose usage counts input without cache reads and writes (5m / 1h split)."""
    cases = ", ".join(f"'{c}'" for c in use_cases)
    con.execute(
        f"""
        copy (
          select
            strftime(make_timestamp(ts_abs_us), '%Y-%m-%dT%H:%M:%S.%fZ') as logged_at,
            {{
              'use_case': use_case_id, 'variant': variant_id, 'transaction_id': transaction_id, 'team': team,
              'api_key_id': api_key_id, 'user_id': user_id
            }} as metadata,
            latency_ms,
            {{
              'id': event_id,
              'type': 'message',
              'role': 'assistant',
              'model': model,
              'stop_reason': 'end_turn',
              'usage': {{
                'input_tokens': input_tokens - cached_input_tokens - cache_write_tokens,
                'cache_read_input_tokens': cached_input_tokens,
                'cache_creation_input_tokens': cache_write_tokens,
                'cache_creation': {{
                  'ephemeral_5m_input_tokens': case when cache_write_ttl = '1h' then 0 else cache_write_tokens end,
                  'ephemeral_1h_input_tokens': case when cache_write_ttl = '1h' then cache_write_tokens else 0 end
                }},
                'output_tokens': output_tokens,
                'service_tier': case when capacity_type = 'batch' then 'batch' else service_tier end
              }}
            }} as response,
            day
          from canonical_events
          where use_case_id in ({cases})
        ) to '{folder}' (format json, partition_by (day), filename_pattern 'messages_{{i}}')
        """
    )
    _json_lines(folder)


def _write_openai_usage_report(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """All OpenAI traffic as Usage API completions pages, one page (and file) per UTC day, landing the next
    day; results grouped by project (one per use case), API key, model, batch and service tier."""
    con.execute(
        f"""
        copy (
          with calls as (
            -- each call once: a log line delivered twice is one call to the provider
            select *, cast(make_timestamp(ts_abs_us) as date) as usage_day
            from canonical_events
            where platform = 'openai'
            qualify row_number() over (partition by event_id order by ts_abs_us, input_tokens, output_tokens) = 1
          ),
          results as (
            select
              usage_day,
              {{
                'object': 'organization.usage.completions.result',
                'input_tokens': sum(input_tokens),
                'input_cached_tokens': sum(cached_input_tokens),
                'input_cache_write_tokens': sum(cache_write_tokens),
                'input_uncached_tokens': sum(input_tokens - cached_input_tokens),
                'output_tokens': sum(output_tokens),
                'input_audio_tokens': sum(audio_input_tokens),
                'output_audio_tokens': sum(audio_output_tokens),
                'input_image_tokens': sum(image_input_tokens),
                'num_model_requests': count(*),
                'project_id': 'proj_' || coalesce(use_case_id, 'sandbox'),
                'user_id': null,
                'api_key_id': 'key_' || coalesce(use_case_id, 'sandbox'),
                'model': model,
                'batch': capacity_type = 'batch',
                'service_tier': case when service_tier = 'standard' then 'default' else service_tier end
              }} as result
            from calls
            group by usage_day, use_case_id, model, capacity_type, service_tier
          )
          select
            'page' as object,
            [{{
              'object': 'bucket',
              'start_time': epoch(usage_day)::bigint,
              'end_time': epoch(usage_day + 1)::bigint,
              'results': list(result order by result.project_id, result.model, result.service_tier)
            }}] as data,
            false as has_more,
            null as next_page,
            strftime(usage_day + 1, '%Y-%m-%d') as day
          from results
          group by usage_day
        ) to '{folder}' (format json, partition_by (day), filename_pattern 'usage_completions_{{i}}')
        """
    )


def _write_anthropic_usage_report(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """All Anthropic traffic as Admin API usage-report pages, one per UTC day, landing the next day; results
    grouped by API key, workspace (the team), model, service tier and context window."""
    con.execute(
        f"""
        copy (
          with calls as (
            -- each call once: a log line delivered twice is one call to the provider
            select *, cast(make_timestamp(ts_abs_us) as date) as usage_day
            from canonical_events
            where platform = 'anthropic'
            qualify row_number() over (partition by event_id order by ts_abs_us, input_tokens, output_tokens) = 1
          ),
          results as (
            select
              usage_day,
              {{
                'uncached_input_tokens': sum(input_tokens - cached_input_tokens - cache_write_tokens),
                'cache_creation': {{
                  'ephemeral_1h_input_tokens': sum(case when cache_write_ttl = '1h' then cache_write_tokens else 0 end),
                  'ephemeral_5m_input_tokens': sum(case when cache_write_ttl = '1h' then 0 else cache_write_tokens end)
                }},
                'cache_read_input_tokens': sum(cached_input_tokens),
                'output_tokens': sum(output_tokens),
                'server_tool_use': {{'web_search_requests': 0}},
                'api_key_id': api_key_id,
                'workspace_id': 'wrkspc_' || team,
                'model': model,
                'service_tier': case when capacity_type = 'batch' then 'batch' else service_tier end,
                'context_window': case when input_tokens > 200000 then '200k-1M' else '0-200k' end
              }} as result
            from calls
            group by usage_day, api_key_id, team, model, capacity_type, service_tier,
                     case when input_tokens > 200000 then '200k-1M' else '0-200k' end
          )
          select
            [{{
              'starting_at': strftime(usage_day, '%Y-%m-%dT00:00:00Z'),
              'ending_at': strftime(usage_day + 1, '%Y-%m-%dT00:00:00Z'),
              'results': list(result order by result.api_key_id, result.model, result.context_window)
            }}] as data,
            false as has_more,
            null as next_page,
            strftime(usage_day + 1, '%Y-%m-%d') as day
          from results
          group by usage_day
        ) to '{folder}' (format json, partition_by (day), filename_pattern 'usage_report_{{i}}')
        """
    )


def _primary_kpi(use_case_id: str | None) -> str | None:
    """The use case's primary KPI, read from the KPI definitions seed (one source of truth)."""
    with (SEEDS_DIR / "kpi_definitions.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["use_case_id"] == use_case_id and row["is_primary"].lower() == "true":
                return row["kpi_id"]
    return None
