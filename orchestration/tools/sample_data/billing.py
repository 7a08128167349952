"""The providers' bills for the generated traffic, in each platform's native export format.

The providers price the same requests the usage logs record (deduplicated; provisioned calls are covered by
capacity) at their list prices (the price book, whose rows name the providers' published prices), apply the
enterprise discount the way each bill shows it, and add the provisioned capacity from the capacity seeds.
Then the bills differ from the logs where BILLING_INCIDENTS says: a team billed but never logged, a few days
at another price, a correction row for an earlier period, and usage the price book cannot price (the
providers can).

Formats: FOCUS 1.2 for OpenAI (Parquet) and Anthropic (CSV); AWS CUR 2.0 (Parquet) for Bedrock; Azure cost
details, actual and amortized views (CSV, UTF-8 BOM, MM/DD/YYYY) for Azure OpenAI, with the PTU reservation
bought monthly and amortized daily (unused hours as UnusedReservation); the GCP billing export (JSON lines,
credits as a repeated field) for Vertex AI. One file per billing month and source, landing on the first day
of the next month (the last month: on the window's last day), and January also delivered half-way (a
month-to-date file that the full one replaces).
"""

from __future__ import annotations

import calendar
import csv
import itertools
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb

from orchestration.settings import SEEDS_DIR
from orchestration.tools.pricing.refresh import RATE_FIELDS
from orchestration.tools.sample_data.scenario import BILLING_INCIDENTS, BillingIncidents

Q = Decimal("0.0000000001")
RATE_COLUMNS = tuple(f for f in RATE_FIELDS if f.endswith("_usd_per_mtok"))
# how each platform's bill names a model (CUR usage types, Azure meters, GCP SKUs, FOCUS meters)
CUR_MODEL = {
    "claude-sonnet-4-5": "Claude4.5Sonnet",
    "claude-opus-4-5": "Claude4.5Opus",
    "claude-haiku-4-5": "Claude4.5Haiku",
    "llama-3-3-70b-instruct": "Llama3.3-70B",
    "llama-4-maverick-17b": "Llama4-Maverick-17B",
}
CUR_CLASS = {
    "input": "input-tokens",
    "image_input": "image-input-tokens",
    "cached_input": "cache-read-input-token-count",
    "cache_write": "cache-write-input-token-count",
    "output": "output-tokens",
    "reasoning": "reasoning-output-tokens",
    "audio_input": "audio-input-tokens",
    "audio_output": "audio-output-tokens",
}
GCP_MODEL = {
    "gemini-2.5-flash": "Gemini 2.5 Flash",
    "gemini-2.5-flash-lite": "Gemini 2.5 Flash Lite",
    "gemini-2.5-pro": "Gemini 2.5 Pro",
    "claude-sonnet-4-5": "Claude Sonnet 4.5",
}
WORDS = {
    "input": "Input",
    "image_input": "Image Input",
    "cached_input": "Cached Input",
    "cache_write": "Cache Write",
    "output": "Output",
    "reasoning": "Reasoning Output",
    "audio_input": "Audio Input",
    "audio_output": "Audio Output",
}
AWS_ROLE = "arn:aws:sts::123456789012:assumed-role"
REGION_PREFIX = {"us-east-1": "USE1", "us-west-2": "USW2", "eu-central-1": "EUC1"}


def _seed(name: str) -> str:
    return f"read_csv('{SEEDS_DIR / (name + '.csv')}', header = true, all_varchar = true)"


def _money(value) -> Decimal:
    return Decimal(value).quantize(Q, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Delivery:
    period_start: date  # billing month
    until: date  # charges before this day
    landing_day: date


def deliveries(start: date, days: int) -> list[Delivery]:
    """One delivery per billing month (landing the next month's first day, or the window's last day), and a
    month-to-date delivery half-way through the first month."""
    end = start + timedelta(days=days)
    out = []
    month = start.replace(day=1)
    while month < end:
        nxt = (month + timedelta(days=32)).replace(day=1)
        until = min(nxt, end)
        out.append(Delivery(month, until, min(nxt, end - timedelta(days=1))))
        month = nxt
    first = out[0]
    mid = first.period_start + timedelta(days=15)
    if start < mid < first.until:
        out.insert(0, Delivery(first.period_start, mid, mid))
    return out


def _usage_lines(con: duckdb.DuckDBPyConnection, incidents: BillingIncidents, start: date, days: int) -> None:
    """Temp table bill_usage: one line per day, platform, model, scope, tier, capacity type, long-context flag,
    token class and rate, with tokens, list cost and the discount in force."""
    rates = ",\n".join(f"cast(nullif({c}, '') as decimal(18, 6)) as {c}" for c in RATE_COLUMNS)
    con.execute(
        f"""
        create or replace temp table price_book as
        select platform, model_id, region_scope, service_tier,
               cast(valid_from as date) as valid_from,
               lead(cast(valid_from as date)) over (
                   partition by platform, model_id, region_scope, service_tier order by cast(valid_from as date)
               ) as valid_to,
               {rates},
               cast(nullif(long_context_threshold_tokens, '') as bigint) as threshold,
               cast(nullif(batch_discount_pct, '') as decimal(9, 4)) as batch_pct
        from {_seed("model_prices")}
        """
    )
    con.execute(
        f"""
        create or replace temp table discounts as
        select platform, cast(valid_from as date) as valid_from,
               lead(cast(valid_from as date)) over (partition by platform order by cast(valid_from as date))
                   as valid_to,
               cast(discount_pct as decimal(9, 4)) as discount_pct
        from {_seed("enterprise_discounts")}
        """
    )
    fallback = " ".join(
        f"when model_id = '{m}' and token_class = '{c}' then cast({p} as decimal(18, 6))"
        for m, c, p in incidents.provider_prices_usd_per_mtok
    )
    error_first = start + timedelta(days=round(days * incidents.price_error_day_fraction))
    error_last = error_first + timedelta(days=incidents.price_error_days - 1)
    con.execute(
        f"""
        create or replace temp table bill_usage as
        with events as (
            select e.*,
                   cast(make_timestamp(e.ts_abs_us) as date) as usage_day,
                   coalesce(a.model_id, lower(e.model)) as model_id,
                   coalesce(e.region_scope, nullif(a.implied_region_scope, ''), 'global') as scope,
                   case when e.service_tier = 'scale' then 'standard' else e.service_tier end as tier
            from (select distinct on (event_id) * from canonical_events order by event_id) as e
            left join {_seed("model_aliases")} as a on e.model = a.raw_model
            where e.capacity_type <> 'provisioned'
        ),
        untracked as (
            -- the team nobody logs: weekdays only
            select cast(d as date) as usage_day, '{incidents.untracked_platform}' as platform,
                   '{incidents.untracked_model}' as model, a.model_id,
                   coalesce(nullif(a.implied_region_scope, ''), 'global') as scope, 'standard' as tier,
                   'on_demand' as capacity_type, '{incidents.untracked_team}' as team, 'us-east-1' as region,
                   {incidents.untracked_input_tokens_per_day} as input_tokens, 0 as cached_input_tokens,
                   0 as cache_write_tokens, null as cache_write_ttl,
                   {incidents.untracked_output_tokens_per_day} as output_tokens, 0 as reasoning_tokens,
                   0 as image_input_tokens, 0 as audio_input_tokens, 0 as audio_output_tokens
            from range(date '{start}', date '{start + timedelta(days=days)}', interval 1 day) as t(d)
            join {_seed("model_aliases")} as a on a.raw_model = '{incidents.untracked_model}'
            where isodow(d) <= 5
        ),
        calls as (
            select usage_day, platform, model, model_id, scope, tier, capacity_type, team, region,
                   input_tokens, cached_input_tokens, cache_write_tokens, cache_write_ttl, output_tokens,
                   reasoning_tokens, image_input_tokens, audio_input_tokens, audio_output_tokens
            from events
            union all
            select * from untracked
        ),
        priced as (
            select c.*, p.* exclude (platform, model_id, region_scope, service_tier, valid_from, valid_to),
                   p.threshold is not null and c.input_tokens > p.threshold as is_long
            from calls as c
            left join price_book as p
                on c.platform = p.platform and c.model_id = p.model_id and c.scope = p.region_scope
                and c.tier = p.service_tier and c.usage_day >= p.valid_from
                and (p.valid_to is null or c.usage_day < p.valid_to)
        ),
        classes as (
            select *, 'input' as token_class,
                   greatest(input_tokens - cached_input_tokens - cache_write_tokens - image_input_tokens
                            - audio_input_tokens, 0) as tokens,
                   case when is_long then input_above_usd_per_mtok else input_usd_per_mtok end as rate
            from priced
            union all
            select *, 'image_input', image_input_tokens,
                   case when is_long then input_above_usd_per_mtok
                        else coalesce(image_input_usd_per_mtok, input_usd_per_mtok) end
            from priced where image_input_tokens > 0
            union all
            select *, 'cached_input', cached_input_tokens,
                   case when is_long then cached_input_above_usd_per_mtok else cached_input_usd_per_mtok end
            from priced where cached_input_tokens > 0
            union all
            select *, 'cache_write', cache_write_tokens,
                   case when cache_write_ttl = '1h' and is_long then cache_write_1h_above_usd_per_mtok
                        when cache_write_ttl = '1h' then cache_write_1h_usd_per_mtok
                        when is_long then cache_write_5m_above_usd_per_mtok
                        else cache_write_5m_usd_per_mtok end
            from priced where cache_write_tokens > 0
            union all
            select *, 'output', greatest(output_tokens - reasoning_tokens - audio_output_tokens, 0),
                   case when is_long then output_above_usd_per_mtok else output_usd_per_mtok end
            from priced
            union all
            select *, 'reasoning', reasoning_tokens,
                   case when is_long then output_above_usd_per_mtok
                        else coalesce(reasoning_usd_per_mtok, output_usd_per_mtok) end
            from priced where reasoning_tokens > 0
            union all
            select *, 'audio_input', audio_input_tokens, audio_input_usd_per_mtok
            from priced where audio_input_tokens > 0
            union all
            select *, 'audio_output', audio_output_tokens, audio_output_usd_per_mtok
            from priced where audio_output_tokens > 0
        ),
        provider_rates as (
            select classes.*,
                   -- where the book has no rate the provider still charges: its price, else the input rate
                   coalesce(
                       rate,
                       case {fallback} end,
                       case when token_class like 'audio%' or token_class = 'cache_write'
                            then case when is_long then input_above_usd_per_mtok else input_usd_per_mtok end end
                   ) as provider_rate,
                   case when capacity_type = 'batch' then 1 - coalesce(batch_pct, 50) / 100 else 1 end
                       as batch_multiplier
            from classes
            where tokens > 0
        ),
        lines as (
            select usage_day, platform, model, model_id, scope, tier, capacity_type, is_long, token_class,
                   case when platform = '{incidents.price_error_platform}'
                             and model_id = '{incidents.price_error_model}' and token_class in ('input', 'output')
                             and usage_day between date '{error_first}' and date '{error_last}'
                        then provider_rate * {incidents.price_error_factor} else provider_rate end as rate_usd_per_mtok,
                   batch_multiplier,
                   min(region) as region,
                   string_agg(distinct team, ',' order by team) as teams,
                   sum(tokens) as tokens
            from provider_rates
            where provider_rate is not null
            group by all
        )
        select lines.*,
               cast(tokens * rate_usd_per_mtok * batch_multiplier / 1000000 as decimal(38, 10)) as list_cost,
               coalesce(d.discount_pct, 0) as discount_pct
        from lines
        left join discounts as d
            on lines.platform = d.platform and lines.usage_day >= d.valid_from
            and (d.valid_to is null or lines.usage_day < d.valid_to)
        """
    )


@dataclass
class CapacityLine:
    day: date
    platform: str
    reservation_id: str
    sku: str
    kind: str  # purchase (monthly, actual view) | amortized | unused | daily | hourly_overage | covered
    quantity: Decimal
    unit: str
    list_cost: Decimal
    discount_pct: Decimal
    model_id: str | None = None
    region: str | None = None

    @property
    def effective(self) -> Decimal:
        return _money(self.list_cost * (1 - self.discount_pct / 100))


def _read(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _discount(platform: str, day: date) -> Decimal:
    found = Decimal(0)
    for r in sorted(_read("enterprise_discounts"), key=lambda r: r["valid_from"]):
        if r["platform"] == platform and date.fromisoformat(r["valid_from"]) <= day:
            found = Decimal(r["discount_pct"])
    return found


def _price(reservation: dict, prices: list[dict]) -> dict:
    return next(
        p
        for p in prices
        if p["platform"] == reservation["platform"]
        and p["capacity_model"] == reservation["capacity_model"]
        and p["sku"] == reservation["sku"]
        and p["dimension"] == reservation["dimension"]
        and p["term"] == reservation["term"]
        and p["model_id"] in (reservation["model_id"], "*")
    )


def capacity_lines(start: date, days: int) -> list[CapacityLine]:
    """Provisioned capacity as the providers bill it, day by day: monthly commitments bought on the 1st and
    amortized over the month's days (the last day takes the rounding, so a month adds up to its price);
    per-hour commitments billed per day; Azure PTUs deployed beyond the reservation billed by the hour."""
    prices = _read("capacity_prices")
    deployments = _read("capacity_deployments")
    end = start + timedelta(days=days)
    out: list[CapacityLine] = []
    for r in _read("capacity_reservations"):
        price = _price(r, prices)
        units = Decimal(r["units"])
        unit_price = Decimal(price["price_usd"])
        term_start, term_end = date.fromisoformat(r["term_start"]), date.fromisoformat(r["term_end"])
        day = max(start, term_start)
        while day < min(end, term_end):
            disc = _discount(r["platform"], day)
            days_in_month = calendar.monthrange(day.year, day.month)[1]
            if price["price_period"] == "month":
                month_cost = _money(units * unit_price)
                share = _money(month_cost / days_in_month)
                month_start = day.replace(day=1)
                whole_month = term_start <= month_start and month_start + timedelta(days=days_in_month) <= term_end
                last_day = day.day == days_in_month and whole_month
                daily = month_cost - share * (days_in_month - 1) if last_day else share
                if r["platform"] == "azure_openai" and (day.day == 1 or day == max(start, term_start)):
                    out.append(
                        CapacityLine(
                            day,
                            r["platform"],
                            r["reservation_id"],
                            r["sku"],
                            "purchase",
                            units,
                            "Units",
                            month_cost,
                            disc,
                        )
                    )
                if r["platform"] == "azure_openai":
                    # the amortized view splits the day's share between the PTUs deployed and those unused
                    deployed = _deployed_units(deployments, r["reservation_id"], day)
                    used = min(deployed, units)
                    used_cost = _money(daily * used / units)
                    out.append(
                        CapacityLine(
                            day,
                            r["platform"],
                            r["reservation_id"],
                            r["sku"],
                            "amortized",
                            used * 24,
                            "1 Hour",
                            used_cost,
                            disc,
                        )
                    )
                    if used < units:
                        out.append(
                            CapacityLine(
                                day,
                                r["platform"],
                                r["reservation_id"],
                                r["sku"],
                                "unused",
                                (units - used) * 24,
                                "1 Hour",
                                daily - used_cost,
                                disc,
                            )
                        )
                    overage = max(deployed - units, Decimal(0))
                    if overage > 0:
                        hourly = Decimal(r["overage_price_usd_per_unit_hour"])
                        out.append(
                            CapacityLine(
                                day,
                                r["platform"],
                                r["reservation_id"],
                                r["sku"],
                                "hourly_overage",
                                overage * 24,
                                "1 Hour",
                                _money(overage * 24 * hourly),
                                disc,
                            )
                        )
                else:
                    out.append(
                        CapacityLine(
                            day, r["platform"], r["reservation_id"], r["sku"], "amortized", units, "Units", daily, disc
                        )
                    )
            elif price["price_period"] == "hour":
                out.append(
                    CapacityLine(
                        day,
                        r["platform"],
                        r["reservation_id"],
                        r["sku"],
                        "daily",
                        units * 24,
                        "Hrs",
                        _money(units * unit_price * 24),
                        disc,
                        r["model_id"],
                    )
                )
            else:  # per day
                out.append(
                    CapacityLine(
                        day,
                        r["platform"],
                        r["reservation_id"],
                        r["sku"],
                        "daily",
                        units,
                        "Units",
                        _money(units * unit_price),
                        disc,
                        r["model_id"],
                    )
                )
            day += timedelta(days=1)
    return out


def _deployed_units(deployments: list[dict], reservation_id: str, day: date) -> Decimal:
    """PTUs deployed on a reservation that day (deployments change at midnight in the seed)."""
    return sum(
        (
            Decimal(d["units"])
            for d in deployments
            if d["reservation_id"] == reservation_id
            and date.fromisoformat(d["valid_from"]) <= day < date.fromisoformat(d["valid_to"])
        ),
        Decimal(0),
    )


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _iso(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _usage_rows(con: duckdb.DuckDBPyConnection, platform: str) -> list[dict]:
    cur = con.execute(
        "select * from bill_usage where platform = ? order by usage_day, model, token_class, rate_usd_per_mtok",
        [platform],
    )
    names = [d[0] for d in cur.description]
    # lines tied on the order above (tiers at one rate) in a fixed order: the same seed writes the same files
    key = [names.index(n) for n in ("usage_day", "model", "token_class", "rate_usd_per_mtok")]
    ties = itertools.groupby(cur.fetchall(), key=lambda row: [row[i] for i in key])
    rows = [row for _, tied in ties for row in sorted(tied, key=lambda row: [str(v) for v in row])]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _effective(row: dict) -> Decimal:
    return _money(row["list_cost"] * (1 - Decimal(row["discount_pct"]) / 100))


def _label(row: dict) -> str:
    words = WORDS[row["token_class"]]
    if row["is_long"]:
        words += " Long Context"
    if row["capacity_type"] == "batch":
        words = "Batch " + words
    return words


def _write_by_delivery(rows: list[dict], start: date, days: int, folder: Path, name: str, write) -> None:
    """Each delivery's rows (its billing month, charges before its cut-off) into its landing day's folder."""
    for d in deliveries(start, days):
        part = [r for r in rows if r["_period"] == d.period_start and r["_day"] < d.until]
        if not part:
            continue
        target = folder / f"day={d.landing_day.isoformat()}"
        target.mkdir(parents=True, exist_ok=True)
        write(part, target / f"{name}_{d.period_start.strftime('%Y%m')}")


def _strip(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


def _write_csv(rows: list[dict], path: Path, bom: bool = False) -> None:
    rows = _strip(rows)
    with open(path.with_suffix(".csv"), "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _write_parquet(rows: list[dict], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _strip(rows)
    table = pa.Table.from_pylist([{k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in rows])
    pq.write_table(table, path.with_suffix(".parquet"))


def _write_jsonl(rows: list[dict], path: Path) -> None:
    with open(path.with_suffix(".jsonl"), "w") as f:
        for r in _strip(rows):
            f.write(json.dumps(r, default=lambda v: float(v) if isinstance(v, Decimal) else str(v)) + "\n")


def _focus_rows(con, platform: str, provider: str, service: str, capacity: list[CapacityLine], correction) -> list:
    rows = []

    def base(day: date, period: date) -> dict:
        return {
            "BillingAccountId": f"{platform}-org-demo",
            "BillingAccountName": "Demo Enterprise",
            "BillingCurrency": "USD",
            "BillingPeriodStart": _iso(period),
            "BillingPeriodEnd": _iso(_next_month(period)),
            "ChargePeriodStart": _iso(day),
            "ChargePeriodEnd": _iso(day + timedelta(days=1)),
            "ProviderName": provider,
            "PublisherName": provider,
            "InvoiceIssuerName": provider,
            "ServiceName": service,
            "ServiceCategory": "AI and Machine Learning",
            "ServiceSubcategory": "Generative AI",
            "RegionId": "global",
            "SubAccountId": f"proj_{platform}",
            "CommitmentDiscountId": None,
            "CommitmentDiscountType": None,
            "CommitmentDiscountStatus": None,
            "CapacityReservationId": None,
            "CapacityReservationStatus": None,
            "Tags": None,
            "_day": day,
            "_period": period,
        }

    for r in _usage_rows(con, platform):
        eff = _effective(r)
        meter = f"{r['model']} {_label(r)} Tokens"
        rows.append(
            {
                **base(r["usage_day"], _month(r["usage_day"])),
                "ChargeCategory": "Usage",
                "ChargeClass": None,
                "ChargeDescription": f"{meter} ({r['tier']})",
                "ChargeFrequency": "Usage-Based",
                "BilledCost": eff,
                "EffectiveCost": eff,
                "ListCost": r["list_cost"],
                "ContractedCost": eff,
                "ListUnitPrice": r["rate_usd_per_mtok"],
                "PricingQuantity": _money(Decimal(r["tokens"]) / 1_000_000),
                "PricingUnit": "1M Tokens",
                "ConsumedQuantity": r["tokens"],
                "ConsumedUnit": "Tokens",
                "PricingCategory": "Standard",
                "SkuId": f"{r['model_id']}:{r['token_class']}:{'long' if r['is_long'] else 'base'}",
                "SkuMeter": meter,
                "x_ServiceTier": r["tier"],
            }
        )
    for c in capacity:
        rows.append(
            {
                **base(c.day, _month(c.day)),
                "ChargeCategory": "Purchase",
                "ChargeClass": None,
                "ChargeDescription": f"{c.sku} commitment, {c.reservation_id}",
                "ChargeFrequency": "Recurring",
                "BilledCost": c.effective,
                "EffectiveCost": c.effective,
                "ListCost": c.list_cost,
                "ContractedCost": c.effective,
                "ListUnitPrice": None,
                "PricingQuantity": c.quantity,
                "PricingUnit": "Units",
                "ConsumedQuantity": None,
                "ConsumedUnit": None,
                "PricingCategory": "Committed",
                "SkuId": c.sku,
                "SkuMeter": f"{c.model_id} Scale Tier {c.sku} unit-day",
                "CommitmentDiscountId": c.reservation_id,
                "CommitmentDiscountType": "Scale Tier",
                "CapacityReservationId": c.reservation_id,
                "CapacityReservationStatus": "Used",
                "x_ServiceTier": "scale",
            }
        )
    if correction is not None:
        day, period, amount, model = correction
        rows.append(
            {
                **base(day, period),
                "ChargeCategory": "Credit",
                "ChargeClass": "Correction",
                "ChargeDescription": f"Service credit for {day.isoformat()}",
                "ChargeFrequency": "One-Time",
                "BilledCost": amount,
                "EffectiveCost": amount,
                "ListCost": amount,
                "ContractedCost": amount,
                "ListUnitPrice": None,
                "PricingQuantity": None,
                "PricingUnit": None,
                "ConsumedQuantity": None,
                "ConsumedUnit": None,
                "PricingCategory": "Other",
                "SkuId": "service-credit",
                "SkuMeter": f"{model} service credit",
                "x_ServiceTier": None,
            }
        )
    return rows


def _cur_rows(con, capacity: list[CapacityLine]) -> list[dict]:
    rows = []
    for i, r in enumerate(_usage_rows(con, "aws_bedrock")):
        prefix = REGION_PREFIX.get(r["region"] or "us-east-1", "USE1")
        suffix = CUR_CLASS[r["token_class"]] + ("-long-context" if r["is_long"] else "")
        suffix += "-batch" if r["capacity_type"] == "batch" else ""
        scope = "-cross-region-global" if r["scope"] == "global" else ""
        thousands = r["model_id"].startswith("claude")  # Anthropic models priced per 1K tokens, others per token
        amount = Decimal(r["tokens"]) / 1000 if thousands else Decimal(r["tokens"])
        team = (r["teams"] or "unknown").split(",")[0]
        rows.append(
            {
                "identity_line_item_id": f"cur-{r['usage_day'].strftime('%Y%m%d')}-{i:06d}",
                "bill_billing_period_start_date": datetime.combine(_month(r["usage_day"]), datetime.min.time()),
                "bill_payer_account_id": "123456789012",
                "line_item_usage_start_date": datetime.combine(r["usage_day"], datetime.min.time()),
                "line_item_usage_end_date": datetime.combine(r["usage_day"] + timedelta(days=1), datetime.min.time()),
                "line_item_line_item_type": "Usage",
                "line_item_product_code": "AmazonBedrock",
                "line_item_usage_type": f"{prefix}-{CUR_MODEL.get(r['model_id'], r['model_id'])}-{suffix}{scope}",
                "line_item_operation": "InvokeModelInference",
                "line_item_usage_amount": _money(amount),
                "pricing_unit": "1K tokens" if thousands else "tokens",
                "line_item_unblended_cost": r["list_cost"],
                "line_item_net_unblended_cost": _effective(r),
                "pricing_public_on_demand_cost": r["list_cost"],
                "line_item_currency_code": "USD",
                "line_item_usage_account_id": "123456789012",
                "line_item_resource_id": None,
                "product_region_code": r["region"] or "us-east-1",
                "line_item_line_item_description": f"{r['model']} {_label(r)} tokens",
                "line_item_iam_principal": f"{AWS_ROLE}/{team}/{team.lower()}@corp.example.com",
                "resource_tags": json.dumps({"user_team": team}),
                "_day": r["usage_day"],
                "_period": _month(r["usage_day"]),
            }
        )
    for j, c in enumerate(capacity):
        rows.append(
            {
                "identity_line_item_id": f"cur-pt-{c.day.strftime('%Y%m%d')}-{j:04d}",
                "bill_billing_period_start_date": datetime.combine(_month(c.day), datetime.min.time()),
                "bill_payer_account_id": "123456789012",
                "line_item_usage_start_date": datetime.combine(c.day, datetime.min.time()),
                "line_item_usage_end_date": datetime.combine(c.day + timedelta(days=1), datetime.min.time()),
                "line_item_line_item_type": "Usage",
                "line_item_product_code": "AmazonBedrock",
                "line_item_usage_type": f"USE1-ProvisionedThroughput-{CUR_MODEL.get(c.model_id, c.model_id)}",
                "line_item_operation": "ProvisionedThroughput",
                "line_item_usage_amount": c.quantity,
                "pricing_unit": "Hrs",
                "line_item_unblended_cost": c.list_cost,
                "line_item_net_unblended_cost": c.effective,
                "pricing_public_on_demand_cost": c.list_cost,
                "line_item_currency_code": "USD",
                "line_item_usage_account_id": "123456789012",
                "line_item_resource_id": f"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/{c.reservation_id}",
                "product_region_code": "us-east-1",
                "line_item_line_item_description": f"Provisioned throughput, {c.reservation_id}",
                "line_item_iam_principal": None,
                "resource_tags": None,
                "_day": c.day,
                "_period": _month(c.day),
            }
        )
    return rows


AZURE_OWNER = "finops.owner@corp.example.com"
AZURE_RESOURCE = "/subscriptions/0b5a3c41/resourceGroups/rg-genai/providers/Microsoft.CognitiveServices/accounts/aoai"


def _azure_rows(con, capacity: list[CapacityLine]) -> tuple[list[dict], list[dict]]:
    """(actual view rows, amortized view rows)."""

    def base(day: date) -> dict:
        period = _month(day)
        return {
            "BillingAccountId": "8611537",
            "BillingAccountName": "Demo Enterprise",
            "BillingPeriodStartDate": period.strftime("%m/%d/%Y"),
            "BillingPeriodEndDate": (_next_month(period) - timedelta(days=1)).strftime("%m/%d/%Y"),
            "AccountOwnerId": AZURE_OWNER,
            "SubscriptionId": "0b5a3c41-2d6f-4c59-9d0e-6b0f8e0d2a11",
            "SubscriptionName": "genai-prod",
            "Date": day.strftime("%m/%d/%Y"),
            "MeterCategory": "Cognitive Services",
            "MeterSubCategory": "Azure OpenAI",
            "BillingCurrency": "USD",
            "ConsumedService": "Microsoft.CognitiveServices",
            "ResourceGroup": "rg-genai",
            "ReservationId": None,
            "ReservationName": None,
            "Term": None,
            "_day": day,
            "_period": period,
        }

    actual, amortized = [], []
    for r in _usage_rows(con, "azure_openai"):
        eff = _effective(r)
        quantity = _money(Decimal(r["tokens"]) / 1000)
        scope = {"global": "Glbl", "data_zone": "DZone", "regional": "Regnl"}.get(r["scope"], r["scope"])
        meter = f"{r['model']} {_label(r)} {scope} Tokens"
        row = {
            **base(r["usage_day"]),
            "Product": f"Azure OpenAI - {meter}",
            "MeterId": f"meter-{r['model_id']}-{r['token_class']}-{r['scope']}",
            "MeterName": meter,
            "MeterRegion": r["region"] or "eastus2",
            "Quantity": quantity,
            "UnitOfMeasure": "1K",
            "EffectivePrice": _money(r["rate_usd_per_mtok"] * (1 - Decimal(r["discount_pct"]) / 100) / 1000),
            "UnitPrice": _money(r["rate_usd_per_mtok"] / 1000),
            "PayGPrice": _money(r["rate_usd_per_mtok"] / 1000),
            "Cost": eff,
            "ResourceLocation": r["region"] or "eastus2",
            "ResourceId": AZURE_RESOURCE,
            "AdditionalInfo": json.dumps({"DeploymentType": r["scope"], "ModelName": r["model"]}),
            "Tags": '"team": "' + ((r["teams"] or "unknown").split(",")[0]) + '","env": "prod"',
            "ChargeType": "Usage",
            "Frequency": "UsageBased",
            "PricingModel": "OnDemand",
        }
        actual.append(row)
        amortized.append(dict(row))
    for c in capacity:
        row = {
            **base(c.day),
            "Product": f"Azure OpenAI - {c.sku}",
            "MeterId": f"meter-{c.sku}",
            "MeterName": f"Provisioned Managed {c.sku} PTU",
            "MeterRegion": "eastus2",
            "Quantity": c.quantity,
            "UnitOfMeasure": c.unit,
            "EffectivePrice": None,
            "UnitPrice": None,
            "PayGPrice": None,
            "Cost": c.effective,
            "ResourceLocation": "eastus2",
            "ResourceId": None,
            "AdditionalInfo": json.dumps({"ReservationOrderId": c.reservation_id}),
            "Tags": None,
            "Frequency": "UsageBased",
        }
        reservation = {"ReservationId": f"{c.reservation_id}-res", "ReservationName": c.reservation_id, "Term": "1"}
        if c.kind == "purchase":
            actual.append(
                {
                    **row,
                    **reservation,
                    "ChargeType": "Purchase",
                    "Frequency": "Recurring",
                    "PricingModel": "Reservation",
                    "MeterName": f"Provisioned Managed {c.sku} PTU Reservation",
                }
            )
        elif c.kind == "amortized":
            amortized.append({**row, **reservation, "ChargeType": "Usage", "PricingModel": "Reservation"})
            actual.append(
                {**row, **reservation, "ChargeType": "Usage", "PricingModel": "Reservation", "Cost": Decimal(0)}
            )
        elif c.kind == "unused":
            amortized.append({**row, **reservation, "ChargeType": "UnusedReservation", "PricingModel": "Reservation"})
        elif c.kind == "hourly_overage":
            hourly = {
                **row,
                "ChargeType": "Usage",
                "PricingModel": "OnDemand",
                "MeterName": f"Provisioned Managed {c.sku} PTU Hourly",
            }
            actual.append(hourly)
            amortized.append(dict(hourly))
    return actual, amortized


def _gcp_rows(con, capacity: list[CapacityLine]) -> list[dict]:
    rows = []

    def base(day: date, cost: Decimal, discount: Decimal) -> dict:
        credit = -_money(cost * discount / 100)
        return {
            "billing_account_id": "012345-6789AB-CDEF01",
            "service": {"id": "C7E2-9256-1C43", "description": "Vertex AI"},
            "usage_start_time": _iso(day),
            "usage_end_time": _iso(day + timedelta(days=1)),
            "project": {"id": "claims-prod", "name": "claims-prod"},
            "labels": [{"key": "cost-center", "value": "genai"}],
            "location": {"location": "us-central1", "region": "us-central1"},
            "export_time": _iso(day + timedelta(days=1)),
            "cost": cost,
            "currency": "USD",
            "currency_conversion_rate": 1,
            "credits": [{"name": "Committed use discount", "amount": credit, "type": "COMMITTED_USAGE_DISCOUNT"}]
            if credit
            else [],
            "invoice": {"month": _month(day).strftime("%Y%m")},
            "cost_type": "regular",
            "_day": day,
            "_period": _month(day),
        }

    for r in _usage_rows(con, "gcp_vertex"):
        name = GCP_MODEL.get(r["model_id"], r["model_id"])
        sku = f"{name} {_label(r)} Text Tokens"
        rows.append(
            {
                **base(r["usage_day"], r["list_cost"], Decimal(r["discount_pct"])),
                "sku": {"id": f"SKU-{r['model_id']}-{r['token_class']}", "description": sku},
                "usage": {
                    "amount": r["tokens"],
                    "unit": "count",
                    "amount_in_pricing_units": _money(Decimal(r["tokens"]) / 1_000_000),
                    "pricing_unit": "1M tokens",
                },
            }
        )
    for c in capacity:
        if c.kind != "amortized":
            continue
        rows.append(
            {
                **base(c.day, c.list_cost, c.discount_pct),
                "sku": {"id": "SKU-GSU", "description": "Provisioned Throughput GSU"},
                "usage": {
                    "amount": c.quantity,
                    "unit": "gsu-day",
                    "amount_in_pricing_units": c.quantity,
                    "pricing_unit": "GSU-month",
                },
            }
        )
    return rows


DEMO_CUR_EXPORT = "genai-cur2"  # the demo's AWS Data Exports export name (`_bucket/<name>/` under the landing folder)
ANTHROPIC_TOKEN_TYPES = {
    "input": "uncached_input_tokens",
    "cached_input": "cache_read_input_tokens",
    "cache_write": "cache_creation.ephemeral_5m_input_tokens",
    "output": "output_tokens",
    "reasoning": "output_tokens",
}


def _exact_json(doc) -> str:
    """JSON with Decimal amounts written as exact numbers (json writes floats)."""
    marks: list[str] = []

    def mark(v):
        if isinstance(v, Decimal):
            marks.append(format(v, "f"))
            return f"__decimal_{len(marks) - 1}__"
        return str(v)

    text = json.dumps(doc, default=mark)
    for i, m in enumerate(marks):
        text = text.replace(f'"__decimal_{i}__"', m)
    return text


def write_cost_reports(con: duckdb.DuckDBPyConnection, out: Path) -> dict[str, int]:
    """What OpenAI and Anthropic report they charged (their bills' token lines, effective cost), as the OpenAI
    Costs API (grouped by line item '<model>, <token type>', USD) and the Anthropic cost report (grouped by model
    and token type, amounts in cents as decimal strings): one page per UTC day, landing the next day."""
    counts = {}
    for platform, dataset in (("openai", "openai_costs"), ("anthropic", "anthropic_costs")):
        by_day: dict[date, list[dict]] = {}
        for r in _usage_rows(con, platform):
            by_day.setdefault(r["usage_day"], []).append(r)
        n = 0
        for day, rows in sorted(by_day.items()):
            sums: dict[tuple, Decimal] = {}
            for r in rows:
                key = (r["model"], r["token_class"], r["tier"])
                sums[key] = sums.get(key, Decimal(0)) + _effective(r)
            results = []
            for (model, token_class, tier), amount in sorted(sums.items()):
                if platform == "openai":
                    results.append(
                        {
                            "object": "organization.costs.result",
                            "amount": {"value": amount, "currency": "usd"},
                            "line_item": f"{model}, {token_class}",
                            "project_id": None,
                            "api_key_id": None,
                            "quantity": None,
                        }
                    )
                else:
                    results.append(
                        {
                            "currency": "USD",
                            "amount": format(amount * 100, "f"),
                            "workspace_id": None,
                            "description": f"{model} Usage - {token_class}",
                            "cost_type": "tokens",
                            "context_window": "0-200k",
                            "model": model,
                            "service_tier": tier,
                            "token_type": ANTHROPIC_TOKEN_TYPES.get(token_class, token_class),
                            "inference_geo": None,
                        }
                    )
            n += len(results)
            nxt = day + timedelta(days=1)
            if platform == "openai":
                start_s = int(datetime.combine(day, datetime.min.time(), UTC).timestamp())
                bucket = {"object": "bucket", "start_time": start_s, "end_time": start_s + 86400, "results": results}
                page = {"object": "page", "data": [bucket], "has_more": False, "next_page": None}
            else:
                bucket = {"starting_at": _iso(day), "ending_at": _iso(nxt), "results": results}
                page = {"data": [bucket], "has_more": False, "next_page": None}
            folder = out / dataset / f"day={nxt.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{dataset}_{day.isoformat()}.json").write_text(_exact_json(page) + "\n")
        counts[dataset] = n
    return counts


def _write_cur2_export(rows: list[dict], start: date, days: int, export: Path) -> None:
    """The CUR 2.0 rows as an AWS Data Exports delivery: per billing period, `data/BILLING_PERIOD=YYYY-MM/` files
    and `metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json` listing them. Each delivery of a period writes
    files of its own (its execution id in the name) and rewrites the manifest, so the first month, delivered
    twice, keeps the stale file of its first delivery beside the current one: only the manifest says which."""
    name = export.name
    for i, d in enumerate(deliveries(start, days)):
        part = [r for r in rows if r["_period"] == d.period_start and r["_day"] < d.until]
        if not part:
            continue
        period = d.period_start.strftime("%Y-%m")
        data = export / "data" / f"BILLING_PERIOD={period}"
        data.mkdir(parents=True, exist_ok=True)
        execution = f"exec{i:04d}"
        _write_parquet(part, data / f"{name}-{execution}-00001")
        meta = export / "metadata" / f"BILLING_PERIOD={period}"
        meta.mkdir(parents=True, exist_ok=True)
        manifest = {
            "executionId": execution,
            "exportArn": f"arn:aws:bcm-data-exports:us-east-1:123456789012:export/{name}",
            "billingPeriod": {"start": _iso(d.period_start), "end": _iso(_next_month(d.period_start))},
            "dataFiles": [f"data/BILLING_PERIOD={period}/{name}-{execution}-00001.parquet"],
        }
        (meta / f"{name}-Manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def write_billing_exports(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    start: date,
    days: int,
    incidents: BillingIncidents = BILLING_INCIDENTS,
    cur_layout: str = "landing",
) -> dict[str, int]:
    """Write every platform's bill for the generated events (the `canonical_events` view), and OpenAI's and
    Anthropic's cost reports; rows per dataset. The CUR goes to `aws_cur/` like the other bills, or, with
    cur_layout 'bucket', to `_bucket/<export>/` laid out as an AWS Data Exports delivery (synced by a pull)."""
    _usage_lines(con, incidents, start, days)
    capacity = capacity_lines(start, days)

    def cap(platform: str) -> list[CapacityLine]:
        return [c for c in capacity if c.platform == platform]

    correction_day = start + timedelta(days=round(days * incidents.correction_day_fraction))
    later = _next_month(correction_day)
    period = later if later < start + timedelta(days=days) else _month(correction_day)
    correction = (correction_day, period, Decimal(incidents.correction_usd), "gpt-5-2025-08-07")
    openai = _focus_rows(con, "openai", "OpenAI", "OpenAI API", cap("openai"), correction)
    anthropic = _focus_rows(con, "anthropic", "Anthropic", "Claude API", [], None)
    cur = _cur_rows(con, cap("aws_bedrock"))
    azure_actual, azure_amortized = _azure_rows(con, cap("azure_openai"))
    gcp = _gcp_rows(con, cap("gcp_vertex"))
    _write_by_delivery(openai, start, days, out / "focus_charges", "openai_focus", _write_parquet)
    _write_by_delivery(anthropic, start, days, out / "focus_charges", "anthropic_focus", _write_csv)
    if cur_layout == "bucket":
        _write_cur2_export(cur, start, days, out / "_bucket" / DEMO_CUR_EXPORT)
    else:
        _write_by_delivery(cur, start, days, out / "aws_cur", "cur2_bedrock", _write_parquet)
    reported = write_cost_reports(con, out)
    _write_by_delivery(
        azure_actual, start, days, out / "azure_cost_actual", "ActualCost", lambda r, p: _write_csv(r, p, bom=True)
    )
    _write_by_delivery(
        azure_amortized,
        start,
        days,
        out / "azure_cost_amortized",
        "AmortizedCost",
        lambda r, p: _write_csv(r, p, bom=True),
    )
    _write_by_delivery(gcp, start, days, out / "gcp_billing", "gcp_billing_export_v1", _write_jsonl)
    return {
        "focus_charges": len(openai) + len(anthropic),
        "aws_cur": len(cur),
        "azure_cost_actual": len(azure_actual),
        "azure_cost_amortized": len(azure_amortized),
        "gcp_billing": len(gcp),
        **reported,
    }
