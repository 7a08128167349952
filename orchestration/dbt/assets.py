"""The dbt project as Dagster assets: one `dbt build` per run, partitioned by day.

Every dbt asset shares the daily partitions of the ingestion assets. A run over a partition range passes
the window to dbt as the vars min_date / max_date (inclusive): incremental facts rebuild that window plus
`lookback_days`, every other node (seeds, views, dimensions, reports) is rebuilt whole, which is cheap
and keeps them consistent with the facts. One dbt invocation per run also keeps dbt's own ordering of
models and tests (a relationships test runs after both of its models) and DuckDB's single writer.
dbt tests are reported as asset checks.
"""

import json
from datetime import timedelta

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt.project import dbt_project, ensure_manifest
from orchestration.dbt.translator import FinopsDbtTranslator
from orchestration.partitions import daily_partitions, single_run

ensure_manifest()


def window_vars(context: AssetExecutionContext) -> dict[str, str]:
    window = context.partition_time_window
    return {
        "min_date": window.start.date().isoformat(),
        "max_date": (window.end - timedelta(days=1)).date().isoformat(),
    }


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    dagster_dbt_translator=FinopsDbtTranslator(),
    name="dbt_warehouse",
)
def dbt_warehouse(context: AssetExecutionContext, dbt: DbtCliResource):
    dbt_vars = window_vars(context)
    context.log.info(f"dbt build, partition window {dbt_vars}")
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()
