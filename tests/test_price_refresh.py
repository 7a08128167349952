"""Price catalog refresh against LiteLLM's catalog (the copy in tests/fixtures/formats): the diff says what
the price book lacks, and agrees where the book and the catalog agree."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from orchestration.cli import main
from orchestration.tools.pricing.refresh import (
    GenaiPricesCatalog,
    apply_candidates,
    catalog_rows,
    current_prices,
    diff,
    load_catalog,
    write_candidates,
)
from tests.conftest import FORMATS

pytestmark = pytest.mark.unit

CATALOG = FORMATS / "litellm_prices" / "model_prices_and_context_window_backup.json.gz"


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


def _seed_copy(tmp_path):
    import shutil

    from orchestration.settings import SEEDS_DIR

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    return seeds


def test_genai_prices_diff():
    """The installed genai-prices data against the book: one Azure price per model (no data-zone premium),
    Bedrock's in-region Sonnet 4.5 with the 10% premium LiteLLM lacks, Flash-Lite's cached rate."""
    changes = diff(GenaiPricesCatalog(date(2026, 3, 31)), date(2026, 3, 31))
    changed = {(c.key, c.field): (c.old, c.new) for c in changes if c.kind == "changed"}
    assert changed[(("azure_openai", "gpt-5", "data_zone", "standard"), "input_usd_per_mtok")] == ("1.375", "1.25")
    assert changed[(("aws_bedrock", "claude-sonnet-4-5", "regional", "standard"), "input_usd_per_mtok")] == ("3", "3.3")
    assert changed[(("gcp_vertex", "gemini-2.5-flash-lite", "global", "standard"), "cached_input_usd_per_mtok")] == (
        "",
        "0.01",
    )
    # every other mapped model agrees on its base input and output prices
    moved = {k for k, f in changed if f in ("input_usd_per_mtok", "output_usd_per_mtok")}
    assert {k[:3] for k in moved} == {
        ("azure_openai", "gpt-5", "data_zone"),
        ("azure_openai", "gpt-4.1", "data_zone"),
        ("azure_openai", "gpt-4o", "data_zone"),
        ("aws_bedrock", "claude-sonnet-4-5", "regional"),
    }
    missing = [c.key for c in changes if c.kind == "not_in_catalog"]
    assert missing == [("aws_bedrock", "deepseek-v3-2", "geo", "standard")]


def test_local_override_wins_and_masks_catalog_changes(tmp_path, catalog):
    seeds = _seed_copy(tmp_path)
    with (seeds / "model_price_overrides.csv").open("a") as f:
        # a negotiated Azure data-zone price for gpt-4.1 through 2026
        f.write(
            "azure_openai,gpt-4.1,data_zone,standard,2026-01-01,1.8,0.45,,,7.2" + "," * 12 + "2027-01-01,negotiated\n"
        )
    in_force = current_prices(date(2026, 3, 31), seeds)[("azure_openai", "gpt-4.1", "data_zone", "standard")]
    assert (in_force["input_usd_per_mtok"], in_force["reason"]) == ("1.8", "negotiated")
    assert (
        current_prices(date(2027, 1, 1), seeds)[("azure_openai", "gpt-4.1", "data_zone", "standard")][
            "input_usd_per_mtok"
        ]
        == "2.2"
    )
    changes = diff(GenaiPricesCatalog(date(2026, 3, 31)), date(2026, 3, 31), seeds)
    masked = {(c.field, c.old, c.new) for c in changes if c.key[:3] == ("azure_openai", "gpt-4.1", "data_zone")}
    assert {c.kind for c in changes if c.key[:3] == ("azure_openai", "gpt-4.1", "data_zone")} == {"overridden"}
    assert ("input_usd_per_mtok", "1.8", "2") in masked


def test_apply_appends_dated_rows_and_is_idempotent(tmp_path, catalog):
    seeds = _seed_copy(tmp_path)
    before = list(csv.DictReader((seeds / "model_prices.csv").open()))
    overrides_before = (seeds / "model_price_overrides.csv").read_bytes()
    changes = diff(catalog, date(2026, 3, 31), seeds)
    n = apply_candidates(catalog, changes, date(2026, 4, 1), seeds)
    after = list(csv.DictReader((seeds / "model_prices.csv").open()))
    assert len(after) == len(before) + n and after[: len(before)] == before
    assert {r["valid_from"] for r in after[len(before) :]} == {"2026-04-01"}
    # a second refresh on the same day replaces its rows instead of adding more; overrides never written
    assert apply_candidates(catalog, diff(catalog, date(2026, 3, 31), seeds), date(2026, 4, 1), seeds) == n
    assert len(list(csv.DictReader((seeds / "model_prices.csv").open()))) == len(after)
    assert (seeds / "model_price_overrides.csv").read_bytes() == overrides_before
    # once applied, the book in force on the effective date agrees with the catalog on what it changed
    assert not [c for c in diff(catalog, date(2026, 4, 1), seeds) if c.kind in ("changed", "new_tier")]


def test_cli_with_genai_prices(capsys):
    assert main(["refresh-prices", "--genai-prices", "--as-of", "2026-03-31"]) == 0
    printed = capsys.readouterr().out
    assert "== genai-prices against the price in force on 2026-03-31" in printed
    assert "changed     azure_openai/gpt-4o/data_zone/standard: input_usd_per_mtok 2.75 -> 2.5" in printed
    assert main(["refresh-prices", "--as-of", "2026-03-31"]) == 2  # no catalog named
