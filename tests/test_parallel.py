"""The FINOPS_*_WORKERS / _THREADS settings (orchestration/parallel.py)."""

from __future__ import annotations

import pytest

from orchestration import parallel

pytestmark = pytest.mark.unit


def test_unset_the_cores_at_most_the_cap_set_the_number_never_below_one(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 8)
    monkeypatch.delenv("FINOPS_X_THREADS", raising=False)
    assert (parallel.at_once("FINOPS_X_THREADS"), parallel.at_once("FINOPS_X_THREADS", most=4)) == (8, 4)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: None)  # unknown: one
    assert parallel.at_once("FINOPS_X_THREADS", most=4) == 1
    monkeypatch.setenv("FINOPS_X_THREADS", "6")
    assert parallel.at_once("FINOPS_X_THREADS", most=4) == 6  # a setting is taken as it is
    monkeypatch.setenv("FINOPS_X_THREADS", "0")
    assert parallel.at_once("FINOPS_X_THREADS") == 1
    monkeypatch.setenv("FINOPS_X_THREADS", "two")
    with pytest.raises(ValueError, match="FINOPS_X_THREADS='two': expected a whole number"):
        parallel.at_once("FINOPS_X_THREADS")
