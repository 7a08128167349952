"""The Dagster code location: ingestion, dbt, checks, the refresh job, its schedule and sensor."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster import Definitions
from dagster_dbt import DbtCliResource

from orchestration.dbt.assets import dbt_warehouse, published_warehouse
from orchestration.dbt.project import dbt_project
from orchestration.ingest.assets import (
    ingest_anthropic_messages,
    ingest_anthropic_usage,
    ingest_aws_cur,
    ingest_azure_cost_actual,
    ingest_azure_cost_amortized,
    ingest_bedrock_invocations,
    ingest_focus_charges,
    ingest_gcp_billing,
    ingest_kpi_events,
    ingest_litellm_spend_logs,
    ingest_openai_usage,
    ingest_otel_spans,
    ingest_usage_events,
)
from orchestration.jobs import refresh_warehouse_job
from orchestration.quality.mart_checks import ge_billing_reconciliation, ge_capacity_invariants
from orchestration.schedules import daily_refresh_schedule
from orchestration.sensors import landing_files_sensor
from orchestration.settings import Settings


def build_definitions() -> Definitions:
    # dbt subprocesses read the lake and warehouse locations from the environment (absolute paths)
    os.environ.update(Settings.from_env().dbt_env())
    return Definitions(
        assets=[
            ingest_usage_events,
            ingest_kpi_events,
            ingest_otel_spans,
            ingest_bedrock_invocations,
            ingest_openai_usage,
            ingest_anthropic_usage,
            ingest_anthropic_messages,
            ingest_focus_charges,
            ingest_aws_cur,
            ingest_azure_cost_actual,
            ingest_azure_cost_amortized,
            ingest_gcp_billing,
            ingest_litellm_spend_logs,
            dbt_warehouse,
            published_warehouse,
        ],
        asset_checks=[ge_capacity_invariants, ge_billing_reconciliation],
        jobs=[refresh_warehouse_job],
        schedules=[daily_refresh_schedule],
        sensors=[landing_files_sensor],
        resources={
            "dbt": DbtCliResource(
                project_dir=dbt_project,
                profiles_dir=str(dbt_project.profiles_dir),
                global_config_flags=["--no-use-colors"],
                dbt_executable=_dbt_executable(),
            ),
        },
    )


def _dbt_executable() -> str:
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else (shutil.which("dbt") or "dbt")


defs = build_definitions()
