"""Pulling the providers' admin APIs against a local replay server (started by the test on 127.0.0.1) that serves
pages shaped like OpenAI's usage API (buckets, has_more / next_page), with a 429, a 500, a truncated body, a cursor
that repeats, and a client killed mid-pagination: every bucket lands exactly once, the key never."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from orchestration.pull.api import ApiSource, PullError, pull, retry_after_seconds
from orchestration.tools.replay import DAY0, Replay

pytestmark = pytest.mark.unit

KEY = "sk-admin-PLANTED-0123456789abcdef"
DAYS = 90
PAGE = 3  # buckets per page


@pytest.fixture
def replay():
    server = Replay(KEY, page=PAGE)
    yield server
    server.close()


def source(url: str, **overrides) -> ApiSource:
    args = dict(
        name="openai_usage",
        provider="openai",
        endpoint="usage_completions",
        base_url=url,
        api_key_env="FINOPS_TEST_OPENAI_ADMIN_KEY",
        dataset="openai_usage",
        start=DAY0.date().isoformat(),
        window_days=7,
        page_limit=PAGE,
    )
    args.update(overrides)
    return ApiSource(**args)


def landed_buckets(out: Path) -> list[int]:
    return sorted(b["start_time"] for f in out.rglob("*.json") for b in json.loads(f.read_text())["data"])


def all_days() -> list[int]:
    return [int((DAY0 + timedelta(days=i)).timestamp()) for i in range(DAYS)]


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:10 GMT", now=1792567680.0) == 10.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_a_429_a_500_and_a_truncated_body_are_retried_and_every_bucket_lands_once(replay, tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_TEST_OPENAI_ADMIN_KEY", KEY)
    replay.faults = {1: "429", 2: "500", 5: "truncated"}
    waits = []
    report = pull(source(replay.url), tmp_path / "pulled", tmp_path / "state", DAY0 + timedelta(days=DAYS),
                  sleep=waits.append)  # fmt: skip
    assert landed_buckets(tmp_path / "pulled") == all_days()
    # one request: 429 (Retry-After: 7 s honoured), then 500 (the backoff doubled: 2 s); a later request's truncated
    # body starts again at 1 s
    assert waits == [7.0, 2.0, 1.0]
    assert report.retries == 3 and report.buckets == DAYS
    # 13 windows of 7 days (the last of 6), 3 buckets a page: 12 x 3 + 2 = 38 pages, and 3 retried requests
    assert report.pages == 38 and len(replay.requests) == 41
    assert {r["auth"] for r in replay.requests} == {f"Bearer {KEY}"}
    # run again: nothing left to pull, nothing written twice
    again = pull(source(replay.url), tmp_path / "pulled", tmp_path / "state", DAY0 + timedelta(days=DAYS))
    assert again.pages == 0 and landed_buckets(tmp_path / "pulled") == all_days()


def test_a_cursor_that_repeats_stops_the_pull_naming_the_source(replay, tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_TEST_OPENAI_ADMIN_KEY", KEY)
    replay.faults = {2: "repeat"}
    with pytest.raises(PullError, match="openai_usage: the API returned the cursor 'c3' twice"):
        pull(source(replay.url), tmp_path / "pulled", tmp_path / "state", DAY0 + timedelta(days=DAYS),
             sleep=lambda s: None)  # fmt: skip


def test_a_missing_key_or_a_refused_one_fails_naming_the_variable_never_the_value(replay, tmp_path, monkeypatch):
    monkeypatch.delenv("FINOPS_TEST_OPENAI_ADMIN_KEY", raising=False)
    with pytest.raises(PullError, match="FINOPS_TEST_OPENAI_ADMIN_KEY is not set"):
        pull(source(replay.url), tmp_path / "p", tmp_path / "s", DAY0 + timedelta(days=7))
    monkeypatch.setenv("FINOPS_TEST_OPENAI_ADMIN_KEY", "sk-admin-REVOKED-key")
    with pytest.raises(PullError) as failure:
        pull(source(replay.url), tmp_path / "p", tmp_path / "s", DAY0 + timedelta(days=7))
    assert "HTTP 401" in str(failure.value) and "FINOPS_TEST_OPENAI_ADMIN_KEY" in str(failure.value)
    assert "REVOKED" not in str(failure.value)


PULL_SCRIPT = """
import sys
from datetime import datetime, timedelta, UTC
from pathlib import Path
from orchestration.pull.api import ApiSource, pull
args = dict(name="openai_usage", provider="openai", endpoint="usage_completions", base_url=sys.argv[1],
            api_key_env="FINOPS_TEST_OPENAI_ADMIN_KEY", dataset="openai_usage", start="2026-01-01", window_days=7,
            page_limit=3)
pull(ApiSource(**args), Path(sys.argv[2]), Path(sys.argv[3]), datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=90),
     log=print)
"""


def test_a_client_killed_mid_pagination_resumes_with_no_gap_and_no_duplicate(replay, tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_TEST_OPENAI_ADMIN_KEY", KEY)
    replay.faults = {9: "hang"}  # the 9th request (window 2026-01-15, its 3rd page) never answers
    script = tmp_path / "pull_script.py"
    script.write_text(PULL_SCRIPT)
    log = open(tmp_path / "client.log", "w")  # noqa: SIM115 (a file, not a pipe)
    client = subprocess.Popen(
        [sys.executable, str(script), replay.url, str(tmp_path / "pulled"), str(tmp_path / "state")],
        cwd=Path(__file__).parents[1],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    deadline = time.monotonic() + 120
    while len(replay.requests) < 9 and client.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(replay.requests) == 9, (tmp_path / "client.log").read_text()
    client.send_signal(signal.SIGKILL)  # mid-pagination, between page 2 and page 3 of a window
    client.wait()
    log.close()
    state = json.loads((tmp_path / "state" / "openai_usage.json").read_text())
    assert state == {"next_page": "c6", "page_number": 2, "window_start": "2026-01-15"}
    partial = landed_buckets(tmp_path / "pulled")
    assert partial == all_days()[: 14 + 6]
    replay.release.set()
    report = pull(source(replay.url), tmp_path / "pulled", tmp_path / "state", DAY0 + timedelta(days=DAYS))
    assert landed_buckets(tmp_path / "pulled") == all_days()  # every bucket exactly once
    resumed = replay.requests[9]
    assert (resumed["page"], resumed["start_time"]) == ("c6", str(int((DAY0 + timedelta(days=14)).timestamp())))
    assert report.buckets == DAYS - 20


def test_the_key_is_never_written(replay, tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_TEST_OPENAI_ADMIN_KEY", KEY)
    replay.faults = {1: "429"}
    messages = []
    pull(source(replay.url), tmp_path / "pulled", tmp_path / "state", DAY0 + timedelta(days=14),
         sleep=lambda s: None, log=messages.append)  # fmt: skip
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert KEY.encode() not in written and all(KEY not in m for m in messages)
    assert any("HTTP 429" in m for m in messages)


def test_a_crash_between_writing_a_page_and_saving_the_cursor_writes_no_duplicate(replay, tmp_path, monkeypatch):
    """The page is written, the process dies before its cursor is saved: the resumed pull fetches that page again
    and it replaces itself (deterministic file names)."""
    import orchestration.pull.api as api

    monkeypatch.setenv("FINOPS_TEST_OPENAI_ADMIN_KEY", KEY)
    real_save, calls = api.StateFile.save, []

    def dies_on_the_fourth(self, state):
        calls.append(state)
        if len(calls) == 4:
            raise KeyboardInterrupt("killed")
        real_save(self, state)

    monkeypatch.setattr(api.StateFile, "save", dies_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        pull(source(replay.url), tmp_path / "pulled", tmp_path / "state", DAY0 + timedelta(days=DAYS))
    monkeypatch.setattr(api.StateFile, "save", real_save)
    assert len(landed_buckets(tmp_path / "pulled")) == 7 + 3  # window 1, and window 2's first page (unsaved)
    pull(source(replay.url), tmp_path / "pulled", tmp_path / "state", DAY0 + timedelta(days=DAYS))
    assert landed_buckets(tmp_path / "pulled") == all_days()
