"""The warehouse's prices checked against the maintained catalogs, model by model.

For every model the demo calls (platform, canonical model, region scope of its pay-as-you-go routes) and a
set of token mixes, one probe request per (model, mix) is priced by the warehouse itself (canonical events
through ingestion and dbt into `fct_genai_requests`) and by `genai-prices`' `calc_price` at the same date.
Each result says whether the two agree, and whether LiteLLM's catalog and genai-prices agree on the rates
the mix uses (so a difference can be read: the book follows LiteLLM where the two catalogs differ).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from orchestration.settings import SEEDS_DIR
from orchestration.tools.pricing.refresh import GenaiPricesCatalog, LiteLLMCatalog, NotInCatalog


@dataclass(frozen=True)
class Mix:
    name: str
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    audio_input_tokens: int = 0
    audio_output_tokens: int = 0
    needs: tuple[str, ...] = ()  # seed rate fields the mix prices beyond input / output


MIXES = (
    Mix("plain", 10_000, 1_000),
    Mix("cached", 10_000, 500, cached_input_tokens=8_000, needs=("cached_input_usd_per_mtok",)),
    Mix("cache_write_5m", 10_000, 500, cache_write_tokens=4_000, needs=("cache_write_5m_usd_per_mtok",)),
    Mix("long_context", 300_000, 2_000, needs=("input_above_usd_per_mtok", "output_above_usd_per_mtok")),
    Mix(
        "audio",
        1_000,
        500,
        audio_input_tokens=800,
        audio_output_tokens=400,
        needs=("audio_input_usd_per_mtok", "audio_output_usd_per_mtok"),
    ),
)
TOLERANCE = Decimal("0.0000000001")  # the warehouse stores money as DECIMAL(38,10)


@dataclass(frozen=True)
class Probe:
    platform: str
    model_id: str
    region_scope: str
    mix: Mix

    @property
    def event_id(self) -> str:
        return f"probe:{self.platform}:{self.model_id}:{self.region_scope}:{self.mix.name}"


@dataclass(frozen=True)
class Comparison:
    probe: Probe
    warehouse_usd: Decimal | None  # None: unpriced by the warehouse
    catalog_usd: Decimal | None  # None: the model is not in genai-prices
    catalogs_agree: bool | None  # LiteLLM and genai-prices on the rates the mix uses (None: one lacks the model)

    @property
    def status(self) -> str:
        if self.catalog_usd is None:
            return "not in genai-prices"
        if self.warehouse_usd is None:
            return "unpriced in warehouse"
        return "agree" if abs(self.warehouse_usd - self.catalog_usd) <= TOLERANCE else "differ"


def _read(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def demo_models() -> list[tuple[str, str, str]]:
    """(platform, canonical model, region scope) of every pay-as-you-go standard route of the demo."""
    from orchestration.tools.sample_data.scenario import USE_CASES

    aliases = {r["raw_model"]: r for r in _read("model_aliases")}
    found = set()
    for uc in USE_CASES:
        for variant in uc.variants:
            for route, _ in variant.routes:
                if route.capacity_type != "on_demand" or route.service_tier != "standard":
                    continue
                alias = aliases.get(route.raw_model)
                model_id = alias["model_id"] if alias else route.raw_model.lower()
                scope = route.region_scope or (alias and alias["implied_region_scope"]) or "global"
                found.add((route.platform, model_id, scope))
    return sorted(found)


def probes(models: list[tuple[str, str, str]] | None = None, day: date = date(2026, 3, 1)) -> list[Probe]:
    """One probe per model and mix. A mix that prices a token class (cache reads, writes, audio) is probed
    only where the price book or genai-prices has a rate for it: where neither has, the comparison says
    nothing (the warehouse flags such tokens unpriced; genai-prices charges them at the input rate)."""
    from orchestration.tools.pricing.refresh import current_prices

    book = current_prices(day)
    genai = GenaiPricesCatalog(day)
    mappings = _mappings()
    out = []
    for platform, model_id, scope in models or demo_models():
        rates = {k: v for k, v in (book.get((platform, model_id, scope, "standard")) or {}).items() if v}
        try:
            rates.update(genai.rates(mappings[(platform, model_id, scope)], "standard") or {})
        except (KeyError, NotInCatalog):
            pass
        for mix in MIXES:
            if mix.needs and not all(rates.get(f) for f in mix.needs):
                continue
            out.append(Probe(platform, model_id, scope, mix))
    return out


def write_probe_events(probe_list: list[Probe], day: date, landing: Path) -> Path:
    """The probes as canonical usage events (JSON lines) in `landing/usage_events/day=<day>/`."""
    folder = landing / "usage_events" / f"day={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "price_probes.jsonl"
    occurred = datetime.combine(day, time(12), tzinfo=UTC).isoformat()
    with path.open("w") as f:
        for p in probe_list:
            m = p.mix
            event = {
                "event_id": p.event_id,
                "occurred_at": occurred,
                "platform": p.platform,
                "model": p.model_id,
                "region_scope": p.region_scope,
                "capacity_type": "on_demand",
                "service_tier": "standard",
                "use_case_id": "price_probe",
                "input_tokens": m.input_tokens,
                "cached_input_tokens": m.cached_input_tokens,
                "cache_write_tokens": m.cache_write_tokens,
                "cache_write_ttl": "5m" if m.cache_write_tokens else None,
                "output_tokens": m.output_tokens,
                "audio_input_tokens": m.audio_input_tokens,
                "audio_output_tokens": m.audio_output_tokens,
            }
            f.write(json.dumps(event) + "\n")
    return path


def catalog_price(probe: Probe, day: date) -> Decimal | None:
    """genai-prices' calc_price for the probe (its input_tokens include cache reads and writes, as ours do)."""
    from genai_prices import Usage, calc_price

    mapping = _mappings().get((probe.platform, probe.model_id, probe.region_scope))
    if not mapping or not mapping["genai_prices_model"]:
        return None
    m = probe.mix
    usage = Usage(
        input_tokens=m.input_tokens,
        output_tokens=m.output_tokens,
        cache_read_tokens=m.cached_input_tokens,
        cache_write_tokens=m.cache_write_tokens,
        input_audio_tokens=m.audio_input_tokens,
        output_audio_tokens=m.audio_output_tokens,
    )
    at = datetime.combine(day, time(12), tzinfo=UTC)
    result = calc_price(
        usage, mapping["genai_prices_model"], provider_id=mapping["genai_prices_provider"], genai_request_timestamp=at
    )
    return result.total_price


def _mappings() -> dict[tuple[str, str, str], dict[str, str]]:
    return {(r["platform"], r["model_id"], r["region_scope"]): r for r in _read("price_catalog_keys")}


def catalogs_agree(probe: Probe, day: date, litellm: dict | None) -> bool | None:
    """Whether LiteLLM's and genai-prices' rates agree on every rate the mix prices."""
    mapping = _mappings().get((probe.platform, probe.model_id, probe.region_scope))
    if litellm is None or mapping is None:
        return None
    try:
        a = LiteLLMCatalog(litellm).rates(mapping, "standard") or {}
        b = GenaiPricesCatalog(day).rates(mapping, "standard") or {}
    except NotInCatalog:
        return None
    fields = ("input_usd_per_mtok", "output_usd_per_mtok", *probe.mix.needs)
    return all(
        (a.get(f) is None and b.get(f) is None) or (a.get(f) and b.get(f) and Decimal(a[f]) == Decimal(b[f]))
        for f in fields
    )


def compare(
    warehouse: dict[str, Decimal | None], day: date, litellm: dict | None, probe_list: list[Probe]
) -> list[Comparison]:
    """`warehouse`: event_id -> list-equivalent cost priced by the warehouse (None when unpriced)."""
    return [
        Comparison(p, warehouse[p.event_id], catalog_price(p, day), catalogs_agree(p, day, litellm)) for p in probe_list
    ]


def format_table(rows: list[Comparison]) -> str:
    lines = [f"{'platform/model/scope':<46} {'mix':<15} {'warehouse $':>14} {'genai-prices $':>14}  catalogs  status"]
    for r in rows:
        p = r.probe
        w = "unpriced" if r.warehouse_usd is None else f"{r.warehouse_usd:.6f}"
        c = "-" if r.catalog_usd is None else f"{r.catalog_usd:.6f}"
        agree = {True: "agree", False: "DIFFER", None: "-"}[r.catalogs_agree]
        lines.append(
            f"{p.platform + '/' + p.model_id + '/' + p.region_scope:<46} {p.mix.name:<15} {w:>14} {c:>14}  "
            f"{agree:<8}  {r.status}"
        )
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    lines.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return "\n".join(lines)


def warehouse_prices(probe_list: list[Probe], day: date, workdir: Path) -> dict[str, Decimal | None]:
    """Price the probes with the warehouse itself: canonical events landed, ingested, and built through dbt
    (`+fct_genai_requests`) in a warehouse of their own under `workdir`."""
    import os
    import subprocess
    import sys

    import duckdb

    from orchestration.datasets import dataset
    from orchestration.ingest.engine import ingest_day
    from orchestration.settings import PROJECT_DIR

    landing, lake = workdir / "landing", workdir / "lake"
    write_probe_events(probe_list, day, landing)
    ingest_day(dataset("usage_events"), day.isoformat(), str(landing), str(lake), "probe")
    env = {
        **os.environ,
        "FINOPS_DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
        "FINOPS_LAKE_DIR": str(lake),
        "FINOPS_LANDING_DIR": str(landing),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    cmd = [dbt, "build", "--select", "+fct_genai_requests", "--exclude", "test_type:data"]
    cmd += ["--project-dir", str(PROJECT_DIR), "--target-path", str(workdir / "target")]
    proc = subprocess.run(cmd, env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build of the price probes failed:\n{proc.stdout[-4000:]}")
    con = duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select event_id, case when pricing_status = 'priced' then list_equivalent_cost_usd end "
            "from marts.fct_genai_requests"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)
