"""Which arrival days changed: each day's landing fingerprint, for the sensor `landing_files_sensor` (against its
cursor, which starts from the record below) and for `genai-finops run --changed` (against what the warehouse was
built from, kept beside it in `<warehouse>.landing.json`). Both build from the first changed day to the last day.

Who writes the record: the command for its runs and the sensor for the runs it asked for, each once the whole
run has succeeded; the refresh job itself for its other runs (launched by hand, a backfill, the schedule
`daily_refresh`): its first ingestion step takes the run's fingerprints, and its publish step records them, when
the run ingested every dataset and built every dbt model (`start_run`, `finish_run`)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import fsspec

from orchestration.datasets import DATASETS
from orchestration.ingest.landing import list_roots
from orchestration.settings import Settings


def landing_signatures(landing_dir: str | tuple[str, ...], datasets=DATASETS) -> dict[str, str]:
    """Arrival day -> a fingerprint of its landing files (names, sizes, modification times), across the landing
    folders given (the user's and the pulled one). Entries that are not landing files (stray names, bad day
    folders) are not days: the run reports them as skipped."""
    roots = (landing_dir,) if isinstance(landing_dir, str) else landing_dir
    by_day: dict[str, list[str]] = {}
    for ds in datasets:
        for day, paths in list_roots(roots, ds.landing).files.items():
            for path in paths:
                fs, _ = fsspec.core.url_to_fs(path)
                try:
                    info = fs.info(path)
                except FileNotFoundError:  # removed since it was listed: not a file of the day any more
                    continue
                by_day.setdefault(day, []).append(
                    f"{path}|{info.get('size')}|{info.get('mtime') or info.get('LastModified')}"
                )
    return {day: hashlib.sha256("\n".join(sorted(e)).encode()).hexdigest()[:16] for day, e in sorted(by_day.items())}


BUILT_EMPTY = "none"  # in the record: a day built after its files had all gone (no fingerprint is this string)


def changed_days(seen: dict[str, str], current: dict[str, str], since: str) -> list[str]:
    """The days from `since` on whose fingerprint differs from the one seen: new days, changed days, and days whose
    files all went (their rows leave the warehouse), unless seen built so."""
    return sorted(
        d
        for d in set(seen) | set(current)
        if d >= since and (None if seen.get(d) == BUILT_EMPTY else seen.get(d)) != current.get(d)
    )


def rebuild_range(changed: list[str], current: dict[str, str]) -> tuple[str, str]:
    """The days a change is built over: from the first changed day to the last day (with files now, or changed),
    since the days after a changed day read it (transactions that run past midnight, the trailing-30-day
    reports); a new day at the end is built alone."""
    return changed[0], max([changed[-1], *current])


def day_ranges(days: list[str]) -> list[tuple[str, str]]:
    """Sorted days as ranges of consecutive calendar days: [01-01, 01-02, 01-05] -> [(01-01, 01-02), (01-05, 01-05)]."""
    out: list[tuple[str, str]] = []
    for day in days:
        if out and date.fromisoformat(out[-1][1]) + timedelta(days=1) == date.fromisoformat(day):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def state_path(settings: Settings) -> Path:
    return Path(settings.duckdb_path + ".landing.json")


def _context(settings: Settings) -> dict[str, object]:
    """What the recorded fingerprints are only valid with: the folders read and written, the settings that change
    what a landing file becomes (the time zone of naive times, the OTel attribution keys), and the dbt project (its
    models, macros and seeds: a price correction makes every day's build out of date). The hash salt is not
    recorded (a secret): after a new `FINOPS_HASH_SALT`, run without `--changed`."""
    from orchestration.dbt.manifest import source_fingerprint
    from orchestration.ingest.otel import attribution_keys

    return {
        "landing_roots": list(settings.landing_roots),
        "lake": settings.lake_dir,
        "naive_timezone": settings.naive_timezone,
        "otel_attribution_keys": [list(keys) for keys in attribution_keys()],
        "dbt_project": source_fingerprint(),
    }


def _read(settings: Settings) -> tuple[dict[str, str], dict[str, dict]]:
    """The record's days and the job's runs under way (`start_run`); both empty when there is no warehouse, no
    record, or the record was made in another context (`_context`)."""
    path = state_path(settings)
    if not Path(settings.duckdb_path).exists() or not path.exists():
        return {}, {}
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}, {}
    if not isinstance(state, dict) or state.get("context") != _context(settings):
        return {}, {}
    days, runs = state.get("days"), state.get("runs")
    runs = {  # a run entry cut or changed by hand is dropped: its days stay pending
        k: r
        for k, r in (runs.items() if isinstance(runs, dict) else ())
        if isinstance(r, dict)
        and isinstance(r.get("days"), dict)
        and all(isinstance(r.get(e), str) for e in ("first", "last"))
    }
    return (dict(days) if isinstance(days, dict) else {}), runs


def built_from(settings: Settings) -> dict[str, str]:
    """Day -> the fingerprint of the landing files the warehouse was last built from; empty (every day out of date)
    when there is no warehouse, no record, or the record was made in another context (`_context`)."""
    return _read(settings)[0]


PENDING = "pending"  # a day a run has started to build and not finished: changed until a run builds it


@contextmanager
def _changing(settings: Settings) -> Iterator[None]:
    """One change of the record at a time (read, changed, written), across processes: the command and the
    sensor's process both change it, and neither may lose the other's change."""
    lock = Path(str(state_path(settings)) + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pending(days: dict[str, str], current: dict[str, str], first: str, last: str) -> dict[str, str]:
    return {**days, **{d: PENDING for d in set(days) | set(current) if first <= d <= last}}


def _built(days: dict[str, str], current: dict[str, str], first: str, last: str) -> dict[str, str]:
    """[first, last] built from `current`: a day of the record without files there now was built empty."""
    return {
        **{d: s if not first <= d <= last else BUILT_EMPTY for d, s in days.items()},
        **{d: s for d, s in current.items() if first <= d <= last},
    }


def mark_pending(settings: Settings, current: dict[str, str], first: str, last: str) -> None:
    """Before a build of [first, last]: its days count as changed until a run has built them, so that a run that
    fails or is stopped leaves them to the next `--changed`."""
    with _changing(settings):
        days, runs = _read(settings)
        _write(settings, _pending(days, current, first, last), runs)


def record_built(settings: Settings, current: dict[str, str], first: str, last: str) -> None:
    """After a successful build of [first, last]: those days are built from `current` (a day of the record without
    files now is built empty: `BUILT_EMPTY`)."""
    with _changing(settings):
        days, runs = _read(settings)
        _write(settings, _built(days, current, first, last), runs)


# on a run of the refresh job whose caller records its days once the whole run has succeeded (the command, the
# sensor): the job does not record that run itself
CALLER_RECORDS_TAG = "finops/landing_record"


def records_itself(run_tags: Mapping[str, str]) -> bool:
    return CALLER_RECORDS_TAG not in run_tags


RUNS_KEPT = 20  # the job's runs under way kept in the record; older ones (failed, or lost) are dropped: still pending


def start_run(settings: Settings, run_id: str, first: str, last: str) -> None:
    """At the first ingestion step of a run of the refresh job that records itself: its days count as changed
    until `finish_run`, which records them as built from the landing files there now, before the run reads them
    (the later steps of the run find it under way and change nothing)."""
    with _changing(settings):
        days, runs = _read(settings)
        if run_id in runs:
            return
        current = landing_signatures(settings.landing_roots)
        runs[run_id] = {"first": first, "last": last, "days": {d: s for d, s in current.items() if first <= d <= last}}
        _write(settings, _pending(days, current, first, last), dict(list(runs.items())[-RUNS_KEPT:]))


def finish_run(settings: Settings, run_id: str) -> bool:
    """After the run's publish step: its days are built from what `start_run` saw. False when the run was not
    started as one that records itself (or its record was made in another context)."""
    with _changing(settings):
        days, runs = _read(settings)
        run = runs.pop(run_id, None)
        if run is None:
            return False
        _write(settings, _built(days, run["days"], run["first"], run["last"]), runs)
        return True


def _write(settings: Settings, days: dict[str, str], runs: dict[str, dict]) -> None:
    """Written whole to a new file, then renamed over the old one."""
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    state = {"context": _context(settings), "days": dict(sorted(days.items()))}
    if runs:
        state["runs"] = runs
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, path)
