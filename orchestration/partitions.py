"""The daily partitions shared by ingestion and the incremental dbt models."""

from __future__ import annotations

from dagster import BackfillPolicy, DailyPartitionsDefinition


def daily_partitions(start_date: str) -> DailyPartitionsDefinition:
    """A day is the arrival day of landing files (ingestion) and the window of the incremental dbt models."""
    return DailyPartitionsDefinition(start_date=start_date, timezone="UTC")


# A backfill of many days runs once over the whole range instead of once per day.
single_run = BackfillPolicy.single_run()
