"""The dbt manifest Dagster builds the dbt assets from, kept in step with the project's files.

`ensure_manifest` runs `dbt parse` when `manifest.json` is missing or any dbt file changed since (a hash of their
contents sits beside it), never as a side effect of importing a module. The manifest does not depend on the
warehouse or lake paths: dbt renders those again on every invocation.

`start_parse` starts that parse in the background when the manifest is stale, so that a command can do its own
first work beside it (generating the demo's data, importing Dagster and Great Expectations: one core each) and
`ensure_manifest` only waits for what is left. It also starts one when dbt's partial-parse file was written for
another profile (the warehouse path, its settings: what profiles.yml reads from the environment): dbt then parses
the whole project again at the start of the build (~7 s, "Unable to do partial parsing because profile has
changed"), a demo in a new folder or a run of other settings sharing the target folder. The profile a parse or a
build ran with is stamped beside the manifest (`record_profile`). This module imports neither Dagster nor dbt, so
a command can start the parse before it loads them.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
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


def profile_fingerprint(settings: Settings) -> str:
    """A hash of what dbt's partial parse compares of the profile: the values of the environment variables
    profiles.yml reads, as dbt sees them (the settings' paths over this process's environment)."""
    names = sorted(
        set(re.findall(r"env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]", (PROJECT_DIR / "profiles.yml").read_text()))
    )
    env = {**os.environ, **settings.dbt_env()}
    return hashlib.sha256("\n".join(f"{name}={env.get(name, '')}" for name in names).encode()).hexdigest()


def record_profile(settings: Settings) -> None:
    """Stamp the profile dbt's partial-parse file now holds (after a build with `settings`: dbt parsed again if
    it had to)."""
    target = Path(settings.dbt_target_dir)
    if target.is_dir():
        (target / PROFILE_STAMP).write_text(profile_fingerprint(settings))


PROFILE_STAMP = "partial_parse.profile.sha256"


@dataclass
class _Parse:
    """A `dbt parse` started in the background: its process, its output files, the fingerprints (dbt files,
    profile) it parses, and whether it writes the manifest (False: only dbt's partial-parse file, for a new
    profile of a current manifest)."""

    process: subprocess.Popen
    output: IO[bytes]
    fingerprint: str
    profile: str
    writes_manifest: bool = True

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


def _spawn(settings: Settings, target: Path, output: IO[bytes], write_json: bool = True) -> subprocess.Popen:
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.dbt_env(), "DBT_TARGET_PATH": str(target)}
    cmd = [dbt_executable(), "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--target-path", str(target)]
    if not write_json:  # manifest.json is left alone: Dagster may be reading it
        cmd.append("--no-write-json")
    return subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=output, stderr=subprocess.STDOUT)


def _start(settings: Settings, target: Path, writes_manifest: bool = True) -> _Parse:
    """A `dbt parse` of the files as they are now (their fingerprint taken before it reads them)."""
    fingerprint = source_fingerprint()
    output = tempfile.TemporaryFile()
    process = _spawn(settings, target, output, writes_manifest)
    return _Parse(process, output, fingerprint, profile_fingerprint(settings), writes_manifest)


def _finish(parse: _Parse, stamp: Path) -> None:
    """Wait for a parse; stamp the manifest with the fingerprint of the files it started from (and the profile it
    parsed with), or raise with dbt's output. A file changed while it ran leaves the stamp behind the files: the
    manifest is parsed again. A parse for a new profile only stamps the profile, and its failure is left to the
    build (which parses again and reports it)."""
    code, output = parse.wait()
    if code != 0:
        if not parse.writes_manifest:
            return
        raise RuntimeError(f"dbt parse failed:\n{output[-6000:]}")
    if parse.writes_manifest:
        stamp.write_text(parse.fingerprint)
    (stamp.parent / PROFILE_STAMP).write_text(parse.profile)


def _profile_is_current(settings: Settings, target: Path) -> bool:
    stamp = target / PROFILE_STAMP
    return stamp.exists() and stamp.read_text() == profile_fingerprint(settings)


def start_parse(settings: Settings) -> bool:
    """Start `dbt parse` for `settings`' target folder in the background (True) when its manifest is stale, so
    that `ensure_manifest` finds it done or under way, or when dbt's partial-parse file holds another profile, so
    that the build's dbt skips its own parse (`wait_for_parse`, before the build, waits for it; `ensure_manifest`
    does not: the manifest is current). Nothing when both are current or a parse is already running (False). A
    parse still running when the process exits is stopped (the stamps are written only after a parse that
    succeeded)."""
    target, manifest, stamp = _paths(settings)
    if str(target) in _parses:
        return False
    current = _is_current(manifest, stamp, source_fingerprint())
    if current and _profile_is_current(settings, target):
        return False
    _parses[str(target)] = _start(settings, target, writes_manifest=not current)
    return True


def wait_for_parse(settings: Settings) -> None:
    """Wait for a background parse of `settings`' target folder, if one runs (before a dbt command that would
    write the same partial-parse file)."""
    target, _, stamp = _paths(settings)
    pending = _parses.pop(str(target), None)
    if pending is not None:
        _finish(pending, stamp)


@atexit.register
def _stop_parses() -> None:
    while _parses:
        _parses.popitem()[1].stop()


def ensure_manifest(settings: Settings, force: bool = False) -> Path:
    """`<dbt target dir>/manifest.json`, parsed again when missing, when a dbt file changed, or when forced; a
    parse `start_parse` began for a stale manifest is waited for first (and the manifest parsed again if a dbt
    file changed while it ran); one it began for a new profile is left running (`wait_for_parse`)."""
    target, manifest, stamp = _paths(settings)
    pending = _parses.get(str(target))
    if pending is not None and pending.writes_manifest:
        wait_for_parse(settings)
    if force or not _is_current(manifest, stamp, source_fingerprint()):
        wait_for_parse(settings)  # one dbt parse at a time writes the target folder
        _finish(_start(settings, target), stamp)
    return manifest
