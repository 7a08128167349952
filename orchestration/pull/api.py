"""Pulling a provider's admin API (OpenAI usage / costs, Anthropic usage / cost reports): cursor pages of time
buckets, written one file per page into a landing-shaped folder the usage-report readers already ingest.

- Pages: `has_more` / `next_page` (both providers). A cursor that repeats is an error (the API would loop).
- Retries: 429 and 5xx, connection errors and truncated bodies (invalid JSON) are retried with exponential backoff
  (capped), honouring `Retry-After` (seconds or an HTTP date); other 4xx fail at once, naming the source.
- Resume: a cursor per source (`<state dir>/<source>.json`) is saved after each page is written; a crash at any
  point resumes from the last saved page. Page files have deterministic names (window and page number), so a page
  fetched twice after a crash replaces itself: every bucket lands exactly once.
- Credentials: the value of the environment variable the source names, sent as the provider's header; never
  logged, never written (errors and logs name the variable, not its value).
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests


class PullError(RuntimeError):
    pass


GROUP_BY: dict[tuple[str, str], dict[str, list[str]]] = {
    ("openai", "usage_completions"): {"group_by": ["model", "project_id", "api_key_id", "batch", "service_tier"]},
    ("openai", "costs"): {"group_by": ["line_item", "project_id"]},
    ("anthropic", "usage_messages"): {"group_by[]": ["model", "api_key_id", "workspace_id", "service_tier"]},
    ("anthropic", "cost_report"): {"group_by[]": ["workspace_id", "description"]},
}


@dataclass(frozen=True)
class ApiSource:
    """One admin API endpoint to pull (an entry of sources.yml)."""

    name: str
    provider: str  # openai | anthropic
    endpoint: str  # usage_completions | costs | usage_messages | cost_report
    base_url: str
    api_key_env: str
    dataset: str  # the landing folder its pages feed (orchestration/datasets.py)
    start: str  # first day to pull (YYYY-MM-DD)
    bucket_width: str = "1d"
    window_days: int = 7  # days per request window
    page_limit: int | None = None
    max_attempts: int = 6
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0

    @property
    def url(self) -> str:
        paths = {
            ("openai", "usage_completions"): "/v1/organization/usage/completions",
            ("openai", "costs"): "/v1/organization/costs",
            ("anthropic", "usage_messages"): "/v1/organizations/usage_report/messages",
            ("anthropic", "cost_report"): "/v1/organizations/cost_report",
        }
        return self.base_url.rstrip("/") + paths[(self.provider, self.endpoint)]

    def headers(self, key: str) -> dict[str, str]:
        if self.provider == "openai":
            return {"Authorization": f"Bearer {key}"}
        return {"x-api-key": key, "anthropic-version": "2023-06-01"}

    def params(self, start: datetime, end: datetime, page: str | None) -> dict[str, str | list[str]]:
        if self.provider == "openai":
            out = {"start_time": str(int(start.timestamp())), "end_time": str(int(end.timestamp()))}
            out["bucket_width"] = self.bucket_width
        else:
            out = {"starting_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "ending_at": end.strftime("%Y-%m-%dT%H:%M:%SZ")}
            if self.endpoint == "usage_messages":
                out["bucket_width"] = self.bucket_width
        # grouped as finely as the readers use: model (OpenAI costs: the line item '<model>, <token type>'), so
        # each report reconciles per model
        out.update(GROUP_BY[(self.provider, self.endpoint)])
        if self.page_limit:
            out["limit"] = str(self.page_limit)
        if page:
            out["page"] = page
        return out


@dataclass
class PullReport:
    source: str
    windows: int = 0
    pages: int = 0
    buckets: int = 0
    retries: int = 0
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.source}: {self.windows} windows, {self.pages} pages, {self.buckets} buckets, {self.retries} retries"
        )


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (now if now is not None else time.time()), 0.0)


class StateFile:
    """The cursor of a source: the window being pulled and the next page of it, saved atomically."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def save(self, state: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(state, sort_keys=True))
        os.replace(tmp, self.path)


def _windows(start: datetime, until: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
    while start < until:
        end = min(start + timedelta(days=days), until)
        yield start, end
        start = end


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def pull(
    source: ApiSource,
    out_dir: Path,
    state_dir: Path,
    until: datetime,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda message: None,
) -> PullReport:
    """Pull every complete window from the source's cursor (or `start`) up to `until` (exclusive, UTC); pages go
    to out_dir/<dataset>/day=<window's last day>/<source>-<window start>-p<page>.json (a page lands on the last day
    its buckets cover, never before the usage it holds)."""
    key = os.environ.get(source.api_key_env)
    if not key:
        raise PullError(f"source {source.name}: the environment variable {source.api_key_env} is not set")
    session = session or requests.Session()
    state = StateFile(state_dir / f"{source.name}.json")
    cursor = state.load()
    report = PullReport(source.name)
    first = datetime.fromisoformat(cursor.get("window_start") or source.start).replace(tzinfo=UTC)
    for start, end in _windows(first, until, source.window_days):
        page = cursor.get("next_page") if cursor.get("window_start") == start.date().isoformat() else None
        number = int(cursor.get("page_number", 0)) if page else 0
        seen: set[str] = set()
        report.windows += 1
        while True:
            body = _get(source, session, source.params(start, end, page), key, report, sleep, log)
            number += 1
            name = f"{source.name}-{start:%Y-%m-%d}-p{number:04d}.json"
            landing_day = (end - timedelta(microseconds=1)).date()
            path = out_dir / source.dataset / f"day={landing_day:%Y-%m-%d}" / name
            _write_atomic(path, json.dumps(body, sort_keys=True).encode())
            report.pages += 1
            report.buckets += len(body.get("data") or [])
            report.files.append(str(path))
            nxt = body.get("next_page") if body.get("has_more") else None
            if nxt is not None and (nxt in seen or nxt == page):
                raise PullError(
                    f"source {source.name}: the API returned the cursor {nxt!r} twice (window {start:%Y-%m-%d})"
                )
            if nxt is None:
                cursor = {"window_start": end.date().isoformat(), "next_page": None, "page_number": 0}
                state.save(cursor)
                break
            seen.add(nxt)
            page = nxt
            cursor = {"window_start": start.date().isoformat(), "next_page": nxt, "page_number": number}
            state.save(cursor)
        log(f"{source.name}: window {start:%Y-%m-%d}..{end:%Y-%m-%d} pulled")
    return report


def _get(source, session, params, key, report, sleep, log) -> dict:
    delay = source.backoff_seconds
    problem = ""
    for attempt in range(1, source.max_attempts + 1):
        try:
            response = session.get(source.url, params=params, headers=source.headers(key), timeout=60)
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__}"
            wait = delay
        else:
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError:
                    problem = "a truncated or invalid JSON body"
                    wait = delay
            elif response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                wait = retry_after_seconds(response.headers.get("Retry-After")) or delay
            else:
                raise PullError(
                    f"source {source.name}: HTTP {response.status_code} from {source.url} "
                    f"(check the key in {source.api_key_env} and its permissions)"
                )
        if attempt == source.max_attempts:
            break
        wait = min(wait, source.max_backoff_seconds)
        log(f"{source.name}: {problem}; retrying in {wait:.1f} s (attempt {attempt + 1} of {source.max_attempts})")
        report.retries += 1
        sleep(wait)
        delay = min(delay * 2, source.max_backoff_seconds)
    raise PullError(f"source {source.name}: {problem} after {source.max_attempts} attempts ({source.url})")
