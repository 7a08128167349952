"""What the publish reads from the project's own dbt manifest."""

from __future__ import annotations

import pytest

from orchestration.publish import partition_columns
from tests.conftest import run_dbt

pytestmark = pytest.mark.dbt


def test_the_marts_dbt_replaces_by_day_are_published_by_day(tmp_path):
    """The project's own manifest: every mart an incremental run replaces day by day is published by day, so a
    daily publish writes its days and links the others (a mart missing here is rewritten whole every time)."""
    run_dbt(tmp_path, "parse")
    partitioned = partition_columns(tmp_path / "target" / "manifest.json")
    assert {
        "fct_genai_requests": "event_date",  # replace_window
        "fct_use_case_transactions": "started_date",  # replace_window
        "rpt_context_creep_turns": "event_date",  # delete+insert
        "fct_capacity_hourly": "hour_date",
        "fct_focus_cost_and_usage": "ChargePeriodStart",
        "rpt_use_case_roi_daily": "event_date",
        "rpt_waste_daily": "event_date",
        "rpt_usage_report_coverage": "event_date",
    }.items() <= partitioned.items()
