"""The project's conventions, checked: every model documented beside it, names by layer, staging that only
renames and casts, one macro per file, and nothing that points outside the repository."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from orchestration.settings import PROJECT_DIR

pytestmark = pytest.mark.unit

MODELS = PROJECT_DIR / "models"
PREFIXES = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_", "rpt_")}


def _models():
    return sorted(p for p in MODELS.rglob("*") if p.suffix in (".sql", ".py"))


def _documented(folder):
    names = set()
    for yml in folder.glob("*.yml"):
        doc = yaml.safe_load(yml.read_text()) or {}
        names |= {m["name"] for m in doc.get("models", [])}
    return names


def test_every_model_is_documented_in_its_own_folder():
    missing = [str(p.relative_to(PROJECT_DIR)) for p in _models() if p.stem not in _documented(p.parent)]
    assert missing == []


def test_model_names_carry_their_layers_prefix():
    wrong = [
        str(p.relative_to(PROJECT_DIR))
        for p in _models()
        if not p.stem.startswith(PREFIXES[p.relative_to(MODELS).parts[0]])
    ]
    assert wrong == []


def test_staging_reads_sources_only():
    """Staging renames and casts: a join to a seed or another model belongs to intermediate."""
    refs = [str(p.relative_to(PROJECT_DIR)) for p in (MODELS / "staging").rglob("*.sql") if "ref(" in p.read_text()]
    assert refs == []
    macro_refs = [
        str(p.relative_to(PROJECT_DIR))
        for p in (PROJECT_DIR / "macros").rglob("*_staging.sql")
        if "ref(" in p.read_text()
    ]
    assert macro_refs == []


def test_unit_tests_of_incremental_models_state_the_build_and_its_window():
    """dbt runs unit tests inside every build, with the build's vars: an incremental model's unit test would filter
    its given rows by the run's window (vars min_date, max_date) or by the real table's newest day
    (is_incremental() true on an existing warehouse) and fail whenever its rows' days fall outside. Each one states
    is_incremental and the window vars (null, or the window its incremental path is tested with)."""
    incremental = {p.stem for p in _models() if "materialized='incremental'" in p.read_text()}
    unstated = []
    for yml in MODELS.rglob("*.yml"):
        for test in (yaml.safe_load(yml.read_text()) or {}).get("unit_tests", []):
            overrides = test.get("overrides") or {}
            stated = "is_incremental" in (overrides.get("macros") or {}) and {"min_date", "max_date"} <= set(
                overrides.get("vars") or {}
            )
            if test["model"] in incremental and not stated:
                unstated.append(test["name"])
    assert incremental and unstated == []


def test_one_macro_per_file_named_after_it():
    wrong = []
    for path in (PROJECT_DIR / "macros").rglob("*.sql"):
        # a macro, or a materialization (`{% materialization incremental, adapter='duckdb' %}`)
        names = re.findall(r"{%-?\s*(?:macro\s+(\w+)\s*\(|materialization\s+(\w+)\s*,)", path.read_text())
        names = [macro or materialization for macro, materialization in names]
        public = {re.sub(r"^(default|spark|bigquery|duckdb)__", "", n) for n in names}
        if public != {path.stem.removeprefix("spark__")}:
            wrong.append((str(path.relative_to(PROJECT_DIR)), sorted(public)))
    assert wrong == []


def test_nothing_points_outside_the_repository():
    tracked = subprocess.run(
        ["git", "grep", "-n", "-I", "-E", r"\.\./shared|DESIGN\.md|shared/(reference|STYLE)", "--", "."],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    ).stdout
    assert tracked.strip().splitlines() == [
        line for line in tracked.strip().splitlines() if "tests/test_conventions.py" in line
    ]
