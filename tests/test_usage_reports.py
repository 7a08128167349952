"""Aggregated usage reports (OpenAI Usage API pages, Anthropic Admin usage report): token semantics,
request counts, TTL-split cache writes, context-window buckets, and no double counting with per-request
sources of the same traffic."""

from __future__ import annotations

import shutil
from decimal import Decimal as D

import duckdb
import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_day
from tests.conftest import FIXTURES, FORMATS, assert_never_stored, query, run_dbt

pytestmark = pytest.mark.dbt

ANTHROPIC_USAGE = dataset("anthropic_usage")
OPENAI_USAGE = dataset("openai_usage")
USAGE_EVENTS = dataset("usage_events")

REFERENCE = FORMATS
M = D("0.000001")


@pytest.mark.parametrize(
    "name, expected",
    [
        # new column set: cache writes and modality splits
        ("usage_completions_response_example_latest_f85dbe22.json", (5, 1000, 400, 100, 50, 50, 500, 50)),
        # old column set (before mid-2026): no cache writes, no image tokens
        ("usage_completions_response_example_prev_a3276900.json", (5, 1000, 800, None, None, 0, 500, 0)),
    ],
)
def test_openai_usage_pages_old_and_new(tmp_path, name, expected):
    day = tmp_path / "landing" / "openai_usage" / "day=2024-11-01"
    day.mkdir(parents=True)
    shutil.copy(REFERENCE / "openai_usage_costs" / name, day)
    [r] = ingest_day(OPENAI_USAGE, "2024-11-01", str(tmp_path / "landing"), str(tmp_path / "lake"), "salt")
    assert (r.records_read, r.records_loaded, r.records_quarantined) == (1, 1, 0)
    [row] = duckdb.sql(
        f"select num_model_requests, input_tokens, input_cached_tokens, input_cache_write_tokens, input_image_tokens, "
        f"input_audio_tokens, output_tokens, output_audio_tokens, bucket_start from "
        f"read_parquet('{tmp_path}/lake/openai_usage/*/*.parquet', hive_partitioning = true, union_by_name = true) "
        "where event_date > '1970-01-01'"
    ).fetchall()
    assert row[:8] == expected
    assert str(row[8]) == "2024-11-01 00:00:00"  # start_time 1730419200 (unix seconds, UTC)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    work = tmp_path_factory.mktemp("reports")
    shutil.copytree(FIXTURES / "golden", work / "landing")  # per-request OpenAI events on 2026-01-10
    shutil.copytree(FIXTURES / "reports", work / "landing", dirs_exist_ok=True)
    ingest_day(USAGE_EVENTS, "2026-01-20", str(work / "landing"), str(work / "lake"), "salt")
    ingest_day(OPENAI_USAGE, "2026-01-12", str(work / "landing"), str(work / "lake"), "salt")
    ingest_day(ANTHROPIC_USAGE, "2026-01-12", str(work / "landing"), str(work / "lake"), "salt")
    run_dbt(
        work, "build", "--select", "+fct_genai_requests", "+rpt_usage_report_coverage", "--exclude", "test_type:data"
    )
    return work


def _report_rows(work):
    return query(
        work,
        "select source_format, event_date, model_id, request_count, input_tokens, cached_input_tokens, "
        "cache_write_tokens, cache_write_ttl, output_tokens, is_long_context, list_equivalent_cost_usd "
        "from marts.fct_genai_requests where source_format in ('openai_usage', 'anthropic_usage') "
        "order by source_format, cache_write_ttl nulls first, input_tokens",
    )


def test_report_counted_only_where_no_per_request_source(reports):
    rows = [r for r in _report_rows(reports) if r[0] == "openai_usage"]
    # the 2026-01-10 bucket is covered by per-request OpenAI events: not counted; 2026-01-11 is
    assert [str(r[1]) for r in rows] == ["2026-01-11"]
    row = rows[0]
    assert row[2:7] == ("gpt-4o", 7, 10000, 2000, 0)
    # 8,000 uncached x 2.50 + 2,000 cached x 1.25 + 1,000 output x 10 per 1M tokens
    assert row[10] == 8000 * D("2.5") * M + 2000 * D("1.25") * M + 1000 * D(10) * M
    coverage = dict(
        query(
            reports,
            "select cast(event_date as varchar), coverage from marts.rpt_usage_report_coverage "
            "where platform = 'openai'",
        )
    )
    assert (
        coverage["2026-01-10"] == "both: per-request counted"
        and coverage["2026-01-11"] == "report only: report counted"
    )


def test_anthropic_report_ttl_split_and_context_window(reports):
    rows = [r for r in _report_rows(reports) if r[0] == "anthropic_usage"]
    by_ttl = {(r[7], r[4]): r for r in rows}
    # long-context bucket: 300,000 uncached, 2,000 output at 6 / 22.50 ...
    long5m = by_ttl[(None, 300000)]
    assert long5m[9] is True and long5m[10] == 300000 * D(6) * M + 2000 * D("22.5") * M
    # ... and its 10,000 1-hour cache writes on their own row at the above-200k 1h write rate (12.00)
    long1h = by_ttl[("1h", 10000)]
    assert long1h[6] == 10000 and long1h[10] == 10000 * D(12) * M
    # a 0-200k bucket whose summed input is 500,000 is not long context: 3 / 15
    short = by_ttl[(None, 500000)]
    assert short[9] is False and short[10] == 500000 * D(3) * M + 1000 * D(15) * M
    assert all(r[3] is None for r in rows)  # the report has no request count


def test_user_ids_in_reports_hashed(reports):
    assert_never_stored((b"frank@example.com",), reports / "landing", reports)
