"""Refresh the price book from maintained catalogs: LiteLLM's model_prices_and_context_window JSON (a file)
and the `genai-prices` package's bundled data (no network: the installed snapshot).

For every (platform, model, region scope) of the price book that `seeds/reference/price_catalog_keys.csv`
maps to a catalog key, the catalog's prices become per-1M-token rates in the seed's schema (base, cached,
cache writes 5m / 1h, output, reasoning, image, audio, the above-200k tier, the batch discount, and the
priority / flex tiers as rows of their own; LiteLLM gives per-token prices, genai-prices per-MTok prices
and threshold tiers). The result is compared with the price in force on `as_of` (the book, or the local
override that wins over it): what changed (field, old, new), what is new (a tier the book lacks), what the
catalog does not have, and which changes a local override masks. `write_candidates` writes the changed and
new rows, dated `effective`, to review; `apply_candidates` appends them to the price book (history kept,
overrides untouched: seeds/reference/model_price_overrides.csv is never written by a refresh).
"""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from orchestration.settings import SEEDS_DIR

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
    kind: str  # changed | new_tier | not_in_catalog | overridden (a change the local override masks)
    field: str | None = None
    old: str | None = None
    new: str | None = None


class NotInCatalog(KeyError):
    pass


class LiteLLMCatalog:
    """LiteLLM's JSON catalog (per-token prices; priority / flex as suffixed fields)."""

    name = "litellm"
    tiers = ("standard", "priority", "flex")

    def __init__(self, data: dict) -> None:
        self.data = data

    def key(self, mapping: dict[str, str]) -> str:
        return mapping["litellm_key"]

    def rates(self, mapping: dict[str, str], tier: str) -> dict[str, str] | None:
        entry = self.data.get(mapping["litellm_key"])
        if entry is None:
            raise NotInCatalog(mapping["litellm_key"])
        return catalog_rows(entry, tier)


# genai-prices ModelPrice field -> seed field (both per 1M tokens); a TieredPrices value gives the base
# rate and, from its tier, the above-threshold rate
GENAI_PRICES_FIELDS = {
    "input_mtok": ("input_usd_per_mtok", "input_above_usd_per_mtok"),
    "cache_read_mtok": ("cached_input_usd_per_mtok", "cached_input_above_usd_per_mtok"),
    "cache_write_mtok": ("cache_write_5m_usd_per_mtok", "cache_write_5m_above_usd_per_mtok"),
    "cache_write_1h_mtok": ("cache_write_1h_usd_per_mtok", "cache_write_1h_above_usd_per_mtok"),
    "output_mtok": ("output_usd_per_mtok", "output_above_usd_per_mtok"),
    "input_audio_mtok": ("audio_input_usd_per_mtok", None),
    "output_audio_mtok": ("audio_output_usd_per_mtok", None),
    "input_image_mtok": ("image_input_usd_per_mtok", None),
}


class GenaiPricesCatalog:
    """The genai-prices package's bundled data, as in force at `at` (standard tier only: the package
    prices batch and priority through request context, not as separate rates)."""

    name = "genai-prices"
    tiers = ("standard",)

    def __init__(self, at: date) -> None:
        from datetime import UTC, datetime, time

        from genai_prices.data_snapshot import get_snapshot

        self.snapshot = get_snapshot()
        self.at = datetime.combine(at, time(12), tzinfo=UTC)

    def key(self, mapping: dict[str, str]) -> str:
        if not mapping.get("genai_prices_model"):
            return "(no genai-prices model mapped)"
        return f"{mapping['genai_prices_provider']}:{mapping['genai_prices_model']}"

    def model_price(self, mapping: dict[str, str]):
        if not mapping.get("genai_prices_model"):
            raise NotInCatalog(self.key(mapping))
        try:
            _, model = self.snapshot.find_provider_model(
                mapping["genai_prices_model"], None, mapping["genai_prices_provider"], None
            )
        except LookupError as exc:
            raise NotInCatalog(self.key(mapping)) from exc
        return model.get_prices(self.at)

    def rates(self, mapping: dict[str, str], tier: str) -> dict[str, str] | None:
        if tier != "standard":
            return None
        price = self.model_price(mapping)
        row: dict[str, str] = {}
        for field, (seed_field, above_field) in GENAI_PRICES_FIELDS.items():
            value = getattr(price, field, None)
            if value is None:
                continue
            tiers = getattr(value, "tiers", None)
            if tiers is None:
                row[seed_field] = _fmt(Decimal(value))
                continue
            row[seed_field] = _fmt(value.base)
            if above_field and len(tiers) == 1:
                row[above_field] = _fmt(tiers[0].price)
                row["long_context_threshold_tokens"] = str(tiers[0].start)
        return row


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


def _read(name: str, seeds: Path) -> list[dict[str, str]]:
    with (seeds / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def current_prices(as_of: date, seeds: Path = SEEDS_DIR) -> dict[tuple[str, str, str, str], dict[str, str]]:
    """The price in force on `as_of` per key: the local override in force, else the price-book row (an
    override row carries `reason`)."""
    out: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for r in sorted(_read("model_prices", seeds), key=lambda r: r["valid_from"]):
        if date.fromisoformat(r["valid_from"]) <= as_of:
            out[(r["platform"], r["model_id"], r["region_scope"], r["service_tier"])] = r
    for r in _read("model_price_overrides", seeds):
        ends = date.fromisoformat(r["valid_to"]) if r.get("valid_to") else date.max
        if date.fromisoformat(r["valid_from"]) <= as_of < ends:
            out[(r["platform"], r["model_id"], r["region_scope"], r["service_tier"])] = r
    return out


def _same(a: str, b: str) -> bool:
    if not a and not b:
        return True
    if not a or not b:
        return False
    return Decimal(a) == Decimal(b)


def diff(catalog, as_of: date, seeds: Path = SEEDS_DIR) -> list[Change]:
    """What the catalog says against the price in force on `as_of`. `catalog` is a LiteLLMCatalog, a
    GenaiPricesCatalog, or LiteLLM's parsed JSON (a dict)."""
    if isinstance(catalog, dict):
        catalog = LiteLLMCatalog(catalog)
    book = current_prices(as_of, seeds)
    changes: list[Change] = []
    for k in _read("price_catalog_keys", seeds):
        base = (k["platform"], k["model_id"], k["region_scope"])
        for tier in catalog.tiers:
            try:
                rates = catalog.rates(k, tier)
            except NotInCatalog:
                changes.append(Change((*base, "standard"), "not_in_catalog", new=catalog.key(k)))
                break
            if rates is None:
                continue
            current = book.get((*base, tier))
            if current is None:
                changes.append(Change((*base, tier), "new_tier", new=json.dumps(rates, sort_keys=True)))
                continue
            kind = "overridden" if current.get("reason") else "changed"
            for field in RATE_FIELDS:
                if field in rates and not _same(current.get(field, ""), rates[field]):
                    changes.append(Change((*base, tier), kind, field, current.get(field) or "", rates[field]))
    return changes


def candidate_rows(catalog, changes: list[Change], effective: date, seeds: Path = SEEDS_DIR) -> list[dict[str, str]]:
    """A full price-book row (the catalog's rates, dated `effective`) for every changed, overridden or new key."""
    if isinstance(catalog, dict):
        catalog = LiteLLMCatalog(catalog)
    mappings = {(r["platform"], r["model_id"], r["region_scope"]): r for r in _read("price_catalog_keys", seeds)}
    keys = sorted({c.key for c in changes if c.kind in ("changed", "overridden", "new_tier")})
    rows = []
    for platform, model_id, scope, tier in keys:
        mapping = mappings[(platform, model_id, scope)]
        rows.append(
            {
                "platform": platform,
                "model_id": model_id,
                "region_scope": scope,
                "service_tier": tier,
                "valid_from": effective.isoformat(),
                **(catalog.rates(mapping, tier) or {}),
                "source": f"catalog refresh {effective.isoformat()}: {catalog.name} key {catalog.key(mapping)}",
            }
        )
    return rows


def write_candidates(catalog, changes: list[Change], effective: date, out: Path, seeds: Path = SEEDS_DIR) -> int:
    """Write the candidate rows to `out` (the price book's columns) for review."""
    with (seeds / "model_prices.csv").open(newline="") as f:
        header = next(csv.reader(f))
    rows = candidate_rows(catalog, changes, effective, seeds)
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def apply_candidates(catalog, changes: list[Change], effective: date, seeds: Path = SEEDS_DIR) -> int:
    """Append the candidate rows to the price book (a row already there for the key and date is replaced),
    keeping every earlier row: the book stays effective-dated. Overrides are never touched."""
    path = seeds / "model_prices.csv"
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        book = list(reader)
    new = candidate_rows(catalog, changes, effective, seeds)
    replaced = {(r["platform"], r["model_id"], r["region_scope"], r["service_tier"], r["valid_from"]) for r in new}
    kept = [
        r
        for r in book
        if (r["platform"], r["model_id"], r["region_scope"], r["service_tier"], r["valid_from"]) not in replaced
    ]
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(kept + new)
    return len(new)
