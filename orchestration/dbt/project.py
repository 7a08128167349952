"""The one cached dbt project of the code location."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import PROJECT_DIR, Settings

dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)


def _newest_source_mtime() -> float:
    paths = [PROJECT_DIR / "dbt_project.yml", PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests/dbt"):
        paths += [p for p in (PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return max((p.stat().st_mtime for p in paths if p.exists()), default=0.0)


def _parse_env(env: dict[str, str]) -> str:
    """What a parse depends on besides the files: the project's environment variables (env_var() in
    profiles.yml, sources and models: the lake folder, the warehouse path, the target)."""
    return "\n".join(f"{k}={v}" for k, v in sorted(env.items()) if k.startswith(("FINOPS_", "DBT_")))


def ensure_manifest(force: bool = False) -> Path:
    """Parse the dbt project when the manifest is missing, older than any dbt file, or parsed under other
    environment variables (or when forced), so the definitions never load a stale manifest (its node ids
    would not match what dbt builds). An up-to-date manifest is reused: a parse costs ~5 s."""
    manifest = Path(dbt_project.manifest_path)
    env = {**os.environ, **Settings.from_env().dbt_env()}
    stamp = manifest.with_name("manifest.env")
    current = (
        manifest.exists()
        and manifest.stat().st_mtime >= _newest_source_mtime()
        and stamp.exists()
        and stamp.read_text() == _parse_env(env)
    )
    if force or not current:
        dbt = Path(sys.executable).with_name("dbt")
        cmd = [str(dbt) if dbt.exists() else "dbt", "parse", "--quiet", "--project-dir", str(PROJECT_DIR)]
        subprocess.run(cmd, check=True, env=env, cwd=PROJECT_DIR)
        stamp.write_text(_parse_env(env))
    return manifest


if os.environ.get("DAGSTER_IS_DEV_CLI"):
    ensure_manifest(force=True)
