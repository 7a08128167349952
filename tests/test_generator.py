"""The demo data generator: deterministic, and shaped so that the warehouse has something to find."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import numpy as np
import pytest

from orchestration.tools.sample_data.generator import generate
from orchestration.tools.sample_data.scenario import INCIDENTS, USE_CASES

pytestmark = pytest.mark.unit


def _digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "_manifest.json":
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "landing"
    result = generate(out, events=60_000, days=90, start=date(2026, 1, 1), seed=7)
    con = duckdb.connect()
    con.execute(
        f"create view ev as select * from read_parquet('{out}/usage_events/*/*.parquet', hive_partitioning = true)"
    )
    con.execute(f"create view kp as select * from read_parquet('{out}/kpi_events/*/*.parquet')")
    return out, result, con


def test_same_seed_same_files(tmp_path):
    a = generate(tmp_path / "a", events=3_000, days=10, seed=1)
    b = generate(tmp_path / "b", events=3_000, days=10, seed=1)
    generate(tmp_path / "c", events=3_000, days=10, seed=2)
    assert a.events == b.events
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_narrow_columns_keep_every_value_and_the_files_their_types(demo):
    """The generator holds its event columns in the narrowest integer type that holds them (less memory to write
    and copy); a column with a value that does not fit keeps its type, the ids are zero-padded as printf pads
    them, and the files' columns have the types they always had."""
    from orchestration.tools.sample_data.generator import _narrow, _padded

    cols = _narrow({"turn": np.array([0, 32_767]), "user": np.array([-1, 40_000]), "ts_us": np.array([0, 2**40])})
    assert (cols["turn"].dtype, cols["turn"].tolist()) == (np.int16, [0, 32_767])
    assert (cols["user"].dtype, cols["user"].tolist()) == (np.int64, [-1, 40_000])
    assert cols["ts_us"].dtype == np.int64
    con = duckdb.connect()
    for width, value in ((10, 0), (10, 9_999_999_999), (9, 123), (4, 4_999)):
        padded, printed = con.execute(
            f"select {_padded('p_', f'{value}::bigint', width)}, printf('p_%0{width}d', {value}::bigint)"
        ).fetchone()
        assert padded == printed
    out, _, _ = demo
    day = sorted((out / "usage_events").glob("day=*/*.parquet"))[10]
    types = dict(duckdb.connect().execute(f"select column_name, column_type from (describe '{day}')").fetchall())
    assert {c: types[c] for c in ("input_tokens", "ttft_ms", "latency_ms", "turn_index", "attempt")} == {
        "input_tokens": "BIGINT",
        "ttft_ms": "BIGINT",
        "latency_ms": "BIGINT",
        "turn_index": "INTEGER",
        "attempt": "INTEGER",
    }
    assert types["user_id"] == types["event_id"] == "VARCHAR"


def test_a_billion_events_in_one_call_are_refused(tmp_path):
    """The ids are padded to nine and ten digits: one call writes fewer than 10**9 events (the bench shards more),
    and says so before it draws anything."""
    with pytest.raises(ValueError, match="at most 999,999,999 events"):
        generate(tmp_path / "big", events=10**9)
    assert not (tmp_path / "big").exists()


def test_size_and_split_per_day(demo):
    out, result, con = demo
    assert abs(result.events - 60_000) / 60_000 < 0.02
    days = sorted(p.name for p in (out / "usage_events").iterdir())
    assert days[0] == "day=2026-01-01" and len(days) in (90, 91)  # late events may arrive on day 91
    assert con.execute("select count(*) from ev").fetchone()[0] == result.events


def test_use_cases_platforms_and_modalities(demo):
    _, _, con = demo
    use_cases = {r[0] for r in con.execute("select distinct use_case_id from ev").fetchall()}
    assert use_cases == {uc.use_case_id for uc in USE_CASES}  # every use case of the scenario, unattributed too
    assert None in use_cases
    platforms = {r[0] for r in con.execute("select distinct platform from ev").fetchall()}
    assert platforms == {"openai", "azure_openai", "aws_bedrock", "gcp_vertex", "anthropic"}
    sums = con.execute(
        "select sum(image_input_tokens), sum(audio_input_tokens), sum(audio_output_tokens), "
        "sum(reasoning_tokens), sum(cached_input_tokens), sum(cache_write_tokens) from ev"
    ).fetchone()
    assert all(s > 0 for s in sums)
    assert con.execute("select count(*) from ev where capacity_type = 'batch' and input_tokens > 200000").fetchone()[0]


def test_context_creep_in_conversations(demo):
    _, _, con = demo
    by_turn = con.execute(
        "select turn_index, avg(input_tokens) from ev where use_case_id = 'support_chatbot' and attempt = 1 "
        "and turn_index < 4 group by 1 order by 1"
    ).fetchall()
    means = [m for _, m in by_turn]
    assert means == sorted(means) and means[3] > means[0] + 300


def test_incidents_and_shapes(demo):
    _, _, con = demo
    daily = dict(
        con.execute(
            "select cast(occurred_at as date), count(*) from ev where use_case_id = 'support_chatbot' group by 1"
        ).fetchall()
    )
    spike = date(2026, 2, 10)  # day 40 of 90 (spike_day_fraction 0.45)
    neighbours = [daily[date(2026, 2, d)] for d in (3, 17)]  # same weekday, a week before and after
    assert daily[spike] > 2 * max(neighbours)
    throttled = con.execute(
        "select cast(occurred_at as date), count(*) from ev where status = 'throttled' group by 1 order by 2 desc"
    ).fetchall()
    assert throttled[0][0] == date(2026, 3, 5) and throttled[0][1] > 10  # day 63 of 90
    weekend, weekday = con.execute(
        "select count(*) filter (where dayofweek(occurred_at) in (0, 6)) / 8.0, "
        "count(*) filter (where dayofweek(occurred_at) not in (0, 6)) / 22.0 "
        "from ev where use_case_id = 'sales_email_writer' and occurred_at < '2026-01-31'"
    ).fetchone()
    assert weekend < 0.2 * weekday
    first, last = con.execute(
        "select count(*) filter (where occurred_at < '2026-01-15'), "
        "count(*) filter (where occurred_at >= '2026-03-18') "
        "from ev where use_case_id = 'kb_search'"
    ).fetchone()
    assert last > first  # growth over the window


def test_price_change_and_prompt_change_inside_window(demo):
    _, _, con = demo
    before, after = con.execute(
        "select count(*) filter (where occurred_at < '2026-01-20'), "
        "count(*) filter (where occurred_at >= '2026-01-20') "
        "from ev where model = 'us.anthropic.claude-opus-4-5-20251101-v1:0'"
    ).fetchone()
    assert before > 0 and after > 0
    v1, v2 = con.execute(
        "select avg(input_tokens) filter (where variant_id = 'prompt_v1'), "
        "avg(input_tokens) filter (where variant_id = 'prompt_v2') from ev where use_case_id = 'code_review_bot'"
    ).fetchone()
    assert v2 > 1.2 * v1


def test_kpi_success_rates_differ_by_variant(demo):
    _, _, con = demo
    rates = dict(
        con.execute(
            "select variant_id, avg(value) from kp where use_case_id = 'sales_email_writer' group by 1"
        ).fetchall()
    )
    assert set(rates) == {"control_gpt41", "gpt5mini_v2", "sonnet_v2"}
    assert rates["sonnet_v2"] > rates["control_gpt41"] + 0.02
    assert abs(rates["gpt5mini_v2"] - rates["control_gpt41"]) < 0.03


def test_late_and_duplicate_deliveries(demo):
    _, _, con = demo
    n, late, dups = con.execute(
        "select count(distinct event_id), count(*) filter (where cast(occurred_at as date) < cast(day as date)), "
        "count(*) - count(distinct event_id) from ev"
    ).fetchone()
    # each call is late with probability late_share, and delivered twice (the copy a day late) with
    # duplicate_share: the counts are binomial, within 4 standard deviations of the scenario's rates
    for count, share in ((dups, INCIDENTS.duplicate_share), (late - dups, INCIDENTS.late_share)):
        assert abs(count - n * share) < 4 * (n * share * (1 - share)) ** 0.5, (count, n * share)


def test_real_formats_move_four_use_cases_and_lose_nothing(tmp_path):
    plain = generate(tmp_path / "plain", events=5_000, days=10, seed=3)
    real = generate(tmp_path / "real", events=5_000, days=10, seed=3, real_formats=True)
    assert plain.events == real.events
    canonical = duckdb.sql(f"select count(*) from '{tmp_path}/plain/usage_events/*/*.parquet'").fetchall()[0][0]
    assert canonical == plain.events  # unattributed traffic included
    kept = duckdb.sql(f"select count(*) from '{tmp_path}/real/usage_events/*/*.parquet'").fetchall()[0][0]
    spans = sum(1 for p in (tmp_path / "real" / "otel_spans").rglob("*.jsonl") for _ in p.open())
    import gzip

    logs = sum(1 for p in (tmp_path / "real" / "bedrock_invocations").rglob("*.gz") for _ in gzip.open(p))
    spend = sum(1 for p in (tmp_path / "real" / "litellm_spend_logs").rglob("*.jsonl") for _ in p.open())
    messages = sum(1 for p in (tmp_path / "real" / "anthropic_messages").rglob("*.jsonl") for _ in p.open())
    assert min(spans, logs, spend, messages) > 0
    assert kept + spans + logs + spend + messages == real.events
    # the usage reports: one page per day with traffic, landing the day after
    assert len(list((tmp_path / "real" / "openai_usage").rglob("*.json"))) == 10
    assert len(list((tmp_path / "real" / "anthropic_usage").rglob("*.json"))) == 10


def test_days_written_one_statement_each_or_together_give_the_same_files(tmp_path, monkeypatch):
    """A day's events are written by a COPY to its file when its run of days is large enough, by a partitioned
    COPY of several days otherwise: both ways give the same files, each with the same rows."""
    import orchestration.tools.sample_data.generator as generator

    def files(root):
        con = duckdb.connect()
        out = {}
        for p in sorted(root.rglob("*.parquet")):
            rows = con.execute(f"select * from read_parquet('{p}') order by all").fetchall()
            out[p.relative_to(root).as_posix()] = rows
        return out

    written = {}
    for rows_per_statement in (1, 10**9):  # each day on its own; all days in one partitioned COPY
        monkeypatch.setattr(generator, "ROWS_PER_STATEMENT", rows_per_statement)
        generate(tmp_path / str(rows_per_statement), events=4_000, days=6, seed=11, real_formats=True)
        written[rows_per_statement] = files(tmp_path / str(rows_per_statement))
    each, together = written.values()
    assert sorted(each) == sorted(together)
    assert {
        "usage_events/day=2026-01-01/usage_events_0.parquet",
        "kpi_events/day=2026-01-06/kpi_events_0.parquet",
    } <= set(each)
    assert each == together


def test_publishing_moves_folders_whole_and_merges_shared_ones(tmp_path):
    """The generation folder's content enters the demo folder by renaming what the demo folder lacks whole
    (a dataset's day folders keep their inodes: none created and removed per file) and merging the folders both
    hold; the manifest lists every file, and nothing of the generation folder is left."""
    import json

    from orchestration.tools.sample_data.generator import MANIFEST, publish_demo

    out = tmp_path / "landing"
    written = out / ".generating-x"
    for rel in ("usage_events/day=2026-01-01/a.jsonl", "usage_events/day=2026-01-02/b.jsonl", "_bucket/cur/m.json"):
        (written / rel).parent.mkdir(parents=True, exist_ok=True)
        (written / rel).write_text(rel)
    (out / "_bucket").mkdir()  # a folder both hold
    day_inode = (written / "usage_events" / "day=2026-01-01").stat().st_ino

    files = publish_demo(written, out, {"events": 3})

    assert files == ["_bucket/cur/m.json", "usage_events/day=2026-01-01/a.jsonl", "usage_events/day=2026-01-02/b.jsonl"]
    assert all((out / rel).read_text() == rel for rel in files)
    assert (out / "usage_events" / "day=2026-01-01").stat().st_ino == day_inode
    assert not written.exists()
    assert json.loads((out / MANIFEST).read_text())["files"] == files
