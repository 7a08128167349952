"""The project's command line.

Product: `run` (build the warehouse from your landing folder), `demo` (build it from generated demo data in a
folder of its own), `generate-dbt` (the dbt files derived from the dataset registry), `prepare` (parse the
dbt project), `report` (the static HTML report from the published marts), `publish` (the marts for
readers), `focus-export` (the FOCUS 1.3 Parquet file). Tools (orchestration/tools): `sample-data`, `bench`,
`refresh-prices`, `compare-prices`, `forecast-holdout`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import signal
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.settings import PROJECT_DIR, MissingSalt, Settings
from orchestration.warehouse import WarehouseBusy

DEMO_EVENTS = 300_000
DEMO_DIR = "data/demo"
EX_TEMPFAIL = 75  # another refresh holds the warehouse: try again later
EX_NOINPUT = 66  # nothing to read
EX_CONFIG = 78  # a setting is missing


def iso_day(value: str) -> str:
    """A day argument, exactly YYYY-MM-DD (what the daily partitions are named); refused by the parser otherwise."""
    try:
        valid = date.fromisoformat(value).isoformat() == value
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {value!r}")
    return value


def window_days(value: str) -> int:
    """A window size in days: a whole number, 0 or more (0: one run); refused by the parser otherwise."""
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"not a number of days (0 or more): {value!r}")
    return int(value)


def _peak_rss_mib() -> float:
    """Peak resident memory of this process and of its finished children (dbt subprocesses), MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _stop_on_sigterm() -> None:
    """SIGTERM stops a run the way Ctrl-C does: reads in flight are interrupted, the writer lock is released."""

    def handler(signum, frame):
        from orchestration.ingest.engine import interrupt_reads

        interrupt_reads()
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def cmd_sample_data(args: argparse.Namespace) -> int:
    from orchestration.tools.sample_data.generator import DemoFolderError, generate

    try:
        result = generate(
            args.out,
            events=args.events,
            days=args.days,
            start=date.fromisoformat(args.start),
            seed=args.seed,
            file_format=args.format,
            real_formats=args.real_formats,
        )
    except DemoFolderError as exc:
        print(f"genai-finops sample-data: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {result.events:,} usage events, {result.kpi_events:,} KPI events, "
        f"{result.transactions:,} transactions over {result.days} days to {result.out_dir} "
        f"in {result.seconds:.1f}s ({result.events / max(result.seconds, 1e-9):,.0f} events/s)"
    )
    return 0


def cmd_prepare(_: argparse.Namespace) -> int:
    from orchestration.dbt.manifest import ensure_manifest

    print(f"dbt manifest: {ensure_manifest(Settings.from_env(), force=True)}")
    return 0


def cmd_generate_dbt(args: argparse.Namespace) -> int:
    from orchestration.dbt import generated

    if args.check:
        drift = generated.drift()
        for rel in drift:
            print(f"{rel} differs from orchestration/datasets.py: run `genai-finops generate-dbt`", file=sys.stderr)
        return 1 if drift else 0
    for rel in generated.write():
        print(f"wrote {rel}")
    return 0


def _log_file(settings: Settings) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return str(Path(settings.duckdb_path).parent / "logs" / f"run-{stamp}.log")


def _pull(settings: Settings, sources) -> None:
    """Pull every configured source (APIs, buckets) into the pulled folder before a run."""
    from orchestration.pull.run import pull_all

    if sources is None or not sources.names:
        return
    print(f"genai-finops: pulling {', '.join(sources.names)} into {settings.pulled_root}")
    for report in pull_all(settings, sources, log=lambda message: None):
        print(f"  {report.summary()}")


def _run(settings: Settings, args: argparse.Namespace, generated_seconds: float = 0.0, sources=None) -> int:
    """Pull the configured sources, then run the refresh job on `settings`' landing folders; print one line per
    step and the summary."""
    from orchestration.dbt.manifest import start_parse
    from orchestration.landing_state import (
        built_from,
        changed_days,
        day_ranges,
        landing_signatures,
        mark_pending,
        rebuild_range,
        record_built,
    )
    from orchestration.pipeline import NoLandingData, one_model_at_a_time, require_landing_data, run_pipeline, windows
    from orchestration.pull.api import PullError
    from orchestration.pull.storage import SyncError

    only_changed = getattr(args, "changed", False)
    if only_changed and (args.first_day or args.last_day):
        print(
            "genai-finops: --changed builds the days that changed; give it or --first-day/--last-day, not both",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    log_file = _log_file(settings)
    try:
        _pull(settings, sources)
    except (PullError, SyncError) as exc:
        print(f"genai-finops: {exc}", file=sys.stderr)
        return 1
    first = current = None  # the range, and the window running

    def resume_hint() -> None:
        """After a later window stopped: the windows before it are built and published."""
        if current is not None and current > first:
            rerun = "--changed" if only_changed else f"--first-day {current}"  # --changed: the days not built
            print(
                f"genai-finops: the days before {current} are built and published; to go on from there, rerun with "
                f"{rerun}",
                file=sys.stderr,
            )

    try:
        days = require_landing_data(settings)  # a missing or empty landing folder: nothing is written anywhere
        landing = landing_signatures(settings.landing_roots)  # recorded for the days each successful run builds
        seen = built_from(settings)  # the days built before this run, and from what
        if only_changed:
            todo = changed_days(seen, landing, settings.partition_start)
            if not todo:
                print(
                    f"genai-finops: nothing new, changed or gone in {settings.landing_dir} since "
                    f"{settings.duckdb_path} was built; nothing to build"
                )
                nothing = {
                    "success": True,
                    "days": None,
                    "days_changed": "",
                    "warehouse": settings.duckdb_path,
                    "pipeline_seconds": round(time.perf_counter() - started, 2),
                }
                print(json.dumps(nothing, indent=2))
                return 0
            listed = ", ".join(a if a == b else f"{a}..{b}" for a, b in day_ranges(todo))
            first, last = rebuild_range(todo, landing)
        else:
            first, last = args.first_day or days[0], args.last_day or days[-1]
        if first > last:  # refused before anything is written
            print(f"genai-finops: the first day {first} is after the last day {last}", file=sys.stderr)
            return 2
        start_parse(settings)  # a stale dbt manifest is parsed beside the imports of Dagster and Great Expectations
        settings.hash_salt()  # created (and announced) or refused before anything runs
        spans = windows(first, last, args.window_days)
        one_model_at_a_time(args.window_days if len(spans) > 1 else 0)
        print(f"genai-finops: building {settings.duckdb_path} from {settings.landing_dir}")
        if only_changed:
            count = f"{len(todo)} day{'s' if len(todo) > 1 else ''}"
            print(f"  {count} new, changed or gone since the last build: {listed}; building {first}..{last}")
        if len(spans) > 1:
            print(f"  {first}..{last} in {len(spans)} windows of at most {args.window_days} days, one run each")
        if last < days[-1] and any(day > last for day in seen):
            print(
                f"  the days after {last} are not rebuilt, though they read these days (transactions past midnight, "
                "the trailing-30-day reports): `genai-finops run --changed` builds from the first changed day to the "
                "last"
            )
        elif last < days[-1]:
            print(f"  the days after {last} are not built: `genai-finops run --changed` builds them")
        print(f"  Dagster's event stream: {log_file}")
        mark_pending(settings, landing, first, last)  # until its window is built, a day counts as changed
        for current, window_last in spans:
            window_started = time.perf_counter()
            outcome = run_pipeline(
                settings,
                current,
                window_last,
                wait_seconds=args.wait,
                log_file=log_file,
                quiet=not args.verbose,
                caller_records=True,  # below, once the whole run has succeeded
            )
            if len(spans) > 1:
                state = "built" if outcome.success else "FAILED"
                print(f"  window {current}..{window_last}: {state} ({time.perf_counter() - window_started:.1f} s)")
            if not outcome.success:
                break
            record_built(settings, landing, current, window_last)
    except NoLandingData as exc:
        print(f"genai-finops: {exc}", file=sys.stderr)
        return EX_NOINPUT
    except MissingSalt as exc:
        print(f"genai-finops: {exc}", file=sys.stderr)
        return EX_CONFIG
    except WarehouseBusy as exc:
        print(f"genai-finops: {exc}", file=sys.stderr)
        resume_hint()
        return EX_TEMPFAIL
    except KeyboardInterrupt:
        print("genai-finops: stopped; the warehouse keeps its last complete build (rerun to finish)", file=sys.stderr)
        resume_hint()
        return 130
    seconds = time.perf_counter() - started
    summary = {
        "success": outcome.success,
        "days": f"{first}..{last}",
        "warehouse": settings.duckdb_path,
        "published_for_readers": settings.published_path,
        "log": log_file,
        "generate_seconds": round(generated_seconds, 2),
        "pipeline_seconds": round(seconds, 2),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
    }
    if only_changed:
        summary["days_changed"] = listed
    if len(spans) > 1:
        summary["windows"] = len(spans)
    if not outcome.success:
        summary["failed_days"] = f"{outcome.first_day}..{outcome.last_day}"
    print(json.dumps(summary, indent=2))
    if outcome.success:
        _print_summary(settings.duckdb_path)
        report_unread(settings)
        if Path(settings.report_path).exists():
            print(f"report: {Path(settings.report_path).resolve()} (open it in a browser; no network needed)")
    else:
        for failure in outcome.failures:
            print(f"genai-finops: {failure}", file=sys.stderr)
        resume_hint()
        print(f"genai-finops: the run failed; see {log_file}", file=sys.stderr)
    return 0 if outcome.success else 1


def _sources(args: argparse.Namespace):
    from orchestration.pull.config import load_sources

    return None if getattr(args, "no_pull", False) else load_sources(getattr(args, "sources", None))


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.pull.config import SourcesConfigError

    overrides = {"landing_dir": args.landing} if args.landing else {}
    try:
        sources = _sources(args)
    except SourcesConfigError as exc:
        print(f"genai-finops: {exc}", file=sys.stderr)
        return EX_CONFIG
    return _run(Settings.from_env(**overrides), args, sources=sources)


def cmd_pull(args: argparse.Namespace) -> int:
    """Pull the sources of sources.yml (or one of them) into the pulled folder, without building."""
    from orchestration.pull.api import PullError
    from orchestration.pull.config import SourcesConfigError, load_sources
    from orchestration.pull.run import pull_all
    from orchestration.pull.storage import SyncError

    settings = Settings.from_env()
    try:
        config = load_sources(args.sources)
        if not config.names:
            print("genai-finops pull: no sources configured (sources.yml, or FINOPS_SOURCES_CONFIG)", file=sys.stderr)
            return EX_CONFIG
        reports = pull_all(settings, config, log=lambda message: None, only=args.source)
    except (SourcesConfigError, KeyError) as exc:
        print(f"genai-finops pull: {exc}", file=sys.stderr)
        return EX_CONFIG
    except (PullError, SyncError) as exc:
        print(f"genai-finops pull: {exc}", file=sys.stderr)
        return 1
    for report in reports:
        print(report.summary())
    return 0


def demo_settings(folder: str) -> Settings:
    """Everything of the demo under one folder of its own (landing, lake, warehouse, published copy, dbt
    artifacts): it never mixes with, nor touches, the data of `genai-finops run`."""
    root = Path(folder)
    return Settings.from_env(
        landing_dir=str(root / "landing"),
        lake_dir=str(root / "lake"),
        duckdb_path=str(root / "warehouse.duckdb"),
        published_path=str(root / "published" / "warehouse.duckdb"),
        salt_policy="demo",
        partition_start="2026-01-01",
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.dbt.manifest import start_parse
    from orchestration.tools.sample_data.generator import MANIFEST, DemoFolderError, check_demo_folder, generate
    from orchestration.warehouse import writer_lock

    settings = demo_settings(args.dir)
    landing = Path(settings.landing_dir)
    started = time.perf_counter()
    try:
        check_demo_folder(landing)  # before anything is written (the lock file included)
        start_parse(settings)  # a stale dbt manifest (a new clone, a changed model) is parsed beside the generator
        with writer_lock(settings, wait_seconds=args.wait, what="genai-finops demo (generating)"):
            if args.regenerate or not (landing / MANIFEST).exists():
                result = generate(
                    landing,
                    events=args.events,
                    days=args.days,
                    start=date(2026, 1, 1),
                    seed=42,
                    real_formats=True,
                    cur_layout="bucket",
                )
                print(f"generated {result.events:,} demo usage events over {result.days} days in {landing}")
    except DemoFolderError as exc:
        print(f"genai-finops demo: {exc}", file=sys.stderr)
        return 2
    except WarehouseBusy as exc:
        print(f"genai-finops demo: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    return _run(settings, args, time.perf_counter() - started, sources=demo_sources(landing))


def demo_sources(landing: Path):
    """The demo's object-storage source: its AWS Data Exports (CUR 2.0) delivered to a bucket-shaped folder
    (`<landing>/_bucket`, manifests and a re-delivered month), synced like an S3 prefix."""
    from orchestration.pull.config import SourcesConfig
    from orchestration.pull.storage import BucketSource
    from orchestration.tools.sample_data.billing import DEMO_CUR_EXPORT

    export = landing / "_bucket" / DEMO_CUR_EXPORT
    if not export.is_dir():
        return None
    return SourcesConfig((), {}, (BucketSource("demo_cur", str(export), "aws_cur", layout="cur2"),))


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
            "select dataset, count(*) filter (where file_status <> 'skipped'), sum(records_read), sum(records_loaded), "
            "sum(records_quarantined), count(*) filter (where file_status = 'skipped'), bool_and(is_reconciled) "
            "from marts.rpt_ingestion_reconciliation group by 1 order by 1"
        ).fetchall()

        billing = con.execute(
            "select platform, billed_effective_cost, computed_cost, variance, explained_corrections, "
            "explained_capacity, explained_untracked, explained_unpriced, explained_price_difference, "
            "unexplained_variance, usage_log_coverage_pct from marts.rpt_billing_reconciliation "
            "where billed_effective_cost <> 0 order by platform = '(all platforms)', platform"
        ).fetchall()
        forecast = con.execute(
            """
            select
                (select count(distinct series_id) from marts.fct_forecast_daily),
                (select count(distinct series_id) from marts.fct_forecast_daily where is_fallback),
                (select max(origin_date) from marts.fct_forecast_daily),
                (select sum(point) from marts.fct_forecast_daily
                 where scope = 'total' and metric = 'cost_usd' and horizon_days <= 30),
                (select sum(y) from intermediate.int_forecast_history
                 where scope = 'total' and metric = 'cost_usd'
                   and ds > (select max(ds) from intermediate.int_forecast_history) - interval 30 day),
                (select count(*) from marts.rpt_budget_status where not is_month_closed and is_forecast_complete),
                (select count(*) from marts.rpt_budget_status
                 where not is_month_closed and is_forecast_complete and is_forecast_over_budget)
            """
        ).fetchone()
        anomalies = con.execute(
            """
            select count(*), count(*) filter (where status = 'open'), coalesce(sum(impact_usd), 0),
                   string_agg(use_case_id || ' ' || strftime(started_at, '%Y-%m-%d') || ' ' || top_driver || ' '
                              || printf('%+.2f', impact_usd), ', ' order by started_at, use_case_id)
            from marts.fct_anomalies
            where grain = 'day' and level = 'use_case' and metric = 'cost_usd' and status <> 'withdrawn'
            """
        ).fetchone()
    finally:
        con.close()
    print(f"marts.fct_genai_requests: {rows[0]:,} requests, {rows[1]:,} unpriced, total cost ${rows[2]:,.2f}")
    for ds, files, read, loaded, quarantined, skipped, ok in rec:
        print(
            f"{ds}: {files:,} files, read {read:,} = loaded {loaded:,} + quarantined {quarantined:,} "
            f"(reconciled: {ok}){f'; {skipped} entries skipped' if skipped else ''}"
        )

    if billing:
        print(format_reconciliation(billing))
    series, fallbacks, origin, next_30, last_30, budgets, over = forecast
    if series:
        print(
            f"forecasts: {series:,} series ({fallbacks:,} on a fallback); total cost of the 30 days after {origin}: "
            f"${float(next_30 or 0):,.2f} (the 30 days before: ${float(last_30 or 0):,.2f}); "
            f"{over} of {budgets} open budget(s) forecast over"
        )
    _print_anomalies(anomalies)


def _print_anomalies(anomalies: tuple) -> None:
    count, open_, impact, listed = anomalies
    if count:
        print(
            f"anomalies: {count} daily cost anomalies of use cases ({open_} open), impact ${float(impact):,.2f} "
            f"(use case, day, top driver, USD): {listed}"
        )


def report_unread(settings: Settings) -> None:
    """What the run did not read, and why: top-level entries that are no dataset's folder, and the entries of
    dataset folders that were skipped (from the ingestion log)."""
    import duckdb

    from orchestration.datasets import DATASETS
    from orchestration.ingest.landing import unknown_folders

    for name in unknown_folders(settings.landing_dir, {ds.landing for ds in DATASETS}):
        print(f"not read: {name}{'/' if Path(settings.landing_dir, name).is_dir() else ''} (not a dataset folder)")
    con = duckdb.connect(settings.duckdb_path, read_only=True)
    try:
        skipped = con.execute(
            "select source_file, skip_reason from staging.stg_lake__ingestion_log where file_status = 'skipped' "
            "order by 1"
        ).fetchall()
    finally:
        con.close()
    base = settings.landing_dir.rstrip("/") + "/"
    for path, reason in skipped:
        print(f"not read: {path.removeprefix(base)}: {reason}")


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
    from orchestration.tools.pricing.refresh import (
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

    from orchestration.tools.pricing.compare import compare, format_table, probes, warehouse_prices
    from orchestration.tools.pricing.refresh import load_catalog

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
    from orchestration.tools.bench import incremental, run

    if args.incremental:
        return incremental(args.events, args.days, args.workdir, sample=args.calc_sample, window_days=args.window_days)
    return run(
        args.events, args.days, args.calc_sample, args.workdir, args.real_formats, args.window_days, args.landing
    )


def cmd_forecast_holdout(args: argparse.Namespace) -> int:
    from orchestration.forecast.core import candidates
    from orchestration.tools.forecast_holdout import report

    warehouse = args.warehouse or Settings.from_env().duckdb_path  # it reads the forecast history (intermediate)
    if not Path(warehouse).exists():
        print(f"no warehouse at {warehouse}: build one first (make run), or give --warehouse", file=sys.stderr)
        return 66
    for metric in args.metric:
        print(report(warehouse, args.days, metric, args.scope, candidates(args.methods)))
        print()
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from orchestration.publish import publish_marts
    from orchestration.warehouse import writer_lock

    settings = Settings.from_env()
    if not Path(settings.duckdb_path).exists():
        print(f"no warehouse at {settings.duckdb_path}: build one first", file=sys.stderr)
        return 66
    manifest = Path(settings.dbt_target_dir) / "manifest.json"
    try:
        with writer_lock(settings, wait_seconds=args.wait, what="genai-finops publish"):
            report = publish_marts(settings.duckdb_path, settings.published_path, manifest, full=args.full)
    except WarehouseBusy as exc:
        print(f"genai-finops publish: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    print(f"published {settings.published_path}: {report.summary()}")
    return 0


def _published_marts(args: argparse.Namespace, settings: Settings) -> str | None:
    """--warehouse, else the published marts; None (and why, on stderr) when there is none."""
    warehouse = args.warehouse or settings.published_path
    if not Path(warehouse).exists():
        print(f"no warehouse at {warehouse}: build one first (make run), or give --warehouse", file=sys.stderr)
        return None
    return warehouse


def cmd_focus_export(args: argparse.Namespace) -> int:
    from orchestration.focus_export import write_focus_export

    settings = Settings.from_env()
    warehouse = _published_marts(args, settings)
    if warehouse is None:
        return EX_NOINPUT
    path, rows = write_focus_export(warehouse, args.out or settings.focus_export_path)
    print(f"FOCUS 1.3 export: {path.resolve()} ({rows:,} rows)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from orchestration.report import write_report

    settings = Settings.from_env()
    warehouse = _published_marts(args, settings)
    if warehouse is None:
        return EX_NOINPUT
    path, data = write_report(warehouse, args.out or settings.report_path, args.period_days)
    print(f"report: {path.resolve()} ({path.stat().st_size / 2**20:.1f} MiB; {data.period_start} to {data.period_end})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="genai-finops", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def run_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--first-day", type=iso_day, help="first arrival day to (re)build (default: the first with files)"
        )
        p.add_argument("--last-day", type=iso_day, help="last arrival day to (re)build (default: the last with files)")
        p.add_argument(
            "--wait",
            type=float,
            default=None,
            help="seconds to wait for another refresh to finish (default FINOPS_LOCK_WAIT_SECONDS, 0: fail fast)",
        )
        p.add_argument(
            "--window-days",
            type=window_days,
            default=0,
            metavar="N",
            help="build the days in consecutive windows of this many days, one run each, one dbt model at a time "
            "unless FINOPS_DBT_THREADS is set (a large history: DuckDB's memory holds a window, not everything; "
            "0, the default: one run)",
        )
        p.add_argument("--verbose", action="store_true", help="Dagster's event stream on the terminal too")

    p = sub.add_parser("run", help="build the warehouse from your landing folder (FINOPS_LANDING_DIR or --landing)")
    p.add_argument("--landing", default=None, help="the landing folder (default FINOPS_LANDING_DIR, data/landing)")
    p.add_argument("--sources", default=None, help="the sources file (default FINOPS_SOURCES_CONFIG, sources.yml)")
    p.add_argument("--no-pull", action="store_true", help="do not pull the sources of sources.yml first")
    p.add_argument(
        "--changed",
        action="store_true",
        help="build from the first day whose landing files are new, changed or gone since this warehouse's last "
        "build to the last day (nothing if none; every day after a change in the dbt project or its seeds); for a "
        "daily scheduler",
    )
    run_options(p)
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("pull", help="pull the sources of sources.yml (APIs, buckets) into the pulled folder")
    p.add_argument("--sources", default=None, help="the sources file (default FINOPS_SOURCES_CONFIG, sources.yml)")
    p.add_argument("--source", default=None, help="only this source")
    p.set_defaults(fn=cmd_pull)

    p = sub.add_parser("demo", help="build a demo warehouse from generated data, in a folder of its own")
    p.add_argument("--dir", default=DEMO_DIR, help=f"the demo's folder (default {DEMO_DIR})")
    p.add_argument("--events", type=int, default=DEMO_EVENTS, help="demo size when data is generated")
    p.add_argument("--days", type=int, default=90, help="demo window (days from 2026-01-01) when data is generated")
    p.add_argument("--regenerate", action="store_true", help="generate the demo data again first")
    run_options(p)
    p.set_defaults(fn=cmd_demo)

    p = sub.add_parser("generate-dbt", help="write the dbt files derived from the dataset registry")
    p.add_argument("--check", action="store_true", help="only check that they are current (exit 1 if not)")
    p.set_defaults(fn=cmd_generate_dbt)

    p = sub.add_parser("prepare", help="parse the dbt project (writes the manifest Dagster loads)")
    p.set_defaults(fn=cmd_prepare)

    p = sub.add_parser("sample-data", help="tool: write generated demo landing files into an empty folder")
    p.add_argument("--out", required=True, help="an empty folder, or one holding a previous demo")
    p.add_argument("--events", type=int, default=DEMO_EVENTS)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--start", default="2026-01-01", help="first day (YYYY-MM-DD)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--format", choices=["parquet", "jsonl"], default="parquet")
    p.add_argument(
        "--real-formats",
        action="store_true",
        help="write four use cases in the formats real systems emit (OTel, Bedrock, LiteLLM, Anthropic) and the bills",
    )
    p.set_defaults(fn=cmd_sample_data)

    p = sub.add_parser("bench", help="tool: measure the pipeline at a stated scale against two references")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--calc-sample", type=int, default=20_000, help="events priced one by one with calc_price")
    p.add_argument("--workdir", default=None, help="folder for the landing, lake and warehouse (default: a temp dir)")
    p.add_argument("--real-formats", action="store_true", help="emit four use cases and the bills in real formats")
    p.add_argument(
        "--window-days",
        type=window_days,
        default=None,
        help="backfill (with --incremental: the history) in consecutive windows of this many arrival days, one "
        "Dagster run each (0: one run; default: 10 above 20M events, else 0)",
    )
    p.add_argument(
        "--landing",
        default=None,
        help="time the pipeline on these landing files instead of generating (canonical events; a fresh lake)",
    )
    p.add_argument(
        "--incremental",
        action="store_true",
        help="time one new day on top of --days of history (built in windows above 20M events) against that day "
        "alone on an empty warehouse; history and day together end to end, with the lower bound and calculator",
    )
    p.set_defaults(fn=cmd_bench)

    p = sub.add_parser("refresh-prices", help="tool: compare the price book with maintained price catalogs")
    p.add_argument("--litellm", default=None, help="LiteLLM's model_prices_and_context_window JSON (.json, .json.gz)")
    p.add_argument("--genai-prices", action="store_true", help="the installed genai-prices package's data")
    p.add_argument("--as-of", default=date.today().isoformat(), help="compare with the price rows in force then")
    p.add_argument("--write", default=None, help="write candidate price rows (CSV) for the changes")
    p.add_argument("--apply", action="store_true", help="append the candidate rows to the price book seed")
    p.add_argument("--effective", default=date.today().isoformat(), help="valid_from of the candidate rows")
    p.set_defaults(fn=cmd_refresh_prices)

    p = sub.add_parser("compare-prices", help="tool: price probe requests of every demo model vs genai-prices")
    p.add_argument("--day", default="2026-03-01", help="date the probes are priced at")
    p.add_argument("--litellm", default=None, help="LiteLLM's catalog JSON, to say where the two catalogs agree")
    p.set_defaults(fn=cmd_compare_prices)

    p = sub.add_parser(
        "forecast-holdout", help="tool: forecast a warehouse's last days from the days before and score it"
    )
    p.add_argument("--warehouse", default=None, help="a warehouse file (default: FINOPS_DUCKDB_PATH's)")
    p.add_argument("--days", type=int, default=30, help="days held out (default 30)")
    p.add_argument("--metric", nargs="+", default=["cost_usd"], choices=["requests", "tokens", "cost_usd", "value_usd"])
    p.add_argument("--scope", default="use_case", choices=["use_case_model", "use_case", "platform", "team", "total"])
    p.add_argument("--methods", default=None, help="candidate methods (default: seasonal_naive,ets,mstl)")
    p.set_defaults(fn=cmd_forecast_holdout)

    p = sub.add_parser("publish", help="publish the marts for readers (after a dbt build outside Dagster)")
    p.add_argument("--full", action="store_true", help="write every mart whole (default: what changed)")
    p.add_argument("--wait", type=float, default=0, help="seconds to wait for a running refresh (default 0)")
    p.set_defaults(fn=cmd_publish)

    p = sub.add_parser("focus-export", help="write the FOCUS 1.3 export (Parquet) from the published marts")
    p.add_argument("--warehouse", default=None, help="a warehouse or published marts file (default: the published one)")
    p.add_argument(
        "--out", default=None, help="the Parquet file (default: focus/genai_cost_and_usage.parquet beside it)"
    )
    p.set_defaults(fn=cmd_focus_export)

    p = sub.add_parser("report", help="write the static HTML report from the published marts")
    p.add_argument("--warehouse", default=None, help="a warehouse or published marts file (default: the published one)")
    p.add_argument("--out", default=None, help="the HTML file (default: report.html beside the published marts)")
    p.add_argument("--period-days", type=int, default=30, help="days of the headline period (default 30)")
    p.set_defaults(fn=cmd_report)

    args = parser.parse_args(argv)
    # the user's paths, from where they are
    for name in ("landing", "out", "dir", "workdir", "litellm", "write", "warehouse"):
        value = getattr(args, name, None)
        if value and "://" not in value:
            setattr(args, name, os.path.abspath(value))
    os.chdir(PROJECT_DIR)
    _stop_on_sigterm()
    return args.fn(args)


def end_of_command() -> None:
    """Before the process exits: what is garbage now is collected (its finalizers run), then everything still
    alive moves to the collector's permanent generation. The interpreter's exit clears the modules and then runs
    full collections over all that the command loaded (Dagster, dagster-dbt, Great Expectations, pandas: about
    725,000 objects after the demo), which walked the heap for 2.7-2.8 s after `genai-finops demo` printed its
    summary; 0.8 s this way (docs/benchmarks.md). Reference counting still frees what the modules' clearing
    drops, and the exit functions (`atexit`: log handlers flushed, locks released) run as before; a reference
    cycle that only the modules' clearing leaves unreachable is not collected: the process ends, and its memory
    with it."""
    gc.collect()
    gc.freeze()


def forget_caught_interrupt() -> None:
    """CPython (3.11) marks an interrupt unhandled when a KeyboardInterrupt leaves code run by exec() or eval() of
    a string, even when a caller catches it, and the interpreter started as `python -m` then ends by killing
    itself with SIGINT instead of exiting with the command's code (cpython gh-128130). A stop request (SIGTERM,
    Ctrl-C) that arrives while a module is imported lands there often: namedtuple() and alembic's proxies build
    their code with exec(). The command catches the stop and returns 130; a string run to its end clears the
    mark."""
    exec("pass")


def entry() -> None:
    """The `genai-finops` command (and `python -m orchestration.cli`): main(), then end_of_command()."""
    code = main()
    end_of_command()
    forget_caught_interrupt()
    sys.exit(code)


if __name__ == "__main__":
    entry()
