"""AWS Bedrock model invocation logs: reference records and a gzipped fixture (provisioned-model ARN,
cache counts, throttling, a record without a model); token semantics normalised; bodies never stored."""

from __future__ import annotations

import shutil
from decimal import Decimal as D

import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from tests.conftest import FIXTURES, FORMATS, assert_never_stored, query, run_dbt

pytestmark = pytest.mark.dbt

BEDROCK_INVOCATIONS = dataset("bedrock_invocations")

REFERENCE = FORMATS / "bedrock_invocation_log"
M = D("0.000001")
SECRETS = (b"BEDROCK-SECRET-PROMPT-GRUE", b"BEDROCK-SECRET-ANSWER-ZORK", b"erin@example.com", b"dave@example.com")


@pytest.fixture(scope="module")
def bedrock(tmp_path_factory):
    work = tmp_path_factory.mktemp("bedrock")
    day = work / "landing" / "bedrock_invocations" / "day=2026-02-10"
    day.mkdir(parents=True)
    shutil.copy(FIXTURES / "bedrock" / "invocations.json.gz", day)
    for f in sorted(REFERENCE.glob("*.json")):
        shutil.copy(f, day)
    results = ingest_day(BEDROCK_INVOCATIONS, "2026-02-10", str(work / "landing"), str(work / "lake"), "salt")
    run_dbt(work, "build", "--select", "+fct_genai_requests", "staging.lake", "--exclude", "test_type:data")
    return work, {r.source_file.rsplit("/", 1)[1]: r for r in results}


def test_records_read_loaded_quarantined(bedrock):
    work, results = bedrock
    r = results["invocations.json.gz"]
    assert (r.records_read, r.records_loaded, r.records_quarantined) == (4, 3, 1)
    assert query(work, "select line_no, field, reason from staging.stg_lake__quarantine") == [
        (4, "model_id", "missing_required_field")
    ]


def _rows(work):
    rows = query(
        work,
        "select event_id, model_id, region_scope, capacity_type, deployment_id, input_tokens, cached_input_tokens, "
        "cache_write_tokens, output_tokens, status, use_case_id, variant_id, pricing_status, list_equivalent_cost_usd "
        "from marts.fct_genai_requests",
    )
    return {r[0]: r[1:] for r in rows}


def test_provisioned_arn_resolves_through_deployments(bedrock):
    row = _rows(bedrock[0])["req-prov-1"]
    assert row[:10] == (
        "llama-3-3-70b-instruct",
        "regional",
        "provisioned",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/llama33-contracts",
        6000,
        0,
        0,
        900,
        "success",
        "contract_extractor",
    )
    assert row[12] == 6000 * D("0.72") * M + 900 * D("0.72") * M  # the shadow on-demand price


def test_cache_counts_added_to_input_and_geo_profile_priced(bedrock):
    row = _rows(bedrock[0])["req-cache-2"]
    # Bedrock reports input without cache reads and writes: 100 + 4,000 + 1,000
    assert row[4:8] == (5100, 4000, 1000, 300)
    assert row[1] == "geo"
    # us. profile of Sonnet 4.5 (+10%): 100 x 3.30 + 4,000 x 0.33 + 1,000 x 4.125 (5m write) + 300 x 16.50
    assert row[12] == 100 * D("3.3") * M + 4000 * D("0.33") * M + 1000 * D("4.125") * M + 300 * D("16.5") * M


def test_throttled_record(bedrock):
    row = _rows(bedrock[0])["req-throttled-3"]
    assert row[8] == "throttled" and row[4] == 0 and row[1] == "global"


def test_reference_records(bedrock):
    work, results = bedrock
    rows = _rows(work)
    # inference-profile ARN -> its us. profile; 12 + 2,048 cache read + 0 write input tokens, 40 output
    assert rows["00000000-0000-0000-0000-000000000001"][:8] == (
        "claude-sonnet-4-5",
        "geo",
        "on_demand",
        None,
        2060,
        2048,
        0,
        40,
    )
    # ConverseStream of Amazon Nova Lite: 4 in, 38 out; not in the price book
    nova = rows["ff4b6c63-5561-4431-93b8-06a817275900"]
    assert nova[4] == 4 and nova[7] == 38 and nova[11] == "unpriced"


def test_bodies_and_identities_never_stored(bedrock):
    work, _ = bedrock
    assert_never_stored(SECRETS, work / "landing", work)
