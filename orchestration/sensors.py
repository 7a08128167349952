"""A sensor that notices new, changed or removed landing files and refreshes from the first day they arrived on.

It shares what the warehouse was built from with `genai-finops run --changed` (`<warehouse>.landing.json`,
orchestration/landing_state.py): on its first tick it starts from that record, so a sensor turned on beside a
warehouse the command built asks only for what changed since; the days of a run it asks for count as changed
there until that run has succeeded, then as built from what the sensor saw when it asked; a day the command built
from the files there now, or built empty after its files went, is not asked for again."""

import hashlib
import json

from dagster import DagsterRunStatus, RunRequest, RunsFilter, SensorEvaluationContext, SkipReason, sensor
from dagster._core.storage.tags import RUN_KEY_TAG, SENSOR_NAME_TAG

from orchestration.jobs import refresh_warehouse_job
from orchestration.landing_state import (
    BUILT_EMPTY,
    CALLER_RECORDS_TAG,
    built_from,
    changed_days,
    landing_signatures,
    mark_pending,
    rebuild_range,
    record_built,
)
from orchestration.sensor_cursor import kept, next_key, read_cursor, write_cursor
from orchestration.settings import Settings

SENSOR = "landing_files_sensor"


def settle(context: SensorEvaluationContext, finops: Settings, asked: list[dict]) -> list[dict]:
    """The runs asked for that have not ended. One that succeeded records its days as built from what the sensor
    saw when it asked (a file changed since differs from that, so its day still counts as changed); one that failed
    or was canceled leaves its days pending, for the next run or `run --changed`."""
    waiting = []
    for run in asked:
        # by the run key alone, then the sensor's name: how Dagster's sensor daemon finds its runs
        found = [
            r
            for r in context.instance.get_runs(filters=RunsFilter(tags={RUN_KEY_TAG: run["key"]}))
            if r.tags.get(SENSOR_NAME_TAG) == SENSOR
        ]
        status = found[0].status if found else None
        if status == DagsterRunStatus.SUCCESS:
            record_built(finops, run["days"], run["first"], run["last"])
        elif status not in (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED):  # not yet made, queued, running
            waiting.append(run)
    return waiting


@sensor(job=refresh_warehouse_job, minimum_interval_seconds=60, name=SENSOR)
def landing_files_sensor(context: SensorEvaluationContext, finops: Settings):
    seen, requests = read_cursor(context.cursor)
    before = kept(context.cursor, "asked")
    asked = settle(context, finops, before)
    recorded = built_from(finops)  # what the warehouse was built from, by this sensor's runs or `genai-finops run`
    if seen is None:  # the first tick
        seen = recorded
    current = landing_signatures(finops.landing_roots)
    # a day whose files all went (withdrawn, or deleted from a synced bucket) is changed too: its rows leave the lake;
    # a day the command has built from the files there now (or built empty since they went) is not
    changed = [
        d for d in changed_days(seen, current, finops.partition_start) if recorded.get(d) != current.get(d, BUILT_EMPTY)
    ]
    if not changed:
        if asked != before:
            context.update_cursor(write_cursor(seen, requests, asked=asked))
        yield SkipReason("no new or changed landing files")
        return
    first, last = rebuild_range(changed, current)  # one run, as `genai-finops run --changed` builds
    key = hashlib.sha256(json.dumps({d: current.get(d) for d in changed}, sort_keys=True).encode()).hexdigest()[:16]
    run_key = next_key(f"{first}..{last}:{key}", requests)  # a day back as it was: a new key
    days = {d: s for d, s in current.items() if first <= d <= last}
    asked = [*asked, {"key": run_key, "first": first, "last": last, "days": days}]
    mark_pending(finops, current, first, last)  # until the run succeeds, its days count as changed
    yield RunRequest(
        run_key=run_key,
        # a range run: the tags of Dagster's own single-run backfills, as `run_pipeline` sets them
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
            "trigger": "landing_files",
            CALLER_RECORDS_TAG: SENSOR,  # the sensor records the run's days once it has succeeded (`settle`)
        },
    )
    context.update_cursor(write_cursor(current, requests + 1, asked=asked))
