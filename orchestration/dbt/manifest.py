"""The dbt manifest Dagster builds the dbt assets from, kept in step with the project's files.

`ensure_manifest` runs `dbt parse` when `manifest.json` is missing or any dbt file changed since (a hash of their
contents sits beside it), never as a side effect of importing a module. The manifest does not depend on the
warehouse or lake paths: dbt renders those again on every invocation.

`start_parse` starts that parse in the background when the manifest is stale, so that a command can do its own
first work beside it (generating the demo's data, importing Dagster and Great Expectations: one core each) and
`ensure_manifest` only waits for what is left. This module imports neither Dagster nor dbt, so a command can
start the parse before it loads them.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from orchestration.settings import PROJECT_DIR, Settings

DBT_FILES = ("dbt_project.yml", "profiles.yml")
DBT_FOLDERS = ("models", "macros", "seeds", "tests/dbt", "analyses")


def dbt_executable() -> str:
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else "dbt"


def source_fingerprint() -> str:
    """A hash of every file dbt parses (names and contents)."""
    digest = hashlib.sha256()
    paths = [PROJECT_DIR / name for name in DBT_FILES]
    for folder in DBT_FOLDERS:
        paths += sorted(p for p in (PROJECT_DIR / folder).rglob("*") if p.is_file())
    for p in paths:
        if p.exists():
            digest.update(str(p.relative_to(PROJECT_DIR)).encode())
            digest.update(p.read_bytes())
    return digest.hexdigest()


@dataclass
class _Parse:
    """A `dbt parse` started in the background: its process, its output files and the fingerprint it parses."""

    process: subprocess.Popen
    output: IO[bytes]
    fingerprint: str

    def wait(self) -> tuple[int, str]:
        code = self.process.wait()
        self.output.seek(0)
        text = self.output.read().decode(errors="replace")
        self.output.close()
        return code, text

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        self.output.close()


_parses: dict[str, _Parse] = {}  # target folder -> the parse running for it


def _paths(settings: Settings) -> tuple[Path, Path, Path]:
    target = Path(settings.dbt_target_dir)
    return target, target / "manifest.json", target / "manifest.sources.sha256"


def _is_current(manifest: Path, stamp: Path, fingerprint: str) -> bool:
    return manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint


def _spawn(settings: Settings, target: Path, output: IO[bytes]) -> subprocess.Popen:
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.dbt_env(), "DBT_TARGET_PATH": str(target)}
    cmd = [dbt_executable(), "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--target-path", str(target)]
    return subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=output, stderr=subprocess.STDOUT)


def _start(settings: Settings, target: Path) -> _Parse:
    """A `dbt parse` of the files as they are now (their fingerprint taken before it reads them)."""
    fingerprint = source_fingerprint()
    output = tempfile.TemporaryFile()
    return _Parse(_spawn(settings, target, output), output, fingerprint)


def _finish(parse: _Parse, stamp: Path) -> None:
    """Wait for a parse; stamp the manifest with the fingerprint of the files it started from, or raise with
    dbt's output. A file changed while it ran leaves the stamp behind the files: the manifest is parsed again."""
    code, output = parse.wait()
    if code != 0:
        raise RuntimeError(f"dbt parse failed:\n{output[-6000:]}")
    stamp.write_text(parse.fingerprint)


def start_parse(settings: Settings) -> bool:
    """Start `dbt parse` for `settings`' target folder in the background when its manifest is stale (True), so
    that `ensure_manifest` finds it done or under way; nothing when the manifest is current or a parse of it is
    already running (False). A parse still running when the process exits is stopped (the stamp is written only
    by `ensure_manifest`, after a parse that succeeded)."""
    target, manifest, stamp = _paths(settings)
    if str(target) in _parses or _is_current(manifest, stamp, source_fingerprint()):
        return False
    _parses[str(target)] = _start(settings, target)
    return True


@atexit.register
def _stop_parses() -> None:
    while _parses:
        _parses.popitem()[1].stop()


def ensure_manifest(settings: Settings, force: bool = False) -> Path:
    """`<dbt target dir>/manifest.json`, parsed again when missing, when a dbt file changed, or when forced; a
    parse `start_parse` began is waited for first (and the manifest parsed again if a dbt file changed while it
    ran)."""
    target, manifest, stamp = _paths(settings)
    pending = _parses.pop(str(target), None)
    if pending is not None:
        _finish(pending, stamp)
    if force or not _is_current(manifest, stamp, source_fingerprint()):
        _finish(_start(settings, target), stamp)
    return manifest
