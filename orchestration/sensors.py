"""A sensor that notices new or changed landing files and refreshes the days they arrived on."""

import json

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.jobs import refresh_warehouse_job
from orchestration.landing_state import changed_days, landing_signatures
from orchestration.settings import Settings


@sensor(job=refresh_warehouse_job, minimum_interval_seconds=60, name="landing_files_sensor")
def landing_files_sensor(context: SensorEvaluationContext, finops: Settings):
    seen = json.loads(context.cursor) if context.cursor else {}
    current = landing_signatures(finops.landing_roots)
    # a day whose files all went (withdrawn, or deleted from a synced bucket) is run too: its rows leave the lake
    gone = {day: f"gone:{sig}" for day, sig in seen.items() if day not in current}
    current_and_gone = {**current, **gone}
    changed = changed_days(seen, current, finops.partition_start)
    if not changed:
        yield SkipReason("no new or changed landing files")
        return
    for day in changed:
        yield RunRequest(run_key=f"{day}:{current_and_gone[day]}", partition_key=day, tags={"trigger": "landing_files"})
    context.update_cursor(json.dumps(current))
