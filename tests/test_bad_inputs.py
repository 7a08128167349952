"""A corpus of bad landing files, generated here: each ends in the lake or in quarantine with its reason and
line (or, unreadable, in the ingestion log with the file named), records read = loaded + quarantined, and
nothing else is affected: the warehouse builds, duplicates merge, unknown models and use cases flow on."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from orchestration.datasets import dataset
from orchestration.ingest.engine import ensure_lake_schemas, ingest_day
from tests.conftest import query, run_dbt

pytestmark = pytest.mark.dbt

USAGE_EVENTS = dataset("usage_events")

DAY, NEXT = "2026-01-10", "2026-01-11"
BIG = "X" * (10 * 2**20)  # a 10 MB prompt on one line


def event(event_id, **overrides):
    e = {
        "event_id": event_id,
        "occurred_at": "2026-01-10T09:00:00Z",
        "platform": "openai",
        "model": "gpt-5-2025-08-07",
        "use_case_id": "research_agent",
        "input_tokens": 1000,
        "output_tokens": 100,
    }
    e.update(overrides)
    return e


def lines(*events):
    return "\n".join(json.dumps(e) for e in events) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    work = tmp_path_factory.mktemp("bad_inputs")
    day = work / "landing" / "usage_events" / f"day={DAY}"
    day.mkdir(parents=True)
    good = lines(
        event("e1"),
        event("e2", occurred_at="2026-01-10T10:00:00+05:30"),  # another zone: 04:30 UTC
        event("e3", model="mystery-model-9"),  # unknown model
        event("e9", use_case_id="shadow_bot"),  # a use case nobody registered
    )
    (day / "good.jsonl").write_text(good)
    (day / "dup_within.jsonl").write_text(lines(event("e4"), event("e4")))
    (day / "dup_across.jsonl").write_text(lines(event("e1")))
    (day / "truncated.jsonl.gz").write_bytes(gzip.compress(good.encode())[:40])
    (day / "corrupt.jsonl.gz").write_bytes(os.urandom(512))
    (day / "invalid_utf8.jsonl").write_bytes(
        lines(event("e5")).encode() + b'{"event_id": "bad", "model": "gpt-5\xff\xfe"}\n' + lines(event("e6")).encode()
    )
    (day / "bom_crlf.jsonl").write_bytes(
        b"\xef\xbb\xbf" + lines(event("e7"), event("e8")).replace("\n", "\r\n").encode()
    )
    (day / "empty.jsonl").write_bytes(b"")
    (day / "header_only.csv").write_text("event_id,occurred_at,platform,model,input_tokens,output_tokens\n")
    # reordered and extra columns, and output_tokens missing altogether
    (day / "columns.csv").write_text(
        "extra,model,platform,occurred_at,event_id,input_tokens\n"
        "x,gpt-5,openai,2026-01-10T08:00:00Z,c1,10\n"
        "y,gpt-5,openai,2026-01-10T08:00:00Z,c2,20\n"
    )
    (day / "types.jsonl").write_text(
        lines(
            event("t1", input_tokens="abc"),
            event("t2", input_tokens=-5),
            event("t3", input_tokens=10.5),
            event("t4", input_tokens="NaN"),
            event("t5", input_tokens=1e30),
            event("t6", occurred_at="01/05/2026 10:00"),
            event("t7", occurred_at="2099-01-01T00:00:00Z"),
        )
        # a bare NaN (not JSON, but some writers emit it)
        + '{"event_id": "t8", "occurred_at": "2026-01-10T09:00:00Z", "platform": "openai", "model": "gpt-5", '
        '"input_tokens": NaN, "output_tokens": 1}\n'
    )
    (day / "big_line.jsonl").write_text(lines(event("big1", prompt=BIG)))
    next_day = work / "landing" / "usage_events" / f"day={NEXT}"
    next_day.mkdir(parents=True)
    (next_day / "dup_next_day.jsonl").write_text(lines(event("e2", occurred_at="2026-01-10T10:00:00+05:30")))

    ensure_lake_schemas(str(work / "lake"))
    results = {}
    for d in (DAY, NEXT):
        for r in ingest_day(USAGE_EVENTS, d, str(work / "landing"), str(work / "lake"), "salt"):
            results[f"{d}__{r.source_file.rsplit('/', 1)[1].split('.')[0]}"] = r
    proc = run_dbt(
        work,
        "build",
        "--select",
        "+fct_genai_requests",
        "+dim_use_cases",
        "staging.lake",
        "--exclude",
        "test_type:unit",
    )
    return work, results, proc


EXPECTED = {  # file key: (read, loaded, quarantined, status)
    "good": (4, 4, 0, "loaded"),
    "dup_within": (2, 2, 0, "loaded"),
    "dup_across": (1, 1, 0, "loaded"),
    "truncated": (0, 0, 0, "unreadable"),
    "corrupt": (0, 0, 0, "unreadable"),
    "invalid_utf8": (3, 2, 1, "loaded"),
    "bom_crlf": (2, 2, 0, "loaded"),
    "empty": (0, 0, 0, "loaded"),
    "header_only": (0, 0, 0, "loaded"),
    "columns": (2, 0, 2, "loaded"),
    "types": (8, 0, 8, "loaded"),
    "big_line": (1, 1, 0, "loaded"),
}


def test_every_file_accounted_for(corpus):
    _, results, _ = corpus
    for stem, expected in EXPECTED.items():
        r = results[f"{DAY}__{stem}"]
        assert (r.records_read, r.records_loaded, r.records_quarantined, r.status) == expected, stem
        assert r.records_read == r.records_loaded + r.records_quarantined
    for stem in ("truncated", "corrupt"):  # the error names the file's problem, not a stack trace
        assert results[f"{DAY}__{stem}"].error


def test_quarantine_names_line_field_and_reason(corpus):
    work = corpus[0]
    rows = query(
        work,
        "select regexp_extract(file_key, '__(.*)__', 1), line_no, field, reason "
        "from staging.stg_lake__quarantine order by 1, 2",
    )
    assert rows == [
        ("columns", 2, "output_tokens", "missing_required_field"),  # CSV: line 1 is the header
        ("columns", 3, "output_tokens", "missing_required_field"),
        ("invalid_utf8", 2, None, "invalid_utf8"),
        ("types", 1, "input_tokens", "not_a_number"),
        ("types", 2, "input_tokens", "negative_value"),
        ("types", 3, "input_tokens", "not_an_integer"),
        ("types", 4, "input_tokens", "not_a_number"),  # "NaN" as text: not a number's spelling
        ("types", 5, "input_tokens", "value_too_large"),
        ("types", 6, "occurred_at", "unparseable_timestamp"),
        ("types", 7, "occurred_at", "timestamp_after_arrival"),
        ("types", 8, "input_tokens", "not_a_number"),  # a bare NaN (not JSON): no number
    ]
    # the unreadable files are in the ingestion log, with what went wrong
    logged = query(
        work, "select regexp_extract(file_key, '__(.*)__', 1), file_status from staging.stg_lake__ingestion_log"
    )
    assert ("truncated", "unreadable") in logged and ("corrupt", "unreadable") in logged


def test_warehouse_builds_and_merges_duplicates(corpus):
    work, _, proc = corpus
    assert "WARN" in proc.stdout and "assert_use_cases_registered" in proc.stdout  # warns, does not fail
    facts = {
        r[0]: r[1:]
        for r in query(
            work,
            "select event_id, delivered_copies, pricing_status, occurred_at, use_case_id from marts.fct_genai_requests",
        )
    }
    assert set(facts) == {"e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "big1"}
    assert facts["e1"][0] == 2 and facts["e2"][0] == 2 and facts["e4"][0] == 2  # across files, days, within a file
    assert str(facts["e2"][2]) == "2026-01-10 04:30:00"  # +05:30 converted to UTC
    assert facts["e3"][1] == "unpriced" and facts["e1"][1] == "priced"
    assert query(work, "select stage from marts.dim_use_cases where use_case_id = 'shadow_bot'") == [("unregistered",)]


def test_big_line_loaded_without_its_text(corpus):
    work = corpus[0]
    marker = BIG[:4096].encode()
    assert marker in (work / "landing" / "usage_events" / f"day={DAY}" / "big_line.jsonl").read_bytes()
    for blob in [p.read_bytes() for p in (work / "lake").rglob("*.parquet")] + [
        (work / "warehouse.duckdb").read_bytes()
    ]:
        assert marker not in blob
