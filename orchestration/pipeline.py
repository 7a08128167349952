"""Running the refresh job in this process: what `genai-finops run` / `demo`, the benchmark and the tests call.

The job runs through Dagster (`execute_in_process`) on the definitions built for the given settings, for the
arrival days with landing files, under the warehouse's writer lock. Its terminal output is one line per step;
Dagster's whole event stream goes to a log file (`log_file`).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from orchestration.datasets import DATASETS, Dataset
from orchestration.ingest.landing import list_roots, unknown_folders
from orchestration.settings import PROJECT_DIR, Settings
from orchestration.warehouse import writer_lock


class NoLandingData(RuntimeError):
    pass


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    run_id: str
    first_day: str
    last_day: str
    failures: tuple[str, ...] = ()  # "<step>: <error>" of each failed step


def windows(first: str, last: str, window_days: int) -> list[tuple[str, str]]:
    """[first, last] (inclusive days) as consecutive windows of at most `window_days` days, in order (0: one
    window). Every day of the range is in one window, with files or without: a window run empties a day whose
    rows are gone, as one run over the range does."""
    if window_days <= 0 or first > last:
        return [(first, last)]
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    out = []
    while start <= end:
        stop = min(start + timedelta(days=window_days - 1), end)
        out.append((start.isoformat(), stop.isoformat()))
        start = stop + timedelta(days=1)
    return out


def one_model_at_a_time(window_days: int) -> None:
    """A backfill in windows builds one dbt model at a time unless FINOPS_DBT_THREADS says otherwise: dbt's
    threads share one DuckDB memory limit (each query still uses every core), and at 100M events two heavy
    models side by side ran out of it, while windows with one thread built the same events (docs/benchmarks.md,
    "100M events"). The dbt subprocesses of this process inherit it."""
    if window_days > 0:
        os.environ.setdefault("FINOPS_DBT_THREADS", "1")


def landing_days(settings: Settings, datasets: tuple[Dataset, ...] = DATASETS) -> list[str]:
    """The arrival days with landing files (the landing folder's and the pulled folder's), from the first daily
    partition on."""
    days = {d for ds in datasets for d in list_roots(settings.landing_roots, ds.landing).days}
    return sorted(d for d in days if d >= settings.partition_start)


def require_landing_data(settings: Settings, datasets: tuple[Dataset, ...] = DATASETS) -> list[str]:
    """The days to run, or NoLandingData with what to do about it."""
    landing = settings.landing_dir
    if "://" not in landing and not Path(landing).is_dir():
        raise NoLandingData(
            f"the landing folder {landing} does not exist. Point FINOPS_LANDING_DIR (or --landing) at the folder "
            "your usage logs and bills arrive in, or run `genai-finops demo` to build the warehouse from generated "
            "demo data."
        )
    days = landing_days(settings, datasets)
    if not days:
        folders = ", ".join(f"{ds.landing}/" for ds in datasets)
        stray = unknown_folders(landing, {ds.landing for ds in datasets})
        raise NoLandingData(
            f"no landing files under {landing} from {settings.partition_start} on (FINOPS_PARTITION_START). Files go "
            f"in <dataset folder>/day=YYYY-MM-DD/, dataset folders: {folders}"
            + (f" Found instead: {', '.join(stray)}." if stray else "")
            + " For generated demo data: `genai-finops demo`."
        )
    return days


def dagster_instance():
    """A persistent instance when DAGSTER_HOME is set (the run shows up in `dagster dev`), else an in-memory one
    whose event log writes through one connection (orchestration.event_storage): a 90-day backfill records a few
    thousand materialization events, ~15 ms each in a sqlite-backed instance."""
    from dagster import DagsterInstance

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        from orchestration.event_storage import ephemeral_instance

        return ephemeral_instance()
    Path(home).mkdir(parents=True, exist_ok=True)
    config = Path(home) / "dagster.yaml"
    if not config.exists():  # the same instance settings `make dev` uses (one warehouse writer at a time)
        config.write_text((PROJECT_DIR / "orchestration" / "dagster.yaml").read_text())
    return DagsterInstance.get()


def run_pipeline(
    settings: Settings,
    first_day: str | None = None,
    last_day: str | None = None,
    instance=None,
    wait_seconds: float | None = None,
    log_file: str | None = None,
    quiet: bool = False,
    datasets: tuple[Dataset, ...] = DATASETS,
    caller_records: bool = False,
) -> RunOutcome:
    """Materialize every asset through Dagster for the landing days in [first_day, last_day] (default: all). The
    run records what its days were built from (orchestration/landing_state.py) unless `caller_records`: the
    command records its runs itself, once the whole run has succeeded."""
    from orchestration.quality import validation

    thaw = gc.get_freeze_count() == 0  # what a caller froze itself stays frozen
    # Great Expectations is imported in a process of its own from here, beside Dagster's definitions and plan
    stop_worker = validation.start_worker()
    try:
        with long_lived_loaded():
            from orchestration.definitions import build_definitions
            from orchestration.jobs import REFRESH_JOB

            days = require_landing_data(settings, datasets)
            first, last = first_day or days[0], last_day or days[-1]
            job = build_definitions(settings, datasets).resolve_job_def(REFRESH_JOB)
        return _execute(job, settings, first, last, instance, wait_seconds, log_file, quiet, caller_records)
    finally:
        if stop_worker:
            validation.stop_worker()
        if thaw:
            gc.unfreeze()


@contextmanager
def long_lived_loaded() -> Iterator[None]:
    """Load what lives as long as the run (Dagster, dagster-dbt and dbt's manifest imported,
    the definitions built: ~500,000 objects) with Python's cyclic garbage collector paused, then move it all to
    the collector's permanent generation (gc.freeze; run_pipeline thaws it when the run ends). Each full pass of
    the collector walks every object it tracks and holds the interpreter while it does: in the demo, five passes
    while these loaded (0.88 s, freeing 0 to 61 objects each), and the validation's two during the run took 0.31
    and 0.33 s (0.02-0.03 s each once these are frozen). Reference counting still frees what is frozen; what the
    steps make is collected as before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _execute(
    job, settings: Settings, first: str, last: str, instance, wait_seconds, log_file, quiet, caller_records=False
) -> RunOutcome:
    from orchestration.dbt.assets import subprocess_env
    from orchestration.landing_state import CALLER_RECORDS_TAG

    logger_config: dict = {"quiet": quiet}
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        logger_config["log_file"] = log_file
    # the whole run holds the writer lock (its steps take it again, re-entrantly): a second refresh fails fast
    with ExitStack() as stack:
        stack.enter_context(
            writer_lock(
                settings,
                wait_seconds=wait_seconds,
                what=f"genai-finops run {first}..{last}",
                on_wait=lambda message: print(f"genai-finops: {message}", file=sys.stderr, flush=True),
            )
        )
        if quiet and log_file:  # dbt's log lines (re-emitted on standard output by dagster-dbt) go to the log file
            stack.enter_context(redirect_stdout(stack.enter_context(open(log_file, "a"))))
        # a run over a range of days plans each asset once with the range (Dagster's own switch), not once per day
        # and asset: 92 days x 15 ingestion assets would be 1,380 events before the first step (4,140 of them,
        # 45 assets, were ~9 s of the demo's run). What Dagster gives up with it: the days of a failed run show as
        # missing, not failed, in its UI (the run itself shows failed). FINOPS_PLAN_PER_PARTITION=1 keeps one
        # planned event per day.
        if os.environ.get("FINOPS_PLAN_PER_PARTITION", "") not in ("1", "true"):
            stack.enter_context(subprocess_env({"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true"}))
        # Dagster holds SIGINT and SIGTERM while it executes (its handlers replace the command's, and it puts back
        # Python's Ctrl-C handler for both when it ends): the command's own SIGTERM handler is restored after
        on_sigterm = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
        try:
            result = job.execute_in_process(
                instance=instance if instance is not None else dagster_instance(),
                # execute_in_process takes one partition key; a range run is requested with the tags Dagster's own
                # single-run backfills set (the assets read the range back through context.partition_key_range)
                tags={
                    "dagster/asset_partition_range_start": first,
                    "dagster/asset_partition_range_end": last,
                    **({CALLER_RECORDS_TAG: "genai-finops run"} if caller_records else {}),
                },
                run_config={"loggers": {"console": {"config": logger_config}}},
                raise_on_error=False,
            )
        finally:
            if on_sigterm is not None:
                signal.signal(signal.SIGTERM, on_sigterm)
    if interrupted(result.all_events):
        # a stop request (Ctrl-C, SIGTERM) during a step: Dagster ends the run as failed; the caller sees the stop
        raise KeyboardInterrupt("the run was interrupted")
    failures = tuple(f"{e.step_key}: {failure_message(e)}" for e in result.all_events if e.is_step_failure)
    return RunOutcome(result.success, result.run_id, first, last, failures)


def failure_message(event) -> str:
    """A failed step's message: what the step said (a `Failure`'s description), else its error's message."""
    data = event.event_specific_data
    said = getattr(getattr(data, "user_failure_data", None), "description", None)
    error = getattr(data, "error", None)
    return (said or (error.message if error is not None else "failed")).strip()


INTERRUPTS = ("DagsterExecutionInterruptedError", "KeyboardInterrupt")


def interrupted(events) -> bool:
    """Whether a run was stopped by an interrupt: a step or the run failed with Dagster's interruption error
    (what Dagster raises in a step when SIGINT or SIGTERM arrives while it executes), or with an error its cause
    or context chain leads back to one (an error raised while the step unwound from the interruption: the stop
    is still what ended it)."""
    for event in events:
        error = getattr(event.event_specific_data, "error", None)
        if (event.is_step_failure or event.is_job_failure) and error is not None:
            chain = [error]
            while chain:
                e = chain.pop()
                if e.cls_name in INTERRUPTS:
                    return True
                chain += [linked for linked in (e.cause, e.context) if linked is not None]
    return False
