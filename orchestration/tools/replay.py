"""A local replay server of the OpenAI admin usage API (started on 127.0.0.1; nothing leaves the machine): pages
shaped like /v1/organization/usage/completions (1d buckets, has_more / next_page cursors), with faults to order
(a 429 with Retry-After, a 500, a truncated body, a cursor that repeats, a request that hangs). The tests of the
pull client use it, and `python -m orchestration.tools.replay` measures a pull of 90 days of buckets against it
beside the same requests made bare (the lower bound: HTTP alone).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)


class Replay:
    """A local OpenAI-usage-shaped API: one 1d bucket per day of the requested window, PAGE buckets a page; cursors
    are opaque strings; faults are queued per request number."""

    def __init__(self, key: str, page: int = 3):
        self.key, self.page = key, page
        self.requests: list[dict] = []
        self.faults: dict[int, str] = {}  # request number -> 429 | 500 | truncated | repeat | hang
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                outer.requests.append(
                    {"path": urlparse(self.path).path, "auth": self.headers.get("Authorization"), **q}
                )
                if urlparse(self.path).path != "/v1/organization/usage/completions":
                    return self.reply(404, {"error": "not found"})
                if self.headers.get("Authorization") != f"Bearer {outer.key}":
                    return self.reply(401, {"error": "invalid key"})
                fault = outer.faults.pop(len(outer.requests), None)
                if fault == "429":
                    return self.reply(429, {"error": "rate limited"}, {"Retry-After": "7"})
                if fault == "500":
                    return self.reply(500, {"error": "boom"})
                if fault == "hang":
                    outer.release.wait(60)
                    return self.reply(503, {"error": "gone"})
                start, end = int(q["start_time"]), int(q["end_time"])
                days = [start + 86400 * i for i in range((end - start) // 86400)]
                offset = int(q.get("page", "c0")[1:]) if q.get("page") else 0
                chunk = days[offset : offset + outer.page]
                more = offset + outer.page < len(days)
                page = {
                    "object": "page",
                    "data": [
                        {
                            "object": "bucket",
                            "start_time": t,
                            "end_time": t + 86400,
                            "results": [
                                {
                                    "object": "organization.usage.completions.result",
                                    "input_tokens": 1000,
                                    "output_tokens": 100,
                                    "num_model_requests": (t - int(DAY0.timestamp())) // 86400 + 1,
                                    "model": "gpt-4o-2024-08-06",
                                }
                            ],
                        }
                        for t in chunk
                    ],
                    "has_more": more,
                    "next_page": (q.get("page") if fault == "repeat" else f"c{offset + outer.page}") if more else None,
                }
                if fault == "truncated":
                    body = json.dumps(page).encode()[:40]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return None
                return self.reply(200, page)

            def reply(self, status, payload, headers=None):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


def bench(days: int = 90, page: int = 7, window_days: int = 31) -> dict:
    """Seconds to pull `days` daily buckets (the API's default page of 7 buckets, 31-day windows) against the local
    replay, and the same requests made bare with no parsing, writing nor cursor (the lower bound)."""
    import requests

    from orchestration.pull.api import ApiSource, pull

    key = "sk-admin-bench-" + os.urandom(8).hex()
    server = Replay(key, page=page)
    os.environ["FINOPS_BENCH_ADMIN_KEY"] = key
    try:
        source = ApiSource(
            name="openai_usage",
            provider="openai",
            endpoint="usage_completions",
            base_url=server.url,
            api_key_env="FINOPS_BENCH_ADMIN_KEY",
            dataset="openai_usage",
            start=DAY0.date().isoformat(),
            window_days=window_days,
            page_limit=page,
        )
        with tempfile.TemporaryDirectory() as work:
            started = time.perf_counter()
            report = pull(source, Path(work) / "pulled", Path(work) / "state", DAY0 + timedelta(days=days))
            pull_s = time.perf_counter() - started
        asked = [dict(r) for r in server.requests]
        session = requests.Session()
        started = time.perf_counter()
        for r in asked:
            params = {k: v for k, v in r.items() if k not in ("path", "auth")}
            reply = session.get(server.url + r["path"], params=params, headers={"Authorization": f"Bearer {key}"})
            reply.json()
        bare_s = time.perf_counter() - started
    finally:
        server.close()
        os.environ.pop("FINOPS_BENCH_ADMIN_KEY", None)
    return {
        "days": days,
        "buckets": report.buckets,
        "pages": report.pages,
        "requests": len(asked),
        "pull_seconds": round(pull_s, 3),
        "bare_requests_seconds": round(bare_s, 3),
        "ratio": round(pull_s / bare_s, 2) if bare_s else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    print(json.dumps(bench(args.days), indent=2))


if __name__ == "__main__":
    main()
