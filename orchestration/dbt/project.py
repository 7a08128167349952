"""The dbt project of the code location: dagster-dbt's project and CLI resource.

The manifest Dagster builds the dbt assets from is kept in step with the project's files by
`orchestration.dbt.manifest`.
"""

from __future__ import annotations

import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from orchestration.settings import PROJECT_DIR, Settings


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
