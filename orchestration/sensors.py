"""A sensor that notices new, changed or removed landing files and refreshes from the first day they arrived on."""

import hashlib
import json

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.jobs import refresh_warehouse_job
from orchestration.landing_state import changed_days, landing_signatures, rebuild_range
from orchestration.sensor_cursor import next_request, read_cursor
from orchestration.settings import Settings


@sensor(job=refresh_warehouse_job, minimum_interval_seconds=60, name="landing_files_sensor")
def landing_files_sensor(context: SensorEvaluationContext, finops: Settings):
    seen, requests = read_cursor(context.cursor)
    seen = seen or {}
    current = landing_signatures(finops.landing_roots)
    # a day whose files all went (withdrawn, or deleted from a synced bucket) is changed too: its rows leave the lake
    changed = changed_days(seen, current, finops.partition_start)
    if not changed:
        yield SkipReason("no new or changed landing files")
        return
    first, last = rebuild_range(changed, current)  # one run, as `genai-finops run --changed` builds
    key = hashlib.sha256(json.dumps({d: current.get(d) for d in changed}, sort_keys=True).encode()).hexdigest()[:16]
    run_key, cursor = next_request(f"{first}..{last}:{key}", current, requests)  # a day back as it was: a new key
    yield RunRequest(
        run_key=run_key,
        # a range run: the tags of Dagster's own single-run backfills, as `run_pipeline` sets them
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
            "trigger": "landing_files",
        },
    )
    context.update_cursor(cursor)
