"""One dataset registry: the dbt files derived from it are current, and a new landing format needs only its
registry entry and its staging model to flow from a landing folder to staging, through Dagster."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest
from dagster import materialize

from orchestration.datasets import DATASETS, Dataset, dataset
from orchestration.dbt import generated
from orchestration.ingest.assets import build_contract_check, build_ingest_asset
from orchestration.ingest.contracts import Contract, Field
from orchestration.partitions import daily_partitions
from tests.conftest import copy_project, query, run_dbt_in, work_settings

pytestmark = pytest.mark.dbt

TOY = Dataset(
    "toy_things",
    Contract(
        fields=(
            Field("thing_id", "string"),
            Field("seen_at", "timestamp", required=True),
            Field("colour", "string", required=True),
            Field("weight", "integer"),
        ),
        id_field="thing_id",
        time_field="seen_at",
        allowed_values=(("colour", ("red", "blue")),),
    ),
    role="other",
    staging_model="stg_toy__things",
    description="A toy landing format, registered by a test.",
)

STAGING = """-- Toy things from the lake: renamed and cast.
with source as (
    select * from {{ source('lake', 'toy_things') }}
),

renamed as (
    select
        thing_id,
        cast(seen_at as timestamp) as seen_at,
        lower(colour) as colour,
        cast(weight as bigint) as weight_g
    from source
)

select * from renamed
"""


def test_generated_dbt_files_are_current():
    assert generated.drift() == []


def test_drift_is_found():
    """A registry entry the dbt files do not know yet is found by the drift check (the planted defect)."""
    assert generated.drift(datasets=(*DATASETS, TOY)) == [generated.SOURCES_YML, generated.MACRO_SQL]
    renamed = tuple(replace(d, staging_model="stg_other") if d.name == "aws_cur" else d for d in DATASETS)
    assert generated.drift(datasets=renamed) == [generated.MACRO_SQL]


def test_lookup_names_the_registry():
    assert dataset("usage_events").staging_model == "stg_canonical__usage_events"
    with pytest.raises(KeyError, match="toy_things.*usage_events"):
        dataset("toy_things")


def test_a_toy_dataset_flows_to_staging_through_the_registry_alone(tmp_path, capsys):
    project = copy_project(tmp_path / "project")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(project)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "before"], check=True)

    registry = (*DATASETS, TOY)
    generated.write(project, registry)
    (project / "models" / "staging" / "toy").mkdir()
    (project / "models" / "staging" / "toy" / "stg_toy__things.sql").write_text(STAGING)
    subprocess.run([*git, "add", "-A"], check=True)
    stat = subprocess.run([*git, "diff", "--cached", "--stat"], capture_output=True, text=True, check=True).stdout
    with capsys.disabled():
        print("\nthe toy dataset's change (besides its registry entry):\n" + stat)
    changed = subprocess.run(
        [*git, "diff", "--cached", "--name-only"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert changed == [
        "macros/generated/raw_datasets.sql",
        "models/staging/lake/_lake__sources.yml",
        "models/staging/toy/stg_toy__things.sql",
    ]

    work = tmp_path / "work"
    day = work / "landing" / "toy_things" / "day=2026-01-02"
    day.mkdir(parents=True)
    (day / "things.jsonl").write_text(
        '{"thing_id": "t1", "seen_at": "2026-01-02T10:00:00Z", "colour": "Red", "weight": 12}\n'
        '{"thing_id": "t2", "seen_at": "2026-01-02T11:00:00Z", "colour": "green", "weight": 5}\n'
        '{"thing_id": "t3", "seen_at": "2026-01-01T23:00:00Z", "colour": "blue"}\n'
    )
    settings = work_settings(work)
    asset = build_ingest_asset(TOY, daily_partitions("2026-01-01"))
    result = materialize([asset, build_contract_check(TOY)], partition_key="2026-01-02", resources={"finops": settings})
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "ge_contract": True,
        "records_reconcile": True,
        "quarantine_empty": False,
        "landing_entries_read": True,
    }

    run_dbt_in(project, work, "build", "--select", "stg_toy__things", "staging.lake", "+rpt_ingestion_reconciliation")
    assert query(work, "select thing_id, colour, weight_g from staging.stg_toy__things order by 1") == [
        ("t1", "Red".lower(), 12),
        ("t3", "blue", None),
    ]
    assert query(work, "select dataset, line_no, field, reason from staging.stg_lake__quarantine") == [
        ("toy_things", 2, "colour", "unknown_value")
    ]
    assert query(
        work,
        "select records_read, records_loaded, records_quarantined, is_reconciled "
        "from marts.rpt_ingestion_reconciliation where dataset = 'toy_things'",
    ) == [(3, 2, 1, True)]
