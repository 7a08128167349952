"""What the run's Great Expectations checks compute (a SuiteOutcome each): a raw dataset's rows that a run
loaded (`validate_run`), and the mart suites after dbt. Nothing here imports Dagster.

A run validates in a process of its own (`start_worker`, called when `run_pipeline` starts): a new interpreter
that imports Great Expectations (~2.5 s of CPU) on the machine's other core while the pipeline's process imports
Dagster and dagster-dbt, builds the definitions and plans the run; the pipeline's process never imports it.
`outcome(name, *args)` asks the worker and waits; `submit(key, name, *args)` asks without waiting (an ingestion
step, which goes on to the next dataset while the worker validates) and `collect(key, ...)` returns the answer
(the contract check's step). Without a worker (`dagster dev`, a test calling a step's function,
FINOPS_VALIDATION_WORKER=0) they compute in this process, importing Great Expectations then. The worker reads the
lake and the warehouse itself; only the outcomes come back. Each request carries this process's environment, so
the worker validates with the settings of the moment."""

from __future__ import annotations

import atexit
import ctypes
import gc
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Hashable, Iterator
from datetime import date

import duckdb
import pyarrow as pa

from orchestration.datasets import Dataset
from orchestration.ingest.engine import run_files
from orchestration.quality import suites
from orchestration.workers import WorkerProcess


def run_batches(ds: Dataset, lake_dir: str, days: list[str], columns: list[str]) -> Iterator[pa.Table]:
    """The rows the run loaded (files of its arrival days), in Arrow tables of at most FINOPS_GE_MAX_BATCH_ROWS
    (the suite's prepare makes GE's frame of each)."""
    files = run_files(lake_dir, ds.name, days)
    if not files:
        return
    listing = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    # text as Arrow's large_string, the type pandas keeps Arrow-backed strings in: no copy of every string
    # column in the frame's conversion (0.56 s per 1M usage rows)
    con = duckdb.connect(config={"arrow_large_buffer_size": True})
    try:
        reader = con.sql(
            f"select {', '.join(columns)} from read_parquet({listing}, union_by_name = true)"
        ).to_arrow_reader(suites.max_batch_rows())
        # Arrow batches (one per small file) gathered into a table converted once: a conversion per batch costs
        # ~2 ms however few its rows (a run of 91 small files: 0.2-0.4 s)
        pending: list[pa.RecordBatch] = []
        size = 0
        for batch in reader:
            pending.append(batch)
            size += batch.num_rows
            if size >= suites.max_batch_rows():
                yield pa.Table.from_batches(pending)
                pending, size = [], 0
        if pending:
            yield pa.Table.from_batches(pending)
    finally:
        con.close()


def validate_run(ds: Dataset, lake_dir: str, days: list[str]) -> suites.SuiteOutcome:
    started = time.perf_counter()
    suite = suites.dataset_suite(ds, date.fromisoformat(max(days)))
    batches = (suite.prepare(table) for table in run_batches(ds, lake_dir, days, suite.columns))
    outcome = None
    try:
        outcome = suites.validate_batches(f"raw_{ds.name}", suite.expectations, batches)
        outcome.seconds = round(time.perf_counter() - started, 3)
        return outcome
    finally:
        # returned to the system here, or the process would hold the batches' memory through the dbt build
        # that follows (ingesting and validating 10M usage rows: 1.19 GiB held after, 0.53 GiB with it returned
        # and GE's batch cache dropped in validate_batches; 0.39 GiB the libraries alone). Not after a small
        # run: the collection costs ~0.3 s when this runs in the pipeline's process (no worker), which holds
        # Dagster's objects, more than a few frames are worth
        if outcome is None or outcome.rows >= RETURN_MEMORY_ROWS:
            return_freed_memory()


RETURN_MEMORY_ROWS = 100_000


def return_freed_memory() -> None:
    """The freed batches' memory back to the system: GE's objects hold the frames in reference cycles (freed by
    the collector), Arrow's allocator keeps what it freed, and glibc's heap its free pages (malloc_trim)."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to return this way
        pass


def capacity_hourly_outcome(duckdb_path: str) -> suites.SuiteOutcome:
    con = duckdb.connect(duckdb_path, read_only=True)
    try:
        reader = con.sql(suites.CAPACITY_HOURLY_SQL).to_arrow_reader(suites.max_batch_rows())
        batches = (batch.to_pandas() for batch in reader)
        return suites.validate_batches("marts_fct_capacity_hourly", suites.capacity_hourly_expectations(), batches)
    finally:
        con.close()


def frame_outcome(duckdb_path: str, sql: str, suite: str, expectations: list) -> suites.SuiteOutcome:
    """A Great Expectations suite over one query's result (a mart summarised to a frame), read-only."""
    con = duckdb.connect(duckdb_path, read_only=True)
    try:
        frame = con.sql(sql).df()
    finally:
        con.close()
    return suites.validate_batches(suite, expectations, [frame])


def billing_reconciliation_outcome(duckdb_path: str, tolerance_pct: float) -> suites.SuiteOutcome:
    return frame_outcome(
        duckdb_path,
        suites.RECONCILIATION_SQL,
        "marts_rpt_billing_reconciliation",
        suites.reconciliation_expectations(tolerance_pct),
    )


def three_way_outcome(duckdb_path: str, tolerance_pct: float) -> suites.SuiteOutcome:
    return frame_outcome(
        duckdb_path,
        suites.THREE_WAY_SQL,
        "marts_rpt_three_way_reconciliation",
        suites.three_way_expectations(tolerance_pct),
    )


OUTCOMES = {
    f.__name__: f for f in (validate_run, capacity_hourly_outcome, billing_reconciliation_outcome, three_way_outcome)
}


class ValidationWorker(WorkerProcess):
    what = "validation worker"


_worker: ValidationWorker | None = None
_lock = threading.Lock()
# what was asked for and not yet collected: key -> (function name, arguments)
_pending: dict[Hashable, tuple[str, tuple]] = {}
# the requests the worker has and has not answered yet, in the order they were sent: (key, bytes)
_sent: deque[tuple[Hashable, int]] = deque()
# at most this many bytes of requests unanswered, the one to send included (the oldest answers read first; a
# request larger than this is sent alone): under a pipe's 64 KiB, so that sending never waits for the worker to
# read, which could be waiting for this process to read its answers (a request of the demo is about 6 KB: the
# dataset's contract, the days, the environment)
IN_FLIGHT_BYTES = 32 * 1024
# answers read ahead of their own collection (a later key collected first): key -> ("ok" | "error", value)
_answers: dict[Hashable, tuple[str, object]] = {}


def worker_enabled() -> bool:
    return os.environ.get("FINOPS_VALIDATION_WORKER", "1").lower() not in ("0", "false", "no")


def start_worker() -> bool:
    """Start the validation worker (orchestration.quality.worker) unless one is running or
    FINOPS_VALIDATION_WORKER=0; True when this call started it (its caller stops it: `stop_worker`)."""
    global _worker
    with _lock:
        if (_worker is not None and _worker.alive()) or not worker_enabled():
            return False
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.quality.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        _worker = ValidationWorker(process.stdin, process.stdout, process)
        return True


@atexit.register
def stop_worker() -> None:
    """Close the worker's input (it exits when it has answered what it was asked) and wait for it; a worker
    still busy after 10 s is killed. What was asked for and not collected is forgotten."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
        _pending.clear()
        _sent.clear()
        _answers.clear()
    if worker is None:
        return
    worker.close()
    try:
        worker.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()


def _live_worker() -> ValidationWorker | None:
    global _worker
    if _worker is not None and not _worker.alive():  # it exited since the last request
        _drop_worker()
    return _worker


def _drop_worker() -> None:
    """Stop using the worker (killed if still running); what it had not answered is computed in this process
    when collected."""
    global _worker
    worker, _worker = _worker, None
    _sent.clear()
    if worker is not None:
        worker.close()
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def submit(key: Hashable, name: str, *args) -> None:
    """Ask for OUTCOMES[name](*args) without waiting: the worker computes it while this process goes on (the
    next dataset's ingestion), and `collect(key, ...)` returns it. Without a worker, `collect` computes it."""
    with _lock:
        _forget(key)
        _pending[key] = (name, args)
        worker = _live_worker()
        if worker is None:
            return
        request = worker.encode(name, dict(os.environ), *args)
        while _sent and sum(size for _, size in _sent) + len(request) > IN_FLIGHT_BYTES:
            _read_oldest_answer()
        worker = _worker
        if worker is None:  # it died answering an earlier request
            return
        try:
            worker.write(name, request)
            _sent.append((key, len(request)))
        except RuntimeError:  # the worker is gone: computed here when collected
            _drop_worker()


def _forget(key: Hashable) -> None:
    """A key asked for again: its earlier request's answer, when it comes, is read and dropped."""
    _pending.pop(key, None)
    _answers.pop(key, None)
    for i, (sent, size) in enumerate(_sent):
        if sent == key:
            _sent[i] = (object(), size)  # a key nobody collects: its answer is read in turn and dropped


def collect(key: Hashable, name: str, *args) -> suites.SuiteOutcome:
    """The outcome submitted under `key` (waiting for the worker's answer), or, when nothing was submitted
    under it (a check run on its own), OUTCOMES[name](*args) asked for now. An error inside the function raises
    here with the worker's traceback; a worker that dies raises for the request it was answering, and what it
    had not answered yet is computed in this process when collected. An interrupt while waiting (Ctrl-C,
    SIGTERM) stops the worker: its answers would be out of step."""
    with _lock:
        known = key in _pending
    if not known:
        submit(key, name, *args)
    with _lock:
        name, args = _pending[key]
        try:
            while _worker is not None and any(sent == key for sent, _ in _sent):
                _read_oldest_answer()
            if key not in _answers:  # no worker: computed here
                return OUTCOMES[name](*args)
            status, value = _answers[key]
            if status == "error":
                raise value
            return value
        finally:
            _pending.pop(key, None)
            _answers.pop(key, None)


def _read_oldest_answer() -> None:
    """Read the worker's answer to the oldest request it has not answered (the answers come in the order the
    requests went), kept for its own collection. A worker that dies gives that request its error (the later ones
    are computed in this process); an interrupt while waiting stops the worker."""
    worker = _worker
    sent, _ = _sent.popleft()
    try:
        answer = ("ok", worker.receive(_pending.get(sent, ("an earlier request",))[0]))
    except RuntimeError as exc:
        answer = ("error", exc)
        if worker.failed:
            _drop_worker()
    except BaseException:
        _drop_worker()
        raise
    if sent in _pending:
        _answers[sent] = answer


def outcome(name: str, *args) -> suites.SuiteOutcome:
    """OUTCOMES[name](*args), computed by the worker when one runs (after what was submitted before it), else
    in this process: `collect` of a request of its own."""
    key = object()
    submit(key, name, *args)
    return collect(key, name, *args)


class _InWorker:
    """What the worker serves (orchestration.workers.serve looks each request's function up by name):
    OUTCOMES[name], run with the requesting process's environment, its first argument."""

    def __getattr__(self, name: str):
        function = OUTCOMES[name]

        def run(environment: dict[str, str], *args) -> suites.SuiteOutcome:
            os.environ.clear()
            os.environ.update(environment)
            return function(*args)

        return run


IN_WORKER = _InWorker()
