"""`genai-finops run --changed`: only the arrival days whose landing files are new, changed or gone since the
warehouse's last build (what a daily scheduler calls: the day costs what the day costs, not the history)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.landing_state import BUILT_EMPTY, changed_days, day_ranges
from orchestration.pipeline import RunOutcome


@pytest.mark.unit
def test_changed_days_are_the_new_the_changed_and_the_gone_from_the_first_partition_on():
    seen = {"2025-12-31": "a", "2026-01-01": "a", "2026-01-02": "b", "2026-01-03": "c"}
    current = {"2025-12-31": "x", "2026-01-01": "a", "2026-01-02": "B", "2026-01-05": "e"}
    # 01-01 unchanged; 01-02 changed; 01-03 gone; 01-05 new; 2025-12-31 is before the first partition
    assert changed_days(seen, current, "2026-01-01") == ["2026-01-02", "2026-01-03", "2026-01-05"]
    assert changed_days(current, current, "2026-01-01") == []
    assert changed_days({}, current, "2026-01-01") == ["2026-01-01", "2026-01-02", "2026-01-05"]
    # a day built empty after its files went: unchanged while it has none, changed when files come back
    assert changed_days({**current, "2026-01-03": BUILT_EMPTY}, current, "2026-01-01") == []
    assert changed_days({"2026-01-05": BUILT_EMPTY}, {"2026-01-05": "e"}, "2026-01-01") == ["2026-01-05"]


@pytest.mark.unit
def test_day_ranges_join_consecutive_calendar_days():
    assert day_ranges(["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-03", "2026-02-05", "2026-02-06"]) == [
        ("2026-01-30", "2026-02-01"),
        ("2026-02-03", "2026-02-03"),
        ("2026-02-05", "2026-02-06"),
    ]
    assert day_ranges([]) == []


def _setup(tmp_path, monkeypatch, days: int):
    """A landing folder with a usage file on each of `days` days from 2026-01-01, a warehouse beside it, and
    stand-in runs (what is under test is which days the command runs; real runs are the pipeline test below):
    each creates the warehouse file, as a real build does, and records its days in `calls`."""
    import duckdb

    from orchestration import cli, pipeline
    from orchestration.dbt import manifest
    from orchestration.settings import workdir_env

    landing = tmp_path / "landing"
    for d in range(1, days + 1):
        _write(landing, d, "{}\n")
    for key, value in workdir_env(tmp_path, landing).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FINOPS_SALT_POLICY", "demo")
    monkeypatch.setattr(manifest, "start_parse", lambda settings: None)
    monkeypatch.setattr(cli, "_print_summary", lambda path: None)  # an empty warehouse has no marts to sum up
    monkeypatch.setattr(cli, "report_unread", lambda settings: None)
    calls: list[tuple[str, str]] = []
    fail_from: list[str] = []

    def run_pipeline(settings, first, last, **kwargs):
        calls.append((first, last))
        if fail_from and first >= fail_from[0]:
            return RunOutcome(False, "run", first, last, ("dbt_warehouse: dbt build failed: planted",))
        duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
        return RunOutcome(True, "run", first, last)

    monkeypatch.setattr(pipeline, "run_pipeline", run_pipeline)
    return landing, calls, fail_from


def _write(landing, day: int, text: str) -> None:
    folder = landing / "usage_events" / f"day=2026-01-{day:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calls.jsonl").write_text(text)


def _summary(out: str) -> dict:
    return json.loads(out[out.index("{") : out.rindex("}") + 1])


@pytest.mark.unit
def test_run_changed_builds_the_days_whose_files_are_new_changed_or_gone(tmp_path, monkeypatch, capsys):
    landing, calls, _ = _setup(tmp_path, monkeypatch, 5)
    run = ["run", "--landing", str(landing), "--no-pull", "--changed"]
    assert main(run) == 0  # no warehouse yet: every day
    assert calls == [("2026-01-01", "2026-01-05")]
    capsys.readouterr()
    assert main(run) == 0  # nothing new: no run
    out = capsys.readouterr().out
    assert calls == [("2026-01-01", "2026-01-05")]
    assert "nothing new, changed or gone in" in out
    assert {k: _summary(out)[k] for k in ("success", "days", "days_changed")} == {
        "success": True,
        "days": None,
        "days_changed": "",
    }
    # a new day at the end: that day alone
    _write(landing, 6, "{}\n")
    assert main(run) == 0 and calls == [("2026-01-01", "2026-01-05"), ("2026-01-06", "2026-01-06")]
    out = capsys.readouterr().out
    assert "1 day new, changed or gone since the last build: 2026-01-06; building 2026-01-06..2026-01-06" in out
    # a day rewritten (one more line), a day whose files went, a new day after a gap: from the first of them on
    # (the days after a changed day read it: transactions past midnight, trailing-30-day reports)
    _write(landing, 3, "{}\n{}\n")
    shutil.rmtree(landing / "usage_events" / "day=2026-01-01")
    _write(landing, 8, "{}\n")
    calls.clear()
    assert main(run) == 0
    out = capsys.readouterr().out
    assert calls == [("2026-01-01", "2026-01-08")]
    assert (
        "3 days new, changed or gone since the last build: 2026-01-01, 2026-01-03, 2026-01-08; "
        "building 2026-01-01..2026-01-08" in out
    )
    assert _summary(out)["days_changed"] == "2026-01-01, 2026-01-03, 2026-01-08"
    calls.clear()
    assert main(run) == 0 and calls == []
    # a plain run over a range records the days it built: --changed finds nothing left
    _write(landing, 4, "{}\n{}\n{}\n")
    assert (
        main(["run", "--landing", str(landing), "--no-pull", "--first-day", "2026-01-04", "--last-day", "2026-01-04"])
        == 0
    )
    assert main(run) == 0 and calls == [("2026-01-04", "2026-01-04")]
    assert "the days after 2026-01-04 are not rebuilt, though they read these days" in capsys.readouterr().out


@pytest.mark.unit
def test_run_changed_builds_every_day_again_after_a_change_of_the_dbt_project_or_the_warehouse(
    tmp_path, monkeypatch, capsys
):
    """A price correction in the seeds (any dbt file) makes every day's build out of date; so does a warehouse
    that is not there any more, a record of other landing folders, another time zone for naive times, or other
    OTel attribution keys."""
    from orchestration.dbt import manifest

    landing, calls, _ = _setup(tmp_path, monkeypatch, 3)
    run = ["run", "--landing", str(landing), "--no-pull", "--changed"]
    assert main(run) == 0 and main(run) == 0
    assert calls == [("2026-01-01", "2026-01-03")]
    monkeypatch.setattr(manifest, "source_fingerprint", lambda: "a corrected price book")
    assert main(run) == 0 and main(run) == 0
    assert calls == [("2026-01-01", "2026-01-03")] * 2
    (tmp_path / "warehouse.duckdb").unlink()
    assert main(run) == 0
    assert calls == [("2026-01-01", "2026-01-03")] * 3
    other = tmp_path / "other"
    shutil.copytree(landing, other)
    assert main(["run", "--landing", str(other), "--no-pull", "--changed"]) == 0
    assert calls == [("2026-01-01", "2026-01-03")] * 4
    run = ["run", "--landing", str(other), "--no-pull", "--changed"]
    for name, value in (("FINOPS_NAIVE_TIMEZONE", "Europe/Berlin"), ("FINOPS_OTEL_TEAM_KEYS", "org.team")):
        monkeypatch.setenv(name, value)
        assert main(run) == 0 and main(run) == 0
    assert calls == [("2026-01-01", "2026-01-03")] * 6
    capsys.readouterr()


@pytest.mark.unit
def test_run_changed_that_fails_leaves_the_days_it_did_not_build_to_the_next_one(tmp_path, monkeypatch, capsys):
    """Day 2 changes: days 2-5 are built in windows of 2 days; the second window fails. Days 4 and 5 did not
    change, yet the next `--changed` builds them: a window counts as built only once its run succeeded."""
    landing, calls, fail_from = _setup(tmp_path, monkeypatch, 5)
    run = ["run", "--landing", str(landing), "--no-pull", "--changed", "--window-days", "2"]
    assert main(run) == 0
    _write(landing, 2, "{}\n{}\n")
    fail_from.append("2026-01-04")
    calls.clear()
    assert main(run) == 1
    err = capsys.readouterr().err
    assert calls == [("2026-01-02", "2026-01-03"), ("2026-01-04", "2026-01-05")]
    assert "the days before 2026-01-04 are built and published; to go on from there, rerun with --changed" in err
    fail_from.clear()
    calls.clear()
    assert main(run) == 0 and calls == [("2026-01-04", "2026-01-05")]
    calls.clear()
    assert main(run) == 0 and calls == []


@pytest.mark.unit
def test_a_run_that_ends_before_the_last_day_says_what_the_later_days_need(tmp_path, monkeypatch, capsys):
    """Days after a run's last day that were never built: `--changed` builds them. Days after it that were built
    before: they read the run's days, so they are out of date until they are rebuilt."""
    landing, calls, _ = _setup(tmp_path, monkeypatch, 3)
    upto = ["run", "--landing", str(landing), "--no-pull", "--last-day", "2026-01-02"]
    assert main(upto) == 0 and calls == [("2026-01-01", "2026-01-02")]
    out = capsys.readouterr().out
    assert "the days after 2026-01-02 are not built: `genai-finops run --changed` builds them" in out
    assert "not rebuilt" not in out
    assert main(["run", "--landing", str(landing), "--no-pull", "--changed"]) == 0
    assert calls[-1] == ("2026-01-03", "2026-01-03")
    capsys.readouterr()
    assert main(upto) == 0
    out = capsys.readouterr().out
    assert "the days after 2026-01-02 are not rebuilt, though they read these days" in out
    assert "are not built" not in out


@pytest.mark.unit
def test_run_changed_with_a_range_of_days_is_refused(tmp_path, monkeypatch, capsys):
    landing, calls, _ = _setup(tmp_path, monkeypatch, 2)
    assert main(["run", "--landing", str(landing), "--no-pull", "--changed", "--first-day", "2026-01-02"]) == 2
    assert "--changed builds the days that changed; give it or --first-day/--last-day, not both" in (
        capsys.readouterr().err
    )
    assert calls == [] and sorted(p.name for p in tmp_path.iterdir()) == ["landing"]


@pytest.mark.pipeline
def test_a_day_built_on_top_by_run_changed_makes_the_warehouse_of_one_run(tmp_path, monkeypatch, capsys):
    """Three arrival days built, then two more arrive (with late events of the days before): `run --changed`
    builds only those two, and the warehouse equals one run over all five days, table by table."""
    from orchestration.settings import workdir_env
    from orchestration.tools.sample_data.generator import generate
    from tests.conftest import same_contents, warehouse_contents

    generated = tmp_path / "generated"
    generate(generated, events=3_000, days=4, start=date(2026, 1, 1), seed=7)  # arrival days 01-01..01-05
    landing = tmp_path / "landing"
    shutil.copytree(generated, landing)
    later = [p for p in landing.glob("*/day=2026-01-0[45]")]
    assert later
    for path in later:
        shutil.rmtree(path)
    monkeypatch.setenv("FINOPS_SALT_POLICY", "demo")

    def build(workdir, *options) -> str:
        for key, value in workdir_env(tmp_path / workdir, landing).items():
            monkeypatch.setenv(key, value)
        assert main(["run", "--landing", str(landing), "--no-pull", *options]) == 0
        return capsys.readouterr().out

    build("daily")
    shutil.copytree(generated, landing, dirs_exist_ok=True)  # the two new days
    out = build("daily", "--changed")
    assert "2 days new, changed or gone since the last build: 2026-01-04..2026-01-05" in out
    assert _summary(out)["days_changed"] == "2026-01-04..2026-01-05"
    assert "nothing new, changed or gone" in build("daily", "--changed")
    build("one")
    one = warehouse_contents(tmp_path / "one" / "warehouse.duckdb")
    assert same_contents(one, warehouse_contents(tmp_path / "daily" / "warehouse.duckdb")) == []


@pytest.mark.unit
def test_a_file_removed_between_the_listing_and_its_fingerprint_is_not_a_file_of_the_day(tmp_path, monkeypatch):
    """The listing and each file's size and time are two looks at the folder; a file removed in between is left
    out (as the next listing would), not a crash of the run."""
    from orchestration import landing_state
    from orchestration.ingest.landing import DatasetListing, list_roots

    landing = tmp_path / "landing"
    _write(landing, 1, "{}\n")
    whole = landing_state.landing_signatures(str(landing))
    gone = str(landing / "usage_events" / "day=2026-01-01" / "removed.jsonl")

    def listed_then_removed(roots, folder):
        listing = list_roots(roots, folder)
        return DatasetListing(files={d: [*paths, gone] for d, paths in listing.files.items()})

    monkeypatch.setattr(landing_state, "list_roots", listed_then_removed)
    assert landing_state.landing_signatures(str(landing)) == whole


@pytest.mark.unit
@pytest.mark.parametrize("text", ["{not json", "[]", '{"context": 1, "days": 2}'])
def test_a_record_that_cannot_be_read_makes_every_day_changed(tmp_path, monkeypatch, capsys, text):
    """A record cut short, or not this project's: every day is built again, not a crash."""
    from orchestration.landing_state import state_path
    from orchestration.settings import Settings

    landing, calls, _ = _setup(tmp_path, monkeypatch, 2)
    run = ["run", "--landing", str(landing), "--no-pull", "--changed"]
    assert main(run) == 0
    state_path(Settings.from_env(landing_dir=str(landing))).write_text(text)
    assert main(run) == 0
    assert calls == [("2026-01-01", "2026-01-02")] * 2
    capsys.readouterr()


@pytest.mark.unit
def test_a_run_entry_that_cannot_be_read_leaves_its_days_pending_without_failing_the_publish(tmp_path, monkeypatch):
    """The publish step of a run that records itself reads its entry back; one cut or changed by hand is dropped
    (its days stay pending for the next `--changed`), never a failed publish step."""
    from orchestration.landing_state import PENDING, built_from, finish_run, start_run, state_path
    from orchestration.settings import Settings

    landing, _, _ = _setup(tmp_path, monkeypatch, 2)
    settings = Settings.from_env(landing_dir=str(landing))
    (tmp_path / "warehouse.duckdb").touch()
    start_run(settings, "r1", "2026-01-01", "2026-01-02")
    state = json.loads(state_path(settings).read_text())
    state["runs"]["r1"] = {"first": "2026-01-01", "days": ["2026-01-01"]}
    state["runs"]["r2"] = "broken"
    state_path(settings).write_text(json.dumps(state))
    assert finish_run(settings, "r1") is False and finish_run(settings, "r2") is False
    assert built_from(settings) == {"2026-01-01": PENDING, "2026-01-02": PENDING}


@pytest.mark.unit
def test_two_processes_changing_the_record_at_once_lose_no_change(tmp_path):
    """The command and the sensor's process both read, change and write the record: 2 x 30 days recorded at the
    same time by two processes, one day per change, are all there after."""
    import subprocess
    import sys

    from orchestration.landing_state import built_from
    from tests.conftest import work_settings

    settings = work_settings(tmp_path)
    Path(settings.duckdb_path).parent.mkdir(parents=True, exist_ok=True)
    Path(settings.duckdb_path).touch()  # a record is read only beside a warehouse
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from orchestration.landing_state import record_built\n"
        "from tests.conftest import work_settings\n"
        "settings = work_settings(Path(sys.argv[1]))\n"
        "for n in range(30):\n"
        "    day = f'2026-{sys.argv[2]}-{n + 1:02d}'\n"
        "    record_built(settings, {day: 'f' + day}, day, day)\n"
    )
    root = Path(__file__).resolve().parents[1]  # where `tests` imports from
    writers = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), month], cwd=root) for month in ("01", "03")]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    days = built_from(settings)
    assert len(days) == 60 and all(fingerprint == "f" + day for day, fingerprint in days.items())


@pytest.mark.pipeline
def test_a_run_the_command_did_not_launch_records_its_days_only_when_it_built_everything(built, tmp_path):
    """A run of the refresh job launched by hand, by a backfill or by the schedule records what its days were built
    from itself: the `built` fixture's run is one (no caller that records). A run that leaves a dbt model out, or
    whose caller records (the command, the sensor), is not recorded by the job."""
    from dagster import AssetKey

    from orchestration.definitions import build_definitions
    from orchestration.event_storage import ephemeral_instance
    from orchestration.jobs import REFRESH_JOB
    from orchestration.landing_state import (
        CALLER_RECORDS_TAG,
        PENDING,
        built_from,
        landing_signatures,
        record_built,
        state_path,
    )
    from tests.conftest import work_settings

    work, _, _, success = built
    settings = work_settings(work, salt_policy="demo")
    assert success
    landing = landing_signatures(settings.landing_roots)
    assert len(landing) == 31 and built_from(settings) == landing
    assert "runs" not in json.loads(state_path(settings).read_text())

    # a copy of that warehouse and its lake (the runs below ingest into it), reading the same landing folder
    copy = tmp_path / "copy"
    shutil.copytree(work / "lake", copy / "lake")
    shutil.copyfile(work / "warehouse.duckdb", copy / "warehouse.duckdb")
    ours = work_settings(copy, landing=work / "landing", salt_policy="demo")
    record_built(ours, landing, min(landing), max(landing))  # the copy's record (its lake is another folder)
    job = build_definitions(ours).resolve_job_def(REFRESH_JOB)
    every = job.asset_layer.selected_asset_keys
    one_model = AssetKey(["staging", "stg_canonical__usage_events"])
    assert one_model in every
    selection = [k for k in every if k.path[0] in ("raw", "published") or k == one_model]
    last = max(landing)
    tags = {"dagster/asset_partition_range_start": last, "dagster/asset_partition_range_end": last}

    def record() -> dict:
        return json.loads(state_path(ours).read_text())

    with ephemeral_instance() as instance:
        # a caller that records: the job leaves the record as it was
        run = job.execute_in_process(
            instance=instance, tags={**tags, CALLER_RECORDS_TAG: "test"}, asset_selection=selection
        )
        assert run.success and built_from(ours) == landing and "runs" not in record()
        # no caller that records, but one dbt model built of all: the day stays pending, the run under way
        run = job.execute_in_process(instance=instance, tags=tags, asset_selection=selection)
        assert run.success
        assert built_from(ours) == {**landing, last: PENDING}
        assert record()["runs"] == {run.run_id: {"first": last, "last": last, "days": {last: landing[last]}}}
