"""Each dbt check fails on the defect it exists for: planted in a copy of the demo warehouse with bills (60 days
in real formats), the check that guards against it fails, and on the untouched copy every one of them passes."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from orchestration.settings import PROJECT_DIR
from tests.conftest import copy_of, copy_project, run_dbt, run_dbt_in

pytestmark = pytest.mark.pipeline

CHECKS = {
    "capacity_hour_twice": (
        "unique_combination_fct_capacity_hourly_reservation_id__deployment_id__hour_at",
        "insert into marts.fct_capacity_hourly select * from marts.fct_capacity_hourly where used_cost_usd > 0 limit 1",
    ),
    "reconciliation_day_twice": (
        "unique_combination_rpt_billing_reconciliation_daily_platform__model_id__day",
        "insert into marts.rpt_billing_reconciliation_daily "
        "select * from marts.rpt_billing_reconciliation_daily limit 1",
    ),
    "bill_changed_after_reconciliation": (
        "assert_billing_reconciliation_ties_to_the_facts",
        "update marts.fct_billing_charges set effective_cost = effective_cost + 1 "
        "where rowid = (select min(rowid) from marts.fct_billing_charges where is_genai)",
    ),
    "requests_allocated_on_a_day_without_capacity": (
        "assert_capacity_allocations_add_up",
        "delete from marts.fct_capacity_hourly where hour_date = "
        "(select min(event_date) from marts.fct_genai_requests where capacity_cost_status = 'allocated')",
    ),
    "allocated_request_without_capacity_cost": (
        "cost_components_add_up_fct_genai_requests_",
        "update marts.fct_genai_requests set capacity_cost_usd = null, total_cost_usd = null "
        "where event_id = "
        "(select min(event_id) from marts.fct_genai_requests where capacity_cost_status = 'allocated')",
    ),
    "request_lost": (
        "assert_no_event_lost_between_lake_and_fact",
        "delete from marts.fct_genai_requests where event_id = (select min(event_id) from marts.fct_genai_requests "
        "where source_format not in ('openai_usage', 'anthropic_usage'))",
    ),
}

# the per-request usage sources' staging views (macro usage_sources('usage'))
USAGE_VIEWS = (
    "stg_canonical__usage_events",
    "stg_otel__genai_spans",
    "stg_bedrock__invocations",
    "stg_litellm__spend_logs",
    "stg_anthropic__messages",
)


@pytest.fixture
def work(billed, tmp_path):
    return copy_of(billed[0], tmp_path)


def test_every_check_passes_on_the_untouched_warehouse(work):
    proc = run_dbt(work, "test", "--select", *(name for name, _ in CHECKS.values()), check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert f"PASS={len(CHECKS) + 1} " in proc.stdout  # and the on-run-start hook


@pytest.mark.parametrize("defect", sorted(CHECKS))
def test_the_check_fails_on_its_planted_defect(work, defect):
    name, plant = CHECKS[defect]
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        [(changed,)] = con.execute(plant).fetchall()
    assert changed >= 1  # the defect is planted: a row inserted or changed, or a day of hours removed
    proc = run_dbt(work, "test", "--select", name, check=False)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "ERROR=1" in proc.stdout and f"FAIL 1 {name}" in proc.stdout.replace("\x1b[31m", "").replace("\x1b[0m", "")


def test_a_late_call_lost_from_a_daily_window_fails_the_no_event_lost_check(work):
    """A daily run (a window) checks what arrived in it, read only from the day partitions its files wrote to
    (macro lake_days_arrived): a call that arrived on the window's day but happened the day before (late data),
    missing from the request fact, fails the check; on the untouched warehouse the same window passes."""
    arrived = " union all ".join(f"select event_id, event_date, arrival_date from staging.{v}" for v in USAGE_VIEWS)
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        [(day,)] = con.execute(f"select max(arrival_date) from ({arrived})").fetchall()
        [(event_id, event_day)] = con.execute(
            f"select event_id, event_date from ({arrived}) where arrival_date = ? and event_date < arrival_date "
            "order by event_id limit 1",
            [day],
        ).fetchall()
    window = {
        "FINOPS_WINDOW_MIN_DATE": str(day),
        "FINOPS_WINDOW_MAX_DATE": str(day),
        "FINOPS_WINDOW_REBUILD_FROM": str(event_day),
    }
    name = "assert_no_event_lost_between_lake_and_fact"
    assert run_dbt(work, "test", "--select", name, check=False, env=window).returncode == 0
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        [(deleted,)] = con.execute("delete from marts.fct_genai_requests where event_id = ?", [event_id]).fetchall()
    assert deleted == 1
    proc = run_dbt(work, "test", "--select", name, check=False, env=window)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "Got 1 result" in proc.stdout, proc.stdout[-3000:]


def test_a_daily_window_recounts_the_lake_rows_of_its_own_files_only(work):
    """int_lake_rows_by_file is incremental by arrival day: a daily run recounts the lake rows of the files that
    arrived in its window (read from the day partitions they wrote to) and leaves the other files' counts as
    they were. Planted: one more row on a file of the window's day and on one of an earlier day; the window's
    run puts the first back to the lake's count and keeps the second, which the reconciliation then reports."""
    counts = "select dataset, source_file, arrival_date, lake_rows from intermediate.int_lake_rows_by_file"
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        before = sorted(con.execute(counts).fetchall())
        [(day,)] = con.execute("select max(arrival_date) from intermediate.int_lake_rows_by_file").fetchall()
        planted = con.execute(
            "select dataset, source_file from intermediate.int_lake_rows_by_file where arrival_date = ? "
            "union all (select dataset, source_file from intermediate.int_lake_rows_by_file where arrival_date < ? "
            "order by dataset, source_file limit 1)",
            [day, day],
        ).fetchall()
        window_file, older_file = planted[0], planted[-1]
        for dataset, source_file in (window_file, older_file):
            con.execute(
                "update intermediate.int_lake_rows_by_file set lake_rows = lake_rows + 1 "
                "where dataset = ? and source_file = ?",
                [dataset, source_file],
            )
    window = {"FINOPS_WINDOW_MIN_DATE": str(day), "FINOPS_WINDOW_MAX_DATE": str(day)}
    run_dbt(work, "run", "--select", "int_lake_rows_by_file", "rpt_ingestion_reconciliation", env=window)
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        after = sorted(con.execute(counts).fetchall())
        unreconciled = con.execute(
            "select dataset, source_file from marts.rpt_ingestion_reconciliation where not is_reconciled"
        ).fetchall()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert [(b[:2], b[3] - a[3]) for a, b in changed] == [(older_file, 1)]
    assert unreconciled == [older_file]
    run_dbt(work, "run", "--select", "int_lake_rows_by_file", "rpt_ingestion_reconciliation", "--full-refresh")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        assert sorted(con.execute(counts).fetchall()) == before


def test_every_unit_test_passes(work):
    """The refresh job's build leaves the unit tests out (FINOPS_DBT_UNIT_TESTS): here every unit test of the
    project runs, and passes (below, three of them fail on a planted defect)."""
    written = sum(
        len((yaml.safe_load(yml.read_text()) or {}).get("unit_tests", []))
        for yml in (PROJECT_DIR / "models").rglob("*.yml")
    )
    assert written >= 17
    proc = run_dbt(work, "test", "--select", "test_type:unit", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    # and the on-run-start hook
    assert f"PASS={written + 1} " in proc.stdout and "ERROR=0" in proc.stdout, proc.stdout[-3000:]


UNIT_DEFECTS = {
    # the rounding no longer goes to one request: the shares miss the hour's cost by 1e-10
    "capacity_hour_shared_by_weighted_tokens_to_the_last_cent": (
        "models/intermediate/capacity/int_capacity_allocations_by_reservation.sql",
        "case when weight_rank = 1 and used_weighted_tokens > 0",
        "case when weight_rank = 0 and used_weighted_tokens > 0",
    ),
    # untracked taken for every model, logged or not
    "billing_variance_taken_apart_by_category": (
        "models/marts/billing/rpt_billing_reconciliation_daily.sql",
        "case when requests = 0 then billed_usage - computed_usage",
        "case when requests >= 0 then billed_usage - computed_usage",
    ),
    # population instead of sample variance
    "variant_stats_are_the_sufficient_statistics": (
        "models/intermediate/value/int_variant_stats.sql",
        "{{ safe_divide('moments.m2_cost', 'totals.n - 1') }} as var_cost",
        "{{ safe_divide('moments.m2_cost', 'totals.n') }} as var_cost",
    ),
    # the sample variance where the day's own second moment is its population variance times its count
    "variant_stats_daily_are_each_days_moments": (
        "models/intermediate/value/int_variant_stats_daily.sql",
        "var_pop(cost_usd) * count(*) as m2_cost",
        "var_samp(cost_usd) * count(*) as m2_cost",
    ),
}


@pytest.mark.parametrize("unit_test", sorted(UNIT_DEFECTS))
def test_unit_tests_fail_on_a_planted_defect(work, tmp_path, unit_test):
    """The model's hand-computed unit test passes on the model as it is and fails on the planted defect."""
    path, good, bad = UNIT_DEFECTS[unit_test]
    project = copy_project(tmp_path / "project")
    assert run_dbt_in(project, work, "test", "--select", unit_test).returncode == 0
    model = project / path
    assert good in model.read_text()
    model.write_text(model.read_text().replace(good, bad))
    with pytest.raises(AssertionError, match=rf"FAIL 1 \S+::{unit_test}"):
        run_dbt_in(project, work, "test", "--select", unit_test)
