"""Alerts: new anomalies and budget breaches, sent once to the sinks of one configuration file.

The configuration (alerts.yml in the project, or the file FINOPS_ALERTS_CONFIG names) says which anomalies alert
(grains, levels, metrics, the smallest impact), whether budget breaches do, and the sinks: a JSON-lines file and
HTTP webhooks with a Slack-compatible payload. A webhook's URL comes from the environment variable the sink
names (`url_env`), never from the file, and is never logged. Delivery is at least once and, in the normal case,
exactly once: an alert is recorded in the delivery log beside the warehouse (`<warehouse>.alerts/delivered.jsonl`)
after its sink accepted it, and skipped on later runs; a failed delivery is retried with backoff (honouring
Retry-After) and, if it still fails, left for the next run.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import yaml

from orchestration.anomaly.core import DRIVERS
from orchestration.forecast.checks import describe, open_budgets
from orchestration.settings import PROJECT_DIR

DEFAULT_CONFIG = PROJECT_DIR / "alerts.yml"


@dataclass(frozen=True)
class Sink:
    name: str
    type: str  # jsonl | webhook
    path: str | None = None  # jsonl: relative to the warehouse's folder
    url_env: str | None = None  # webhook: the environment variable holding the URL
    retries: int = 3
    backoff_seconds: float = 1.0
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class AlertConfig:
    grains: tuple[str, ...] = ("day",)
    levels: tuple[str, ...] = ("use_case", "total")
    metrics: tuple[str, ...] = ("cost_usd",)
    min_impact_usd: float = 0.0
    budgets: bool = True
    sinks: tuple[Sink, ...] = field(default_factory=tuple)


def load_config(path: str | Path | None = None) -> AlertConfig:
    path = Path(path or os.environ.get("FINOPS_ALERTS_CONFIG") or DEFAULT_CONFIG)
    raw = yaml.safe_load(path.read_text()) or {}
    sinks = []
    for i, s in enumerate(raw.get("sinks") or []):
        if s.get("type") not in ("jsonl", "webhook"):
            raise ValueError(f"{path}: sink {i + 1}: type must be jsonl or webhook, not {s.get('type')!r}")
        if "url" in s:
            raise ValueError(f"{path}: sink {i + 1}: put the webhook URL in an environment variable (url_env)")
        unknown = sorted(set(s) - {f.name for f in fields(Sink)})
        if unknown:
            raise ValueError(f"{path}: sink {i + 1}: unknown setting(s) {unknown}")
        sinks.append(Sink(**{"name": s.get("name") or s["type"], **{k: v for k, v in s.items() if k != "name"}}))
    names = [s.name for s in sinks]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: sink names must be unique: {names}")
    anomalies = raw.get("anomalies") or {}
    return AlertConfig(
        grains=tuple(anomalies.get("grains", AlertConfig.grains)),
        levels=tuple(anomalies.get("levels", AlertConfig.levels)),
        metrics=tuple(anomalies.get("metrics", AlertConfig.metrics)),
        min_impact_usd=float(anomalies.get("min_impact_usd", 0)),
        budgets=bool(raw.get("budgets", True)),
        sinks=tuple(sinks),
    )


# --- what alerts -------------------------------------------------------------------------------------------------

ANOMALIES_SQL = """
select anomaly_id, grain, level, use_case_id, platform, model_id, metric, direction, started_at, ended_at,
       peak_value, peak_expected, peak_z, impact_usd, top_driver, volume_usd, tokens_per_transaction_usd,
       failures_retries_usd, model_mix_usd, spillover_usd, cache_usd, price_usd, capacity_usd, other_usd, status
from marts.fct_anomalies
where status <> 'withdrawn'
order by started_at, anomaly_id
"""

# the drivers' columns of fct_anomalies: <driver>_usd
DRIVER_COLUMNS = (*DRIVERS, "other")


def _rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _money(value) -> str:
    value = float(value)
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def anomaly_alert(a: dict) -> dict:
    who = " / ".join(str(a[k]) for k in ("use_case_id", "platform", "model_id") if a[k]) or "all use cases"
    drivers = sorted(((d, float(a[f"{d}_usd"])) for d in DRIVER_COLUMNS), key=lambda x: -abs(x[1]))
    top = ", ".join(f"{d.replace('_', ' ')} {_money(v)}" for d, v in drivers[:3] if v)
    text = (
        f"Cost anomaly ({a['grain']}): {who} {a['metric']} {a['direction']} from {a['started_at']:%Y-%m-%d %H:%M} UTC; "
        f"impact {_money(a['impact_usd'])} (peak {float(a['peak_value']):,.2f} vs {float(a['peak_expected']):,.2f} "
        f"expected, z {float(a['peak_z']):.1f}); top driver: {a['top_driver']}; drivers: {top}"
    )
    return {
        "key": f"anomaly:{a['anomaly_id']}",
        "kind": "anomaly",
        "text": text,
        "anomaly_id": a["anomaly_id"],
        "grain": a["grain"],
        "level": a["level"],
        "use_case_id": a["use_case_id"],
        "platform": a["platform"],
        "model_id": a["model_id"],
        "metric": a["metric"],
        "direction": a["direction"],
        "started_at": a["started_at"].isoformat(),
        "impact_usd": str(a["impact_usd"]),
        "top_driver": a["top_driver"],
        "drivers_usd": {d: str(a[f"{d}_usd"]) for d in DRIVER_COLUMNS},
        "status": a["status"],
    }


def budget_alert(b: dict) -> dict:
    """An open budget forecast over (the rows of the budget check: orchestration/forecast/checks.py)."""
    return {
        "key": f"budget:{b['scope']}:{b['scope_id']}:{b['month']:%Y-%m}",
        "kind": "budget",
        "text": f"Budget breach forecast: {describe(b)}",
        "scope": b["scope"],
        "scope_id": b["scope_id"],
        "month": f"{b['month']:%Y-%m}",
        "budget_usd": str(b["budget_usd"]),
        "forecast_month_end_usd": str(b["forecast_month_end_usd"]),
    }


def collect(duckdb_path: str, config: AlertConfig) -> list[dict]:
    """The alerts the warehouse holds now, by the configuration (delivered or not)."""
    import duckdb

    con = duckdb.connect(duckdb_path, read_only=True)
    try:
        anomalies = _rows(con, ANOMALIES_SQL)
    finally:
        con.close()
    budgets = [b for b in open_budgets(duckdb_path) if b["forecast_month_end_usd"] > b["budget_usd"]]
    out = [
        anomaly_alert(a)
        for a in anomalies
        if a["grain"] in config.grains
        and a["level"] in config.levels
        and a["metric"] in config.metrics
        and abs(float(a["impact_usd"])) >= config.min_impact_usd
    ]
    return out + ([budget_alert(b) for b in budgets] if config.budgets else [])


# --- delivery ------------------------------------------------------------------------------------------------------


def slack_payload(alert: dict) -> dict:
    """A Slack incoming-webhook message (text, plus one section block); the key lets a receiver de-duplicate."""
    return {
        "text": alert["text"],
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": alert["text"]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"genai-finops alert `{alert['key']}`"}]},
        ],
    }


class DeliveryError(RuntimeError):
    pass


def post_json(url: str, payload: dict, sink: Sink, sleep=time.sleep) -> int:
    """POST with retries on connection errors, 429 and 5xx (Retry-After honoured, else exponential backoff).
    Returns the attempts used; raises DeliveryError (without the URL) when every attempt failed."""
    body = json.dumps(payload).encode()
    last = ""
    for attempt in range(1, sink.retries + 2):
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        wait = sink.backoff_seconds * 2 ** (attempt - 1)
        try:
            with urllib.request.urlopen(request, timeout=sink.timeout_seconds) as response:
                if 200 <= response.status < 300:
                    return attempt
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code != 429 and exc.code < 500:
                raise DeliveryError(f"sink {sink.name}: rejected ({last})") from None
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            if retry_after and retry_after.isdigit():
                wait = float(retry_after)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            last = type(exc).__name__
        if attempt <= sink.retries:
            sleep(wait)
    raise DeliveryError(f"sink {sink.name}: {sink.retries + 1} attempts failed (last: {last})")


class DeliveryLog:
    """Which alert went to which sink: one JSON line per delivery, appended and flushed after the sink accepted."""

    def __init__(self, path: Path):
        self.path = path
        self.sent: set[tuple[str, str]] = set()
        if path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:  # a line cut by a crash: that delivery is retried
                        continue
                    self.sent.add((record["sink"], record["key"]))

    def done(self, sink: str, key: str) -> bool:
        return (sink, key) in self.sent

    def record(self, sink: str, key: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"sink": sink, "key": key, "delivered_at": datetime.now(UTC).isoformat()})
        with self.path.open("a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.sent.add((sink, key))


@dataclass
class DeliveryReport:
    sent: dict[str, int] = field(default_factory=dict)
    already: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{n}: {self.sent.get(n, 0)} sent, {self.already.get(n, 0)} already sent" for n in self.sent]
        parts += [f"{n}: not configured ({why})" for n, why in self.skipped.items()]
        parts += [f"{n}: FAILED ({why})" for n, why in self.failed.items()]
        return "; ".join(parts) or "no sinks configured"


def deliver(alerts: list[dict], config: AlertConfig, state_dir: Path, sleep=time.sleep) -> DeliveryReport:
    """Send each alert not yet delivered to each sink; record each delivery. A sink that fails keeps its
    remaining alerts for the next run (its failure is reported, the other sinks go on)."""
    log = DeliveryLog(state_dir / "delivered.jsonl")
    report = DeliveryReport()
    for sink in config.sinks:
        url = None
        if sink.type == "webhook":
            url = os.environ.get(sink.url_env or "")
            if not url:
                report.skipped[sink.name] = f"${sink.url_env} is not set"
                continue
        report.sent[sink.name] = report.already[sink.name] = 0
        for alert in alerts:
            if log.done(sink.name, alert["key"]):
                report.already[sink.name] += 1
                continue
            try:
                if sink.type == "jsonl":
                    target = state_dir.parent / (sink.path or "alerts.jsonl")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with target.open("a") as f:
                        f.write(json.dumps(alert, sort_keys=True) + "\n")
                else:
                    post_json(url, slack_payload(alert), sink, sleep=sleep)
            except (DeliveryError, OSError) as exc:
                report.failed[sink.name] = str(exc)
                break
            log.record(sink.name, alert["key"])
            report.sent[sink.name] += 1
    return report


def state_dir_for(duckdb_path: str) -> Path:
    """Where the delivery log lives: beside the warehouse (it belongs to that warehouse's alerts)."""
    return Path(duckdb_path + ".alerts")
