"""Jobs: one that refreshes everything (ingestion, validation, every dbt model) for a day or a range."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

REFRESH_JOB = "refresh_warehouse"

refresh_warehouse_job = define_asset_job(
    name=REFRESH_JOB,
    # everything but the pulls (group `pull`), which have their own job, schedules and sensors
    selection=AssetSelection.all() - AssetSelection.groups("pull"),
    description="Ingest the landing files of the selected days, validate them, and rebuild the warehouse.",
    # DuckDB allows one writer per file: steps run one after the other in one process
    executor_def=in_process_executor,
    # one writing run at a time: see orchestration/dagster.yaml (run queue limit on this tag)
    tags={"warehouse": "duckdb"},
)
