"""Billing export readers against the real samples in tests/fixtures/formats (FOCUS 1.0 sample, Azure EA
actual and amortized cost details, CUR rows for Bedrock, a GCP export row) and a GCP fixture with credits:
row counts, totals to the cent against an independent Decimal sum of the files, parsed dates, odd encodings,
and personal data never stored."""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from orchestration.datasets import by_role
from orchestration.ingest.engine import ensure_lake_schemas, ingest_day
from tests.conftest import FIXTURES, FORMATS, assert_never_stored, query, run_dbt

pytestmark = pytest.mark.dbt

SAMPLES = FORMATS
FOCUS_CSV = SAMPLES / "focus_sample_data" / "focus_1.0_sample_500rows.csv"
AZURE_ACTUAL = SAMPLES / "azure_cost_export" / "finops-toolkit_EA_ActualCost_Small.csv"
AZURE_AMORTIZED = SAMPLES / "azure_cost_export" / "finops-toolkit_EA_AmortizedCost_Small.csv"
CUR = SAMPLES / "aws_cur_bedrock" / "cur2_bedrock_rows_FROM_AWS_BLOG_EXAMPLE_OUTPUT.csv"
GCP = SAMPLES / "gcp_billing_export" / "gcp_billing_export_v1_row_vertex_ai_CONSTRUCTED.json"
Q = D("0.0000000001")


def _column_sum(path, column, encoding="utf-8", places=Q):
    """The file's column summed with Decimal, each value at the warehouse's 10 places (or exactly: places=None)."""
    with open(path, newline="", encoding=encoding) as f:
        values = [D(r[column]) for r in csv.DictReader(f) if r[column] not in ("", "NULL")]
    return sum((v if places is None else v.quantize(places) for v in values), D(0))


@pytest.fixture(scope="module")
def billing(tmp_path_factory):
    work = tmp_path_factory.mktemp("billing")
    landing = work / "landing"
    for dataset, sample in [
        ("focus_charges", FOCUS_CSV),
        ("azure_cost_actual", AZURE_ACTUAL),
        ("azure_cost_amortized", AZURE_AMORTIZED),
        ("aws_cur", CUR),
        ("gcp_billing", GCP),
    ]:
        folder = landing / dataset / "day=2026-02-01"
        folder.mkdir(parents=True)
        shutil.copy(sample, folder / sample.name)
    shutil.copytree(FIXTURES / "billing" / "gcp_billing", landing / "gcp_billing", dirs_exist_ok=True)
    ensure_lake_schemas(str(work / "lake"))
    results = {}
    for contract in by_role("bill"):
        for day in ("2026-02-01", "2026-02-02"):
            for r in ingest_day(contract, day, str(landing), str(work / "lake"), "salt"):
                results[f"{day}/{r.source_file.rsplit('/', 1)[1]}"] = r
    run_dbt(work, "build", "--select", "+fct_billing_charges", "staging.lake", "--exclude", "test_type:data")
    return work, results


def _counts(results, key):
    r = results[key]
    return r.records_read, r.records_loaded, r.records_quarantined


def test_focus_sample(billing):
    work, results = billing
    assert _counts(results, "2026-02-01/focus_1.0_sample_500rows.csv") == (500, 500, 0)
    [(n, billed, effective, listed, usage_based, no_class, no_tags, first, last)] = query(
        work,
        "select count(*), sum(billed_cost), sum(effective_cost), sum(list_cost), "
        "count(*) filter (where charge_frequency = 'Usage-Based'), count(*) filter (where charge_class is null), "
        "count(*) filter (where tags is null), min(charge_period_start), max(charge_period_end) "
        "from marts.fct_billing_charges where billing_source = 'focus'",
    )
    assert n == 500
    # the exact sums of the file's columns (Decimal, independent of DuckDB), at 10 places
    assert billed == _column_sum(FOCUS_CSV, "BilledCost")
    assert effective == _column_sum(FOCUS_CSV, "EffectiveCost")
    assert listed == _column_sum(FOCUS_CSV, "ListCost")
    # the sample has values with 11 decimals: 10 places keep the total within 500 x 0.5e-10 of exact
    assert abs(billed - _column_sum(FOCUS_CSV, "BilledCost", places=None)) < D("0.000000025")
    assert round(billed, 2) == D("7.50") and round(effective, 2) == D("3.98")
    # 'Usage-based' (7 rows) and 'Usage-Based' (492) are one value; literal NULLs are nulls
    assert usage_based == 499 and no_class == 500 and no_tags == 127
    assert (first, last) == (datetime(2024, 9, 1), datetime(2024, 9, 30, 23))


def test_azure_actual_and_amortized_views(billing):
    work, results = billing
    assert _counts(results, "2026-02-01/finops-toolkit_EA_ActualCost_Small.csv") == (11, 11, 0)
    assert _counts(results, "2026-02-01/finops-toolkit_EA_AmortizedCost_Small.csv") == (28, 28, 0)
    rows = query(
        work,
        "select x_cost_view, x_charge_type, x_pricing_model, count(*), sum(billed_cost), sum(effective_cost) "
        "from marts.fct_billing_charges where billing_source = 'azure_cost_details' group by 1, 2, 3 order by 1, 2, 3",
    )
    assert rows == [
        # the reservation purchase: billed once, from the actual view, with no effective cost (it is amortized)
        ("actual", "Purchase", "Reservation", 1, D("3.25"), D(0)),
        # consumption from the amortized view only; the actual view's 10 usage rows are not added
        ("amortized", "Usage", "OnDemand", 26, D("15.7977801361"), D("15.7977801361")),
        ("amortized", "Usage", "Reservation", 1, D(0), D("0.4931520000")),
        ("amortized", "Usage", "SavingsPlan", 1, D(0), D("0.0060000005")),
    ]
    # effective cost = the amortized view's total; billed = on-demand consumption + the purchase
    [(billed, effective)] = query(
        work,
        "select sum(billed_cost), sum(effective_cost) from marts.fct_billing_charges "
        "where billing_source = 'azure_cost_details'",
    )
    assert effective == _column_sum(AZURE_AMORTIZED, "Cost", "utf-8-sig")
    assert round(effective, 2) == D("16.30") and round(billed, 2) == D("19.05")
    # MM/DD/YYYY dates, Tags with their braces restored
    assert query(
        work,
        "select charge_date, commitment_discount_id from marts.fct_billing_charges where x_charge_type = 'Purchase'",
    ) == [(date(2023, 9, 21), "49ed0e4d-8e0c-4f1f-af2c-67c865056615")]
    [(tags,)] = query(
        work,
        "select tags from marts.fct_billing_charges where billing_source = 'azure_cost_details' "
        "and x_resource_group = 'databricks-rg-PeskyData-s6taefbli5c5e' and tags is not null limit 1",
    )
    assert tags.startswith('{"CostCenter": "1234"') and tags.endswith("}")


def test_cur_bedrock_rows_and_token_units(billing):
    work, results = billing
    assert _counts(results, "2026-02-01/cur2_bedrock_rows_FROM_AWS_BLOG_EXAMPLE_OUTPUT.csv") == (8, 8, 0)
    rows = query(
        work,
        "select x_sku_text, model_id, token_class, token_quantity, billed_cost, x_is_unit_inferred "
        "from marts.fct_billing_charges where billing_source = 'aws_cur' order by source_line",
    )
    assert sum(r[4] for r in rows) == _column_sum(CUR, "line_item_unblended_cost") == D("98.172")
    # no pricing_unit in these rows: 17.33 units for $0.0572 is $3.30 per 1K-token unit -> 17,330 tokens;
    # 2,900,000 units for $8.70 is $3.00 per 1M -> tokens
    by_amount = {(r[0], r[4]): r for r in rows}
    assert by_amount[("Claude4.6Sonnet-input-tokens", D("0.0572"))][1:4] == ("claude-sonnet-4-6", "input", 17330)
    assert by_amount[("Claude4.6Sonnet-input-tokens", D("8.70"))][3] == 2_900_000
    assert by_amount[("Claude4.6Sonnet-cache-write-input-token-count", D("3.4309"))][2:4] == ("cache_write", 831740)
    assert all(r[5] for r in rows)  # inferred, and flagged as such
    assert {r[1] for r in rows} == {"claude-sonnet-4-6", "claude-opus-4-8", "nova-lite"}


def test_gcp_rows_and_credits(billing):
    work, results = billing
    assert _counts(results, "2026-02-01/gcp_billing_export_v1_row_vertex_ai_CONSTRUCTED.json") == (1, 1, 0)
    assert _counts(results, "2026-02-02/export.jsonl") == (3, 2, 1)
    assert query(
        work, "select line_no, field, reason from staging.stg_lake__quarantine where dataset = 'gcp_billing'"
    ) == [(3, "cost", "not_a_number")]
    rows = query(
        work,
        "select x_sku_text, list_cost, x_credits_amount, billed_cost, effective_cost, model_id, token_class, "
        "token_quantity from marts.fct_billing_charges where billing_source = 'gcp_billing' order by list_cost",
    )
    # net = cost + credits: 12.50 - 0.625 - 0.25 = 11.625; no credits: net = cost
    assert rows[0][1:5] == (D("0.0125"), None, D("0.0125"), D("0.0125"))
    assert rows[1][1:8] == (D("3.75"), None, D("3.75"), D("3.75"), "gemini-2.5-flash", "output", 1_500_000)
    assert rows[2][1:8] == (D("12.5"), D("-0.875"), D("11.625"), D("11.625"), "gemini-2.5-flash", "input", 41_666_666)


def test_personal_data_not_stored(billing):
    work, _ = billing
    assert_never_stored(
        (b"acm@testea.onmicrosoft.com", b"user/alice", b"assumed-role/ChatApp/session-1"), work / "landing", work
    )
    assert query(work, "select count(x_account_owner_hash) from marts.fct_billing_charges") == [(29,)]
