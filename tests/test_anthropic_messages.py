"""Anthropic Messages API usage objects: the SDK's recorded responses as they are, and a team's log lines
(time, metadata, the response inside): token semantics, cache writes split by TTL, quarantine, no prompts."""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal as D

import duckdb
import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from tests.conftest import FIXTURES, FORMATS, assert_never_stored, query, run_dbt

pytestmark = pytest.mark.dbt

ANTHROPIC_MESSAGES = dataset("anthropic_messages")

M = D("0.000001")
SAMPLES = FORMATS / "anthropic_usage"
SECRETS = (b"ANTHROPIC-SECRET-PROMPT-QUUX", b"ANTHROPIC-SECRET-ANSWER-FROB", b"ivan@example.com")


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    work = tmp_path_factory.mktemp("anthropic_messages")
    landing = work / "landing"
    shutil.copytree(FIXTURES / "anthropic_messages" / "landing", landing)
    samples = sorted(SAMPLES.glob("anthropic-sdk-python_recorded_*.json"))
    assert len(samples) == 2, "the recorded SDK responses are fixtures of the repository"
    recorded_day = landing / "anthropic_messages" / "day=2026-02-04"
    recorded_day.mkdir()
    for sample in samples:
        shutil.copy(sample, recorded_day / sample.name)
    results = []
    for day in ("2026-02-03", "2026-02-04"):
        results += ingest_day(ANTHROPIC_MESSAGES, day, str(landing), str(work / "lake"), "salt")
    run_dbt(work, "build", "--select", "+fct_genai_requests", "staging.lake", "--exclude", "test_type:data")
    return work, {f"{r.file_key[:10]}/{r.source_file.rsplit('/', 1)[1]}": r for r in results}, bool(samples)


def _fact(work):
    cols = (
        "model_id, capacity_type, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_ttl, "
        "output_tokens, request_count, use_case_id, transaction_id, latency_ms, list_equivalent_cost_usd, "
        "effective_cost_usd, pricing_status"
    )
    return {r[0]: r[1:] for r in query(work, f"select event_id, {cols} from marts.fct_genai_requests")}


def test_log_lines_read_loaded_quarantined(messages):
    work, results, _ = messages
    log = results["2026-02-03/messages.jsonl"]
    assert (log.records_read, log.records_loaded, log.records_quarantined) == (4, 2, 2)
    assert sorted(query(work, "select line_no, field, reason from staging.stg_lake__quarantine")) == [
        (3, "model", "missing_required_field"),  # an error response: no model, no usage
        (
            4,
            "cache_creation_5m_input_tokens+cache_creation_1h_input_tokens",
            "subset_exceeds_total:cache_creation_input_tokens",
        ),
    ]


def test_cache_writes_split_by_ttl_and_priced(messages):
    rows = _fact(messages[0])
    # input = 100 uncached + 5,000 cache reads + 1,000 5m writes on the call's row; its 2,000 1h writes on a
    # second row, so the message's input adds up to 100 + 5,000 + 3,000 = 8,100
    call = rows["msg_both_ttls"]
    writes_1h = rows["msg_both_ttls:cache_write_1h"]
    assert call[:10] == ("claude-sonnet-4-5", "on_demand", 6100, 5000, 1000, "5m", 400, 1, "support_chatbot", "t-1")
    assert writes_1h[:8] == ("claude-sonnet-4-5", "on_demand", 2000, 0, 2000, "1h", 0, 0)
    assert call[2] + writes_1h[2] == 8100
    # sonnet 4.5: 100 x 3 + 5,000 x 0.30 + 1,000 x 3.75 + 400 x 15 = 0.01155; 2,000 x 6.00 (1h) = 0.012
    assert (
        call[10] == 2100 and call[11] == 100 * D(3) * M + 5000 * D("0.3") * M + 1000 * D("3.75") * M + 400 * D(15) * M
    )
    assert writes_1h[11] == 2000 * D(6) * M
    # batch tier, 1h writes only: one row; (50 x 1 + 800 x 2 + 60 x 5) x 50% = 0.000975
    haiku = rows["msg_1h_only"]
    assert haiku[:8] == ("claude-haiku-4-5", "batch", 850, 0, 800, "1h", 60, 1)
    assert haiku[11] == (50 * D(1) + 800 * D(2) + 60 * D(5)) * M * D("0.5")


def test_recorded_sdk_responses(messages):
    work, results, _ = messages
    for key in (
        "2026-02-04/anthropic-sdk-python_recorded_messages_parse_924cfccc.json",
        "2026-02-04/anthropic-sdk-python_recorded_web_search_32da0815_usage_only.json",
    ):
        assert (results[key].records_read, results[key].records_loaded, results[key].records_quarantined) == (1, 1, 0)
    rows = _fact(work)
    # recorded exchange {request, response.body}: 249 in / 26 out on claude-sonnet-4-5-20250929 at 3 / 15
    parse = rows["msg_01MkoP42QB7TUf5m2NVVK2kE"]
    assert parse[:8] == ("claude-sonnet-4-5", "on_demand", 249, 0, 0, None, 26, 1)
    assert parse[11] == 249 * D(3) * M + 26 * D(15) * M
    # bare response body: 11,306 in / 163 out on haiku 4.5 at 1 / 5 (the web search itself is billed apart)
    search = rows["msg_011Y4sbfjCq85yJrUA13Dxb3"]
    assert search[:8] == ("claude-haiku-4-5", "on_demand", 11306, 0, 0, None, 163, 1)
    assert search[11] == 11306 * D(1) * M + 163 * D(5) * M
    # no time in the responses: stamped with the landing day, and flagged by the missing record_time
    lake = duckdb.sql(
        "select count(*), min(logged_at), count(record_time) from read_parquet("
        f"'{work}/lake/anthropic_messages/event_date=2026-02-04/*.parquet')"
    ).fetchall()
    assert lake == [(2, datetime(2026, 2, 4), 0)]


def test_prompts_and_users_never_stored(messages):
    work = messages[0]
    assert_never_stored((*SECRETS, b"Green Tea"), work / "landing", work)  # Green Tea: the recorded sample's prompt
