"""Anomalies: robust seasonal detection and the Shapley cost decomposition (core, frames: imported by the dbt
Python models), and the alerts sent after each build (alerts, assets)."""
