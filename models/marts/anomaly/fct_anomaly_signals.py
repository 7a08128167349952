"""One row per anomalous period: grain (hour, day), level (use case x platform x model, use case, total), metric
(cost and its drivers), the value, its seasonal robust baseline and the robust z-score (orchestration/anomaly)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.anomaly import frames
    from orchestration.frames import output

    components = frames.components_frame(dbt.ref("int_anomaly_components"), dbt.ref("int_anomaly_transactions"))
    signals = frames.detect(components, float(dbt.config.get("threshold")), float(dbt.config.get("min_impact_usd")))
    return output(signals, session, frames.SIGNAL_COLUMNS)
