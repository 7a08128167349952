"""Ingestion: bad records land in quarantine with the right reason; re-loads are idempotent; counts reconcile."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.datasets import DATASETS, dataset
from orchestration.ingest.engine import ingest_day, ingest_file
from tests.conftest import FIXTURES

pytestmark = pytest.mark.unit

KPI_EVENTS = dataset("kpi_events")
USAGE_EVENTS = dataset("usage_events")

DAY = "2026-01-05"
BAD = FIXTURES / "landing" / "usage_events" / f"day={DAY}" / "bad_records.jsonl"


def lake_rows(lake: Path, dataset: str) -> list[tuple]:
    files = list((lake / dataset).rglob("*.parquet"))
    if not files:
        return []
    return duckdb.sql(
        f"select event_id, event_date, _source_line from read_parquet({[str(f) for f in files]}, "
        "hive_partitioning = true) order by _source_line"
    ).fetchall()


def quarantine(lake: Path, dataset: str = "usage_events") -> list[tuple]:
    return duckdb.sql(
        f"select line_no, field, reason, field_value from '{lake}/{dataset}_quarantine/*/*.parquet' order by line_no"
    ).fetchall()


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing", root)
    return root


def test_bad_records_are_quarantined_with_reason(landing, tmp_path):
    lake = tmp_path / "lake"
    [result] = ingest_day(USAGE_EVENTS, DAY, str(landing), str(lake), "salt")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (10, 2, 8)
    assert quarantine(lake) == [
        (2, None, "invalid_json", None),
        (3, "model", "missing_required_field", None),
        (4, "input_tokens", "negative_value", "-10"),
        (5, "input_tokens", "not_an_integer", "10.5"),
        (6, "cached_input_tokens+cache_write_tokens", "subset_exceeds_total:input_tokens", None),
        (7, "occurred_at", "unparseable_timestamp", "yesterday at noon"),
        (8, None, "not_a_json_object", None),
        (10, "reasoning_tokens+audio_output_tokens", "subset_exceeds_total:output_tokens", None),
    ]
    # good records: typed, partitioned by their UTC date (line 11 happened on the 4th)
    rows = lake_rows(lake, "usage_events")
    assert [(r[0], str(r[1]), r[2]) for r in rows] == [("ok-1", "2026-01-05", 1), ("ok-2", "2026-01-04", 11)]


def test_reingest_is_idempotent(landing, tmp_path):
    lake = tmp_path / "lake"
    first = ingest_day(USAGE_EVENTS, DAY, str(landing), str(lake), "salt")
    files_before = sorted(p.relative_to(lake) for p in lake.rglob("*.parquet"))
    # 2 event dates + quarantine + log (besides the zero-row schema files of every dataset)
    assert len([p for p in files_before if p.name != "schema.parquet"]) == 4
    second = ingest_day(USAGE_EVENTS, DAY, str(landing), str(lake), "salt")
    ingest_file(USAGE_EVENTS, str(landing / "usage_events" / f"day={DAY}" / BAD.name), DAY, str(lake), "salt")
    assert [r.records_loaded for r in first] == [r.records_loaded for r in second]
    assert sorted(p.relative_to(lake) for p in lake.rglob("*.parquet")) == files_before
    assert len(lake_rows(lake, "usage_events")) == 2
    assert len(quarantine(lake)) == 8
    log = duckdb.sql(f"select count(*) from '{lake}/usage_events_ingestion_log/*/*.parquet'").fetchall()[0][0]
    assert log == 1


def test_removed_landing_file_is_removed_from_lake_on_partition_reload(landing, tmp_path):
    lake = tmp_path / "lake"
    ingest_day(USAGE_EVENTS, DAY, str(landing), str(lake), "salt")
    (landing / "usage_events" / f"day={DAY}" / "bad_records.jsonl").unlink()
    assert ingest_day(USAGE_EVENTS, DAY, str(landing), str(lake), "salt") == []
    # only the zero-row schema files that keep the datasets readable remain
    left = list(lake.rglob("*.parquet"))
    assert {p.name for p in left} == {"schema.parquet"} and len(left) == 3 * len(DATASETS)  # data, quarantine, log
    assert duckdb.sql(
        f"select count(*) from read_parquet({[str(p) for p in left]}, union_by_name = true)"
    ).fetchall() == [(0,)]


def test_counts_reconcile_and_prompt_text_is_not_kept(landing, tmp_path):
    lake = tmp_path / "lake"
    [r] = ingest_day(USAGE_EVENTS, DAY, str(landing), str(lake), "salt")
    assert r.records_read == r.records_loaded + r.records_quarantined
    given = b"".join(p.read_bytes() for p in landing.rglob("*.jsonl"))
    assert b"SECRET PROMPT TEXT" in given and b"alice@example.com" in given  # so the test can fail
    blob = b"".join(p.read_bytes() for p in lake.rglob("*.parquet"))
    assert b"SECRET PROMPT TEXT" not in blob
    assert b"alice@example.com" not in blob  # user ids are hashed
    cols = duckdb.sql(f"describe select * from read_parquet('{lake}/usage_events/*/*.parquet')").fetchall()
    names = {c[0] for c in cols}
    assert "user_hash" in names and "user_id" not in names and "prompt" not in names


def test_parquet_landing_with_missing_optional_columns(tmp_path):
    day_dir = tmp_path / "landing" / "usage_events" / "day=2026-02-01"
    day_dir.mkdir(parents=True)
    duckdb.sql(
        f"""
        copy (
          select 'p-1' as event_id, timestamptz '2026-02-01 08:00:00+00' as occurred_at, 'openai' as platform,
                 'gpt-5' as model, 100 as input_tokens, 10 as output_tokens
          union all
          select 'p-2', timestamptz '2026-02-01 09:00:00+00', 'openai', 'gpt-5', 5, 10
        ) to '{day_dir / "export.parquet"}' (format parquet)
        """
    )
    lake = tmp_path / "lake"
    [r] = ingest_day(USAGE_EVENTS, "2026-02-01", str(tmp_path / "landing"), str(lake), "salt")
    assert (r.records_read, r.records_loaded, r.records_quarantined) == (2, 2, 0)
    assert [x[2] for x in lake_rows(lake, "usage_events")] == [1, 2]  # row numbers kept as lines


def test_unreadable_file_is_logged_not_crashing(tmp_path):
    day_dir = tmp_path / "landing" / "usage_events" / "day=2026-02-02"
    day_dir.mkdir(parents=True)
    (day_dir / "broken.parquet").write_bytes(b"this is not parquet")
    [r] = ingest_day(USAGE_EVENTS, "2026-02-02", str(tmp_path / "landing"), str(tmp_path / "lake"), "salt")
    assert r.status == "unreadable"
    assert "broken.parquet" in r.source_file and r.error


def test_kpi_contract(tmp_path):
    day_dir = tmp_path / "landing" / "kpi_events" / "day=2026-02-03"
    day_dir.mkdir(parents=True)
    (day_dir / "kpis.jsonl").write_text(
        '{"kpi_event_id":"k1","occurred_at":"2026-02-03T10:00:00Z","use_case_id":"support_chatbot",'
        '"kpi_id":"ticket_deflected","value":1}\n'
        '{"kpi_event_id":"k2","occurred_at":"2026-02-03T10:00:00Z","use_case_id":"support_chatbot",'
        '"kpi_id":"ticket_deflected","value":"lots"}\n'
        '{"kpi_event_id":"k3","occurred_at":"2026-02-03T10:00:00Z","kpi_id":"ticket_deflected","value":1}\n'
    )
    lake = tmp_path / "lake"
    [r] = ingest_day(KPI_EVENTS, "2026-02-03", str(tmp_path / "landing"), str(lake), "salt")
    assert (r.records_read, r.records_loaded, r.records_quarantined) == (3, 1, 2)
    assert [(q[0], q[1], q[2]) for q in quarantine(lake, "kpi_events")] == [
        (2, "value", "not_a_number"),
        (3, "use_case_id", "missing_required_field"),
    ]


def test_missing_event_id_gets_deterministic_hash(tmp_path):
    """A record without an id gets 'h_' + md5 of its fields: the same record always gets the same id (in another
    file, on another load), a record that differs in any field another one."""
    day = tmp_path / "landing" / "usage_events" / f"day={DAY}"
    day.mkdir(parents=True)
    record = (
        '{"occurred_at":"2026-01-05T10:00:00Z","platform":"openai","model":"gpt-5","input_tokens":7,"output_tokens":3}'
    )
    (day / "a.jsonl").write_text(record + "\n" + record.replace('"output_tokens":3', '"output_tokens":4') + "\n")
    (day / "b.jsonl").write_text(record + "\n")
    results = ingest_day(USAGE_EVENTS, DAY, str(tmp_path / "landing"), str(tmp_path / "lake"), "salt")
    assert [(r.records_read, r.records_loaded) for r in results] == [(2, 2), (1, 1)]
    ids = duckdb.sql(
        "select _source_file[-7:], _source_line, event_id "
        f"from read_parquet('{tmp_path}/lake/usage_events/*/2026*.parquet') order by 1, 2"
    ).fetchall()
    raw = "|".join(["", "2026-01-05T10:00:00Z", "openai", "gpt-5"] + [""] * 15 + ["7", "", "", "", "3"] + [""] * 9)
    expected = "h_" + hashlib.md5(raw.encode()).hexdigest()
    assert ids[0] == ("a.jsonl", 1, expected)
    assert ids[1][2].startswith("h_") and ids[1][2] != expected  # one field differs
    assert ids[2] == ("b.jsonl", 1, expected)  # the same record in another file


def test_schema_files_follow_a_contract_that_gains_a_field(tmp_path):
    """A lake written under an older contract shows a newly added field (null in its old files) once the
    schema files are refreshed, so staging models that read the new field work on an upgraded lake."""
    from dataclasses import replace

    from orchestration.ingest.contracts import Field
    from orchestration.ingest.engine import ensure_dataset_schema

    litellm = dataset("litellm_spend_logs")
    fields = litellm.contract.fields
    older = replace(
        litellm, contract=replace(litellm.contract, fields=tuple(f for f in fields if f.name != "error_code"))
    )
    lake = tmp_path / "lake"
    ensure_dataset_schema(older, str(lake))

    def columns():
        glob = lake / "litellm_spend_logs" / "*" / "*.parquet"
        return [
            r[0] for r in duckdb.sql(f"describe select * from read_parquet('{glob}', union_by_name = true)").fetchall()
        ]

    assert "error_code" not in columns()
    ensure_dataset_schema(litellm, str(lake))
    assert "error_code" in columns()
    newer = replace(litellm, contract=replace(litellm.contract, fields=(*fields, Field("x_region", "string"))))
    ensure_dataset_schema(newer, str(lake))
    assert "x_region" in columns()


def test_a_contract_change_rewrites_the_files_written_before_it(landing, tmp_path):
    """Files ingested under an older contract (rows, quarantine, log) are rewritten when the contract gains a
    field: each then has every column of its folder's schema file, the new one null, the other values as they
    were, so the lake reads without DuckDB's union_by_name (what the dbt sources do); a second refresh rewrites
    nothing."""
    from dataclasses import replace

    from orchestration.ingest import engine

    fields = USAGE_EVENTS.contract.fields
    older = replace(
        USAGE_EVENTS, contract=replace(USAGE_EVENTS.contract, fields=tuple(f for f in fields if f.name != "ttft_ms"))
    )
    lake = tmp_path / "lake"
    [result] = ingest_day(older, DAY, str(landing), str(lake), "salt")
    assert (result.records_loaded, result.records_quarantined) == (2, 8)
    folders = [lake / name for name in ("usage_events", "usage_events_quarantine", "usage_events_ingestion_log")]

    def read(folder, union_by_name, columns="*"):
        return duckdb.sql(
            f"select {columns} from read_parquet('{folder}/*/*.parquet', hive_partitioning = true, "
            f"union_by_name = {union_by_name}) order by all"
        ).fetchall()

    before = [read(folder, "true") for folder in folders]
    engine._schemas_checked.clear()  # this process saw the current contract's files before the older one's
    engine.ensure_dataset_schema(USAGE_EVENTS, str(lake))
    for folder in folders:
        [schema_file] = folder.glob(f"*={engine.SCHEMA_DAY}/schema.parquet")
        expected = sorted(pq.read_schema(schema_file).names)
        for file in folder.rglob("*.parquet"):
            assert sorted(pq.read_schema(file).names) == expected, file
    assert read(folders[0], "false", "ttft_ms") == [(None,), (None,)]
    assert read(folders[0], "false", "* exclude (ttft_ms)") == before[0]
    assert [read(folder, "false") for folder in folders[1:]] == before[1:]
    stamps = {file: file.stat().st_mtime_ns for folder in folders for file in folder.rglob("*.parquet")}
    (lake / "usage_events" / f"event_date={engine.SCHEMA_DAY}" / "_schema.signature").write_text("stale")
    engine._schemas_checked.clear()
    engine.ensure_dataset_schema(USAGE_EVENTS, str(lake))
    assert {f: f.stat().st_mtime_ns for f in stamps if engine.SCHEMA_DAY not in str(f)} == {
        f: t for f, t in stamps.items() if engine.SCHEMA_DAY not in str(f)
    }


def test_a_contract_change_of_a_type_rewrites_the_files_written_before_it(landing, tmp_path):
    """A field whose type changes (input_tokens a number, then an integer) has its older files rewritten in the
    new type, the values as they were: DuckDB reads a folder without union_by_name in the types of the first file
    it lists, and would otherwise cast the rest silently. A value the new type cannot hold (the fixture's 10.5
    tokens, loaded as a number) stops the rewrite with an error that names the file and the column, and says to
    re-ingest."""
    from dataclasses import replace

    from orchestration.ingest import engine

    fields = tuple(replace(f, kind="number") if f.name == "input_tokens" else f for f in USAGE_EVENTS.contract.fields)
    older = replace(USAGE_EVENTS, contract=replace(USAGE_EVENTS.contract, fields=fields))
    whole = tmp_path / "lake_with_a_fraction"
    [result] = ingest_day(older, DAY, str(landing), str(whole), "salt")
    assert result.records_loaded == 3
    engine._schemas_checked.clear()  # ingest_day saw the current contract's files before the older one's
    with pytest.raises(engine.IngestionError, match=r"input_tokens \(double\) cannot become int64.*re-ingest"):
        engine.ensure_dataset_schema(USAGE_EVENTS, str(whole))

    lines = BAD.read_text().splitlines(keepends=True)
    (landing / BAD.relative_to(FIXTURES / "landing")).write_text("".join(x for x in lines if '"fraction"' not in x))
    lake = tmp_path / "lake"
    [result] = ingest_day(older, DAY, str(landing), str(lake), "salt")
    assert result.records_loaded == 2
    data_files = sorted((lake / "usage_events").glob("event_date=2026-*/*.parquet"))
    assert len(data_files) == 2  # ok-2 occurred the day before it arrived

    def tokens():
        types = {str(pq.read_schema(file).field("input_tokens").type) for file in data_files}
        rows = duckdb.sql(f"select event_id, input_tokens from read_parquet({[str(f) for f in data_files]}) order by 1")
        return types, rows.fetchall()

    assert tokens() == ({"double"}, [("ok-1", 1000.0), ("ok-2", 2000.0)])
    engine._schemas_checked.clear()
    engine.ensure_dataset_schema(USAGE_EVENTS, str(lake))
    assert tokens() == ({"int64"}, [("ok-1", 1000), ("ok-2", 2000)])
    for folder in ("usage_events", "usage_events_quarantine", "usage_events_ingestion_log"):
        [schema_file] = (lake / folder).glob(f"*={engine.SCHEMA_DAY}/schema.parquet")
        expected = sorted((f.name, str(f.type)) for f in pq.read_schema(schema_file))
        for file in (lake / folder).rglob("*.parquet"):
            assert sorted((f.name, str(f.type)) for f in pq.read_schema(file)) == expected, file


def test_a_lake_folder_lists_a_data_file_first(landing, tmp_path):
    """DuckDB takes a folder's schema and row estimate from the first file it lists: the zero-row schema files
    sort after every day, so a lake read is not estimated at 0 rows (which made DuckDB plan its joins on 0 rows
    and run out of memory at 100M events); the schema partition of older layouts is removed."""
    from orchestration.ingest import engine

    lake = tmp_path / "lake"
    legacy = lake / "usage_events" / f"event_date={engine.LEGACY_SCHEMA_DAY}"
    legacy.mkdir(parents=True)
    for name in ("schema.parquet", "_schema.signature"):
        shutil.copy(BAD, legacy / name)  # anything: they must go
    ingest_day(USAGE_EVENTS, DAY, str(lake.parent / "landing"), str(lake), "salt")
    assert not legacy.exists()
    plan = duckdb.sql(
        f"explain select * from read_parquet('{lake}/usage_events/*/*.parquet', hive_partitioning = true)"
    ).fetchall()[0][1]
    [estimate] = re.findall(r"~([\d,]+) rows", plan)
    assert int(estimate.replace(",", "")) > 0  # the first file's rows times the files (the fixture's are 1 row each)


LOG_COLUMNS = [
    ("dataset", "string"),
    ("source_file", "string"),
    ("file_key", "string"),
    ("arrival_date", "date32[day]"),
    ("records_read", "int64"),
    ("records_loaded", "int64"),
    ("records_quarantined", "int64"),
    ("file_status", "string"),
    ("error", "string"),
    ("run_id", "string"),
    ("ingested_at", "timestamp[us, tz=UTC]"),
]


def test_every_ingestion_log_file_has_the_logs_columns(landing, tmp_path):
    """The log's files (a landing file's row, a skipped entry inside and outside a day folder, the schema file)
    all have the log's columns and types; a skip outside any day folder has no arrival day."""
    import pyarrow.parquet as pq

    (landing / "usage_events" / f"day={DAY}" / "notes.txt").write_text("not a landing file")
    (landing / "usage_events" / "stray.jsonl").write_text("{}")
    lake = tmp_path / "lake"
    ingest_day(USAGE_EVENTS, DAY, str(landing), str(lake), "salt")
    files = sorted((lake / "usage_events_ingestion_log").rglob("*.parquet"))
    assert len(files) >= 4  # the schema file, the undated skips, the skipped notes.txt, the landing files
    for f in files:
        assert [(c.name, str(c.type)) for c in pq.read_schema(f)] == LOG_COLUMNS, f
    rows = duckdb.sql(
        f"select file_status, error, arrival_date from read_parquet('{lake}/usage_events_ingestion_log/*/*.parquet') "
        "where file_status = 'skipped' order by error"
    ).fetchall()
    assert rows == [
        ("skipped", "not_in_a_day_folder", None),
        ("skipped", "unsupported_extension", date(2026, 1, 5)),
    ]


def _lake_snapshot(lake: Path) -> dict[str, list]:
    """Every lake file by path, its rows sorted (the ingestion log without its wall-clock column)."""
    out = {}
    for path in sorted(lake.rglob("*.parquet")):
        rel = path.relative_to(lake).as_posix()
        columns = [r[0] for r in duckdb.sql(f"describe select * from read_parquet('{path}')").fetchall()]
        clock = " exclude (ingested_at)" if "ingested_at" in columns else ""
        out[rel] = sorted(map(repr, duckdb.sql(f"select *{clock} from read_parquet('{path}')").fetchall()))
    return out


def test_files_read_in_batches_land_as_each_file_alone(tmp_path, monkeypatch):
    """Landing files are read many to a statement (engine._batches); the lake, the quarantine, the log and the
    results are those of reading each file alone: records keep their own file, line and arrival day (a
    timestamp checked against its own file's day, a missing time defaulted to its own file's day), OTel
    traces stay within their file, and a corrupt file or Parquet files of other schemas in a batch send the
    batch to file-by-file reading, each file with its own outcome."""
    import gzip
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from orchestration.ingest import engine

    landing = tmp_path / "landing"

    def usage(i: int, day: str, **kw) -> dict:
        return {"event_id": f"e{i}_{day}", "occurred_at": f"{day}T09:00:00Z", "platform": "openai",
                "model": "gpt-5-2025-08-07", "use_case_id": "research_agent", "input_tokens": 1000 + i,
                "output_tokens": 10, **kw}  # fmt: skip

    days = ["2026-01-05", "2026-01-06"]
    for n, day in enumerate(days):
        folder = landing / "usage_events" / f"day={day}"
        folder.mkdir(parents=True)
        shutil.copy(BAD, folder / "bad_records.jsonl")
        late = usage(90, day, occurred_at="2026-01-07T00:30:00Z")  # after its arrival on the 5th, not the 6th
        (folder / "good.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [usage(1, day), usage(2, day), late]))
        (folder / "empty.jsonl").write_text("")
        with gzip.open(folder / "zipped.jsonl.gz", "wt") as f:
            f.write(json.dumps(usage(3, day)) + "\n" + '{"event_id": "x", "event_id": "y"}\n')
        rows = [usage(10 + k, day) for k in range(3)]
        pq.write_table(pa.Table.from_pylist(rows), folder / "p1.parquet")
        if n == 0:
            (folder / "table.csv").write_text("event_id,occurred_at,platform,model,input_tokens,output_tokens\n"
                                              f"c1,{day}T01:00:00Z,openai,gpt-5-2025-08-07,5,6\n")  # fmt: skip
        messages = landing / "anthropic_messages" / f"day={day}"
        messages.mkdir(parents=True)
        message = {"id": f"msg_{n}", "type": "message", "model": "claude-sonnet-4-5-20250929",
                   "usage": {"input_tokens": 10 + n, "output_tokens": 5}}  # fmt: skip
        (messages / "m.jsonl").write_text(json.dumps(message) + "\n")  # no logged_at: its file's day
        spans_day = f"day=2026-01-1{2 + n}"  # the fixture's spans ran on the 12th
        shutil.copytree(FIXTURES / "otel" / "day=2026-01-12", landing / "otel_spans" / spans_day)
        if n == 1:  # the same trace ids, the agent span naming another variant: each file's calls keep their own
            spans = landing / "otel_spans" / spans_day / "spans.jsonl"
            v2 = '{"key": "genai_finops.variant", "value": {"stringValue": "v2"}}'
            spans.write_text(spans.read_text().replace(v2, v2.replace("v2", "v9")))

    # on days of their own (loaded apart): a Parquet file of another schema, token counts as text ('+5' is no
    # number, though DuckDB would cast it), and a corrupt one, each beside a good file
    for day, name in (("2026-01-07", "p2_text.parquet"), ("2026-01-08", "p3_broken.parquet")):
        folder = landing / "usage_events" / f"day={day}"
        folder.mkdir(parents=True)
        rows = [usage(10 + k, day) for k in range(3)]
        pq.write_table(pa.Table.from_pylist(rows), folder / "p1.parquet")
        text_rows = [{**r, "input_tokens": str(r["input_tokens"])} for r in rows]
        text_rows[1]["input_tokens"] = "+5"
        pq.write_table(pa.Table.from_pylist(text_rows), folder / name)
    (folder / name).write_bytes(b"PAR1 not really")

    sizes: list[int] = []
    real_ingest_files = engine.ingest_files

    def spy(ds, items, *args, **kw):
        sizes.append(len(items))
        return real_ingest_files(ds, items, *args, **kw)

    progress: list[tuple] = []

    def load(lake: Path) -> list:
        results = []
        progress.clear()
        for name, arrivals in (
            ("usage_events", days),
            ("usage_events", ["2026-01-07"]),
            ("usage_events", ["2026-01-08"]),
            ("anthropic_messages", days),
            ("otel_spans", ["2026-01-12", "2026-01-13"]),
        ):  # one worker: the files of both days in one batch per format
            results += engine.ingest_days(
                dataset(name),
                arrivals,
                str(landing),
                str(lake),
                "salt",
                workers=1,
                on_progress=lambda *done, name=name: progress.append((name, *done)),
            )
        return [dataclasses.astuple(r)[:-1] for r in results]  # all but the seconds

    monkeypatch.setattr(engine, "ingest_files", spy)
    batched = load(tmp_path / "batched")
    # usage_events JSON 8, Parquet 2, CSV 1, Parquet 2 and 2 (read file by file); messages 2; OTel 4
    assert sizes == [8, 2, 1, 2, 2, 2, 4]
    # a progress call after each batch: files done, files in all, records read so far. A day's JSON files: 10
    # records of bad_records, 3 good, 0 empty, 2 zipped; then the Parquet files (3 each), then the CSV (1); the
    # 7th: two Parquet files of 3; the 8th: 3 and the corrupt file's 0; a message per file; the spans as logged
    otel_read = sum(r[3] for r in batched if r[0] == "otel_spans")
    assert progress == [
        ("usage_events", 8, 11, 30),
        ("usage_events", 10, 11, 36),
        ("usage_events", 11, 11, 37),
        ("usage_events", 2, 2, 6),
        ("usage_events", 2, 2, 3),
        ("anthropic_messages", 2, 2, 2),
        ("otel_spans", 4, 4, otel_read),
    ]
    monkeypatch.setattr(engine, "_batches", lambda tasks, workers: [[i] for i in range(len(tasks))])
    sizes.clear()
    alone = load(tmp_path / "alone")
    assert max(sizes) == 1
    assert batched == alone
    by_name = {(Path(r[1]).parent.name, Path(r[1]).name): r for r in batched}
    assert by_name[("day=2026-01-08", "p3_broken.parquet")][6] == "unreadable"
    assert by_name[("day=2026-01-08", "p1.parquet")][3:7] == (3, 3, 0, "loaded")
    assert by_name[("day=2026-01-05", "good.jsonl")][3:6] == (3, 2, 1)  # the late record, on the 5th only
    assert by_name[("day=2026-01-06", "good.jsonl")][3:6] == (3, 3, 0)
    assert by_name[("day=2026-01-07", "p2_text.parquet")][3:6] == (3, 2, 1)
    assert _lake_snapshot(tmp_path / "batched") == _lake_snapshot(tmp_path / "alone")
    logged = duckdb.sql(
        "select _arrival_date, cast(logged_at as date) "
        f"from read_parquet('{tmp_path}/batched/anthropic_messages/*/*.parquet') order by 1"
    ).fetchall()
    assert logged == [(date(2026, 1, 5),) * 2, (date(2026, 1, 6),) * 2]
    variants = duckdb.sql(
        "select distinct _arrival_date, variant_id "
        f"from read_parquet('{tmp_path}/batched/otel_spans/*/*.parquet') where event_id = 'msg_otel_1' order by 1"
    ).fetchall()
    assert variants == [(date(2026, 1, 12), "v2"), (date(2026, 1, 13), "v9")]


def test_batches_split_by_format_size_and_workers(tmp_path, monkeypatch):
    """A batch holds files of one format (a CSV file alone), at most BATCH_BYTES of landing bytes (a compressed
    file counts eight times its size; a larger file alone), and a run's files make as many batches as workers at
    least."""
    from orchestration.ingest import engine

    sizes = {"a.jsonl": 40, "b.jsonl": 40, "c.jsonl.gz": 10, "d.csv": 40, "e.parquet": 40, "f.jsonl": 40}
    tasks = []
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
        tasks.append((str(tmp_path / name), DAY))
    monkeypatch.setattr(engine, "BATCH_BYTES", 100)
    # JSON text: a+b = 80; c counts 80 (80 + 80 > 100); f: 80 + 40 > 100; then the CSV, then the Parquet file
    assert engine._batches(tasks, workers=1) == [[0, 1], [2], [5], [3], [4]]
    monkeypatch.setattr(engine, "BATCH_BYTES", 10_000)
    assert engine._batches(tasks, workers=1) == [[0, 1, 2, 5], [3], [4]]
    assert engine._batches(tasks, workers=2) == [[0, 1], [2, 5], [3], [4]]  # two workers: two JSON batches


def test_outputs_are_moved_into_a_local_lake_and_copied_across_file_systems(tmp_path):
    """A finished output enters a local lake by a rename (the same inode: no copy, no second file created and
    deleted); from another file system (tmpfs here) it is copied, the same bytes."""
    import os
    import tempfile

    import fsspec

    from orchestration.ingest.engine import _put

    fs = fsspec.filesystem("file")
    src = tmp_path / "staged.parquet"
    src.write_bytes(b"PAR1 staged")
    inode = src.stat().st_ino
    (tmp_path / "lake").mkdir()
    _put(fs, src, str(tmp_path / "lake" / "moved.parquet"))
    assert not src.exists()
    assert (tmp_path / "lake" / "moved.parquet").stat().st_ino == inode

    if not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system (/dev/shm) on this machine")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        far = Path(other) / "staged.parquet"
        far.write_bytes(b"PAR1 from tmpfs")
        _put(fs, far, str(tmp_path / "lake" / "copied.parquet"))
        assert (tmp_path / "lake" / "copied.parquet").read_bytes() == b"PAR1 from tmpfs"
