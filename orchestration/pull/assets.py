"""Dagster assets, schedules and sensors of the pulls: one asset `pull/<source>` per entry of sources.yml (group
`pull`), a job that runs them, a schedule per source that has one, and a sensor per bucket that starts its sync
when the bucket's listing changes (ETags and last-modified times). What a pull writes lands in the pulled folder,
where the landing sensor sees it like any landing file."""

import hashlib
import time

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    MaterializeResult,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    sensor,
)

from orchestration.logs import step
from orchestration.pull.api import ApiSource, PullReport
from orchestration.pull.config import SourcesConfig
from orchestration.pull.run import pull_source
from orchestration.pull.storage import BucketSource, fingerprint
from orchestration.sensor_cursor import next_request, read_cursor
from orchestration.settings import Settings

PULL_GROUP = "pull"
PULL_JOB = "pull_sources"


def _asset(source: ApiSource | BucketSource) -> AssetsDefinition:
    if isinstance(source, BucketSource):
        what = f"Syncs {source.url} ({source.layout} layout) into the pulled folder's {source.dataset}/."
    else:
        what = (
            f"Pulls the {source.provider} admin API ({source.endpoint}, {source.bucket_width} buckets) from its "
            f"cursor into the pulled folder's {source.dataset}/; the key comes from ${source.api_key_env}."
        )

    @asset(key=AssetKey([PULL_GROUP, source.name]), group_name=PULL_GROUP, description=what)
    def _pull(context: AssetExecutionContext, finops: Settings) -> MaterializeResult:
        started = time.perf_counter()
        report = pull_source(finops, source, log=context.log.info)
        seconds = round(time.perf_counter() - started, 3)
        if isinstance(report, PullReport):
            metadata = {"windows": report.windows, "pages": report.pages, "buckets": report.buckets}
            metadata["retries"] = report.retries
            context.log.info(step(report.summary()))
        else:
            metadata = {
                "objects_listed": report.listed,
                "downloaded": report.downloaded,
                "unchanged": report.unchanged,
                "removed": report.removed,
                "not_delivered": len(report.not_delivered),
            }
            context.log.info(step(report.summary()))
        return MaterializeResult(metadata={**metadata, "seconds": seconds})

    return _pull


def _bucket_sensor(source: BucketSource, job) -> SensorDefinition:
    @sensor(name=f"{source.name}_bucket_sensor", job=job, minimum_interval_seconds=300)
    def _watch(context: SensorEvaluationContext):
        fs, root = source.filesystem()
        fs.invalidate_cache()  # the client caches listings between evaluations
        listing = sorted(f"{path}|{fingerprint(info)}" for path, info in fs.find(root, detail=True).items())
        signature = hashlib.sha256("\n".join(listing).encode()).hexdigest()[:16]
        seen, requests = read_cursor(context.cursor)
        if seen == signature:
            yield SkipReason(f"{source.url}: nothing new or changed")
            return
        run_key, cursor = next_request(f"{source.name}:{signature}", signature, requests)  # a listing seen before too
        yield RunRequest(run_key=run_key, asset_selection=[AssetKey([PULL_GROUP, source.name])])
        context.update_cursor(cursor)

    return _watch


def build_pull_definitions(config: SourcesConfig):
    """(assets, jobs, schedules, sensors) of the configured sources; nothing when sources.yml is absent."""
    sources = (*config.apis, *config.buckets)
    if not sources:
        return [], [], [], []
    assets = [_asset(s) for s in sources]
    job = define_asset_job(
        PULL_JOB,
        selection=AssetSelection.groups(PULL_GROUP),
        description="Pull every source of sources.yml into the pulled folder (the landing sensor takes it from there).",
    )
    schedules = [
        ScheduleDefinition(
            name=f"{name}_schedule",
            cron_schedule=cron,
            target=AssetSelection.keys(AssetKey([PULL_GROUP, name])),
            execution_timezone="UTC",
        )
        for name, cron in sorted(config.schedules.items())
    ]
    sensors = [_bucket_sensor(b, job) for b in config.buckets]
    return assets, [job], schedules, sensors
