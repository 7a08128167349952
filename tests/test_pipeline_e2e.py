"""End to end through Dagster on a small generated data set; totals checked against an independent calculation."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckKey, AssetKey

from orchestration.dbt.assets import dbt_log_env, window_env
from tests.conftest import query, run_dbt
from tests.reference_pricing import ReferencePricer

pytestmark = pytest.mark.pipeline


def test_pipeline_succeeds_and_materializes_every_asset(built):
    work, _, instance, ok = built
    assert ok
    for key in (
        ["raw", "usage_events"],
        ["raw", "kpi_events"],
        ["staging", "stg_canonical__usage_events"],
        ["intermediate", "int_usage_events"],
        ["marts", "fct_genai_requests"],
        ["marts", "rpt_ingestion_reconciliation"],
    ):
        assert instance.get_latest_materialization_event(AssetKey(key)) is not None, key


def test_a_range_run_plans_each_asset_once_and_materializes_every_day(built):
    """One planned-materialization event per asset for the run's range (not one per day: 30 days x 15 ingestion
    assets), and still one materialization per day of the range; the switch is not left set after the run."""
    import os

    from dagster import DagsterEventType

    _, _, instance, _ = built
    run = instance.get_runs(limit=1)[0]
    records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    planned = [r.event_log_entry.dagster_event.event_specific_data for r in records.records]
    usage = [p for p in planned if p.asset_key == AssetKey(["raw", "usage_events"])]
    assert len(usage) == 1
    days = set(usage[0].partitions_subset.get_partition_keys())
    first, last = run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]
    assert min(days) == first and max(days) == last and len(days) >= 30
    assert instance.get_materialized_partitions(AssetKey(["raw", "usage_events"])) >= days
    assert "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS" not in os.environ


def test_each_dataset_is_validated_while_the_next_one_loads(built):
    """The ingestion steps run first, in the registry's order; each asks the validation worker for its
    dataset's contract and goes on. The contract checks' steps come after the last ingestion step (they collect
    the outcomes), each over every row its dataset loaded, and the dbt build after them (the checks block it)."""
    from dagster import DagsterEventType

    from orchestration.datasets import DATASETS

    _, _, instance, _ = built
    run = instance.get_runs(limit=1)[0]
    starts = [r.step_key for r in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)]
    ingestion = [s for s in starts if s.startswith("ingest_")]
    contracts = [s for s in starts if s.startswith("raw__") and s.endswith("_ge_contract")]
    assert ingestion == [f"ingest_{ds.name}" for ds in DATASETS]
    assert sorted(contracts) == sorted(f"raw__{ds.name}_ge_contract" for ds in DATASETS)
    assert starts.index(ingestion[-1]) < min(starts.index(c) for c in contracts)
    assert max(starts.index(c) for c in contracts) < starts.index("dbt_warehouse")
    for ds in DATASETS:
        key = AssetKey(["raw", ds.name])
        [record] = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(key, "ge_contract"), limit=1
        )
        evaluation = record.event.dagster_event.event_specific_data
        loaded = instance.get_latest_materialization_event(key).asset_materialization.metadata["records_loaded"]
        assert evaluation.passed and evaluation.metadata["rows_validated"].value == loaded.value, ds.name


def test_the_refresh_build_leaves_the_unit_tests_to_make_test(built):
    """The job's dbt build excludes the unit tests (they test the models' code, not the run's data; every one runs
    in tests/test_dbt_checks.py), and builds every model."""
    _, _, instance, _ = built
    run = instance.get_runs(limit=1)[0]
    messages = [r.user_message for r in instance.all_logs(run.run_id) if "Running dbt command" in r.user_message]
    assert len(messages) == 1 and "build" in messages[0], messages
    assert "--exclude-resource-type unit_test" in messages[0]
    assert "--vars" not in messages[0]  # the window goes in the environment (below)
    assert instance.get_latest_materialization_event(AssetKey(["marts", "rpt_capacity_plan"])) is not None


def test_capacity_invariants_checked_by_great_expectations(built):
    work, _, instance, _ = built
    key = AssetCheckKey(AssetKey(["marts", "fct_capacity_hourly"]), "ge_capacity_invariants")
    [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed is True
    [(rows,)] = query(work, "select count(*) from marts.fct_capacity_hourly")
    assert evaluation.metadata["rows_validated"].value == rows > 0


def test_mart_totals_equal_independent_calculation(built):
    work, result, _, _ = built
    events = duckdb.sql(
        f"select * from read_parquet('{work}/landing/usage_events/*/*.parquet') qualify "
        "row_number() over (partition by event_id order by event_id) = 1"
    ).df()
    pricer = ReferencePricer()
    expected_list: dict[str, Decimal] = defaultdict(Decimal)
    expected_eff: dict[str, Decimal] = defaultdict(Decimal)
    unpriced = 0
    for e in events.to_dict("records"):
        e = {k: (None if v != v else v) for k, v in e.items()}  # NaN -> None
        lst, eff = pricer.price(e)
        if lst is None:
            unpriced += 1
            continue
        expected_list[e["platform"]] += lst
        expected_eff[e["platform"]] += eff
    rows = query(
        work,
        "select platform, sum(list_equivalent_cost_usd), sum(effective_cost_usd), count(*) "
        "from marts.fct_genai_requests group by 1",
    )
    got_list = {p: v for p, v, _, _ in rows}
    got_eff = {p: v for p, _, v, _ in rows}
    assert sum(n for *_, n in rows) == len(events)
    assert set(got_list) == {"openai", "azure_openai", "aws_bedrock", "gcp_vertex", "anthropic"}
    for platform in got_list:
        assert got_list[platform] == expected_list[platform], platform
        assert got_eff[platform] == expected_eff[platform], platform
    [(n_unpriced,)] = query(work, "select count(*) from marts.fct_genai_requests where pricing_status = 'unpriced'")
    assert n_unpriced == unpriced > 0


def test_ingestion_reconciles(built):
    work, result, _, _ = built
    [(read, loaded, quarantined, ok)] = query(
        work,
        "select sum(records_read), sum(records_loaded), sum(records_quarantined), bool_and(is_reconciled) "
        "from marts.rpt_ingestion_reconciliation where dataset = 'usage_events'",
    )
    assert (read, loaded, quarantined, ok) == (result.events, result.events, 0, True)


def _fact_rows(work):
    return sorted(query(work, "select * exclude (price_valid_from) from marts.fct_genai_requests"), key=lambda r: r[0])


def _forget(work, lo, hi):
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        for table in (
            "intermediate.int_usage_events",
            "marts.fct_genai_requests",
            "marts.rpt_context_creep_turns",
            "intermediate.int_cache_usage_daily",
            "marts.rpt_usage_report_coverage",
        ):
            con.execute(f"delete from {table} where event_date between '{lo}' and '{hi}'")
        con.execute(f"delete from marts.fct_use_case_transactions where started_date between '{lo}' and '{hi}'")
        for table in (
            "intermediate.int_capacity_request_weights",
            "intermediate.int_capacity_allocations_by_reservation",
            "intermediate.int_capacity_allocations",
            "intermediate.int_requests_daily",
            "intermediate.int_capacity_plan_hourly",
            "marts.rpt_unpriced_usage",
            "marts.rpt_use_case_roi_daily",
            "marts.rpt_waste_daily",
            "intermediate.int_anomaly_transactions",
        ):
            con.execute(f"delete from {table} where event_date between '{lo}' and '{hi}'")
        con.execute(f"delete from intermediate.int_variant_stats_daily where started_date between '{lo}' and '{hi}'")
        con.execute(f"delete from marts.fct_capacity_hourly where hour_date between '{lo}' and '{hi}'")
        con.execute(
            "delete from marts.fct_focus_cost_and_usage "
            f"where cast(ChargePeriodStart as date) between '{lo}' and '{hi}'"
        )
        con.execute(f"delete from intermediate.int_lake_rows_by_file where arrival_date between '{lo}' and '{hi}'")
        # a month's chargeback needs all its days: the months of the window go whole
        con.execute(
            "delete from marts.rpt_capacity_chargeback_monthly "
            f"where month_start >= date_trunc('month', date '{lo}') and month_start <= date '{hi}'"
        )
    finally:
        con.close()


def _incremental_rows(work):
    transactions = sorted(query(work, "select * from marts.fct_use_case_transactions"), key=lambda r: r[0])
    turns = sorted(query(work, "select * from marts.rpt_context_creep_turns"), key=lambda r: r[2])
    cache = sorted(query(work, "select * from intermediate.int_cache_usage_daily"), key=lambda r: r[:4])
    coverage = sorted(query(work, "select * from marts.rpt_usage_report_coverage"), key=lambda r: r[:2])
    capacity = [
        sorted(query(work, f"select * from {table}"), key=repr)
        for table in (
            "intermediate.int_capacity_request_weights",
            "intermediate.int_capacity_allocations_by_reservation",
            "intermediate.int_capacity_allocations",
            "marts.fct_capacity_hourly",
            "marts.fct_focus_cost_and_usage",
            "intermediate.int_requests_daily",
            "intermediate.int_capacity_plan_hourly",
            "marts.rpt_unpriced_usage",
            "marts.rpt_use_case_roi_daily",
            "marts.rpt_waste_daily",
            "marts.rpt_capacity_chargeback_monthly",
            "intermediate.int_lake_rows_by_file",
            "intermediate.int_anomaly_transactions",
        )
    ]
    return _fact_rows(work), transactions, turns, cache, coverage, *capacity


def _variant_days(work):
    """int_variant_stats_daily as {(use case, variant, day, column): value}: its sums and moments are doubles
    summed in the order DuckDB reads the rebuilt days, equal to about the 15th digit (compared with approx)."""
    return {
        (*row[:3], column): float(value)
        for row in query(work, "select * from intermediate.int_variant_stats_daily")
        for column, value in enumerate(row[3:])
    }


INCREMENTAL_MODELS = (
    "int_usage_events",
    "fct_genai_requests",
    "fct_use_case_transactions",
    "rpt_context_creep_turns",
    "int_cache_usage_daily",
    "rpt_usage_report_coverage",
    "int_capacity_request_weights",
    "int_capacity_allocations_by_reservation",
    "int_capacity_allocations",
    "fct_capacity_hourly",
    "fct_focus_cost_and_usage",
    "int_requests_daily",
    "int_capacity_plan_hourly",
    "rpt_unpriced_usage",
    "rpt_use_case_roi_daily",
    "rpt_waste_daily",
    "rpt_capacity_chargeback_monthly",
    "int_lake_rows_by_file",
    "int_anomaly_transactions",
    "int_variant_stats_daily",
)


def test_incremental_runs_equal_full_refresh(built_copy):
    work = built_copy
    full, full_days = _incremental_rows(work), _variant_days(work)

    def same_as_full():
        assert _incremental_rows(work) == full
        assert _variant_days(work) == pytest.approx(full_days, rel=1e-9, abs=1e-12)

    # rebuild day windows one after another (as the daily schedule would): each run must bring back the
    # days it owns (deleted first, so a run that did nothing would fail)
    for lo, hi in (("2026-01-01", "2026-01-09"), ("2026-01-10", "2026-01-20"), ("2026-01-21", "2026-01-31")):
        _forget(work, lo, hi)
        forgotten = _incremental_rows(work)
        assert all(len(rows) < len(whole) for rows, whole in zip(forgotten, full, strict=True))
        assert len(_variant_days(work)) < len(full_days)
        run_dbt(work, "run", "--select", *INCREMENTAL_MODELS, "--vars", f'{{"min_date": "{lo}", "max_date": "{hi}"}}')
        same_as_full()
    # without a window: the newest loaded day minus the lookback (2 days) is rebuilt
    _forget(work, "2026-01-30", "2026-01-30")
    run_dbt(work, "run", "--select", *INCREMENTAL_MODELS)
    same_as_full()
    run_dbt(work, "run", "--full-refresh", "--select", *INCREMENTAL_MODELS)
    same_as_full()


# relations with a row per call: what a model reads them for must not be written out whole by DuckDB
PER_CALL = (
    "stg_canonical__usage_events",
    "int_usage_events",
    "int_usage_events_priced",
    "int_capacity_request_weights",
    "int_capacity_allocations_by_reservation",
    "int_capacity_allocations",
    "fct_genai_requests",
)


def _materialized_ctes(con: duckdb.DuckDBPyConnection, sql: str, profile: Path) -> list[tuple[str, int]]:
    """(name, rows) of each CTE DuckDB wrote out running `sql` (its CTE operators, from the query's profile)."""
    con.execute(f"pragma enable_profiling = 'json'; pragma profiling_output = '{profile}'")
    try:
        con.execute(sql).fetchall()
    finally:
        con.execute("pragma disable_profiling")
    found = []

    def walk(node):
        if node.get("name") == "CTE":
            found.append((node["extra_info"]["CTE Name"], node["children"][0]["intermediate_rows"]))
        for child in node.get("children", []):
            walk(child)

    for node in json.loads(profile.read_text())["operator"]:
        walk(node)
    return found


def test_no_model_writes_out_its_calls_as_a_cte(built_copy, tmp_path):
    """A CTE read twice is written out whole by DuckDB (every row, the columns its readers need), then read back:
    over the calls that costs more than reading the table again (fct_focus_cost_and_usage at 10M events: 8.3-9.8 s
    against 2.8-2.9 s with `not_materialized()`). Every model that reads a relation with a row per call, built
    whole on the shared warehouse: no CTE of its own that DuckDB writes out holds half as many rows as there are
    calls. (DuckDB's own CTEs, `__`-named, are its plan for `count(distinct)` and the like.)"""
    work = built_copy
    run_dbt(
        work,
        "compile",
        "--full-refresh",
        "--select",
        *(f"{name}+1" for name in PER_CALL),
        "--exclude",
        "resource_type:test",
    )
    compiled = sorted((work / "target" / "compiled" / "genai_finops" / "models").rglob("*.sql"))
    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    try:
        (calls,) = con.execute("select count(*) from marts.fct_genai_requests").fetchone()
        assert calls > 50_000
        written = {path.stem: _materialized_ctes(con, path.read_text(), tmp_path / "p.json") for path in compiled}
    finally:
        con.close()
    assert len(written) >= 20 and "fct_focus_cost_and_usage" in written, sorted(written)
    assert [
        (model, name, rows)
        for model, ctes in sorted(written.items())
        for name, rows in ctes
        if not name.startswith("__") and 2 * rows >= calls
    ] == []


def test_the_builds_dbt_log_file_keeps_warnings_and_errors(built, monkeypatch):
    """The refresh job's dbt build writes dbt's log file at `warn` (dbt_log_env): dbt's own events of the build
    are in Dagster's event log, the file keeps what went wrong. A user's DBT_LOG_LEVEL_FILE stands."""
    work, _, instance, ok = built
    assert ok
    log = Path(os.environ["FINOPS_DBT_TARGET_DIR"]) / "dbt.log"
    lines = log.read_text().splitlines() if log.exists() else []
    assert {json.loads(line)["info"]["level"] for line in lines} <= {"warn", "error"}
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    assert dbt_log_env() == {"DBT_LOG_LEVEL_FILE": "warn"}
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    assert dbt_log_env() == {"DBT_LOG_LEVEL_FILE": "debug"}


def test_a_window_from_the_environment_keeps_dbt_partial_parsing(built_copy):
    """The job passes its window in the environment (FINOPS_WINDOW_*, window_env), read when a model compiles: a
    new day's window is in the compiled model and dbt still parses partially, where new --vars make dbt parse
    the whole project again (every daily run's window is new)."""
    work = built_copy
    compiled = work / "target" / "compiled" / "genai_finops" / "models" / "marts" / "finops" / "fct_genai_requests.sql"

    def compile_model(day: str, through: str) -> str:
        window = {"min_date": day, "max_date": day}
        if through == "env":
            proc = run_dbt(work, "compile", "--select", "fct_genai_requests", env=window_env(window))
        else:
            proc = run_dbt(work, "compile", "--select", "fct_genai_requests", "--vars", json.dumps(window))
        assert f"<= cast('{day}' as date)" in compiled.read_text()
        return proc.stdout

    log = work / "target" / "logs" / "dbt.log"
    unchanged = "Partial parsing enabled, no changes found, skipping parsing"
    compile_model("2026-01-10", "env")  # the first parse into this target folder
    before = log.read_text().count(unchanged)
    assert "Unable to do partial parsing" not in compile_model("2026-01-11", "env")
    # not a file parsed again (an environment variable read while parsing would make dbt re-parse its files)
    assert log.read_text().count(unchanged) == before + 1
    assert "Unable to do partial parsing because config vars" in compile_model("2026-01-12", "vars")


def test_a_window_day_without_rows_any_more_is_emptied(built_copy):
    """The request facts replace their window whole: a day of the window whose events are gone from the
    sources loses its rows too (replacing only the days present in the new rows would keep them)."""
    work = built_copy
    (newest,) = query(work, "select max(event_date) from intermediate.int_usage_events")[0]
    stale = newest + timedelta(days=1)
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        for table in ("intermediate.int_usage_events", "marts.fct_genai_requests"):
            con.execute(
                f"insert into {table} select * replace ('stale-' || event_id as event_id, "
                f"date '{stale}' as event_date) from {table} where event_date = date '{newest}' limit 3"
            )
    finally:
        con.close()
    run_dbt(
        work, "run", "--select", "int_usage_events", "fct_genai_requests",
        "--vars", f'{{"min_date": "{stale}", "max_date": "{stale}", "lookback_days": 0}}',
    )  # fmt: skip
    for table in ("intermediate.int_usage_events", "marts.fct_genai_requests"):
        assert query(work, f"select count(*) from {table} where event_date = '{stale}' or event_id like 'stale-%'") == [
            (0,)
        ]


def test_a_window_run_tests_the_days_it_rebuilt(built_copy):
    """A test configured with meta.window_column (get_where_subquery) checks, on a run with a window, the days
    that run rebuilt: a defect of an older day is left to the runs that wrote it, one in the window is found;
    without a window every row is tested."""
    work = built_copy
    oldest, newest = query(work, "select min(event_date), max(event_date) from marts.fct_genai_requests")[0]
    test = "cost_components_add_up_fct_genai_requests_"
    window = f'{{"min_date": "{newest}", "max_date": "{newest}"}}'

    def break_one_request(day) -> None:  # its total is no longer effective + capacity cost
        con = duckdb.connect(str(work / "warehouse.duckdb"))
        try:
            con.execute(
                "update marts.fct_genai_requests set total_cost_usd = total_cost_usd + 1 where event_id = ("
                "select min(event_id) from marts.fct_genai_requests where event_date = ? "
                "and pricing_status = 'priced' and total_cost_usd is not null)",
                [day],
            )
        finally:
            con.close()

    break_one_request(oldest)
    assert run_dbt(work, "test", "--select", test, "--vars", window, check=False).returncode == 0
    whole = run_dbt(work, "test", "--select", test, check=False)
    assert whole.returncode != 0 and "Got 1 result" in whole.stdout
    break_one_request(newest)
    windowed = run_dbt(work, "test", "--select", test, "--vars", window, check=False)
    assert windowed.returncode != 0 and "Got 1 result" in windowed.stdout


def test_tests_of_staged_event_datasets_read_the_run_s_days(tmp_path):
    """A daily run must not read the lake's history: every generic test of the staging model of a usage,
    usage-report or KPI dataset (orchestration/datasets.py; the roles whose late days widen the run's window)
    reads, on a run with a window, the days from the window's start (get_where_subquery, by the dataset's
    partition column from the registry, no configuration per test), except the tests of that day column, which a
    window would pass: each such model has one, a not_null over every row. The tests of bills and provider cost
    reports (one row per charge or bucket) read every row."""
    from orchestration.datasets import DATASETS, EVENT_ROLES

    window = {"min_date": "2026-03-05", "max_date": "2026-03-06"}  # lookback_days 2: from 2026-03-03
    models = sorted({dataset.staging_model for dataset in DATASETS})
    run_dbt(tmp_path, "compile", "--select", *models, "kpi_definitions", "--vars", json.dumps(window))
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    datasets = {dataset.staging_model: dataset for dataset in DATASETS}
    wrong, day_tested, seen = [], set(), defaultdict(int)
    for node in manifest["nodes"].values():
        model = (node.get("attached_node") or "").split(".")[-1]
        if node["resource_type"] != "test" or model not in datasets:
            continue
        dataset = datasets[model]
        windowed = f"{dataset.partition_column} >= cast('2026-03-03' as date)" in node["compiled_code"]
        on_day = node.get("column_name") == dataset.partition_column
        expected = dataset.role in EVENT_ROLES and not on_day
        seen[(dataset.role, windowed)] += 1
        if windowed != expected:
            wrong.append((node["name"], windowed))
        if on_day and node["test_metadata"]["name"] == "not_null" and not windowed:
            day_tested.add(model)
    assert wrong == []
    event_models = {d.staging_model for d in DATASETS if d.role in EVENT_ROLES}
    assert event_models - day_tested == set()
    assert seen[("usage", True)] >= 10 and seen[("kpi", True)] == 2 and seen[("other", False)] >= 3, dict(seen)


def _own_lake(work: Path, *views: str) -> Path:
    """A lake of the test's own under `work` (the shared one is linked read-only), and the staging `views`
    rebuilt to read it."""
    import shutil

    lake = work / "lake"
    shared = lake.resolve()
    lake.unlink()
    shutil.copytree(shared, lake)
    run_dbt(work, "run", "--select", *views)
    return lake


def test_the_staged_kpi_events_tests_read_the_window(built_copy):
    """The staged KPI events' tests (kpi_event_id not null, kpi_id a defined KPI) read the lake's days that a run
    with a window rebuilt, not every KPI event: an unknown KPI on an older day is left to the run that wrote it,
    one in the window is found, and a run without a window tests every row."""
    work = built_copy
    lake = _own_lake(work, "stg_canonical__kpi_events")
    folders = sorted(p for p in (lake / "kpi_events").glob("event_date=*") if any(p.glob("*.part*.parquet")))
    oldest, newest = folders[0], folders[-1]
    select = ("test", "--select", "stg_canonical__kpi_events", "kpi_definitions")  # both parents (buildable)
    window = ("--vars", json.dumps({"min_date": newest.name.split("=")[1], "max_date": newest.name.split("=")[1]}))

    def plant_unknown_kpi(folder: Path) -> None:  # one KPI event of the day again, under a KPI no seed defines
        source = sorted(folder.glob("*.part*.parquet"))[0]
        con = duckdb.connect()
        try:
            con.execute(
                "copy (select * replace ('no_such_kpi' as kpi_id, 'planted' as kpi_event_id) "
                f"from read_parquet('{source}', hive_partitioning = false) limit 1) "
                f"to '{folder / 'planted.part0.parquet'}' (format parquet)"
            )
        finally:
            con.close()

    assert run_dbt(work, *select, *window, check=False).returncode == 0
    plant_unknown_kpi(oldest)
    assert run_dbt(work, *select, *window, check=False).returncode == 0
    whole = run_dbt(work, *select, check=False)
    assert whole.returncode != 0 and "relationships_stg_canonical__kpi_events_kpi_id" in whole.stdout
    plant_unknown_kpi(newest)
    windowed = run_dbt(work, *select, *window, check=False)
    assert windowed.returncode != 0 and "Got 1 result" in windowed.stdout


def test_a_lake_row_without_a_day_fails_a_windowed_run(built_copy):
    """A windowed run's tests of the staged usage and KPI events read the days from the window's start, which
    passes a row without a day (`event_date` null: a hive folder `event_date=__HIVE_DEFAULT_PARTITION__`, as
    another writer of the lake may leave); the day column's own not_null reads every row and fails on it."""
    work = built_copy
    datasets = ("usage_events", "kpi_events")
    lake = _own_lake(work, *(f"stg_canonical__{d}" for d in datasets))
    days = [{p.parent.name.split("=")[1] for p in (lake / d).glob("event_date=*/*.part*.parquet")} for d in datasets]
    newest = max(set.intersection(*days))  # a day of both, with a row to copy
    select = ("test", "--select", *(f"stg_canonical__{d}" for d in datasets), "kpi_definitions")
    window = ("--vars", json.dumps({"min_date": newest, "max_date": newest}))
    assert run_dbt(work, *select, *window, check=False).returncode == 0
    for dataset in datasets:  # one row of the newest day again, in a folder without a day
        source = sorted((lake / dataset / f"event_date={newest}").glob("*.part*.parquet"))[0]
        folder = lake / dataset / "event_date=__HIVE_DEFAULT_PARTITION__"
        folder.mkdir()
        con = duckdb.connect()
        try:
            con.execute(
                f"copy (select * from read_parquet('{source}', hive_partitioning = false) limit 1) "
                f"to '{folder / 'planted.part0.parquet'}' (format parquet)"
            )
        finally:
            con.close()
    windowed = run_dbt(work, *select, *window, check=False)
    assert windowed.returncode != 0
    failed = sorted(line.split("Failure in test ")[1].split(" ")[0] for line in windowed.stdout.splitlines()
                    if "Failure in test " in line)  # fmt: skip
    assert failed == [f"not_null_stg_canonical__{d}_event_date" for d in sorted(datasets)], windowed.stdout[-3000:]


def test_warehouse_readable_by_bi_while_closed(built):
    work, _, _, _ = built
    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    try:
        # 11 use cases + the unattributed member
        assert con.execute("select count(*) from marts.dim_use_cases").fetchone()[0] == 12
    finally:
        con.close()


def _duplicate_request(work, from_day, to_day):
    """Copy one request of `from_day` to `to_day` under the same event id (marked by an impossible
    delivered_copies, to be removed after)."""
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        con.execute(
            "insert into marts.fct_genai_requests select * replace "
            f"(cast('{to_day}' as date) as event_date, -7 as delivered_copies) "
            f"from marts.fct_genai_requests where event_date = '{from_day}' limit 1"
        )
    finally:
        con.close()


def _remove_duplicates(work):
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        con.execute("delete from marts.fct_genai_requests where delivered_copies = -7")
    finally:
        con.close()


def test_unique_tests_check_the_window_against_all_history(built_copy):
    """With a window, an id is counted only when a row of the window has it, against every row: a duplicate
    of an old id inside the window is found; one among old rows only is left to the runs that wrote them (a
    run without a window finds it)."""
    work = built_copy
    select = ("test", "--select", "fct_genai_requests,test_name:unique_since_window")
    window = ("--vars", '{"min_date": "2026-01-25", "max_date": "2026-01-26"}')
    assert run_dbt(work, *select, *window, check=False).returncode == 0
    try:
        _duplicate_request(work, "2026-01-03", "2026-01-25")  # an old id again, in the window
        assert run_dbt(work, *select, *window, check=False).returncode == 1
        _remove_duplicates(work)
        _duplicate_request(work, "2026-01-03", "2026-01-04")  # both before the window (minus the lookback)
        assert run_dbt(work, *select, *window, check=False).returncode == 0
        assert run_dbt(work, *select, check=False).returncode == 1
    finally:
        _remove_duplicates(work)
    assert run_dbt(work, *select, check=False).returncode == 0


def test_a_unique_test_without_a_hash_counts_the_ids_in_one_scan(built_copy):
    """unique_since_window without hash_column (int_capacity_allocations' event_id): the count of the window's
    ids is the answer, no second pass over the table; an old id again inside the window is found, an id repeated
    among old rows only is left to a run without a window."""
    work = built_copy
    table = "intermediate.int_capacity_allocations"
    select = ("test", "--select", "int_capacity_allocations,test_name:unique_since_window")
    window = ("--vars", '{"min_date": "2026-01-25", "max_date": "2026-01-26"}')

    def copy_one_row(from_day, to_day):
        with duckdb.connect(str(work / "warehouse.duckdb")) as con:
            con.execute(
                f"insert into {table} select * replace (cast('{to_day}' as date) as event_date) "
                f"from {table} where event_date = '{from_day}' order by event_id limit 1"
            )

    assert run_dbt(work, *select, *window, check=False).returncode == 0
    compiled = work / "target" / "compiled" / "genai_finops" / "models" / "intermediate" / "capacity"
    (sql,) = [p.read_text() for p in (compiled / "_capacity__models.yml").glob("unique_since_window*.sql")]
    # the table read twice (the count, the window's ids), as with hash_column it is read three times
    assert sql.count("int_capacity_allocations") == 2 and "event_date >=" in sql
    copy_one_row("2026-01-03", "2026-01-25")  # an old id again, in the window
    result = run_dbt(work, *select, *window, check=False)
    assert result.returncode == 1 and "Got 1 result" in result.stdout
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute(
            f"delete from {table} where event_date = '2026-01-25' and event_id in "
            f"(select event_id from {table} where event_date = '2026-01-03')"
        )
    copy_one_row("2026-01-03", "2026-01-04")  # both before the window (minus the lookback)
    assert run_dbt(work, *select, *window, check=False).returncode == 0
    assert run_dbt(work, *select, check=False).returncode == 1


def _add_to_focus_usage_cost(work, day, usd):
    """Add `usd` to the EffectiveCost of one pay-as-you-go row of the FOCUS export charged on `day`."""
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        con.execute(
            f"update marts.fct_focus_cost_and_usage set EffectiveCost = EffectiveCost + {usd} where rowid = ("
            "select min(rowid) from marts.fct_focus_cost_and_usage "
            f"where x_ChargeType = 'usage' and cast(ChargePeriodStart as date) = '{day}')"
        )
    finally:
        con.close()


def test_the_focus_export_is_tied_to_the_facts_on_the_windows_days(built_copy):
    """With a window, the FOCUS export's days from the window's first rebuilt day on (its first day minus the
    lookback) are tied to the facts; a cent off on an older day is left to the runs that wrote it (a run
    without a window finds it), one inside the window is found."""
    work = built_copy
    select = ("test", "--select", "assert_focus_export_ties_to_the_facts")
    window = ("--vars", '{"min_date": "2026-01-25", "max_date": "2026-01-26"}')
    assert run_dbt(work, *select, *window, check=False).returncode == 0
    _add_to_focus_usage_cost(work, "2026-01-22", "0.01")  # the day before the window minus its 2-day lookback
    assert run_dbt(work, *select, *window, check=False).returncode == 0
    assert run_dbt(work, *select, check=False).returncode == 1
    _add_to_focus_usage_cost(work, "2026-01-22", "-0.01")
    assert run_dbt(work, *select, check=False).returncode == 0
    _add_to_focus_usage_cost(work, "2026-01-23", "0.01")  # the window's first rebuilt day
    assert run_dbt(work, *select, *window, check=False).returncode == 1
    _add_to_focus_usage_cost(work, "2026-01-23", "-0.01")
    # no pay-as-you-go row before the window (as after a first build): every day is compared, and the days
    # before it now lack the calls of the request fact
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        con.execute(
            "delete from marts.fct_focus_cost_and_usage "
            "where x_ChargeType = 'usage' and ChargePeriodStart < '2026-01-23'"
        )
    finally:
        con.close()
    assert run_dbt(work, *select, *window, check=False).returncode == 1


def test_a_window_from_the_oldest_day_counts_every_row_without_the_lookup(built_copy):
    """A window that reaches back to the table's oldest day (a first build, a backfill's first window) counts
    every row, as a run without a window does, instead of looking every id up among the window's ids: the same
    answer without the semi-join over the whole table; a window that starts later keeps the lookup."""
    work = built_copy
    ((oldest,),) = query(work, "select min(event_date) from marts.fct_genai_requests")
    select = ("test", "--select", "fct_genai_requests,test_name:unique_since_window")
    compiled = work / "target" / "compiled" / "genai_finops" / "models" / "marts" / "finops" / "_finops__models.yml"

    def test_sql(min_date: date) -> tuple[int, str]:
        window = ("--vars", json.dumps({"min_date": str(min_date), "max_date": str(oldest + timedelta(days=40))}))
        proc = run_dbt(work, *select, *window, check=False)
        (sql,) = [p.read_text() for p in compiled.glob("unique_since_window_fct_genai_requests_event_id*.sql")]
        return proc.returncode, sql

    # the window's first day minus lookback_days (2) is the oldest day; no duplicate yet: both pass
    returncode, sql = test_sql(oldest + timedelta(days=2))
    assert returncode == 0 and "where event_date >=" not in sql
    returncode, sql = test_sql(oldest + timedelta(days=3))
    assert returncode == 0 and "where event_date >=" in sql
    _duplicate_request(work, oldest + timedelta(days=1), oldest + timedelta(days=20))
    try:
        returncode, sql = test_sql(oldest + timedelta(days=2))
        assert returncode == 1 and "where event_date >=" not in sql
    finally:
        _remove_duplicates(work)


def _plant_a_hash_collision(work, table, id_column, date_column, window_day, older_day):
    """An older row (a copy of one of `older_day`) under a new id that shares the id hash of a row of
    `window_day`: ids that share a hash only, as two different ids may. Returns the window row's id."""
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        (target_id, target_hash), *_ = con.execute(
            f"select {id_column}, {id_column}_hash from {table} where {date_column} = ? order by 1 limit 1",
            [window_day],
        ).fetchall()
        con.execute(
            f"insert into {table} select * replace ('planted-collision' as {id_column}, "
            f"{target_hash} as {id_column}_hash) from {table} where {date_column} = ? limit 1",
            [older_day],
        )
        return target_id
    finally:
        con.close()


def test_ids_that_only_share_a_hash_are_not_duplicates(built_copy):
    """The window unique test looks ids up by their stored hash and then compares the ids: an older row whose
    id differs but whose hash is a window row's passes; the same id again fails."""
    work = built_copy
    ((newest,),) = query(work, "select max(event_date) from marts.fct_genai_requests")
    older = newest - timedelta(days=10)
    select = ("test", "--select", "fct_genai_requests,test_name:unique_since_window")
    window = ("--vars", json.dumps({"min_date": str(newest), "max_date": str(newest)}))
    _plant_a_hash_collision(work, "marts.fct_genai_requests", "event_id", "event_date", newest, older)
    assert query(work, "select count(*) from marts.fct_genai_requests where event_id = 'planted-collision'")[0][0] == 1
    assert run_dbt(work, *select, *window, check=False).returncode == 0
    assert run_dbt(work, *select, check=False).returncode == 0
    _duplicate_request(work, older, newest)  # the same id in the window again
    assert run_dbt(work, *select, *window, check=False).returncode == 1


def test_a_transaction_is_not_taken_for_an_older_one_that_only_shares_its_hash(built_copy):
    """A window's transactions that started before it are found by id among the built transactions: an older
    transaction with another id and the same stored hash leaves the window's transaction as it was; the stored
    hashes are checked on the days a run rebuilt."""
    work = built_copy
    ((newest,),) = query(work, "select max(started_date) from marts.fct_use_case_transactions")
    day = str(newest - timedelta(days=1))
    window = ("--vars", json.dumps({"min_date": day, "max_date": day}))
    before = sorted(query(work, f"select * from marts.fct_use_case_transactions where started_date >= '{day}'"))
    target = _plant_a_hash_collision(
        work, "marts.fct_use_case_transactions", "transaction_id", "started_date", day, newest - timedelta(days=12)
    )
    run_dbt(work, "run", "--select", "fct_use_case_transactions", *window)
    after = sorted(query(work, f"select * from marts.fct_use_case_transactions where started_date >= '{day}'"))
    assert target in {row[0] for row in after} and after == before
    hash_test = ("test", "--select", "fct_use_case_transactions,test_name:is_id_hash_of")
    assert run_dbt(work, *hash_test, *window, check=False).returncode == 0
    broken = run_dbt(work, *hash_test, check=False)  # the planted row's hash is not its id's
    assert broken.returncode == 1 and "Got 1 result" in broken.stdout


def test_a_window_run_stops_when_the_columns_changed(built_copy):
    """replace_window inserts by column name: a table whose columns differ from the model's query (a column
    added by hand, or a model changed without a full refresh) fails the run, and the table keeps its rows."""
    work = built_copy
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        con.execute("alter table marts.fct_genai_requests add column added_by_hand integer")
        (before,) = con.execute("select count(*) from marts.fct_genai_requests").fetchall()[0]
    finally:
        con.close()
    proc = run_dbt(
        work, "run", "--select", "fct_genai_requests", "--vars", '{"min_date": "2026-01-10", "max_date": "2026-01-10"}',
        check=False,
    )  # fmt: skip
    assert proc.returncode != 0 and "rebuild it with --full-refresh" in proc.stdout
    assert query(work, "select count(*) from marts.fct_genai_requests") == [(before,)]
