"""A daily schedule: at 02:00 UTC, refresh the warehouse for the previous day's partition."""

from __future__ import annotations

from dagster import build_schedule_from_partitioned_job

from orchestration.jobs import refresh_warehouse_job

daily_refresh_schedule = build_schedule_from_partitioned_job(
    refresh_warehouse_job,
    hour_of_day=2,
    minute_of_hour=0,
    name="daily_refresh",
    description="Ingests yesterday's landing files and rebuilds the warehouse (incremental by day).",
)
