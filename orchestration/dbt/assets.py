"""The dbt project as one Dagster multi-asset: one `dbt build` per run.

The dbt assets are not partitioned themselves (a table or a view has no partitions); the run's partition
(or partition range) of the ingestion assets decides the window the incremental facts rebuild, passed to
dbt as the vars min_date / max_date (inclusive). Incremental models (the event-grain facts, the
transactions, the context-creep turns and the daily cache totals) rebuild that window plus `lookback_days`;
every other node (seeds, views, dimensions, reports) is rebuilt whole, which keeps them consistent with the
facts and stays cheap: the reports read daily aggregates, or a trailing window where they need every value
(exact percentiles). A run without a partition lets the models take their own window
(the newest loaded day minus the lookback). One dbt invocation per run keeps dbt's own ordering of
models and tests (a relationships test runs after both of its models) and DuckDB's single writer. dbt
tests are reported as asset checks.
"""

import json
from datetime import date

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt.project import dbt_project, ensure_manifest
from orchestration.dbt.translator import FinopsDbtTranslator
from orchestration.settings import Settings
from orchestration.warehouse import publish, writer_lock

ensure_manifest()

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def window_vars(tags: dict[str, str]) -> dict[str, str]:
    """dbt vars for the run's daily partition or partition range (inclusive days); {} without one."""
    if tags.get(RANGE_START_TAG) and tags.get(RANGE_END_TAG):
        first, last = tags[RANGE_START_TAG], tags[RANGE_END_TAG]
    elif tags.get(PARTITION_TAG):
        first = last = tags[PARTITION_TAG]
    else:
        return {}
    # files of an arrival day can hold events of the day before (late delivery): the models' own
    # lookback covers them, so the window is the partition days themselves
    return {"min_date": date.fromisoformat(first).isoformat(), "max_date": date.fromisoformat(last).isoformat()}


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=FinopsDbtTranslator(),
    name="dbt_warehouse",
)
def dbt_warehouse(context: AssetExecutionContext, dbt: DbtCliResource):
    dbt_vars = window_vars(dict(context.run.tags))
    context.log.info(f"dbt build, window {dbt_vars or 'from the models (newest day minus lookback)'}")
    args = ["build"] + (["--vars", json.dumps(dbt_vars)] if dbt_vars else [])
    with writer_lock(Settings.from_env(), what=f"dbt build, run {context.run_id}"):
        yield from dbt.cli(args, context=context).stream()


@asset(
    key=AssetKey(["published", "warehouse"]),
    deps=list(dbt_warehouse.keys),
    group_name="published",
    description=(
        "The warehouse file copied to FINOPS_PUBLISHED_PATH after a successful build and swapped in atomically: "
        "what BI tools read (read-only), so they never block a run nor see a half-built table."
    ),
)
def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
    settings = Settings.from_env()
    target = publish(settings)
    size = target.stat().st_size
    context.log.info(f"published {target} ({size / 2**20:.1f} MiB)")
    return MaterializeResult(metadata={"path": str(target), "bytes": size})
