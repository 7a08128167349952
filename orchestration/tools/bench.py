"""`genai-finops bench`: the pipeline's speed at a stated scale, measured, against two references.

Generates N events (timed on its own) into a fresh folder, runs the whole pipeline through Dagster on a
fresh warehouse, and prints seconds per stage (generate; per-dataset ingestion and Great Expectations
validation; dbt per layer from dbt's own timings; the mart checks and the publish step), events per second
end to end, and the peak RSS of the pipeline's process tree (this process and every child, sampled; the
generator's apart). On the same events it also measures (a) the lower bound: one hand-written DuckDB query
that prices the events into a table, and (b) a per-request Python price calculator, genai-prices'
`calc_price`, on a sample of events, extrapolated; and prints the pipeline's throughput against both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from orchestration.settings import PROJECT_DIR, SEEDS_DIR, workdir_env


class TreeRss:
    """Peak resident memory of this process and all its descendants, sampled every 0.2 s from /proc, which
    processes held it at the peak, and when (`peak_time`, epoch seconds: the clock of Dagster's event records)."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_time = 0.0
        self.at_peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        root = os.getpid()
        while not self._stop.is_set():
            parts = tree_rss(root)
            total = sum(parts.values())
            if total > self.peak:
                self.peak, self.peak_time = total, time.time()
                self.at_peak = defaultdict(int)
                for pid, rss in parts.items():
                    self.at_peak["this process" if pid == root else _process_name(pid)] += rss
            self._stop.wait(0.2)

    def breakdown(self) -> str:
        """The processes at the peak, largest first: `dbt 5.91 GiB, this process 1.40 GiB`."""
        top = sorted(self.at_peak.items(), key=lambda item: -item[1])
        return ", ".join(f"{name} {rss / 2**30:.2f} GiB" for name, rss in top if rss >= 2**26)


def _process_name(pid: int) -> str:
    """The program a process runs: the script's name for an interpreter (`dbt`), else the executable's."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [Path(a.decode(errors="replace")).name for a in f.read().split(b"\0") if a]
    except OSError:
        return "exited"
    if "-c" in argv:
        return "python -c"
    names = [a for a in argv if not a.startswith("python") and not a.startswith("-")]
    return names[0] if names else (argv[0] if argv else "?")


def tree_rss(root: int) -> dict[int, int]:
    """Resident bytes of each process of the tree below root (root included)."""
    children: dict[int, list[int]] = defaultdict(list)
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children[ppid].append(int(entry))
        rss[int(entry)] = pages * page
    tree, stack = {}, [root]
    while stack:
        pid = stack.pop()
        tree[pid] = rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return tree


def lower_bound_seconds(landing: Path, work: Path) -> tuple[float, int]:
    """One DuckDB query pricing every canonical event (effective-dated list price, cached and output tokens)
    into a table: what the work costs with nothing around it."""
    import duckdb

    con = duckdb.connect(str(work / "lower_bound.duckdb"))
    started = time.perf_counter()
    con.execute(
        f"""
        create table priced as
        with prices as (
            select platform, model_id, region_scope, service_tier, cast(valid_from as date) as valid_from,
                   lead(cast(valid_from as date)) over (
                       partition by platform, model_id, region_scope, service_tier order by cast(valid_from as date)
                   ) as valid_to,
                   cast(input_usd_per_mtok as decimal(18, 6)) as rate_in,
                   cast(nullif(cached_input_usd_per_mtok, '') as decimal(18, 6)) as rate_cached,
                   cast(output_usd_per_mtok as decimal(18, 6)) as rate_out
            from read_csv('{SEEDS_DIR / "model_prices.csv"}', all_varchar = true)
        ),
        aliases as (select * from read_csv('{SEEDS_DIR / "model_aliases.csv"}', all_varchar = true)),
        events as (
            select e.*, coalesce(a.model_id, lower(e.model)) as model_id,
                   coalesce(e.region_scope, nullif(a.implied_region_scope, ''), 'global') as scope
            from read_parquet('{landing}/usage_events/*/*.parquet') as e
            left join aliases as a on e.model = a.raw_model
        )
        select events.event_id,
               cast((events.input_tokens - coalesce(events.cached_input_tokens, 0)) * p.rate_in
                    + coalesce(events.cached_input_tokens, 0) * coalesce(p.rate_cached, p.rate_in)
                    + events.output_tokens * p.rate_out as decimal(38, 10)) / 1000000 as cost_usd
        from events
        left join prices as p
            on events.platform = p.platform and events.model_id = p.model_id and events.scope = p.region_scope
            and coalesce(events.service_tier, 'standard') = p.service_tier
            and cast(events.occurred_at as date) >= p.valid_from
            and (p.valid_to is null or cast(events.occurred_at as date) < p.valid_to)
        """
    )
    seconds = time.perf_counter() - started
    n = con.execute("select count(*) from priced").fetchone()[0]
    con.close()
    return seconds, n


def calculator_events_per_second(landing: Path, sample: int) -> tuple[float, int]:
    """genai-prices' calc_price, one request at a time, on `sample` events drawn from the landing files."""
    import duckdb
    from genai_prices import Usage, calc_price

    con = duckdb.connect()
    rows = con.execute(
        f"""
        select model, input_tokens, coalesce(cached_input_tokens, 0), output_tokens, occurred_at
        from read_parquet('{landing}/usage_events/*/*.parquet')
        where platform in ('openai', 'anthropic') using sample reservoir({sample} rows) repeatable (7)
        """
    ).fetchall()
    con.close()
    providers = {"gpt": "openai", "o4": "openai", "claude": "anthropic"}
    started = time.perf_counter()
    priced = 0
    for model, tokens_in, cached, tokens_out, at in rows:
        provider = next((p for k, p in providers.items() if model.startswith(k)), "openai")
        try:
            calc_price(
                Usage(input_tokens=tokens_in, cache_read_tokens=cached, output_tokens=tokens_out),
                model,
                provider_id=provider,
                genai_request_timestamp=at if at.tzinfo else at.replace(tzinfo=UTC),
            )
            priced += 1
        except LookupError:  # a model genai-prices does not know: still a lookup the calculator paid for
            pass
    seconds = time.perf_counter() - started
    return len(rows) / seconds, priced


SHARD_EVENTS = 2_500_000


def _generate_shard(part: Path, events: int, days: int, seed: int) -> int:
    from orchestration.tools.sample_data.generator import generate

    return generate(part, events=events, days=days, start=date(2026, 1, 1), seed=seed).events


def generate_landing(landing: Path, events: int, days: int, real_formats: bool, workers: int | None = None) -> int:
    """The demo's events into one landing folder. The generator holds a run's events in memory, so above
    SHARD_EVENTS it writes shards of at most that many events, each with its own seed (distinct event and
    transaction ids; capacity saturation is simulated per shard), `workers` at a time in threads (default: the
    machine's cores; numpy and DuckDB do their work without the interpreter's lock, and two 2.5M-event shards
    peak at ~1.7 GiB), and moves their files into one folder (`s<k>_` prefixes). Sharded runs write canonical
    events only: each shard's bills would be a whole bill. What the generator freed is returned to the system
    before it returns, so that a pipeline run after it in this process does not count it in its peak (10M
    events generated: 0.50 GiB held after, 0.25 GiB returned)."""
    from orchestration.quality.validation import return_freed_memory

    try:
        return _generate_landing(landing, events, days, real_formats, workers)
    finally:
        return_freed_memory()


def _generate_landing(landing: Path, events: int, days: int, real_formats: bool, workers: int | None) -> int:
    import math
    from concurrent.futures import ThreadPoolExecutor

    from orchestration.tools.sample_data.generator import clear_previous_demo, generate, publish_demo

    shards = max(1, math.ceil(events / SHARD_EVENTS))
    if shards == 1:
        return generate(landing, events=events, days=days, start=date(2026, 1, 1), real_formats=real_formats).events
    clear_previous_demo(landing)
    landing.mkdir(parents=True, exist_ok=True)
    merged = landing / ".generating-shards"
    parts = [landing.parent / f".{landing.name}.shard{k}" for k in range(shards)]
    sizes = [events // shards + (1 if k < events % shards else 0) for k in range(shards)]
    workers = min(workers or os.cpu_count() or 1, shards)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        total = sum(pool.map(_generate_shard, parts, sizes, [days] * shards, [42 + k for k in range(shards)]))
    for k, part in enumerate(parts):
        for f in sorted(p for p in part.rglob("*") if p.is_file() and p.name != "_manifest.json"):
            dest = merged / f.relative_to(part)
            dest.parent.mkdir(parents=True, exist_ok=True)
            f.rename(dest.with_name(f"s{k}_{dest.name}"))
        shutil.rmtree(part)
    publish_demo(merged, landing, {"events": total, "days": days, "shards": shards})
    return total


def stage_seconds(instance, run_id: str, spans: list[tuple[float, float, str]] | None = None) -> dict[str, float]:
    """Seconds per Dagster step of the run, from its event log; the ingestion steps split into reading the
    landing files (the assets' own `seconds`) and the rest (the reconciliation checks), which counts as the
    dataset's validation with its contract check's step (the wait for Great Expectations' outcome). Each
    step's (start, end, step key) is appended to `spans` when given (`step_at`)."""
    from dagster import DagsterEventType

    starts, out = {}, {}
    ingest_own: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[event.step_key] = record.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            out[event.step_key] = record.timestamp - starts.get(event.step_key, record.timestamp)
            if spans is not None:
                spans.append((starts.get(event.step_key, record.timestamp), record.timestamp, event.step_key))
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            meta = event.event_specific_data.materialization.metadata
            if "seconds" in meta and event.step_key.startswith("ingest_"):
                ingest_own[event.step_key] = float(meta["seconds"].value)
    stages: dict[str, float] = defaultdict(float)
    for step, seconds in sorted(out.items()):
        contract = re.fullmatch(r"raw__(\w+)_ge_contract", step)
        if step.startswith("ingest_"):
            own = ingest_own.get(step, 0.0)
            stages[f"ingest {step.removeprefix('ingest_')}"] += own
            stages[f"validate {step.removeprefix('ingest_')}"] += max(seconds - own, 0.0)
        elif contract:  # the wait for the validation worker's answer (it validated beside the next ingestion)
            stages[f"validate {contract.group(1)}"] += seconds
        else:
            stages[step] = seconds
    return dict(stages)


def models_in(folder: str) -> set[str]:
    """The models of a step (models/intermediate/<folder>, models/marts/<folder>)."""
    return {p.stem for p in (PROJECT_DIR / "models").glob(f"*/{folder}/*") if p.suffix in (".sql", ".py")}


# steps measured as layers of their own: the models of these folders
OWN_LAYERS = {"forecast": "dbt forecasts (models/*/forecast)", "anomaly": "dbt anomalies (models/*/anomaly)"}


def newest_run_results(target_dir: Path, since: float) -> dict | None:
    """dbt's newest run_results.json under `target_dir` written after `since` (None: no build since)."""
    results = [p for p in target_dir.rglob("run_results.json") if p.stat().st_mtime >= since]
    return json.loads(max(results, key=lambda p: p.stat().st_mtime).read_text()) if results else None


def dbt_layer_seconds(target_dir: Path, since: float) -> dict[str, float]:
    """Seconds dbt spent per layer (sum of node execution times; 2 threads overlap them) from the newest
    run_results.json written after `since`; the forecast and anomaly models are layers of their own."""
    data = newest_run_results(target_dir, since)
    if data is None:
        return {}
    layers: dict[str, float] = defaultdict(float)
    own = {model: layer for folder, layer in OWN_LAYERS.items() for model in models_in(folder)}
    for r in data["results"]:
        uid = r["unique_id"]
        kind = uid.split(".")[0]
        if kind == "model" and uid.split(".")[-1] in own:
            layer = own[uid.split(".")[-1]]
        elif kind == "model":
            name = uid.split(".")[-1]
            layer = name.split("_")[0] if name.split("_")[0] in ("stg", "int") else "marts"
            layer = {"stg": "dbt staging", "int": "dbt intermediate", "marts": "dbt marts"}[layer]
        else:
            layer = f"dbt {kind}s"
        layers[layer] += r["execution_time"]
    return dict(layers)


WINDOW_EVENTS = 20_000_000  # above this, bench backfills in windows of WINDOW_DAYS days unless told
WINDOW_DAYS = 10


def backfill_window_days(events: int, window_days: int | None) -> int:
    """The bench's window size: `window_days` when given, else WINDOW_DAYS above WINDOW_EVENTS events (0: one
    run); windowed runs build one dbt model at a time, as `genai-finops run --window-days` does."""
    from orchestration.pipeline import one_model_at_a_time

    if window_days is None:
        window_days = WINDOW_DAYS if events > WINDOW_EVENTS else 0
    one_model_at_a_time(window_days)
    return window_days


@dataclass
class BenchFolder:
    path: Path
    keep: bool = False


@contextmanager
def bench_folder(workdir: str | None, prefix: str) -> Iterator[BenchFolder]:
    """The bench's folder: `workdir`, kept; or a new temporary folder, removed at the end (a 10M bench leaves
    about 4 GB in it) unless the bench failed (an exception, or `keep` set by the caller): then its logs and
    warehouse stay for a look, and the path is printed. An interrupt (Ctrl-C) removes it too."""
    if workdir:
        yield BenchFolder(Path(workdir), keep=True)
        return
    folder = BenchFolder(Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        yield folder
    except KeyboardInterrupt:
        raise
    except BaseException:  # SystemExit too: `incremental` exits on a failed run
        folder.keep = True
        raise
    finally:
        if folder.keep:
            print(f"  the bench failed: its temporary folder {folder.path} is kept (logs/ has the runs' logs)")
        else:
            shutil.rmtree(folder.path, ignore_errors=True)
            print(f"  removed the temporary folder {folder.path} (--workdir DIR keeps the landing, lake and warehouse)")


def run(
    events: int,
    days: int,
    sample: int,
    workdir: str | None,
    real_formats: bool,
    window_days: int | None = None,
    landing: str | None = None,
) -> int:
    """Time the pipeline on a fresh warehouse in `workdir` or a temporary folder (`bench_folder`)."""
    with bench_folder(workdir, "finops_bench_") as folder:
        code = run_in(folder.path, events, days, sample, real_formats, window_days, landing)
        folder.keep |= code != 0
        return code


def run_in(
    work: Path,
    events: int,
    days: int,
    sample: int,
    real_formats: bool,
    window_days: int | None = None,
    landing: str | None = None,
) -> int:
    """Time the pipeline on a fresh warehouse. Big backfills run as consecutive windows of arrival days (one
    Dagster run each, the incremental models appending), as a scheduler would catch up: a window's exact sorts
    and de-duplication spill in proportion to the window, not to the whole history."""
    from orchestration.event_storage import ephemeral_instance
    from orchestration.settings import Settings

    work.mkdir(parents=True, exist_ok=True)
    land = Path(landing).resolve() if landing else work / "landing"
    for sub in ("lake", "published"):
        (work / sub).mkdir(exist_ok=True)
    os.environ.update(workdir_env(work, land))
    os.environ["FINOPS_SALT_POLICY"] = "demo"  # generated data: the public demo salt (runs compare)
    for stale in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        (work / stale).unlink(missing_ok=True)
    if landing:  # a fresh lake too: ingestion is part of what is timed
        shutil.rmtree(work / "lake")
        (work / "lake").mkdir()
    from orchestration.dbt.manifest import start_parse
    from orchestration.pipeline import landing_days, run_pipeline, windows

    window_days = backfill_window_days(events, window_days)
    runs: list[tuple[str, str, float, bool]] = []
    spans: list[tuple[float, float, str]] = []  # every run's steps: which one ran at the peak
    stages: dict[str, float] = defaultdict(float)
    layers: dict[str, float] = defaultdict(float)
    with TreeRss() as generator_rss:  # apart: the pipeline's peak is what a run on real data costs
        t0 = time.perf_counter()
        generated = None if landing else generate_landing(land, events, days, real_formats)
        stages["generate"] = time.perf_counter() - t0
    with TreeRss() as rss:
        settings = Settings.from_env()
        arrival_days = landing_days(settings)
        t1 = time.perf_counter()
        for first, last in windows(arrival_days[0], arrival_days[-1], window_days):
            instance = ephemeral_instance()
            started_at = time.time()
            t = time.perf_counter()
            start_parse(settings)  # as `genai-finops run` does: a new warehouse path's parse beside the ingestion
            log = str(work / "logs" / f"run-{first}.log")
            # as `genai-finops run` runs it (the command records the days it built, outside the run)
            ok = run_pipeline(
                settings, first, last, instance=instance, quiet=True, log_file=log, caller_records=True
            ).success
            runs.append((first, last, time.perf_counter() - t, ok))
            for name, seconds in stage_seconds(instance, instance.get_runs(limit=1)[0].run_id, spans).items():
                stages[name] += seconds
            for name, seconds in dbt_layer_seconds(Path(settings.dbt_target_dir), started_at).items():
                layers[name] += seconds
            print(f"  window {first}..{last}: {runs[-1][2]:.1f} s, ok={ok}, peak so far {rss.peak / 2**30:.2f} GiB")
            if not ok:
                break
        pipeline_s = time.perf_counter() - t1
    ok = all(r[3] for r in runs)
    lower_s, lower_n = lower_bound_seconds(land, work)
    calc_eps, calc_priced = calculator_events_per_second(land, sample)

    n = generated if generated is not None else lower_n  # reused landing: its canonical events
    print(
        f"genai-finops bench: {n:,} events over {days} days, {os.cpu_count()} cores, "
        f"dbt threads {os.environ.get('FINOPS_DBT_THREADS', '2')}, pipeline ok={ok}"
    )
    if not ok:
        first, last, _, _ = runs[-1]
        print(f"  FAILED in the window {first}..{last}: the figures below cover the windows run until then")
    print(f"  workdir {work}; landing {land}; generated {datetime.now(UTC).isoformat(timespec='seconds')}")
    if len(runs) > 1:
        print(f"  {len(runs)} windows of {window_days} arrival days (one Dagster run each); stages summed over them")
    print(f"  {'stage':<44}{'seconds':>10}")
    for name, seconds in stages.items():
        label = name if generated is not None or name != "generate" else "generate (landing reused: not timed)"
        print(f"  {label:<44}{seconds:>10.1f}")
    for name, seconds in sorted(layers.items()):
        print(f"    {name + ' (sum of node times)':<42}{seconds:>10.1f}")
    if generated is not None:
        print(f"  {'peak RSS of the generator (GiB)':<44}{generator_rss.peak / 2**30:>10.2f}")
    print(f"  {'pipeline end to end (excl. generate)':<44}{pipeline_s:>10.1f}")
    print(f"  {'events / s end to end':<44}{n / pipeline_s:>10,.0f}")
    References(rss, lower_s, lower_n, calc_eps, calc_priced, sample, spans).print(n, pipeline_s, "pipeline", 44)
    return 0 if ok else 1


@dataclass
class References:
    """What a run is compared with, measured in the same run: its peak memory, the lower-bound query and the
    per-request calculator."""

    rss: TreeRss
    lower_s: float
    lower_n: int
    calc_eps: float
    calc_priced: int
    sample: int
    spans: list[tuple[float, float, str]]  # the runs' steps (stage_seconds)

    def print(self, events: int, seconds: float, what: str, width: int) -> None:
        print(f"  {'peak RSS, pipeline process tree (GiB)':<{width}}{self.rss.peak / 2**30:>10.2f}")
        when = datetime.fromtimestamp(self.rss.peak_time, UTC).strftime("%H:%M:%S")
        print(f"    at the peak ({when} UTC, {step_at(self.spans, self.rss.peak_time)}): {self.rss.breakdown()}")
        print(
            f"  {'lower bound: one DuckDB pricing query (s)':<{width}}{self.lower_s:>10.2f}   ({self.lower_n:,} rows)"
        )
        print(f"  {'  ' + what + ' / lower bound (time)':<{width}}{seconds / self.lower_s:>10.1f}x")
        print(
            f"  {'calc_price per request (events/s)':<{width}}{self.calc_eps:>10,.0f}   ({self.sample:,} sampled, "
            f"{self.calc_priced:,} known to genai-prices; {events / self.calc_eps:,.0f} s extrapolated to {events:,})"
        )
        print(f"  {'  ' + what + ' throughput / calculator':<{width}}{(events / seconds) / self.calc_eps:>10.1f}x")


def step_at(spans: list[tuple[float, float, str]], when: float) -> str:
    """The Dagster step that ran at `when` (epoch seconds), from the runs' (start, end, step key); `between
    steps` when none did (a run's start, Dagster's own work between steps)."""
    running = [step for start, end, step in spans if start <= when <= end]
    return f"during {running[0]}" if running else "between steps"


def node_seconds(target_dir: Path, since: float) -> dict[str, float]:
    """Seconds per dbt node (model, test, seed) of the newest run_results.json written after `since`."""
    data = newest_run_results(target_dir, since)
    if data is None:
        return {}
    out = {}
    for r in data["results"]:
        kind, _, name, *_ = r["unique_id"].split(".")
        out[f"{kind} {name}"] = r["execution_time"]
    return out


def incremental(
    events: int, days: int, workdir: str | None, top: int = 15, sample: int = 20_000, window_days: int | None = None
) -> int:
    """`incremental_in` in `workdir` or a temporary folder (`bench_folder`)."""
    with bench_folder(workdir, "finops_incremental_") as folder:
        return incremental_in(folder.path, events, days, top, sample, window_days)


def incremental_in(
    base: Path, events: int, days: int, top: int = 15, sample: int = 20_000, window_days: int | None = None
) -> int:
    """The cost of one new day: build `days` days of history (in consecutive windows of `window_days` arrival
    days, one Dagster run each; 0: one run; by default WINDOW_DAYS above WINDOW_EVENTS events, else one run),
    then run the next day's partition; compare with that day alone on an empty warehouse (same landing files).
    The history runs as `run --window-days` runs it (windows: one dbt model at a time); both day runs as the daily
    `run --changed` runs them, with the user's FINOPS_DBT_THREADS (unset: profiles.yml's default).
    Prints both, their ratio, the stages of the two day runs side by side, and the dbt nodes whose time grows
    most with the history (what a daily run still reads beyond its days). The history and the new day together
    are the whole landing folder end to end: printed with the lower bound and the per-request calculator of the
    same run, like `run`."""
    from orchestration.dbt.manifest import start_parse, wait_for_parse
    from orchestration.event_storage import ephemeral_instance
    from orchestration.pipeline import landing_days, run_pipeline, windows
    from orchestration.settings import Settings

    landing = base / "landing"
    started = time.perf_counter()
    generated = generate_landing(landing, events, days + 1, real_formats=events <= SHARD_EVENTS)
    generate_s = time.perf_counter() - started
    arrival_days = landing_days(Settings.from_env(landing_dir=str(landing)))
    # the new day is the window's last day of traffic; its partition run takes it and what arrives after it
    # (the next day's late events and report pages)
    new_day = (date(2026, 1, 1) + timedelta(days=days)).isoformat()
    history_days = [d for d in arrival_days if d < new_day]
    tail_last = arrival_days[-1]
    daily_threads = os.environ.get("FINOPS_DBT_THREADS")  # the user's setting, or None: profiles.yml's default
    window_days = backfill_window_days(events, window_days)  # the history as `run --window-days` builds it
    history_threads = os.environ.get("FINOPS_DBT_THREADS", "2")
    spans: list[tuple[float, float, str]] = []  # every run's steps: which one ran at the peak

    def env(name: str) -> None:
        work = base / name
        (work / "published").mkdir(parents=True, exist_ok=True)
        os.environ.update(workdir_env(work, landing))
        os.environ["FINOPS_SALT_POLICY"] = "demo"  # generated data: the public demo salt

    def timed(first: str, last: str) -> tuple[float, dict[str, float], dict[str, float]]:
        """Seconds of the run [first, last], its Dagster steps' seconds and its dbt nodes' seconds."""
        settings = Settings.from_env()
        instance = ephemeral_instance()
        # a daily run on its own warehouse finds dbt's partial parse current: the parse for this workdir's path
        # (the day alone follows the history's workdir) is done before the clock starts
        start_parse(settings)
        wait_for_parse(settings)
        since = time.time()
        t = time.perf_counter()
        log = str(base / "logs" / f"run-{first}.log")
        outcome = run_pipeline(settings, first, last, instance, quiet=True, log_file=log, caller_records=True)
        if not outcome.success:
            raise SystemExit(f"the run {first}..{last} failed")
        seconds = time.perf_counter() - t
        steps = stage_seconds(instance, outcome.run_id, spans)
        return seconds, steps, node_seconds(Path(settings.dbt_target_dir), since)

    env("history")
    history_s = 0.0
    with TreeRss() as rss:
        for first, last in windows(history_days[0], history_days[-1], window_days):
            seconds = timed(first, last)[0]
            history_s += seconds
            print(f"  history window {first}..{last}: {seconds:.1f} s, peak so far {rss.peak / 2**30:.2f} GiB")
        # both day runs as the daily command (`run --changed`, one run) runs them: with the user's threads
        if daily_threads is None:
            os.environ.pop("FINOPS_DBT_THREADS", None)
        else:
            os.environ["FINOPS_DBT_THREADS"] = daily_threads
        on_top_s, on_top_stages, on_top_nodes = timed(new_day, tail_last)
    env("alone")
    alone_s, alone_stages, alone_nodes = timed(new_day, tail_last)
    lower_s, lower_n = lower_bound_seconds(landing, base)
    calc_eps, calc_priced = calculator_events_per_second(landing, sample)
    whole_s = history_s + on_top_s
    print(
        f"genai-finops bench --incremental: {generated:,} events, {days} days of history + 1 new day "
        f"({new_day}; arrivals {new_day}..{tail_last}); generate {generate_s:.1f} s; {os.cpu_count()} cores, "
        f"dbt threads: history {history_threads}, the day {os.environ.get('FINOPS_DBT_THREADS', '2')}"
    )
    span = f"{history_days[0]}..{history_days[-1]}"
    if window_days:
        span += f", {len(windows(history_days[0], history_days[-1], window_days))} windows of {window_days} days"
    print(f"  {'history build (' + span + ')':<52}{history_s:>10.1f} s")
    print(f"  {'the new day on top of the history':<52}{on_top_s:>10.1f} s")
    print(f"  {'the new day alone on an empty warehouse':<52}{alone_s:>10.1f} s")
    print(f"  {'ratio (target <= 1.5)':<52}{on_top_s / alone_s:>10.2f}x")
    print(f"  {'end to end: history + the new day':<52}{whole_s:>10.1f} s")
    References(rss, lower_s, lower_n, calc_eps, calc_priced, sample, spans).print(generated, whole_s, "end to end", 52)
    print(f"  {'step':<52}{'on top':>10}{'alone':>10}")
    for name in sorted(set(on_top_stages) | set(alone_stages), key=lambda n: -on_top_stages.get(n, 0.0)):
        if max(on_top_stages.get(name, 0.0), alone_stages.get(name, 0.0)) >= 0.5:
            print(f"  {name:<52}{on_top_stages.get(name, 0.0):>10.1f}{alone_stages.get(name, 0.0):>10.1f}")
    growth = sorted(on_top_nodes, key=lambda n: alone_nodes.get(n, 0.0) - on_top_nodes[n])[:top]
    print(f"  dbt nodes that grow most with the history {'on top':>18}{'alone':>10}")
    for name in growth:
        print(f"    {name[:68]:<68}{on_top_nodes[name]:>10.2f}{alone_nodes.get(name, 0.0):>10.2f}")
    return 0
