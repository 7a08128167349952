"""Price catalog refresh against LiteLLM's catalog (the copy in ../shared/reference): the diff says what
the price book lacks, and agrees where the book and the catalog agree."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from orchestration.cli import main
from orchestration.pricing.refresh import catalog_rows, diff, load_catalog, write_candidates
from tests.conftest import PROJECT_DIR

CATALOG = (
    PROJECT_DIR.parent
    / "shared"
    / "reference"
    / "formats"
    / "litellm_prices"
    / "model_prices_and_context_window_backup.json.gz"
)
pytestmark = pytest.mark.skipif(not CATALOG.exists(), reason="shared reference files not present")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CATALOG)


def test_per_token_prices_become_per_mtok_rates(catalog):
    rates = catalog_rows(catalog["us.anthropic.claude-sonnet-4-5-20250929-v1:0"], "standard")
    # 3.3e-06 per token -> 3.30 per 1M; 1h writes 6.6e-06 -> 6.60; above 200k 6.6e-06 / 2.475e-05 -> 6.60 / 24.75
    assert rates["input_usd_per_mtok"] == "3.3" and rates["cache_write_1h_usd_per_mtok"] == "6.6"
    assert rates["input_above_usd_per_mtok"] == "6.6" and rates["output_above_usd_per_mtok"] == "24.75"
    assert rates["long_context_threshold_tokens"] == "200000" and rates["batch_discount_pct"] == "50"
    priority = catalog_rows(catalog["gpt-5"], "priority")
    assert priority == {"input_usd_per_mtok": "2.5", "cached_input_usd_per_mtok": "0.25", "output_usd_per_mtok": "20"}


def test_diff_against_the_price_book(catalog):
    changes = diff(catalog, date(2026, 3, 31))
    changed = {(c.key, c.field): (c.old, c.new) for c in changes if c.kind == "changed"}
    # the book and the catalog agree on every base input and output price of the mapped models
    assert not [k for k in changed if k[1] in ("input_usd_per_mtok", "output_usd_per_mtok")]
    # what the book lacks: batch discounts, Flash-Lite's cached price, priority / flex tiers
    assert changed[(("openai", "o4-mini", "global", "standard"), "batch_discount_pct")] == ("", "50")
    assert changed[(("gcp_vertex", "gemini-2.5-flash-lite", "global", "standard"), "cached_input_usd_per_mtok")] == (
        "",
        "0.01",
    )
    new_tiers = {c.key for c in changes if c.kind == "new_tier"}
    assert ("openai", "gpt-5-mini", "global", "priority") in new_tiers
    assert ("gcp_vertex", "gemini-2.5-pro", "global", "flex") in new_tiers
    assert ("openai", "gpt-5", "global", "priority") not in new_tiers  # the book has it


def test_candidate_rows_and_cli(catalog, tmp_path, capsys):
    changes = diff(catalog, date(2026, 3, 31))
    out = tmp_path / "candidates.csv"
    n = write_candidates(catalog, changes, date(2026, 4, 1), out)
    rows = list(csv.DictReader(out.open()))
    assert n == len(rows) == len({c.key for c in changes if c.kind in ("changed", "new_tier")})
    lite = next(r for r in rows if r["model_id"] == "gemini-2.5-flash-lite" and r["service_tier"] == "standard")
    assert (lite["valid_from"], lite["input_usd_per_mtok"], lite["cached_input_usd_per_mtok"]) == (
        "2026-04-01",
        "0.1",
        "0.01",
    )
    assert main(["refresh-prices", "--litellm", str(CATALOG), "--as-of", "2026-03-31"]) == 0
    printed = capsys.readouterr().out
    assert "changed     openai/o4-mini/global/standard: batch_discount_pct (none) -> 50" in printed
