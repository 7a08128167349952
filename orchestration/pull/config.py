"""sources.yml: the one file a user edits to say what the pipeline pulls (FINOPS_SOURCES_CONFIG, default
sources.yml at the project root). A wrong or missing entry fails with a message naming the entry.

    apis:
      openai_usage:                      # the source's name (its cursor, its page files)
        provider: openai                 # openai | anthropic
        endpoint: usage_completions      # openai: usage_completions, costs; anthropic: usage_messages, cost_report
        api_key_env: OPENAI_ADMIN_KEY    # the environment variable holding the key (never the key itself)
        start: 2026-01-01                # first day to pull
        base_url: https://api.openai.com # optional
        bucket_width: 1d                 # optional: 1m, 1h, 1d
        window_days: 7                   # optional: days per request window
        schedule: "0 3 * * *"            # optional: cron, UTC
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from orchestration.pull.api import ApiSource

ENDPOINTS = {
    "openai": {"usage_completions": "openai_usage", "costs": "openai_costs"},
    "anthropic": {"usage_messages": "anthropic_usage", "cost_report": "anthropic_costs"},
}
BASE_URLS = {"openai": "https://api.openai.com", "anthropic": "https://api.anthropic.com"}
API_KEYS = {"provider", "endpoint", "api_key_env", "start", "base_url", "bucket_width", "window_days", "schedule"}
BUCKETS = {"openai": {"1m", "1h", "1d"}, "anthropic": {"1m", "1h", "1d"}}
CRON = re.compile(r"^\S+ \S+ \S+ \S+ \S+$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class SourcesConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SourcesConfig:
    apis: tuple[ApiSource, ...]
    schedules: dict[str, str]


def load_sources(path: str | Path | None = None) -> SourcesConfig:
    path = Path(path or os.environ.get("FINOPS_SOURCES_CONFIG", "sources.yml"))
    if not path.exists():
        return SourcesConfig((), {})
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SourcesConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict):
        raise SourcesConfigError(f"{path}: a mapping with the key 'apis' is expected")
    unknown = sorted(set(doc) - {"apis"})
    if unknown:
        raise SourcesConfigError(f"{path}: unknown section(s) {unknown} (known: apis)")
    apis, schedules = [], {}
    for name, entry in (doc.get("apis") or {}).items():
        where = f"{path}: apis.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
            raise SourcesConfigError(f"{where}: a source name is lower case letters, digits and _")
        if not isinstance(entry, dict):
            raise SourcesConfigError(f"{where}: a mapping of settings is expected")
        extra = sorted(set(entry) - API_KEYS)
        if extra:
            raise SourcesConfigError(f"{where}: unknown setting(s) {extra} (known: {sorted(API_KEYS)})")
        for key in ("provider", "endpoint", "api_key_env", "start"):
            if entry.get(key) in (None, ""):
                raise SourcesConfigError(f"{where}: '{key}' is missing")
        provider, endpoint = entry["provider"], entry["endpoint"]
        if provider not in ENDPOINTS:
            raise SourcesConfigError(f"{where}: provider {provider!r} is not one of {sorted(ENDPOINTS)}")
        if endpoint not in ENDPOINTS[provider]:
            raise SourcesConfigError(
                f"{where}: endpoint {endpoint!r} is not one of {sorted(ENDPOINTS[provider])} for {provider}"
            )
        if not ENV_NAME.match(str(entry["api_key_env"])):
            raise SourcesConfigError(
                f"{where}: api_key_env names an environment variable (like OPENAI_ADMIN_KEY), not a key"
            )
        try:
            start = date.fromisoformat(str(entry["start"]))
        except ValueError as exc:
            raise SourcesConfigError(f"{where}: start {entry['start']!r} is not a date (YYYY-MM-DD)") from exc
        bucket = str(entry.get("bucket_width", "1d"))
        if bucket not in BUCKETS[provider]:
            raise SourcesConfigError(f"{where}: bucket_width {bucket!r} is not one of {sorted(BUCKETS[provider])}")
        window = entry.get("window_days", 7)
        if not isinstance(window, int) or window < 1:
            raise SourcesConfigError(f"{where}: window_days is a whole number of days, at least 1")
        if "schedule" in entry:
            if not CRON.match(str(entry["schedule"])):
                raise SourcesConfigError(f"{where}: schedule {entry['schedule']!r} is not a cron expression")
            schedules[name] = str(entry["schedule"])
        apis.append(
            ApiSource(
                name=name,
                provider=provider,
                endpoint=endpoint,
                base_url=str(entry.get("base_url") or BASE_URLS[provider]),
                api_key_env=str(entry["api_key_env"]),
                dataset=ENDPOINTS[provider][endpoint],
                start=start.isoformat(),
                bucket_width=bucket,
                window_days=window,
            )
        )
    return SourcesConfig(tuple(apis), schedules)
