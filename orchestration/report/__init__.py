"""The static HTML report (genai-finops report; the Dagster asset published/report): headline figures, spend
over time with the forecast band, the use-case leaderboard, cost per transaction, A/B verdicts, capacity,
billing and anomalies, read from the published marts."""

from __future__ import annotations

from pathlib import Path

from orchestration.report.data import ReportData, collect
from orchestration.report.render import render, write


def write_report(warehouse: str | Path, path: str | Path, period_days: int = 30) -> tuple[Path, ReportData]:
    data = collect(str(warehouse), period_days)
    return write(data, Path(path)), data


__all__ = ["ReportData", "collect", "render", "write", "write_report"]
