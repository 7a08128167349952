"""A sensor that notices new or changed landing files and refreshes the days they arrived on."""

import hashlib
import json

import fsspec
from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.engine import landing_days, landing_files
from orchestration.jobs import refresh_warehouse_job
from orchestration.settings import Settings


def landing_signatures(landing_dir: str) -> dict[str, str]:
    """Arrival day -> a fingerprint of its landing files (names, sizes, modification times)."""
    fs, _ = fsspec.core.url_to_fs(landing_dir)
    out: dict[str, str] = {}
    days = sorted({d for ds in CONTRACTS for d in landing_days(landing_dir, ds)})
    for day in days:
        entries = []
        for ds in CONTRACTS:
            for path in landing_files(landing_dir, ds, day):
                info = fs.info(path)
                entries.append(f"{path}|{info.get('size')}|{info.get('mtime') or info.get('LastModified')}")
        out[day] = hashlib.sha256("\n".join(entries).encode()).hexdigest()[:16]
    return out


@sensor(job=refresh_warehouse_job, minimum_interval_seconds=60, name="landing_files_sensor")
def landing_files_sensor(context: SensorEvaluationContext):
    settings = Settings.from_env()
    seen = json.loads(context.cursor) if context.cursor else {}
    current = landing_signatures(settings.landing_dir)
    changed = sorted(day for day, sig in current.items() if seen.get(day) != sig)
    if not changed:
        yield SkipReason("no new or changed landing files")
        return
    for day in changed:
        yield RunRequest(run_key=f"{day}:{current[day]}", partition_key=day, tags={"trigger": "landing_files"})
    context.update_cursor(json.dumps(current))
