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
    buckets:
      bedrock_cur:                       # the source's name
        url: s3://my-billing-bucket/cur/genai-export   # s3://, gs://, abfs:// or a local folder
        dataset: aws_cur                 # the dataset its files are (orchestration/datasets.py)
        layout: cur2                     # cur2: AWS Data Exports (manifests); landing: day=YYYY-MM-DD/<file>
        endpoint_url: http://minio:9000  # optional: an S3-compatible endpoint
        region: us-east-1                # optional
        access_key_env: AWS_ACCESS_KEY_ID      # optional: else the client's own credential chain
        secret_key_env: AWS_SECRET_ACCESS_KEY
        schedule: "0 */6 * * *"          # optional: cron, UTC
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from orchestration.datasets import DATASETS
from orchestration.pull.api import ApiSource
from orchestration.pull.storage import LAYOUTS, BucketSource
from orchestration.settings import PROJECT_DIR

ENDPOINTS = {
    "openai": {"usage_completions": "openai_usage", "costs": "openai_costs"},
    "anthropic": {"usage_messages": "anthropic_usage", "cost_report": "anthropic_costs"},
}
BASE_URLS = {"openai": "https://api.openai.com", "anthropic": "https://api.anthropic.com"}
API_KEYS = {"provider", "endpoint", "api_key_env", "start", "base_url", "bucket_width", "window_days", "schedule"}
BUCKETS = {"openai": {"1m", "1h", "1d"}, "anthropic": {"1m", "1h", "1d"}}
BUCKET_KEYS = {
    "url",
    "dataset",
    "layout",
    "endpoint_url",
    "region",
    "access_key_env",
    "secret_key_env",
    "anonymous",
    "schedule",
}
CRON = re.compile(r"^\S+ \S+ \S+ \S+ \S+$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class SourcesConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SourcesConfig:
    apis: tuple[ApiSource, ...]
    schedules: dict[str, str]
    buckets: tuple[BucketSource, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in (*self.apis, *self.buckets))


def _check_entry(where: str, name, entry, known: set[str], required: tuple[str, ...]) -> None:
    """A source's name, that its entry is a mapping of known settings, and that the required ones are there."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
        raise SourcesConfigError(f"{where}: a source name is lower case letters, digits and _")
    if not isinstance(entry, dict):
        raise SourcesConfigError(f"{where}: a mapping of settings is expected")
    extra = sorted(set(entry) - known)
    if extra:
        raise SourcesConfigError(f"{where}: unknown setting(s) {extra} (known: {sorted(known)})")
    for key in required:
        if entry.get(key) in (None, ""):
            raise SourcesConfigError(f"{where}: '{key}' is missing")


def _schedule(where: str, name: str, entry: dict, schedules: dict[str, str]) -> None:
    if "schedule" in entry:
        if not CRON.match(str(entry["schedule"])):
            raise SourcesConfigError(f"{where}: schedule {entry['schedule']!r} is not a cron expression")
        schedules[name] = str(entry["schedule"])


def load_sources(path: str | Path | None = None) -> SourcesConfig:
    path = Path(path or os.environ.get("FINOPS_SOURCES_CONFIG") or PROJECT_DIR / "sources.yml")
    if not path.exists():
        return SourcesConfig((), {})
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SourcesConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict):
        raise SourcesConfigError(f"{path}: a mapping with the key 'apis' is expected")
    unknown = sorted(set(doc) - {"apis", "buckets"})
    if unknown:
        raise SourcesConfigError(f"{path}: unknown section(s) {unknown} (known: apis, buckets)")
    apis, schedules = [], {}
    for name, entry in (doc.get("apis") or {}).items():
        where = f"{path}: apis.{name}"
        _check_entry(where, name, entry, API_KEYS, ("provider", "endpoint", "api_key_env", "start"))
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
        _schedule(where, name, entry, schedules)
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
    buckets = _buckets(path, doc.get("buckets") or {}, schedules, {a.name for a in apis})
    return SourcesConfig(tuple(apis), schedules, buckets)


def _buckets(path: Path, section, schedules: dict[str, str], taken: set[str]) -> tuple[BucketSource, ...]:
    if not isinstance(section, dict):
        raise SourcesConfigError(f"{path}: buckets is a mapping of source names to settings")
    datasets = {d.name for d in DATASETS}
    out = []
    for name, entry in section.items():
        where = f"{path}: buckets.{name}"
        _check_entry(where, name, entry, BUCKET_KEYS, ("url", "dataset"))
        if name in taken:
            raise SourcesConfigError(f"{where}: the name is already used by apis.{name}")
        if entry["dataset"] not in datasets:
            raise SourcesConfigError(f"{where}: dataset {entry['dataset']!r} is not one of {sorted(datasets)}")
        layout = str(entry.get("layout", "landing"))
        if layout not in LAYOUTS:
            raise SourcesConfigError(f"{where}: layout {layout!r} is not one of {list(LAYOUTS)}")
        for key in ("access_key_env", "secret_key_env"):
            if key in entry and not ENV_NAME.match(str(entry[key])):
                raise SourcesConfigError(f"{where}: {key} names an environment variable, not a credential")
        if ("access_key_env" in entry) != ("secret_key_env" in entry):
            raise SourcesConfigError(f"{where}: access_key_env and secret_key_env go together")
        url = str(entry["url"])
        if "://" not in url:  # a local folder (tests, the demo's bucket layout): relative to sources.yml
            url = str((path.parent / url).resolve())
        _schedule(where, name, entry, schedules)
        out.append(
            BucketSource(
                name=name,
                url=url,
                dataset=str(entry["dataset"]),
                layout=layout,
                endpoint_url=entry.get("endpoint_url"),
                region=entry.get("region"),
                access_key_env=entry.get("access_key_env"),
                secret_key_env=entry.get("secret_key_env"),
                anonymous=bool(entry.get("anonymous", False)),
            )
        )
    return tuple(out)
