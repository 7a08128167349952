"""Syncing object storage (S3 and S3-compatible stores, GCS, Azure Blob, a local folder: any fsspec URL) into the
pulled folder, a landing-shaped folder ingestion reads beside the user's landing folder.

Why fsspec (s3fs) rather than DuckDB's httpfs: the landing listing and ingestion already speak fsspec, listing
returns each object's ETag and last-modified (httpfs globs names only), and the same code serves gs:// (gcsfs)
and abfs:// (adlfs) when those clients are installed. Objects are copied whole into the pulled folder, so a
file is read from the store once, and what was read stays for a re-run even if the store changes.

Layouts (`layout` in sources.yml):
- `landing`: the prefix is laid out like a landing dataset folder (`day=YYYY-MM-DD/<file>`). Every object is
  mirrored as it is (objects elsewhere too: the landing listing then reports them as skipped, with the reason,
  so nothing in the bucket goes unaccounted for). An object deleted from the bucket is deleted from the pulled
  folder (its rows leave the lake at the next ingestion of its day).
- `cur2`: an AWS Data Exports (CUR 2.0) export: `metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json` lists the
  data files of the period's current delivery (AWS writes it after every data file). A delivery lands on the day
  it arrived (the manifest's last-modified day, at most the period's last day: a landing day is never before the
  charges it holds); a re-delivered period replaces its files (files of the earlier delivery that the new
  manifest no longer lists are removed, wherever they landed), so the period is re-read whole, never added to.
  Data files no manifest lists (a delivery under way, or left over) are not read.

Change detection: per object its ETag, size and last-modified, kept in `<state dir>/<source>.json` after each
object, so an interrupted sync resumes and an unchanged object is never downloaded again. A download goes to a
temporary name and is renamed into place; an object whose ETag changed while it was being read is left for the
next sync.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import fsspec

from orchestration.pull.api import StateFile

LAYOUTS = ("landing", "cur2")
BILLING_PERIOD = re.compile(r"BILLING_PERIOD=(\d{4})-(\d{2})")


class SyncError(RuntimeError):
    pass


@dataclass(frozen=True)
class BucketSource:
    """One object-storage prefix to sync (an entry of sources.yml `buckets`)."""

    name: str
    url: str  # s3://bucket/prefix, gs://..., abfs://..., or a local folder
    dataset: str  # the dataset folder its files land in (orchestration/datasets.py)
    layout: str = "landing"
    endpoint_url: str | None = None  # an S3-compatible endpoint (MinIO, a local server)
    region: str | None = None
    access_key_env: str | None = None  # environment variables holding the credentials (never the values)
    secret_key_env: str | None = None
    anonymous: bool = False

    def storage_options(self) -> dict:
        if not self.url.startswith(("s3://", "s3a://")):
            return {}
        opts: dict = {"anon": self.anonymous}
        client: dict = {}
        if self.endpoint_url:
            client["endpoint_url"] = self.endpoint_url
        if self.region:
            client["region_name"] = self.region
        if client:
            opts["client_kwargs"] = client
        for attr, opt in (("access_key_env", "key"), ("secret_key_env", "secret")):
            env = getattr(self, attr)
            if env:
                value = os.environ.get(env)
                if not value:
                    raise SyncError(f"bucket source {self.name}: the environment variable {env} is not set")
                opts[opt] = value
        return opts

    def filesystem(self):
        fs, root = fsspec.core.url_to_fs(self.url, **self.storage_options())
        return fs, root.rstrip("/")


@dataclass
class SyncReport:
    source: str
    listed: int = 0
    downloaded: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes: int = 0
    not_delivered: list[str] = field(default_factory=list)  # cur2: data files no manifest lists
    changed_while_read: list[str] = field(default_factory=list)
    days: set[str] = field(default_factory=set)  # landing days whose files changed
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.source}: {self.listed} objects listed, {self.downloaded} downloaded ({self.bytes:,} bytes), "
            f"{self.unchanged} unchanged, {self.removed} removed"
            + (f", {len(self.not_delivered)} data files no manifest lists (not read)" if self.not_delivered else "")
            + (f", {len(self.changed_while_read)} changed while read (next sync)" if self.changed_while_read else "")
            + f" ({self.seconds:.1f} s)"
        )


def _modified(info: dict):
    """An object's last-modified value as its client gives it (S3: LastModified, local: mtime, GCS: updated)."""
    return info.get("LastModified") or info.get("last_modified") or info.get("mtime") or info.get("updated")


def fingerprint(info: dict) -> dict:
    """What identifies an object's content: ETag (or MD5), size and last-modified."""
    modified = _modified(info)
    etag = info.get("ETag") or info.get("etag") or info.get("md5Hash")
    return {
        "etag": str(etag).strip('"') if etag else None,
        "size": info.get("size"),
        "modified": str(modified) if modified is not None else None,
    }


def _plan_landing(fs, root: str) -> tuple[dict[str, tuple[str, dict]], list[str]]:
    """target path (relative to the dataset folder) -> (object path, info), for every object under the prefix."""
    plan = {}
    for path, info in sorted(fs.find(root, detail=True).items()):
        if info.get("type", "file") != "file":
            continue
        rel = posixpath.relpath(path, root)
        plan[rel] = (path, info)
    return plan, []


def _period_last_day(folder: str) -> date | None:
    m = BILLING_PERIOD.search(folder)
    if not m:
        return None
    try:
        first = date(int(m[1]), int(m[2]), 1)
    except ValueError:
        return None
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _modified_day(info: dict) -> date | None:
    """The UTC day an object was last written."""
    value = _modified(info)
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).date()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).date()
        except ValueError:
            return None
    return None


def _plan_cur2(fs, root: str) -> tuple[dict[str, tuple[str, dict]], list[str]]:
    """The files each period's manifest lists, to `day=<delivery day>/<file name>`; data files no manifest lists."""
    everything = {p: i for p, i in fs.find(root, detail=True).items() if i.get("type", "file") == "file"}
    plan: dict[str, tuple[str, dict]] = {}
    listed: set[str] = set()
    for path in sorted(everything):
        rel = posixpath.relpath(path, root)
        if not (rel.startswith("metadata/") and path.endswith("Manifest.json")):
            continue
        last = _period_last_day(rel)
        if last is None:
            raise SyncError(f"{path}: a manifest outside a BILLING_PERIOD=YYYY-MM folder")
        delivered = _modified_day(everything[path])
        day = min(last, delivered).isoformat() if delivered else last.isoformat()
        try:
            manifest = json.loads(fs.cat_file(path))
        except ValueError as exc:
            raise SyncError(f"{path}: not a JSON manifest ({exc})") from exc
        files = manifest.get("dataFiles")
        if not isinstance(files, list):
            raise SyncError(f"{path}: the manifest has no dataFiles list")
        for url in files:
            data_path = fsspec.core.strip_protocol(str(url)) if "://" in str(url) else posixpath.join(root, str(url))
            if data_path not in everything:
                # a manifest naming a file that is not there: the delivery is incomplete, read none of it
                raise SyncError(f"{path}: lists {url}, which is not in the bucket (delivery incomplete)")
            listed.add(data_path)
            plan[f"day={day}/{posixpath.basename(data_path)}"] = (data_path, everything[data_path])
    stray = sorted(p for p in everything if posixpath.relpath(p, root).startswith("data/") and p not in listed)
    return plan, stray


def sync(
    source: BucketSource,
    pulled_dir: str,
    state_dir: str,
    log: Callable[[str], None] = lambda _: None,
    fs=None,
) -> SyncReport:
    """Bring the prefix's new and changed objects into `<pulled_dir>/<dataset>/`, remove what left it."""
    if source.layout not in LAYOUTS:
        raise SyncError(f"bucket source {source.name}: layout {source.layout!r} is not one of {LAYOUTS}")
    started = time.perf_counter()
    report = SyncReport(source.name)
    if fs is None:
        fs, root = source.filesystem()
    else:
        root = fsspec.core.strip_protocol(source.url).rstrip("/")
    fs.invalidate_cache()  # a listing cached by an earlier sync in this process would hide what changed
    if not fs.exists(root):
        raise SyncError(f"bucket source {source.name}: {source.url} does not exist (or is not readable)")
    plan, stray = (_plan_cur2 if source.layout == "cur2" else _plan_landing)(fs, root)
    report.listed = len(plan)
    report.not_delivered = stray
    target_root = Path(pulled_dir) / source.dataset
    state_file = StateFile(Path(state_dir) / f"{source.name}.json")
    objects: dict[str, dict] = state_file.load()

    for rel in sorted(set(objects) - set(plan)):  # gone from the bucket (or no longer delivered)
        target = target_root / rel
        if target.exists():
            target.unlink()
        report.removed += 1
        report.days.add(rel.split("/", 1)[0])
        del objects[rel]
        state_file.save(objects)
        log(f"{source.name}: removed {rel} (no longer in {source.url})")

    for rel, (path, info) in plan.items():
        fp = {**fingerprint(info), "object": path}
        target = target_root / rel
        if objects.get(rel) == fp and target.exists():
            report.unchanged += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.partial")
        fs.get_file(path, str(tmp))
        after = fingerprint(fs.info(path))
        if after["etag"] != fp["etag"] or after["size"] != fp["size"]:
            tmp.unlink()
            report.changed_while_read.append(path)
            continue
        os.replace(tmp, target)
        report.downloaded += 1
        report.bytes += int(info.get("size") or 0)
        report.days.add(rel.split("/", 1)[0])
        objects[rel] = fp
        state_file.save(objects)
    report.seconds = time.perf_counter() - started
    log(report.summary())
    return report
