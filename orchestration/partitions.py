"""The daily partitions shared by ingestion and the incremental dbt models."""

from __future__ import annotations

from dagster import BackfillPolicy, DailyPartitionsDefinition

from orchestration.settings import Settings

# A day is the arrival day of landing files (ingestion) and the event_date window of incremental facts.
daily_partitions = DailyPartitionsDefinition(start_date=Settings.from_env().partition_start, timezone="UTC")

# A backfill of many days runs once over the whole range instead of once per day.
single_run = BackfillPolicy.single_run()
