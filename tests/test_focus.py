"""The FOCUS 1.3 export of the demo (written by the pipeline's Dagster asset published/focus_export) passes the
FinOps Foundation's focus-validator (its newest rule set, with the overrides of
tests/fixtures/focus_validator_overrides.yaml, each explained there), fails it when a value is wrong, and meets
the FOCUS 1.3 requirements that validator predates: the 1.3 columns, custom columns prefixed x_, and the split
cost allocation of provisioned capacity (Allocated* set exactly on allocated rows, ratios adding up to 1)."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR
from tests.conftest import FIXTURES, query

pytestmark = pytest.mark.pipeline

VALIDATOR = PROJECT_DIR / ".venv-focus" / "bin" / "focus-validator"
OVERRIDES = FIXTURES / "focus_validator_overrides.yaml"
EXPORT = Path("published") / "focus" / "genai_cost_and_usage.parquet"

# FOCUS 1.3 Cost and Usage columns (FOCUS_Spec, specification/datasets/cost_and_usage/columns)
FOCUS_13 = {
    "AllocatedMethodDetails", "AllocatedMethodId", "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags",
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId",
    "CapacityReservationStatus", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType", "ConsumedQuantity",
    "ConsumedUnit", "ContractApplied", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "HostProviderName",
    "InvoiceId", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName",
    "ResourceType", "ServiceCategory", "ServiceName", "ServiceProviderName", "ServiceSubcategory", "SkuId",
    "SkuMeter", "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType", "Tags",
}  # fmt: skip


def validate(path: Path) -> subprocess.CompletedProcess:
    if not VALIDATOR.exists():
        pytest.skip("focus-validator is not installed: `make focus-validator` enables this test")
    # it reads its currency codes from a path relative to its own package's parent
    site = subprocess.run(
        [str(VALIDATOR.with_name("python")), "-c", "import focus_validator, os; print(os.path.dirname("
         "os.path.dirname(focus_validator.__file__)))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    return subprocess.run(
        [str(VALIDATOR), "--data-file", str(path), "--validate-version", "1.0", "--override-file", str(OVERRIDES)],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_export_passes_focus_validator(demo):
    export = demo[0] / EXPORT
    result = validate(export)
    assert result.returncode == 0 and "Validation succeeded" in result.stdout, result.stdout[-4000:]


def test_focus_validator_fails_on_a_wrong_value(demo, tmp_path):
    """Planted defects: a currency that is no ISO 4217 code, a charge frequency FOCUS does not define, a billed
    cost missing."""
    bad = tmp_path / "bad.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select * replace (case when row_number() over () = 1 then 'usd' else BillingCurrency end "
        f"as BillingCurrency, case when row_number() over () = 2 then 'Sometimes' else ChargeFrequency end "
        f"as ChargeFrequency, case when row_number() over () = 3 then null else BilledCost end as BilledCost) "
        f"from read_parquet('{demo[0] / EXPORT}')) to '{bad}' (format parquet)"
    )
    result = validate(bad)
    assert "Validation failed!" in result.stdout  # (its exit status is 0 either way: the test reads what it says)
    assert "BillingCurrency_IsCurrencyCode failed" in result.stdout
    assert "ChargeFrequency_Enum failed" in result.stdout
    assert "BilledCost_NotNull failed" in result.stdout


def test_the_export_meets_focus_13(demo):
    work = demo[0]
    con = duckdb.connect()
    rows = con.execute(f"select * from read_parquet('{work / EXPORT}')").df()
    columns = set(rows.columns)
    assert FOCUS_13 <= columns
    assert sorted(c for c in columns - FOCUS_13 if not c.startswith("x_")) == []
    # one row per day x use case x variant x platform x model x deployment x reservation x charge type
    key = ["ChargePeriodStart", "x_ChargeType", "x_UseCaseId", "x_VariantId", "SubAccountId", "BillingAccountId"]
    key += ["PublisherName", "RegionId", "SkuId", "ResourceId", "CapacityReservationId"]
    assert not rows.duplicated(subset=key).any()
    allocated = rows["x_ChargeType"] == "capacity_used"
    for column in ("AllocatedMethodId", "AllocatedResourceId", "AllocatedMethodDetails", "AllocatedTags"):
        assert rows.loc[allocated, column].notna().all(), column
        assert rows.loc[~allocated, column].isna().all(), column
    assert (rows.loc[rows["ChargeCategory"] == "Purchase", "EffectiveCost"] == 0).all()
    # the allocated ratios of a reservation-day and its unused share add up to 1
    exact = query(
        work,
        "select cast(ChargePeriodStart as date), CapacityReservationId, x_ChargeType, EffectiveCost, BilledCost, "
        "AllocatedMethodDetails from marts.fct_focus_cost_and_usage where CapacityReservationId is not null",
    )
    days = defaultdict(lambda: {"ratio": Decimal(0), "unused": Decimal(0), "purchase": Decimal(0)})
    for day, reservation, charge_type, effective, billed, details in exact:
        d = days[(day, reservation)]
        if charge_type == "capacity_used":
            elements = json.loads(details, parse_float=Decimal)["Elements"]
            d["ratio"] += sum(e["AllocatedRatio"] for e in elements)
        elif charge_type == "capacity_purchase":
            d["purchase"] += billed
        else:
            d["unused"] += effective
    checked = 0
    for (day, reservation), d in days.items():
        if d["purchase"]:
            total = d["ratio"] + d["unused"] / d["purchase"]
            assert abs(total - 1) < Decimal("1e-8"), (day, reservation, total)
            checked += 1
    assert checked >= 200
