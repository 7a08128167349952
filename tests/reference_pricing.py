"""An independent, plain-Python price calculator used to check the warehouse end to end.

It reads the same seeds but shares no code with the dbt models: rows are priced one by one with
Decimal, following docs/design.md section 6 as written.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

from orchestration.settings import SEEDS_DIR

M = Decimal("0.000001")


def _read(name):
    with (SEEDS_DIR / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _d(value):
    return Decimal(value) if value not in ("", None) else None


class ReferencePricer:
    def __init__(self) -> None:
        self.aliases = {r["raw_model"]: r for r in _read("model_aliases")}
        self.prices: dict[tuple, list[dict]] = {}
        for r in _read("model_prices"):
            key = (r["platform"], r["model_id"], r["region_scope"], r["service_tier"])
            self.prices.setdefault(key, []).append(r)
        for rows in self.prices.values():
            rows.sort(key=lambda r: r["valid_from"])
        self.overrides: dict[tuple, list[dict]] = {}
        for r in _read("model_price_overrides"):
            key = (r["platform"], r["model_id"], r["region_scope"], r["service_tier"])
            self.overrides.setdefault(key, []).append(r)
        self.discounts: dict[str, list[dict]] = {}
        for r in _read("enterprise_discounts"):
            self.discounts.setdefault(r["platform"], []).append(r)

    def _in_force(self, rows, day: date):
        found = None
        for r in sorted(rows, key=lambda r: r["valid_from"]):
            if date.fromisoformat(r["valid_from"]) <= day:
                found = r
        return found

    def price(self, e: dict) -> tuple[Decimal | None, Decimal | None]:
        """(list-equivalent cost, effective cost) of one canonical event; (None, None) when unpriced."""
        alias = self.aliases.get(e["model"])
        model_id = alias["model_id"] if alias else e["model"].lower()
        scope = e.get("region_scope") or (alias and alias["implied_region_scope"]) or "global"
        tier = e.get("service_tier") or "standard"
        day = e["occurred_at"].date()
        key = (e["platform"], model_id, scope, tier)
        # a local override in force wins over the price book
        row = next(
            (
                o
                for o in self.overrides.get(key, [])
                if date.fromisoformat(o["valid_from"]) <= day
                and (not o["valid_to"] or day < date.fromisoformat(o["valid_to"]))
            ),
            None,
        ) or self._in_force(self.prices.get(key, []), day)
        if row is None:
            return None, None
        t = {
            k: int(e.get(k) or 0)
            for k in (
                "input_tokens",
                "cached_input_tokens",
                "cache_write_tokens",
                "output_tokens",
                "reasoning_tokens",
                "image_input_tokens",
                "audio_input_tokens",
                "audio_output_tokens",
            )
        }
        threshold = _d(row["long_context_threshold_tokens"])
        long = threshold is not None and t["input_tokens"] > threshold
        sfx = "_above" if long else ""
        rate_in = _d(row[f"input{sfx}_usd_per_mtok"])
        rate_cached = _d(row[f"cached_input{sfx}_usd_per_mtok"])
        ttl = e.get("cache_write_ttl") or "5m"
        rate_write = _d(row[f"cache_write_{ttl}{sfx}_usd_per_mtok"])
        rate_out = _d(row[f"output{sfx}_usd_per_mtok"])
        rate_reason = rate_out if long else (_d(row["reasoning_usd_per_mtok"]) or rate_out)
        rate_image = rate_in if long else (_d(row["image_input_usd_per_mtok"]) or rate_in)
        rate_audio_in = _d(row["audio_input_usd_per_mtok"])
        rate_audio_out = _d(row["audio_output_usd_per_mtok"])
        needs = [
            (t["cached_input_tokens"], rate_cached),
            (t["cache_write_tokens"], rate_write),
            (t["audio_input_tokens"], rate_audio_in),
            (t["audio_output_tokens"], rate_audio_out),
            (1, rate_in),
            (1, rate_out),
        ]
        if any(n > 0 and r is None for n, r in needs):
            return None, None
        batch = Decimal(1)
        if e.get("capacity_type") == "batch":
            if not row["batch_discount_pct"]:
                return None, None
            batch = 1 - Decimal(row["batch_discount_pct"]) / 100
        text_in = max(
            t["input_tokens"]
            - t["cached_input_tokens"]
            - t["cache_write_tokens"]
            - t["image_input_tokens"]
            - t["audio_input_tokens"],
            0,
        )
        text_out = max(t["output_tokens"] - t["reasoning_tokens"] - t["audio_output_tokens"], 0)
        parts = [
            text_in * rate_in + t["image_input_tokens"] * rate_image + t["audio_input_tokens"] * (rate_audio_in or 0),
            t["cached_input_tokens"] * (rate_cached or 0),
            t["cache_write_tokens"] * (rate_write or 0),
            text_out * rate_out + t["audio_output_tokens"] * (rate_audio_out or 0),
            t["reasoning_tokens"] * rate_reason,
        ]
        q = Decimal("0.0000000001")
        list_equivalent = sum((p * M * batch).quantize(q) for p in parts)
        if e.get("capacity_type") == "provisioned":
            return list_equivalent, Decimal(0)
        disc = self._in_force(self.discounts.get(e["platform"], []), day)
        mult = 1 - Decimal(disc["discount_pct"]) / 100 if disc else Decimal(1)
        return list_equivalent, (list_equivalent * mult).quantize(q)
