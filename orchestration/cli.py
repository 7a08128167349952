"""The project's command line: `genai-finops sample-data | run | prepare`."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

from orchestration.settings import PROJECT_DIR, Settings
from orchestration.warehouse import WarehouseBusy, writer_lock

DEMO_EVENTS = 300_000


def _peak_rss_mib() -> float:
    """Peak resident memory of this process and of its finished children (dbt subprocesses), MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def cmd_sample_data(args: argparse.Namespace) -> int:
    from orchestration.sample_data.generator import generate

    out = args.out or Settings.from_env().landing_dir
    result = generate(
        out,
        events=args.events,
        days=args.days,
        start=date.fromisoformat(args.start),
        seed=args.seed,
        file_format=args.format,
        real_formats=args.real_formats,
    )
    print(
        f"wrote {result.events:,} usage events, {result.kpi_events:,} KPI events, "
        f"{result.transactions:,} transactions over {result.days} days to {result.out_dir} "
        f"in {result.seconds:.1f}s ({result.events / max(result.seconds, 1e-9):,.0f} events/s)"
    )
    return 0


def cmd_prepare(_: argparse.Namespace) -> int:
    from orchestration.dbt.project import ensure_manifest

    os.environ.update(Settings.from_env().dbt_env())
    print(f"dbt manifest: {ensure_manifest(force=True)}")
    return 0


def partition_days(settings: Settings) -> list[str]:
    """The arrival days with landing files, from the first daily partition on."""
    from orchestration.ingest.contracts import CONTRACTS
    from orchestration.ingest.engine import landing_days

    days = {d for ds in CONTRACTS for d in landing_days(settings.landing_dir, ds)}
    return sorted(d for d in days if d >= settings.partition_start)


def run_pipeline(
    first_day: str | None = None, last_day: str | None = None, instance=None, wait_seconds: float | None = None
) -> bool:
    """Materialize every asset through Dagster for the landing days in [first_day, last_day]."""
    from orchestration.dbt.project import ensure_manifest

    settings = Settings.from_env()
    os.environ.update(settings.dbt_env())
    ensure_manifest()  # re-parsed when a dbt file or the environment (lake, warehouse) changed
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    days = partition_days(settings)
    if not days:
        raise SystemExit(f"no landing files under {settings.landing_dir} (run `genai-finops sample-data` first)")
    first = first_day or days[0]
    last = last_day or days[-1]
    if instance is None:
        home = os.environ.get("DAGSTER_HOME")
        if home:  # a persistent instance: the run shows up in `dagster dev`
            Path(home).mkdir(parents=True, exist_ok=True)
            config = Path(home) / "dagster.yaml"
            if not config.exists():  # the same instance settings `make dev` uses (one warehouse writer at a time)
                config.write_text((PROJECT_DIR / "orchestration" / "dagster.yaml").read_text())
            instance = DagsterInstance.get()
        else:
            # an in-memory instance: a 90-day backfill records a few thousand planned-materialization
            # events, which cost ~15 ms each in a sqlite-backed instance
            instance = DagsterInstance.ephemeral()
    job = defs.resolve_job_def("refresh_warehouse")
    # the whole run holds the writer lock (its steps take it again, re-entrantly): a second refresh fails fast
    with writer_lock(settings, wait_seconds=wait_seconds, what=f"genai-finops run {first}..{last}"):
        result = job.execute_in_process(
            instance=instance,
            tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
            raise_on_error=False,
        )
    return result.success


EX_TEMPFAIL = 75  # another refresh holds the warehouse: try again later


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    started = time.perf_counter()
    manifest = Path(settings.landing_dir) / "_manifest.json"
    try:
        # one writer at a time, generation of the demo data included (it rewrites the landing folder)
        with writer_lock(settings, wait_seconds=args.wait, what="genai-finops run"):
            if args.regenerate or not manifest.exists():
                ns = argparse.Namespace(
                    events=args.events,
                    days=args.days,
                    start="2026-01-01",
                    seed=42,
                    out=settings.landing_dir,
                    format="parquet",
                    real_formats=True,  # the demo exercises every reader, and the bills
                )
                cmd_sample_data(ns)
            gen_s = time.perf_counter() - started
            ok = run_pipeline(args.first_day, args.last_day)
    except WarehouseBusy as exc:
        print(f"genai-finops run: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    total = time.perf_counter() - started
    events = json.loads(manifest.read_text()).get("events") if manifest.exists() else None
    print(
        json.dumps(
            {
                "success": ok,
                "warehouse": settings.duckdb_path,
                "published_for_readers": settings.published_path,
                "events_in_landing": events,
                "generate_seconds": round(gen_s, 2),
                "pipeline_seconds": round(total - gen_s, 2),
                "peak_rss_mib": round(_peak_rss_mib(), 1),
            },
            indent=2,
        )
    )
    if ok:
        _print_summary(settings.duckdb_path)
    return 0 if ok else 1


def _print_summary(duckdb_path: str) -> None:
    import duckdb

    con = duckdb.connect(duckdb_path, read_only=True)
    try:
        rows = con.execute(
            """
            select count(*), count(*) filter (where pricing_status = 'unpriced'), sum(total_cost_usd),
                   sum(list_equivalent_cost_usd)
            from marts.fct_genai_requests
            """
        ).fetchone()
        rec = con.execute(
            "select dataset, sum(records_read), sum(records_loaded), sum(records_quarantined), "
            "bool_and(is_reconciled) from marts.rpt_ingestion_reconciliation group by 1 order by 1"
        ).fetchall()
        billing = con.execute(
            "select platform, billed_effective_cost, computed_cost, variance, explained_corrections, "
            "explained_capacity, explained_untracked, explained_unpriced, explained_price_difference, "
            "unexplained_variance, usage_log_coverage_pct from marts.rpt_billing_reconciliation "
            "where billed_effective_cost <> 0 order by platform = '(all platforms)', platform"
        ).fetchall()
    finally:
        con.close()
    print(f"marts.fct_genai_requests: {rows[0]:,} requests, {rows[1]:,} unpriced, total cost ${rows[2]:,.2f}")
    for ds, read, loaded, quarantined, ok in rec:
        print(f"{ds}: read {read:,} = loaded {loaded:,} + quarantined {quarantined:,} (reconciled: {ok})")
    if billing:
        print(format_reconciliation(billing))


def format_reconciliation(rows) -> str:
    """The billing reconciliation per platform as a text table (USD)."""
    head = (
        "platform",
        "billed",
        "computed",
        "variance",
        "corrections",
        "capacity",
        "untracked",
        "unpriced",
        "price diff",
        "unexplained",
        "coverage %",
    )
    lines = ["billing reconciliation (effective cost, USD):", "  " + " ".join(f"{h:>12}" for h in head)]
    for platform, *money, coverage in rows:
        cells = [f"{platform:>12}"] + [f"{float(v):>12,.2f}" for v in money] + [f"{float(coverage or 0):>12.2f}"]
        lines.append("  " + " ".join(cells))
    return "\n".join(lines)


def cmd_refresh_prices(args: argparse.Namespace) -> int:
    from orchestration.pricing.refresh import (
        GenaiPricesCatalog,
        LiteLLMCatalog,
        apply_candidates,
        diff,
        load_catalog,
        write_candidates,
    )

    as_of, effective = date.fromisoformat(args.as_of), date.fromisoformat(args.effective)
    catalogs = []
    if args.litellm:
        catalogs.append(LiteLLMCatalog(load_catalog(args.litellm)))
    if args.genai_prices:
        catalogs.append(GenaiPricesCatalog(as_of))
    if not catalogs:
        print("refresh-prices: name a catalog: --litellm FILE and/or --genai-prices", file=sys.stderr)
        return 2
    if (args.write or args.apply) and len(catalogs) > 1:
        print("refresh-prices: --write / --apply take one catalog at a time", file=sys.stderr)
        return 2
    for catalog in catalogs:
        changes = diff(catalog, as_of)
        print(f"== {catalog.name} against the price in force on {as_of}")
        for c in changes:
            key = "/".join(c.key)
            if c.kind in ("changed", "overridden"):
                label = "changed" if c.kind == "changed" else "overridden"
                print(f"{label:<11} {key}: {c.field} {c.old or '(none)'} -> {c.new}")
            elif c.kind == "new_tier":
                print(f"new tier    {key}: {c.new}")
            else:
                print(f"not in catalog {key} (key {c.new})")
        counts = {
            k: sum(1 for c in changes if c.kind == k) for k in ("changed", "overridden", "new_tier", "not_in_catalog")
        }
        print(
            f"{counts['changed']} changed field(s), {counts['new_tier']} new tier(s), {counts['not_in_catalog']} "
            f"missing, {counts['overridden']} masked by a local override"
        )
        if args.write:
            n = write_candidates(catalog, changes, effective, Path(args.write))
            print(f"wrote {n} candidate row(s) to {args.write}: review, then apply")
        if args.apply:
            n = apply_candidates(catalog, changes, effective)
            print(f"appended {n} row(s) dated {effective} to seeds/reference/model_prices.csv (overrides untouched)")
    return 0


def cmd_compare_prices(args: argparse.Namespace) -> int:
    import tempfile

    from orchestration.pricing.compare import compare, format_table, probes, warehouse_prices
    from orchestration.pricing.refresh import load_catalog

    day = date.fromisoformat(args.day)
    probe_list = probes(day=day)
    with tempfile.TemporaryDirectory(prefix="finops_price_probes_") as tmp:
        prices = warehouse_prices(probe_list, day, Path(tmp))
    litellm = load_catalog(args.litellm) if args.litellm else None
    rows = compare(prices, day, litellm, probe_list)
    print(f"Price probes on {day}: the warehouse's list-equivalent price vs genai-prices' calc_price")
    print(format_table(rows))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from orchestration.bench import incremental, run

    if args.incremental:
        return incremental(args.events, args.days, args.workdir)
    return run(
        args.events, args.days, args.calc_sample, args.workdir, args.real_formats, args.window_days, args.landing
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="genai-finops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample-data", help="generate demo usage and KPI events into a landing folder")
    p.add_argument("--events", type=int, default=DEMO_EVENTS)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--start", default="2026-01-01", help="first day (YYYY-MM-DD)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", default=None, help="landing folder (default FINOPS_LANDING_DIR or data/landing)")
    p.add_argument("--format", choices=["parquet", "jsonl"], default="parquet")
    p.add_argument(
        "--real-formats",
        action="store_true",
        help="write support_chatbot as OTel spans and contract_extractor as Bedrock invocation logs",
    )
    p.set_defaults(fn=cmd_sample_data)

    p = sub.add_parser("run", help="build the whole warehouse through Dagster (generates demo data if absent)")
    p.add_argument("--events", type=int, default=DEMO_EVENTS, help="demo size when data must be generated")
    p.add_argument("--days", type=int, default=90, help="demo window when data must be generated")
    p.add_argument("--regenerate", action="store_true", help="regenerate the demo data first")
    p.add_argument("--first-day", default=None)
    p.add_argument("--last-day", default=None)
    p.add_argument(
        "--wait",
        type=float,
        default=None,
        help="seconds to wait for another refresh to finish (default FINOPS_LOCK_WAIT_SECONDS, 0: fail fast)",
    )
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("refresh-prices", help="compare the price book with maintained price catalogs")
    p.add_argument("--litellm", default=None, help="LiteLLM's model_prices_and_context_window JSON (.json, .json.gz)")
    p.add_argument("--genai-prices", action="store_true", help="the installed genai-prices package's data")
    p.add_argument("--as-of", default=date.today().isoformat(), help="compare with the price rows in force then")
    p.add_argument("--write", default=None, help="write candidate price rows (CSV) for the changes")
    p.add_argument("--apply", action="store_true", help="append the candidate rows to the price book seed")
    p.add_argument("--effective", default=date.today().isoformat(), help="valid_from of the candidate rows")
    p.set_defaults(fn=cmd_refresh_prices)

    p = sub.add_parser("bench", help="measure the pipeline at a stated scale against two references")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--calc-sample", type=int, default=20_000, help="events priced one by one with calc_price")
    p.add_argument("--workdir", default=None, help="folder for the landing, lake and warehouse (default: a temp dir)")
    p.add_argument("--real-formats", action="store_true", help="emit four use cases and the bills in real formats")
    p.add_argument(
        "--window-days",
        type=int,
        default=None,
        help="backfill in consecutive windows of this many arrival days, one Dagster run each "
        "(0: one run; default: 10 above 20M events, else 0)",
    )
    p.add_argument(
        "--landing",
        default=None,
        help="time the pipeline on these landing files instead of generating (canonical events; a fresh lake)",
    )
    p.add_argument(
        "--incremental",
        action="store_true",
        help="time one new day on top of --days of history against that day alone on an empty warehouse",
    )
    p.set_defaults(fn=cmd_bench)

    p = sub.add_parser("compare-prices", help="price probe requests of every demo model vs genai-prices")
    p.add_argument("--day", default="2026-03-01", help="date the probes are priced at")
    p.add_argument("--litellm", default=None, help="LiteLLM's catalog JSON, to say where the two catalogs agree")
    p.set_defaults(fn=cmd_compare_prices)

    p = sub.add_parser("prepare", help="parse the dbt project (writes target/manifest.json)")
    p.set_defaults(fn=cmd_prepare)

    args = parser.parse_args(argv)
    os.chdir(PROJECT_DIR)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
