"""How the `genai-finops` command ends: without the interpreter's exit walking its whole heap again
(orchestration.cli.end_of_command: what is garbage when the command returns is collected, its finalizers run;
the rest goes to the collector's permanent generation before the exit functions run), and with the code the
command returned, also after a stop it caught (orchestration.cli.forget_caught_interrupt)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from orchestration.settings import PROJECT_DIR
from tests.conftest import site_customized

pytestmark = pytest.mark.unit

# loaded by the command's interpreter first (PYTHONPATH): a reference cycle with a finalizer that only a
# collection can free (the collector is off, so no collection of the command's own frees it first), and an exit
# function, registered first so that it runs last, that records how many objects are frozen by then
SITE = """
import atexit, gc, pathlib
out = pathlib.Path({out!r})
gc.disable()


class Cycle:
    def __del__(self):
        (out / "finalized").touch()


cycle = Cycle()
cycle.itself = cycle
del cycle
atexit.register(lambda: (out / "frozen").write_text(str(gc.get_freeze_count())))
"""


def test_the_command_collects_its_garbage_then_freezes_what_is_alive(tmp_path):
    env = {**os.environ, "PYTHONPATH": site_customized(tmp_path / "site", SITE.format(out=str(tmp_path)))}
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "generate-dbt", "--check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "finalized").exists()  # the garbage's finalizer ran
    assert int((tmp_path / "frozen").read_text()) > 10_000  # the modules and what they hold


def test_a_stop_caught_inside_exec_of_a_string_still_exits_with_the_commands_code(tmp_path):
    """A SIGTERM during an import (namedtuple's exec, alembic's proxies) raises KeyboardInterrupt inside exec() of
    a string; the command catches it and returns 130, and the process, run as `python -m` (as the tests start the
    command; a script file such as the `genai-finops` entry point exits 130 either way), exits 130, not killed by
    SIGINT (-2)."""
    (tmp_path / "stopped_in_exec.py").write_text(
        "from orchestration import cli\n"
        "def main(argv=None):\n"
        "    try:\n"
        "        exec('raise KeyboardInterrupt')\n"
        "    except KeyboardInterrupt:\n"
        "        return 130\n"
        "cli.main = main\n"
        "cli.entry()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "stopped_in_exec"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PROJECT_DIR)])},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 130, proc.stderr
