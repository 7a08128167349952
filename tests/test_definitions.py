"""The Dagster code location loads from the registry, with its job, schedule, sensor, checks and resources;
importing it parses nothing; the pipeline never imports the tools."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    PartitionKeyRange,
    build_asset_context,
    build_sensor_context,
)

from orchestration.datasets import DATASETS
from orchestration.definitions import build_definitions
from orchestration.sensors import landing_files_sensor
from orchestration.settings import PROJECT_DIR
from tests.conftest import copy_project, work_settings

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    return build_definitions(work_settings(tmp_path_factory.mktemp("defs")))


def test_definitions_load_with_job_schedule_sensor_and_resources(defs):
    job = defs.resolve_job_def("refresh_warehouse")
    assert job.partitions_def is not None
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert defs.resolve_sensor_def("landing_files_sensor").job_name == "refresh_warehouse"
    assert {"finops", "dbt"} <= set(defs.resources)


def test_one_ingestion_asset_per_registry_entry_with_its_checks(defs):
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for ds in DATASETS:
        assert f"raw/{ds.name}" in keys, ds.name
        # its quarantine and ingestion log are tables of the same asset, not assets of their own
        assert not {f"raw/{ds.name}_quarantine", f"raw/{ds.name}_ingestion_log"} & keys, ds.name
    # ... which the dbt models over them depend on (their sources' meta names the asset)
    raw = {AssetKey(["raw", ds.name]) for ds in DATASETS}
    for model in ("stg_lake__quarantine", "stg_lake__ingestion_log"):
        assert graph.get(AssetKey(["staging", model])).parent_keys == raw, model
    assert {
        "staging/stg_canonical__usage_events",
        "intermediate/int_usage_events",
        "marts/fct_genai_requests",
        "reference/model_prices",
        "published/warehouse",
    } <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for ds in DATASETS:
        assert (f"raw/{ds.name}", "ge_contract") in checks
        assert (f"raw/{ds.name}", "records_reconcile") in checks
        assert (f"raw/{ds.name}", "quarantine_empty") in checks
        assert (f"raw/{ds.name}", "landing_entries_read") in checks
    assert any(k == "marts/fct_genai_requests" and n.startswith("unique") for k, n in checks)
    contract = AssetCheckKey(AssetKey(["raw", "usage_events"]), "ge_contract")
    assert graph.get(contract).blocking


def _ranges(requests) -> list[tuple[str, str]]:
    return [(r.partition_key_range.start, r.partition_key_range.end) for r in requests]


def test_sensor_requests_runs_for_new_and_changed_days(tmp_path):
    """One run from the first new, changed or emptied day to the last day (the days after it read it)."""
    settings = work_settings(tmp_path)
    landing = tmp_path / "landing" / "usage_events"
    (landing / "day=2026-01-02").mkdir(parents=True)
    (landing / "day=2026-01-02" / "a.jsonl").write_text("{}\n")
    (landing / "README.txt").write_text("not a day: reported by the run, never a partition\n")
    (landing / "day=2026-13-45").mkdir()  # not a date: skipped, not a crash
    with DagsterInstance.ephemeral() as instance:
        ctx = build_sensor_context(instance=instance, resources={"finops": settings})
        requests = list(landing_files_sensor(ctx))
        assert _ranges(requests) == [("2026-01-02", "2026-01-02")]
        cursor = ctx.cursor
        ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"finops": settings})
        assert [type(r).__name__ for r in landing_files_sensor(ctx)] == ["SkipReason"]
        (landing / "day=2026-01-03").mkdir()
        (landing / "day=2026-01-03" / "b.jsonl").write_text("{}\n")
        (landing / "day=2026-01-02" / "a.jsonl").write_text("{}\n{}\n")
        ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"finops": settings})
        assert _ranges(landing_files_sensor(ctx)) == [("2026-01-02", "2026-01-03")]
        assert set(json.loads(ctx.cursor)["seen"]) == {"2026-01-02", "2026-01-03"}
        # a day whose files are all gone (withdrawn, or deleted from a synced bucket): run, so its rows leave
        (landing / "day=2026-01-03" / "b.jsonl").unlink()
        cursor = ctx.cursor
        ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"finops": settings})
        assert _ranges(landing_files_sensor(ctx)) == [("2026-01-03", "2026-01-03")]
        assert set(json.loads(ctx.cursor)["seen"]) == {"2026-01-02"}
        # files in the pulled folder are landing files too
        pulled = tmp_path / "pulled" / "usage_events" / "day=2026-01-04"
        pulled.mkdir(parents=True)
        (pulled / "c.jsonl").write_text("{}\n")
        ctx = build_sensor_context(instance=instance, cursor=ctx.cursor, resources={"finops": settings})
        assert _ranges(landing_files_sensor(ctx)) == [("2026-01-04", "2026-01-04")]
        # a file re-sent for an older day: that day and every day after it
        (landing / "day=2026-01-02" / "a.jsonl").write_text("{}\n{}\n{}\n")
        ctx = build_sensor_context(instance=instance, cursor=ctx.cursor, resources={"finops": settings})
        assert _ranges(landing_files_sensor(ctx)) == [("2026-01-02", "2026-01-04")]


def test_sensor_runs_again_when_a_day_comes_back_as_it_was(tmp_path):
    """A day moved out and back (the same names, sizes and times) asks for a run with a key Dagster has not seen,
    so the day returns to the warehouse; a tick evaluated again from the same cursor asks for the same key (Dagster
    runs it once); its earlier cursors (the days alone, or with the count under `days`) are read."""
    settings = work_settings(tmp_path)
    day = tmp_path / "landing" / "usage_events" / "day=2026-01-02"
    day.mkdir(parents=True)
    (day / "a.jsonl").write_text("{}\n")
    held = tmp_path / "held"
    with DagsterInstance.ephemeral() as instance:

        def tick(cursor):
            ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"finops": settings})
            return list(landing_files_sensor(ctx)), ctx.cursor

        (first,), first_cursor = tick(None)
        (again,), _ = tick(None)
        assert again.run_key == first.run_key
        day.rename(held)  # the day's rows leave the warehouse
        (gone,), cursor = tick(first_cursor)
        held.rename(day)
        (back,), back_cursor = tick(cursor)
        assert _ranges([first, gone, back]) == [("2026-01-02", "2026-01-02")] * 3
        assert json.loads(back_cursor)["seen"] == json.loads(first_cursor)["seen"]
        assert len({first.run_key, gone.run_key, back.run_key}) == 3
        assert json.loads(first_cursor)["requests"] == 1 and json.loads(back_cursor)["requests"] == 3
        days_alone = json.dumps(json.loads(back_cursor)["seen"])
        assert [type(r).__name__ for r in tick(days_alone)[0]] == ["SkipReason"]
        earlier = json.dumps({"days": json.loads(back_cursor)["seen"], "requests": 3})  # its earlier form, counted
        assert [type(r).__name__ for r in tick(earlier)[0]] == ["SkipReason"]


def test_the_sensor_and_run_changed_share_what_the_warehouse_was_built_from(tmp_path):
    """A sensor turned on beside a warehouse `genai-finops run` built asks only for what changed since; the days
    of a run it asks for are pending in `<warehouse>.landing.json` until that run succeeds, then built (what
    `run --changed` reads); a run that failed leaves them pending; days the command built (with files, or empty
    after they went) are not asked for."""
    from dagster import job, op
    from dagster._core.storage.tags import RUN_KEY_TAG, SENSOR_NAME_TAG

    from orchestration.landing_state import (
        BUILT_EMPTY,
        PENDING,
        built_from,
        changed_days,
        landing_signatures,
        record_built,
    )

    settings = work_settings(tmp_path)
    landing = tmp_path / "landing" / "usage_events"

    def add_day(day):
        (landing / f"day={day}").mkdir(parents=True)
        (landing / f"day={day}" / "a.jsonl").write_text("{}\n")

    def for_run_changed():  # the days `genai-finops run --changed` would build
        return changed_days(built_from(settings), landing_signatures(settings.landing_roots), "2026-01-01")

    @op
    def ok():
        pass

    @op
    def fails():
        raise RuntimeError("planted")

    @job
    def succeeds():
        ok()

    @job
    def breaks():
        fails()

    add_day("2026-01-02")
    add_day("2026-01-03")
    Path(settings.duckdb_path).parent.mkdir(parents=True, exist_ok=True)
    Path(settings.duckdb_path).touch()
    record_built(settings, landing_signatures(settings.landing_roots), "2026-01-02", "2026-01-03")  # as `run` does
    with DagsterInstance.ephemeral() as instance:

        def tick(cursor):
            ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"finops": settings})
            return list(landing_files_sensor(ctx)), ctx.cursor

        def run_as_asked(request, job_def):  # a run of the sensor's key, as Dagster's daemon tags it
            tags = {RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: "landing_files_sensor"}
            job_def.execute_in_process(instance=instance, tags=tags, raise_on_error=False)

        (skip,), cursor = tick(None)
        assert type(skip).__name__ == "SkipReason"  # nothing changed since the command's build
        add_day("2026-01-04")
        (request,), cursor = tick(cursor)
        assert _ranges([request]) == [("2026-01-04", "2026-01-04")]
        assert built_from(settings)["2026-01-04"] == PENDING and for_run_changed() == ["2026-01-04"]
        (skip,), cursor = tick(cursor)  # its run not made yet: still waited for
        assert [r["key"] for r in json.loads(cursor)["asked"]] == [request.run_key]
        run_as_asked(request, succeeds)
        (skip,), cursor = tick(cursor)
        assert type(skip).__name__ == "SkipReason" and json.loads(cursor)["asked"] == []
        assert for_run_changed() == []
        assert built_from(settings) == landing_signatures(settings.landing_roots)
        add_day("2026-01-05")
        (request,), cursor = tick(cursor)
        run_as_asked(request, breaks)
        (skip,), cursor = tick(cursor)
        assert json.loads(cursor)["asked"] == [] and for_run_changed() == ["2026-01-05"]
        assert built_from(settings)["2026-01-05"] == PENDING
        # the command builds what the failed run left and a new day: the sensor does not ask for them again
        add_day("2026-01-06")
        record_built(settings, landing_signatures(settings.landing_roots), "2026-01-05", "2026-01-06")
        (skip,), cursor = tick(cursor)
        assert type(skip).__name__ == "SkipReason"
        # the files of a day the sensor saw go, and the command builds it empty: not asked for either
        shutil.rmtree(landing / "day=2026-01-05")
        record_built(settings, landing_signatures(settings.landing_roots), "2026-01-05", "2026-01-06")
        assert built_from(settings)["2026-01-05"] == BUILT_EMPTY and for_run_changed() == []
        (skip,), cursor = tick(cursor)
        assert type(skip).__name__ == "SkipReason"


def test_dbt_window_from_the_partition_range_and_late_files(tmp_path):
    """The dbt vars come from Dagster's partition range; files that arrived in it with older events move the
    rebuild back to their oldest day (late data of any age)."""
    from orchestration.dbt.assets import window_vars

    settings = work_settings(tmp_path)
    lake = tmp_path / "lake"
    for folder, name in [
        ("usage_events/event_date=2026-02-03", "2026-02-03__a__0123456789.part0.parquet"),
        ("usage_events/event_date=2025-06-01", "2026-02-03__a__0123456789.part1.parquet"),  # late by 8 months
        ("usage_events/event_date=2025-01-01", "2025-01-02__b__0123456789.part0.parquet"),  # arrived long ago
        ("kpi_events/event_date=2026-01-30", "2026-02-04__k__0123456789.part0.parquet"),
    ]:
        (lake / folder).mkdir(parents=True, exist_ok=True)
        (lake / folder / name).write_bytes(b"")
    context = build_asset_context(partition_key_range=PartitionKeyRange("2026-02-03", "2026-02-04"))
    assert window_vars(context, settings, DATASETS) == {
        "min_date": "2026-02-03",
        "max_date": "2026-02-04",
        "rebuild_from": "2025-06-01",
    }
    context = build_asset_context(partition_key_range=PartitionKeyRange("2026-02-04", "2026-02-04"))
    assert window_vars(context, settings, DATASETS) == {
        "min_date": "2026-02-04",
        "max_date": "2026-02-04",
        "rebuild_from": "2026-01-30",
    }
    assert window_vars(build_asset_context(), settings, DATASETS) == {}


def test_the_refresh_command_and_its_window_environment(tmp_path):
    """dbt build without the unit tests unless FINOPS_DBT_UNIT_TESTS; the window as FINOPS_WINDOW_* variables,
    each of the three always set (empty when the run has none), so no window of an earlier run lingers."""
    from orchestration.dbt.assets import build_args, window_env

    assert build_args(work_settings(tmp_path)) == ["build", "--exclude-resource-type", "unit_test"]
    assert build_args(work_settings(tmp_path, dbt_unit_tests=True)) == ["build"]
    assert window_env({"min_date": "2026-02-03", "max_date": "2026-02-04"}) == {
        "FINOPS_WINDOW_MIN_DATE": "2026-02-03",
        "FINOPS_WINDOW_MAX_DATE": "2026-02-04",
        "FINOPS_WINDOW_REBUILD_FROM": "",
    }
    assert set(window_env({}).values()) == {""}


def test_one_warehouse_writer_at_a_time(defs):
    """The refresh job carries the tag the instance's run queue limits to one concurrent run."""
    import yaml

    config = yaml.safe_load((PROJECT_DIR / "orchestration" / "dagster.yaml").read_text())
    [limit] = config["run_queue"]["tag_concurrency_limits"]
    job = defs.resolve_job_def("refresh_warehouse")
    assert job.tags.get(limit["key"]) == limit["value"] and limit["limit"] == 1


def test_importing_the_code_location_parses_nothing(tmp_path):
    """Dagster loads `defs` lazily: importing orchestration.definitions runs no dbt parse."""
    target = tmp_path / "target"
    code = "import orchestration.definitions as d; print(type(d.defs).__name__)"
    env = {"FINOPS_DBT_TARGET_DIR": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert not target.exists()


def test_manifest_follows_the_dbt_files_not_the_environment(tmp_path, monkeypatch):
    """A current manifest is reused (a parse costs ~5 s); a changed dbt file makes it stale; the lake or
    warehouse paths do not (dbt renders them again on every invocation)."""
    from orchestration.dbt import manifest as dbt_manifest

    settings = work_settings(tmp_path)
    manifest = dbt_manifest.ensure_manifest(settings)
    parsed_at = manifest.stat().st_mtime_ns
    dbt_manifest.ensure_manifest(work_settings(tmp_path / "elsewhere"))  # other lake and warehouse: reused
    assert manifest.stat().st_mtime_ns == parsed_at
    copy = copy_project(tmp_path / "project")
    monkeypatch.setattr(dbt_manifest, "PROJECT_DIR", copy)
    before = dbt_manifest.source_fingerprint()
    (copy / "models" / "marts" / "finops" / "dim_models.sql").write_text("select 1 as changed\n")
    assert dbt_manifest.source_fingerprint() != before


def test_a_parse_started_in_the_background_is_the_one_the_manifest_comes_from(tmp_path, monkeypatch):
    """`start_parse` (what `demo` and `run` call first) parses a stale manifest beside the command's own work;
    `ensure_manifest` waits for that parse instead of starting another, stamps it, and reports its failure; a dbt
    file changed while it ran is parsed again; a current manifest starts nothing."""
    from orchestration.dbt import manifest as dbt_manifest

    spawned = []
    spawn = dbt_manifest._spawn
    monkeypatch.setattr(dbt_manifest, "_spawn", lambda *a: spawned.append(a[1]) or spawn(*a))
    monkeypatch.setattr(dbt_manifest, "PROJECT_DIR", copy_project(tmp_path / "project"))
    settings = work_settings(tmp_path, dbt_target_dir=str(tmp_path / "target"))
    stamp = tmp_path / "target" / "manifest.sources.sha256"

    assert dbt_manifest.start_parse(settings) and not dbt_manifest.start_parse(settings)  # one parse per target folder
    manifest = dbt_manifest.ensure_manifest(settings)
    assert len(spawned) == 1 and json.loads(manifest.read_text())["nodes"]
    assert stamp.read_text() == dbt_manifest.source_fingerprint()
    assert not dbt_manifest.start_parse(settings) and len(spawned) == 1  # current: nothing to parse

    model = dbt_manifest.PROJECT_DIR / "models" / "marts" / "finops" / "dim_models.sql"
    model.write_text("select 1 as changed\n")
    assert dbt_manifest.start_parse(settings)
    model.write_text("select 2 as changed_while_parsing\n")  # after the parse read it, or before: parsed again
    dbt_manifest.ensure_manifest(settings)
    assert len(spawned) == 3 and stamp.read_text() == dbt_manifest.source_fingerprint()

    model.write_text("select * from {{ ref('no_such_model') }}\n")
    assert dbt_manifest.start_parse(settings)
    with pytest.raises(RuntimeError, match="(?s)dbt parse failed.*no_such_model"):
        dbt_manifest.ensure_manifest(settings)
    assert stamp.read_text() != dbt_manifest.source_fingerprint()  # a failed parse never stamps the manifest


def test_a_new_profile_is_parsed_in_the_background_so_the_build_parses_nothing(tmp_path):
    """dbt parses the whole project again when its partial-parse file was written for another profile (another
    warehouse path): `start_parse` parses for settings whose profile the target folder does not hold, without
    rewriting the current manifest or holding up `ensure_manifest` (the build waits for it: `wait_for_parse`), and a
    dbt command with those settings then finds nothing to parse; settings of the same profile start nothing."""
    from orchestration.dbt import manifest as dbt_manifest

    target = tmp_path / "target"
    first = work_settings(tmp_path / "a", dbt_target_dir=str(target))
    other = work_settings(tmp_path / "b", dbt_target_dir=str(target))
    assert dbt_manifest.start_parse(first)
    dbt_manifest.ensure_manifest(first)
    assert not dbt_manifest.start_parse(first)
    written = (target / "manifest.json").stat().st_mtime_ns
    assert dbt_manifest.start_parse(other)  # the dbt files are the same, the warehouse path is not
    dbt_manifest.ensure_manifest(other)  # current: returned at once, the parse left running for the build
    assert str(target) in dbt_manifest._parses
    dbt_manifest.wait_for_parse(other)
    assert not dbt_manifest._parses and not dbt_manifest.start_parse(other)
    assert (target / "manifest.json").stat().st_mtime_ns == written  # never rewritten under a reader

    def parse(settings) -> str:
        env = {**os.environ, **settings.dbt_env()}
        cmd = [dbt_manifest.dbt_executable(), "parse", "--project-dir", str(PROJECT_DIR), "--target-path", str(target)]
        out = subprocess.run(cmd, env=env, cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
        return out.stdout

    assert "Unable to do partial parsing" not in parse(other)
    assert "Unable to do partial parsing because profile has changed" in parse(first)  # how dbt says it


def test_a_background_parse_is_stopped_when_the_command_exits(tmp_path):
    """A command that ends before it needs the manifest (a busy warehouse, an error) leaves no dbt parse running."""
    code = (
        "import sys; from orchestration.dbt import manifest as m; from tests.conftest import work_settings; "
        "from pathlib import Path; "
        "s = work_settings(Path(sys.argv[1]), dbt_target_dir=sys.argv[1] + '/target'); "
        "assert m.start_parse(s); print(next(iter(m._parses.values())).process.pid)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    pid = int(out.stdout.strip())
    with pytest.raises(ProcessLookupError):  # stopped and reaped at exit; a parse left running takes seconds
        os.kill(pid, 0)
    assert not (tmp_path / "target" / "manifest.sources.sha256").exists()


# --- the tools stand apart from the product ------------------------------------------------------------------


def _imports() -> dict[str, set[str]]:
    """Module -> the orchestration modules it imports (at any depth of its code)."""
    graph = {}
    for path in (PROJECT_DIR / "orchestration").rglob("*.py"):
        module = ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts).removesuffix(".__init__")
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("orchestration"):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("orchestration")}
        graph[module] = found
    return graph


def test_pipeline_never_imports_the_tools():
    offenders = {
        m: sorted(i for i in imported if i.startswith("orchestration.tools"))
        for m, imported in _imports().items()
        if not m.startswith("orchestration.tools") and m != "orchestration.cli"
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def test_import_graph_has_no_cycles():
    graph = _imports()
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                cycles.append(path[path.index(n) :] + [n] if n in path else path + [n])
            elif n in graph and not state.get(n):
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m, [m])
    assert cycles == []


def test_the_dbt_resource_knows_its_version_without_running_dbt(defs, monkeypatch, tmp_path):
    """The code location's dbt resource reads the installed dbt-core's version (no `dbt --version` subprocess per
    build) and sets up no in-process adapter; a dbt executable from elsewhere is still asked."""
    from importlib.metadata import version

    import dagster_dbt.core.resource as dagster_dbt_resource

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"ran {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    dbt = defs.resources["dbt"]
    assert str(dbt._cli_version) == version("dbt-core")
    assert dbt._initialize_dbt_core_adapter(["build"]) is None
    other = tmp_path / "dbt"  # another dbt executable (here a link to this one)
    other.symlink_to(dbt.dbt_executable)
    elsewhere = type(dbt)(project_dir=dbt.project_dir, dbt_executable=str(other))
    with pytest.raises(AssertionError, match="ran"):
        _ = elsewhere._cli_version


def test_what_dbt_loaded_before_the_build_is_out_of_the_cyclic_collector():
    """The profile's DuckDB output loads the plugin (orchestration/dbt/gc_freeze.py) that moves what dbt holds for
    the whole command to the collector's permanent generation when dbt opens its first connection."""
    import gc

    import yaml
    from dbt.adapters.duckdb.plugins import BasePlugin

    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    [plugin] = profile["genai_finops"]["outputs"]["duckdb"]["plugins"]
    gc.unfreeze()
    try:
        BasePlugin.create(plugin["module"])  # as dbt-duckdb does when it opens the first connection
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
