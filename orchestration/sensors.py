"""A sensor that notices new, changed or removed landing files and refreshes from the first day they arrived on."""

import hashlib
import json

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.jobs import refresh_warehouse_job
from orchestration.landing_state import changed_days, landing_signatures, rebuild_range
from orchestration.settings import Settings


def read_cursor(cursor: str | None) -> tuple[dict[str, str], int]:
    """The fingerprints the sensor last saw per arrival day, and how many runs it has requested. A cursor that
    holds the days alone (no count) counts from 0."""
    state = json.loads(cursor) if cursor else {}
    if "days" in state:
        return state["days"], state["requests"]
    return state, 0


@sensor(job=refresh_warehouse_job, minimum_interval_seconds=60, name="landing_files_sensor")
def landing_files_sensor(context: SensorEvaluationContext, finops: Settings):
    seen, requests = read_cursor(context.cursor)
    current = landing_signatures(finops.landing_roots)
    # a day whose files all went (withdrawn, or deleted from a synced bucket) is changed too: its rows leave the lake
    changed = changed_days(seen, current, finops.partition_start)
    if not changed:
        yield SkipReason("no new or changed landing files")
        return
    first, last = rebuild_range(changed, current)  # one run, as `genai-finops run --changed` builds
    key = hashlib.sha256(json.dumps({d: current.get(d) for d in changed}, sort_keys=True).encode()).hexdigest()[:16]
    yield RunRequest(
        # the count makes a day's files that come back as they were (moved out and back: the same names, sizes and
        # times) a new run, where Dagster would skip a run key it has seen; a tick evaluated again before its
        # cursor was saved asks for the same key, and Dagster runs it once
        run_key=f"{first}..{last}:{requests + 1}:{key}",
        # a range run: the tags of Dagster's own single-run backfills, as `run_pipeline` sets them
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
            "trigger": "landing_files",
        },
    )
    context.update_cursor(json.dumps({"days": current, "requests": requests + 1}))
