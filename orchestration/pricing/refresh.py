"""Refresh the price book from a maintained catalog (LiteLLM's model_prices_and_context_window JSON).

For every (platform, model, region scope) of the price book that `seeds/reference/price_catalog_keys.csv`
maps to a catalog key, the catalog's per-token prices become per-1M-token rates in the seed's schema (base,
cached, cache writes 5m / 1h, output, reasoning, image, audio, the above-200k tier, the batch discount, and
the priority / flex tiers as rows of their own). The result is compared with the rows of the price book
in force today: what changed (field, old, new), what is new (a tier the book lacks), what the catalog does
not have. `--write` appends the changed and new rows, dated `--effective`, to a candidate file to review;
the reviewed price book stays the source of truth (it carries history and corrections the catalog lacks).
"""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "reference"
MTOK = Decimal(1_000_000)
RATE_FIELDS = (
    "input_usd_per_mtok",
    "cached_input_usd_per_mtok",
    "cache_write_5m_usd_per_mtok",
    "cache_write_1h_usd_per_mtok",
    "output_usd_per_mtok",
    "reasoning_usd_per_mtok",
    "image_input_usd_per_mtok",
    "audio_input_usd_per_mtok",
    "audio_output_usd_per_mtok",
    "long_context_threshold_tokens",
    "input_above_usd_per_mtok",
    "cached_input_above_usd_per_mtok",
    "cache_write_5m_above_usd_per_mtok",
    "cache_write_1h_above_usd_per_mtok",
    "output_above_usd_per_mtok",
    "batch_discount_pct",
)
# seed field -> catalog field (per token); a tier suffix (_priority, _flex) is appended for tier rows
CATALOG_FIELDS = {
    "input_usd_per_mtok": "input_cost_per_token",
    "cached_input_usd_per_mtok": "cache_read_input_token_cost",
    "cache_write_5m_usd_per_mtok": "cache_creation_input_token_cost",
    "cache_write_1h_usd_per_mtok": "cache_creation_input_token_cost_above_1hr",
    "output_usd_per_mtok": "output_cost_per_token",
    "reasoning_usd_per_mtok": "output_cost_per_reasoning_token",
    "image_input_usd_per_mtok": "input_cost_per_image_token",
    "audio_input_usd_per_mtok": "input_cost_per_audio_token",
    "audio_output_usd_per_mtok": "output_cost_per_audio_token",
    "input_above_usd_per_mtok": "input_cost_per_token_above_200k_tokens",
    "cached_input_above_usd_per_mtok": "cache_read_input_token_cost_above_200k_tokens",
    "cache_write_5m_above_usd_per_mtok": "cache_creation_input_token_cost_above_200k_tokens",
    "cache_write_1h_above_usd_per_mtok": "cache_creation_input_token_cost_above_1hr_above_200k_tokens",
    "output_above_usd_per_mtok": "output_cost_per_token_above_200k_tokens",
}


@dataclass(frozen=True)
class Change:
    key: tuple[str, str, str, str]  # platform, model_id, region_scope, service_tier
    kind: str  # changed | new_tier | not_in_catalog
    field: str | None = None
    old: str | None = None
    new: str | None = None


def load_catalog(path: str | Path) -> dict:
    raw = Path(path).read_bytes()
    if str(path).endswith(".gz"):
        raw = gzip.decompress(raw)
    return json.loads(raw)


def _per_mtok(value) -> str | None:
    if value is None or isinstance(value, (dict, list, str, bool)):
        return None
    return _fmt(Decimal(repr(value)) * MTOK)


def _fmt(d: Decimal) -> str:
    text = format(d.quantize(Decimal("0.000001")).normalize(), "f")
    return text


def catalog_rows(entry: dict, tier: str) -> dict[str, str] | None:
    """The seed's rate fields from one catalog entry, for the standard tier or a priced tier."""
    suffix = "" if tier == "standard" else f"_{tier}"
    if tier != "standard" and f"input_cost_per_token{suffix}" not in entry:
        return None
    row: dict[str, str] = {}
    for seed_field, catalog_field in CATALOG_FIELDS.items():
        value = _per_mtok(entry.get(catalog_field + suffix))
        if value is not None:
            row[seed_field] = value
    if "input_above_usd_per_mtok" in row:
        row["long_context_threshold_tokens"] = "200000"
    if tier == "standard" and entry.get("input_cost_per_token_batches") and entry.get("input_cost_per_token"):
        ratio = Decimal(repr(entry["input_cost_per_token_batches"])) / Decimal(repr(entry["input_cost_per_token"]))
        row["batch_discount_pct"] = _fmt((1 - ratio) * 100)
    return row


def current_prices(as_of: date) -> dict[tuple[str, str, str, str], dict[str, str]]:
    """The price-book row in force on `as_of` per key."""
    with (SEEDS / "model_prices.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    out: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for r in sorted(rows, key=lambda r: r["valid_from"]):
        if date.fromisoformat(r["valid_from"]) <= as_of:
            out[(r["platform"], r["model_id"], r["region_scope"], r["service_tier"])] = r
    return out


def _same(a: str, b: str) -> bool:
    if not a and not b:
        return True
    if not a or not b:
        return False
    return Decimal(a) == Decimal(b)


def diff(catalog: dict, as_of: date) -> list[Change]:
    with (SEEDS / "price_catalog_keys.csv").open(newline="") as f:
        keys = list(csv.DictReader(f))
    book = current_prices(as_of)
    changes: list[Change] = []
    for k in keys:
        entry = catalog.get(k["litellm_key"])
        base = (k["platform"], k["model_id"], k["region_scope"])
        if entry is None:
            changes.append(Change((*base, "standard"), "not_in_catalog", new=k["litellm_key"]))
            continue
        for tier in ("standard", "priority", "flex"):
            rates = catalog_rows(entry, tier)
            if rates is None:
                continue
            current = book.get((*base, tier))
            if current is None:
                changes.append(Change((*base, tier), "new_tier", new=json.dumps(rates, sort_keys=True)))
                continue
            for field in RATE_FIELDS:
                if field in rates and not _same(current.get(field, ""), rates[field]):
                    changes.append(Change((*base, tier), "changed", field, current.get(field) or "", rates[field]))
    return changes


def write_candidates(catalog: dict, changes: list[Change], effective: date, out: Path) -> int:
    """Append a full candidate row (catalog rates, dated `effective`) for every changed or new key."""
    with (SEEDS / "model_prices.csv").open(newline="") as f:
        header = next(csv.reader(f))
    with (SEEDS / "price_catalog_keys.csv").open(newline="") as f:
        litellm = {(r["platform"], r["model_id"], r["region_scope"]): r["litellm_key"] for r in csv.DictReader(f)}
    keys = sorted({c.key for c in changes if c.kind in ("changed", "new_tier")})
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for platform, model_id, scope, tier in keys:
            catalog_key = litellm[(platform, model_id, scope)]
            rates = catalog_rows(catalog[catalog_key], tier) or {}
            w.writerow(
                {
                    "platform": platform,
                    "model_id": model_id,
                    "region_scope": scope,
                    "service_tier": tier,
                    "valid_from": effective.isoformat(),
                    **rates,
                    "source": f"catalog refresh {effective.isoformat()}: litellm key {catalog_key}",
                }
            )
    return len(keys)
