"""The Dagster code location loads, with its job, schedule, sensor and checks."""

from __future__ import annotations

import json

from dagster import AssetKey, DagsterInstance, build_sensor_context

from orchestration.definitions import defs
from orchestration.sensors import landing_files_sensor


def test_definitions_load_with_job_schedule_and_sensor():
    job = defs.resolve_job_def("refresh_warehouse")
    assert job.partitions_def is not None
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert defs.resolve_sensor_def("landing_files_sensor").job_name == "refresh_warehouse"


def test_asset_keys_mirror_warehouse_names_and_checks_exist():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "raw/usage_events",
        "raw/kpi_events",
        "staging/stg_canonical__usage_events",
        "intermediate/int_usage_events",
        "marts/fct_genai_requests",
        "reference/model_prices",
    } <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("raw/usage_events", "ge_contract") in checks
    assert ("raw/usage_events_ingestion_log", "records_reconcile") in checks
    assert any(k == "marts/fct_genai_requests" and n.startswith("unique") for k, n in checks)
    spec = next(
        s for s in defs.resolve_assets_def(AssetKey(["raw", "usage_events"])).check_specs if s.name == "ge_contract"
    )
    assert spec.blocking


def test_sensor_requests_runs_for_new_and_changed_days(isolated_env):
    landing = isolated_env / "landing" / "usage_events"
    (landing / "day=2026-01-02").mkdir(parents=True)
    (landing / "day=2026-01-02" / "a.jsonl").write_text("{}\n")
    with DagsterInstance.ephemeral() as instance:
        ctx = build_sensor_context(instance=instance)
        requests = list(landing_files_sensor(ctx))
        assert [r.partition_key for r in requests] == ["2026-01-02"]
        cursor = ctx.cursor
        # nothing new: skip
        ctx = build_sensor_context(instance=instance, cursor=cursor)
        assert [type(r).__name__ for r in landing_files_sensor(ctx)] == ["SkipReason"]
        # a new day and a changed file
        (landing / "day=2026-01-03").mkdir()
        (landing / "day=2026-01-03" / "b.jsonl").write_text("{}\n")
        (landing / "day=2026-01-02" / "a.jsonl").write_text("{}\n{}\n")
        ctx = build_sensor_context(instance=instance, cursor=cursor)
        assert sorted(r.partition_key for r in landing_files_sensor(ctx)) == ["2026-01-02", "2026-01-03"]
        assert set(json.loads(ctx.cursor)) == {"2026-01-02", "2026-01-03"}


def test_dbt_window_from_run_partition_tags():
    from orchestration.dbt.assets import window_vars

    assert window_vars({"dagster/partition": "2026-02-03"}) == {"min_date": "2026-02-03", "max_date": "2026-02-03"}
    assert window_vars(
        {"dagster/asset_partition_range_start": "2026-01-01", "dagster/asset_partition_range_end": "2026-03-31"}
    ) == {"min_date": "2026-01-01", "max_date": "2026-03-31"}
    assert window_vars({}) == {}


def test_one_warehouse_writer_at_a_time():
    """The refresh job carries the tag the instance's run queue limits to one concurrent run."""
    import yaml

    from orchestration.settings import PROJECT_DIR

    config = yaml.safe_load((PROJECT_DIR / "orchestration" / "dagster.yaml").read_text())
    [limit] = config["run_queue"]["tag_concurrency_limits"]
    job = defs.resolve_job_def("refresh_warehouse")
    assert job.tags.get(limit["key"]) == limit["value"] and limit["limit"] == 1


def test_cli_run_generates_demo_data_and_builds_the_warehouse(isolated_env, capsys):
    """`make run` is `genai-finops run`: generate (real formats included), ingest, validate, build."""
    import duckdb

    from orchestration.cli import main

    assert main(["run", "--events", "3000", "--days", "6"]) == 0
    out = capsys.readouterr().out
    assert '"success": true' in out and "usage_events: read" in out
    assert (isolated_env / "landing" / "otel_spans").exists()
    assert (isolated_env / "landing" / "bedrock_invocations").exists()
    con = duckdb.connect(str(isolated_env / "warehouse.duckdb"), read_only=True)
    try:
        formats = {r[0] for r in con.execute("select distinct source_format from marts.fct_genai_requests").fetchall()}
    finally:
        con.close()
    assert formats == {"canonical", "otel", "bedrock_invocation", "litellm_spend", "anthropic_message"}


def test_stale_manifest_is_reparsed():
    """Definitions must never load a manifest older than the dbt files (its node ids would not match)."""
    import os
    from pathlib import Path

    from orchestration.dbt.project import dbt_project, ensure_manifest

    manifest = Path(dbt_project.manifest_path)
    ensure_manifest()
    os.utime(manifest, (1_000_000_000, 1_000_000_000))  # 2001: older than every model file
    ensure_manifest()
    assert manifest.stat().st_mtime > 1_000_000_000


def test_manifest_is_reused_unless_the_environment_changed(monkeypatch, tmp_path):
    """A current manifest is not parsed again (~5 s a run); another lake folder makes it stale."""
    from pathlib import Path

    from orchestration.dbt.project import dbt_project, ensure_manifest

    manifest = Path(dbt_project.manifest_path)
    ensure_manifest()
    parsed_at = manifest.stat().st_mtime_ns
    ensure_manifest()
    assert manifest.stat().st_mtime_ns == parsed_at
    monkeypatch.setenv("FINOPS_LAKE_DIR", str(tmp_path / "another_lake"))
    ensure_manifest()
    assert manifest.stat().st_mtime_ns > parsed_at
    monkeypatch.undo()
    ensure_manifest()  # back to the suite's environment


def test_every_raw_dataset_is_known_to_dbt():
    """Each ingestion contract's dataset is a dbt source and part of raw.quarantine / raw.ingestion_log."""
    import yaml

    from orchestration.ingest.contracts import CONTRACTS
    from orchestration.settings import PROJECT_DIR

    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    assert set(project["vars"]["raw_datasets"]) == set(CONTRACTS)
    sources = yaml.safe_load((PROJECT_DIR / "models" / "raw" / "_lake__sources.yml").read_text())
    tables = {t["name"] for t in sources["sources"][0]["tables"]}
    for dataset in CONTRACTS:
        assert {dataset, f"{dataset}_quarantine", f"{dataset}_ingestion_log"} <= tables, dataset
