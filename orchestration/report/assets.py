"""The Dagster assets that write what people and FinOps tools read after each build, from the published marts:
the static HTML report and the FOCUS export."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, MetadataValue, asset

from orchestration.focus_export import write_focus_export
from orchestration.logs import step
from orchestration.report import write_report
from orchestration.settings import Settings


def build_report_asset(published: AssetsDefinition) -> AssetsDefinition:
    @asset(
        key=AssetKey(["published", "report"]),
        deps=list(published.keys),
        group_name="published",
        description=(
            "A self-contained static HTML report (charts inlined, opens from disk with no network): headline "
            "figures of the last 30 days against the 30 before, spend with the forecast band, the use-case "
            "leaderboard, cost per transaction, A/B verdicts, capacity, billing and anomalies (docs/bi.md)."
        ),
    )
    def report(context: AssetExecutionContext, finops: Settings) -> MaterializeResult:
        path, data = write_report(finops.published_path, finops.report_path)
        size = path.stat().st_size
        context.log.info(step(f"report: {path} ({size / 2**20:.1f} MiB)"))
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(path)),
                "bytes": size,
                "period": f"{data.period_start} to {data.period_end}",
                **{h.key: h.value for h in data.headlines if h.value is not None},
            }
        )

    return report


def build_focus_export_asset(published: AssetsDefinition) -> AssetsDefinition:
    @asset(
        key=AssetKey(["published", "focus_export"]),
        deps=list(published.keys),
        group_name="published",
        description=(
            "GenAI cost as a FOCUS 1.3 Cost and Usage Parquet file (marts.fct_focus_cost_and_usage) for FinOps "
            "tools, at FINOPS_FOCUS_EXPORT_PATH (default data/published/focus/genai_cost_and_usage.parquet)."
        ),
    )
    def focus_export(context: AssetExecutionContext, finops: Settings) -> MaterializeResult:
        path, rows = write_focus_export(finops.published_path, finops.focus_export_path)
        size = path.stat().st_size
        context.log.info(step(f"FOCUS export: {path} ({rows:,} rows, {size / 2**20:.1f} MiB)"))
        return MaterializeResult(metadata={"path": MetadataValue.path(str(path)), "rows": rows, "bytes": size})

    return focus_export
