"""The dbt project of the code location and its parsed manifest.

Dagster builds the dbt assets from `manifest.json`, which `ensure_manifest` keeps in step with the project's
files: it runs `dbt parse` when the manifest is missing or any dbt file changed since (a hash of their
contents sits beside it), never as a side effect of importing a module. The manifest does not depend on the
warehouse or lake paths: dbt renders those again on every invocation.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from orchestration.settings import PROJECT_DIR, Settings

DBT_FILES = ("dbt_project.yml", "profiles.yml")
DBT_FOLDERS = ("models", "macros", "seeds", "tests/dbt", "analyses")


def dbt_executable() -> str:
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else "dbt"


class FinopsDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two start-up costs per build that this project does not use (~2 s of every
    run): `dbt --version` in a subprocess, when the executable is this environment's own dbt (its version is the
    installed dbt-core's), and an in-process dbt adapter (dagster-dbt uses it only to fetch row counts and column
    metadata, which the dbt assets do not ask for)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if self.dbt_executable == str(Path(sys.executable).with_name("dbt")):
            return version.parse(installed_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_project(settings: Settings) -> DbtProject:
    return DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target_path=Path(settings.dbt_target_dir))


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


def ensure_manifest(settings: Settings, force: bool = False) -> Path:
    """`<dbt target dir>/manifest.json`, parsed again when missing, when a dbt file changed, or when forced."""
    target = Path(settings.dbt_target_dir)
    manifest = target / "manifest.json"
    stamp = target / "manifest.sources.sha256"
    fingerprint = source_fingerprint()
    if force or not manifest.exists() or not stamp.exists() or stamp.read_text() != fingerprint:
        target.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **settings.dbt_env(), "DBT_TARGET_PATH": str(target)}
        cmd = [dbt_executable(), "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--target-path", str(target)]
        proc = subprocess.run(cmd, env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
        stamp.write_text(fingerprint)
    return manifest
