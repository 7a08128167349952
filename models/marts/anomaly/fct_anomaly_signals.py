"""One row per anomalous period: grain (hour, day), level (use case x platform x model, use case, total; a provisioned
deployment for capacity utilization), metric (cost and its drivers), the value, its seasonal robust baseline and
the robust z-score (orchestration/anomaly)."""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from orchestration.anomaly import frames
    from orchestration.frames import output

    components = frames.components_frame(dbt.ref("int_anomaly_components"), dbt.ref("int_anomaly_transactions"))
    threshold = float(dbt.config.get("threshold"))
    signals = frames.detect(components, threshold, float(dbt.config.get("min_impact_usd")))
    utilization = frames.detect_utilization(dbt.ref("fct_capacity_hourly"), threshold)
    return output(pd.concat([signals, utilization], ignore_index=True), session, frames.SIGNAL_COLUMNS)
