"""One row per anomaly episode as the data shows it now: consecutive anomalous periods of one series and metric,
with the cost change of those periods against their baseline split into drivers (Shapley; orchestration/anomaly).
fct_anomalies keeps each episode once across runs."""


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.anomaly import frames
    from orchestration.frames import output, to_pandas

    components = frames.components_frame(dbt.ref("int_anomaly_components"), dbt.ref("int_anomaly_transactions"))
    signals = to_pandas(dbt.ref("fct_anomaly_signals"))
    return output(frames.build_episodes(components, signals), session, frames.EPISODE_COLUMNS)
