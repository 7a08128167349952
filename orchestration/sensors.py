"""A sensor that notices new or changed landing files and refreshes the days they arrived on."""

import hashlib
import json

import fsspec
from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.datasets import DATASETS
from orchestration.ingest.landing import list_roots
from orchestration.jobs import refresh_warehouse_job
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
                info = fs.info(path)
                by_day.setdefault(day, []).append(
                    f"{path}|{info.get('size')}|{info.get('mtime') or info.get('LastModified')}"
                )
    return {day: hashlib.sha256("\n".join(sorted(e)).encode()).hexdigest()[:16] for day, e in sorted(by_day.items())}


@sensor(job=refresh_warehouse_job, minimum_interval_seconds=60, name="landing_files_sensor")
def landing_files_sensor(context: SensorEvaluationContext, finops: Settings):
    seen = json.loads(context.cursor) if context.cursor else {}
    current = landing_signatures(finops.landing_roots)
    # a day whose files all went (withdrawn, or deleted from a synced bucket) is run too: its rows leave the lake
    gone = {day: f"gone:{sig}" for day, sig in seen.items() if day not in current}
    current_and_gone = {**current, **gone}
    changed = sorted(
        day for day, sig in current_and_gone.items() if seen.get(day) != sig and day >= finops.partition_start
    )
    if not changed:
        yield SkipReason("no new or changed landing files")
        return
    for day in changed:
        yield RunRequest(run_key=f"{day}:{current_and_gone[day]}", partition_key=day, tags={"trigger": "landing_files"})
    context.update_cursor(json.dumps(current))
