"""Running the pulls of sources.yml: each API source up to the last complete day, each bucket source synced."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from orchestration.pull.api import ApiSource, PullReport, pull
from orchestration.pull.config import SourcesConfig
from orchestration.pull.storage import BucketSource, SyncReport, sync
from orchestration.settings import Settings


def today_utc() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def pull_source(
    settings: Settings,
    source: ApiSource | BucketSource,
    log: Callable[[str], None] = print,
    until: datetime | None = None,
) -> PullReport | SyncReport:
    """One source: an API pulled up to `until` (default: today 00:00 UTC, complete days only), or a bucket synced."""
    pulled = Path(settings.pulled_root)
    state = Path(settings.pull_state_dir)
    if isinstance(source, BucketSource):
        return sync(source, str(pulled), str(state), log=log)
    return pull(source, pulled, state, until or today_utc(), log=log)


def pull_all(
    settings: Settings,
    config: SourcesConfig,
    log: Callable[[str], None] = print,
    only: str | None = None,
    until: datetime | None = None,
) -> list[PullReport | SyncReport]:
    sources = [s for s in (*config.apis, *config.buckets) if only in (None, s.name)]
    if only and not sources:
        raise KeyError(f"no source {only!r} in sources.yml; configured: {', '.join(config.names) or 'none'}")
    return [pull_source(settings, s, log, until) for s in sources]
