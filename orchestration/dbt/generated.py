"""dbt files generated from the dataset registry (orchestration/datasets.py): never edited by hand.

- `models/staging/lake/_lake__sources.yml`: the raw lake as dbt sources, three tables per dataset (its rows,
  its quarantine, its ingestion log), all three mapped to the dataset's one ingestion asset `raw/<name>`
  (meta `dagster.asset_key`);
- `macros/generated/raw_datasets.sql`: the macro `raw_datasets(role=none)`, the registry's entries (name,
  role, staging model, the lake's day column) for the models that loop over datasets: the quarantine and
  ingestion-log unions, the lake rows per file, the usage-source union of int_usage_events.

`genai-finops generate-dbt` writes them; `generate-dbt --check` (and a test) fails when they differ from the
registry.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.datasets import DATASETS, EVENT_ROLES, Dataset
from orchestration.settings import PROJECT_DIR

SOURCES_YML = Path("models/staging/lake/_lake__sources.yml")
MACRO_SQL = Path("macros/generated/raw_datasets.sql")
HEADER = "generated from orchestration/datasets.py by `genai-finops generate-dbt`: do not edit"


def _sources(datasets: tuple[Dataset, ...]) -> str:
    lines = [
        f"# {HEADER}",
        "version: 2",
        "",
        "sources:",
        "  - name: lake",
        "    description: >",
        "      The raw lake: Parquet datasets written by the Dagster ingestion assets (orchestration/ingest), one per",
        "      registered landing format, partitioned by day in hive style under FINOPS_LAKE_DIR (default data/lake).",
        "      Read in place by DuckDB; a distributed engine reads the same folders (macro register_lake_sources).",
        "    schema: raw",
        "    meta:",
        # every file of a folder has its schema file's columns (engine.conform_files): no union_by_name, which
        # opens the footer of every file of the folder in each query
        "      external_location: \"read_parquet('{{ env_var('FINOPS_LAKE_DIR', 'data/lake') }}/{name}/*/*.parquet',"
        ' hive_partitioning = true)"',
        "    tables:",
    ]
    for ds in datasets:
        tables = (
            (ds.name, f"{ds.description} Partitioned by {ds.partition_column} (UTC); role: {ds.role}."),
            (
                f"{ds.name}_quarantine",
                f"{ds.name} records that broke the contract: source file, line, field and reason; by arrival day.",
            ),
            (
                f"{ds.name}_ingestion_log",
                f"One row per entry of the {ds.landing}/ landing folder: a file's read / loaded / quarantined "
                "counts, or the reason it was skipped; by arrival day.",
            ),
        )
        for name, description in tables:
            lines += [
                f"      - name: {name}",
                f"        description: {json.dumps(description)}",
                # the three tables are written by one Dagster asset, the dataset's ingestion
                f"        meta: {{dagster: {{asset_key: [raw, {ds.name}]}}}}",
            ]
    return "\n".join(lines) + "\n"


def _macro(datasets: tuple[Dataset, ...]) -> str:
    entries = ",\n".join(
        f"        {{'name': '{d.name}', 'role': '{d.role}', 'staging_model': '{d.staging_model}', "
        f"'partition': '{d.partition_column}', 'events': {str(d.role in EVENT_ROLES).lower()}}}"
        for d in datasets
    )
    return (
        "{% macro raw_datasets(role=none) -%}\n"
        f"{{#- {HEADER}.\n"
        "    The raw datasets (one per landing format), optionally of one role: usage, usage_report, kpi, bill; each\n"
        "    with its lake's day column (partition), and `events`: its role is one of EVENT_ROLES (records with the\n"
        "    day they happened, whose late days widen a run's window). -#}\n"
        "    {%- set datasets = [\n"
        f"{entries}\n"
        "    ] -%}\n"
        "    {%- if role is none -%}\n"
        "        {{ return(datasets) }}\n"
        "    {%- endif -%}\n"
        "    {{ return(datasets | selectattr('role', 'equalto', role) | list) }}\n"
        "{%- endmacro %}\n"
    )


def render(datasets: tuple[Dataset, ...] = DATASETS) -> dict[Path, str]:
    return {SOURCES_YML: _sources(datasets), MACRO_SQL: _macro(datasets)}


def write(project_dir: Path = PROJECT_DIR, datasets: tuple[Dataset, ...] = DATASETS) -> list[Path]:
    """Write the generated files; returns those that changed."""
    changed = []
    for rel, text in render(datasets).items():
        path = project_dir / rel
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(rel)
    return changed


def drift(project_dir: Path = PROJECT_DIR, datasets: tuple[Dataset, ...] = DATASETS) -> list[Path]:
    """Generated files that differ from what the registry gives."""
    return [
        rel
        for rel, text in render(datasets).items()
        if not (project_dir / rel).exists() or (project_dir / rel).read_text() != text
    ]
