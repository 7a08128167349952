"""Kill the refresh (SIGKILL, the whole process group) mid-ingestion, mid-validation and mid-dbt, run it again,
and the warehouse is identical to a clean run: same row counts and the same contents for every mart and
intermediate table (exactly, floating-point statistics within a relative 1e-9). The kill points are events the
run prints, never a sleep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from orchestration.settings import PROJECT_DIR, workdir_env
from orchestration.tools.sample_data.generator import generate
from tests.conftest import same_contents, warehouse_contents

pytestmark = pytest.mark.crash


def _env(work, landing):
    # its own Dagster home (never the developer's) and one salt for every run, so user hashes compare
    return {
        **os.environ,
        **workdir_env(work, landing),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "FINOPS_HASH_SALT": "crash-test-salt",
    }


def _start(work, landing):
    work.mkdir(parents=True, exist_ok=True)
    log = open(work / "run.log", "a")  # noqa: SIM115 (a file, not a pipe: Dagster logs a lot)
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--verbose"],
        cwd=PROJECT_DIR,
        env=_env(work, landing),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill takes dbt's processes with it
    )


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    landing = base / "landing"
    from datetime import date

    generate(landing, events=4000, days=3, start=date(2026, 1, 1), seed=5, real_formats=True)
    proc = _start(base / "clean", landing)
    assert proc.wait(timeout=600) == 0, (base / "clean" / "run.log").read_text()[-3000:]
    return base, landing, warehouse_contents(base / "clean" / "warehouse.duckdb")


@pytest.mark.parametrize(
    "point, marker",
    [
        ("mid-ingestion", "files read"),  # an ingestion asset has read its files (others are still to come)
        ("mid-validation", "Great Expectations validated"),  # a suite has run (others are still to come)
        ("mid-dbt", "OK created sql"),  # dbt has built at least one model
    ],
)
def test_killed_run_recovers_to_the_clean_result(clean_run, point, marker):
    base, landing, expected = clean_run
    work = base / point.replace("-", "_")
    proc = _start(work, landing)
    deadline = time.monotonic() + 600
    while marker not in (work / "run.log").read_text() and proc.poll() is None:
        assert time.monotonic() < deadline, "marker never seen"
        time.sleep(0.05)
    assert proc.poll() is None, f"the run finished before it could be killed {point}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # run again over what the killed run left (partial lake files, an unfinished DuckDB file, a lock file)
    again = _start(work, landing)
    assert again.wait(timeout=600) == 0, (work / "run.log").read_text()[-3000:]
    assert same_contents(warehouse_contents(work / "warehouse.duckdb"), expected) == []
