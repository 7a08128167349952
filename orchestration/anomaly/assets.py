"""The Dagster asset that sends alerts after each build: new anomalies and forecast budget breaches from the
published warehouse, to the sinks of alerts.yml, each once."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from orchestration.anomaly import alerts
from orchestration.logs import step
from orchestration.settings import Settings


def build_alerts_asset(published: AssetsDefinition) -> AssetsDefinition:
    @asset(
        key=AssetKey(["alerts", "notifications"]),
        deps=list(published.keys),
        group_name="published",
        description=(
            "New anomalies (marts.fct_anomalies) and budgets forecast over (marts.rpt_budget_status), sent to the "
            "sinks of alerts.yml (a JSON-lines file, Slack-compatible webhooks), each alert once per sink; "
            "deliveries logged beside the warehouse."
        ),
    )
    def alert_notifications(context: AssetExecutionContext, finops: Settings) -> MaterializeResult:
        config = alerts.load_config()
        current = alerts.collect(finops.published_path, config)
        report = alerts.deliver(current, config, alerts.state_dir_for(finops.duckdb_path))
        context.log.info(step(f"alerts: {len(current)} current; {report.summary()}"))
        if report.failed:
            context.log.warning(f"alerts not delivered (retried on the next run): {report.failed}")
        return MaterializeResult(
            metadata={
                "alerts": len(current),
                "sent": sum(report.sent.values()),
                "already_sent": sum(report.already.values()),
                "failed_sinks": ", ".join(report.failed) or "none",
            }
        )

    return alert_notifications
