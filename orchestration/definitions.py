"""The Dagster code location, assembled from the dataset registry: one ingestion asset per raw dataset,
the dbt project, the published copy, the mart checks, the refresh job, its schedule and sensor; the pulls of
sources.yml (FINOPS_SOURCES_CONFIG) with their job, schedules and bucket sensors.

`defs` is loaded lazily (`@definitions`): importing this module parses nothing; loading the definitions
makes sure the dbt manifest is current (orchestration/dbt/project.py).
"""

from __future__ import annotations

from dagster import Definitions, build_schedule_from_partitioned_job, definitions

from orchestration.anomaly.assets import build_alerts_asset
from orchestration.datasets import DATASETS, Dataset
from orchestration.dbt.assets import build_dbt_assets, build_published_warehouse
from orchestration.dbt.manifest import dbt_executable, ensure_manifest
from orchestration.dbt.project import FinopsDbtCliResource, dbt_project
from orchestration.forecast.checks import budget_within_forecast
from orchestration.ingest.assets import build_contract_checks, build_ingest_assets
from orchestration.jobs import refresh_warehouse_job
from orchestration.logs import finops_console
from orchestration.partitions import daily_partitions
from orchestration.pull.assets import build_pull_definitions
from orchestration.pull.config import load_sources
from orchestration.quality.mart_checks import (
    ge_billing_reconciliation,
    ge_capacity_invariants,
    ge_three_way_reconciliation,
)
from orchestration.report.assets import build_focus_export_asset, build_report_asset
from orchestration.sensors import landing_files_sensor
from orchestration.settings import Settings


def build_definitions(settings: Settings | None = None, datasets: tuple[Dataset, ...] = DATASETS) -> Definitions:
    settings = settings or Settings.from_env()
    dbt_warehouse = build_dbt_assets(settings, ensure_manifest(settings), datasets)
    ingest_assets = build_ingest_assets(datasets, daily_partitions(settings.partition_start))
    published = build_published_warehouse(dbt_warehouse, [key for a in ingest_assets for key in a.keys])
    daily_refresh = build_schedule_from_partitioned_job(
        refresh_warehouse_job,
        hour_of_day=2,
        minute_of_hour=0,
        name="daily_refresh",
        description="Ingests yesterday's landing files and rebuilds the warehouse (incremental by day).",
    )
    pull_assets, pull_jobs, pull_schedules, pull_sensors = build_pull_definitions(load_sources())
    return Definitions(
        assets=[
            *pull_assets,
            *ingest_assets,
            dbt_warehouse,
            published,
            build_alerts_asset(published),
            build_report_asset(published),
            build_focus_export_asset(published),
        ],
        asset_checks=[
            *build_contract_checks(datasets),
            ge_capacity_invariants,
            ge_billing_reconciliation,
            ge_three_way_reconciliation,
            budget_within_forecast,
        ],
        jobs=[refresh_warehouse_job, *pull_jobs],
        schedules=[daily_refresh, *pull_schedules],
        sensors=[landing_files_sensor, *pull_sensors],
        loggers={"console": finops_console},
        resources={
            "finops": settings,
            "dbt": FinopsDbtCliResource(
                project_dir=dbt_project(settings),
                profiles_dir=str(dbt_project(settings).profiles_dir),
                global_config_flags=["--no-use-colors"],
                dbt_executable=dbt_executable(),
            ),
        },
    )


@definitions
def defs() -> Definitions:
    return build_definitions()
