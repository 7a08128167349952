"""What is in a landing folder: the files to read, per dataset and arrival day, and everything else with the
reason it is not read.

Layout: `<landing>/<dataset landing folder>/day=YYYY-MM-DD/<file>`. Every entry under a dataset's folder is
accounted for, either as a landing file of its arrival day or as a skip with a reason:

- `not_a_day_folder`: a folder under the dataset that is not `day=YYYY-MM-DD` with a real date
  (`DAY=...`, `day=2026-1-2`, `day=2026-13-45`, `2026-01-02`);
- `not_in_a_day_folder`: a file directly in the dataset's folder;
- `nested_folder`: a folder inside a day folder (files are not searched for below it);
- `unsupported_extension`: not one of LANDING_SUFFIXES (compared case-insensitively: `.JSONL` is read);
- `hidden_file`: a name starting with `.` (editor and OS droppings such as `.DS_Store`);
- `not_a_regular_file`: a FIFO, socket or device (reading one could block forever);
- `outside_landing`: a symbolic link whose target lies outside the landing folder (symbolic links are
  resolved; a link that stays inside the landing folder is read like the file it points to);
- `broken_link`: a symbolic link to nothing.

A landing folder named like a dataset with other spelling (`usage-events`) is not a dataset: it is reported
by `unknown_folders`. Paths are used literally everywhere (never as glob patterns): a file named `x[1].jsonl`
is that file. Object-storage landing folders (fsspec URLs) hold only regular objects, so only the name rules
apply there.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass, field
from datetime import date

import fsspec
import fsspec.implementations.local

LANDING_SUFFIXES = (".parquet", ".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson", ".ndjson.gz", ".csv")
DAY_FOLDER = re.compile(r"day=(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Skipped:
    path: str  # relative to the dataset's landing folder
    reason: str
    day: str | None = None  # the arrival day when the entry sits in a valid day folder


@dataclass
class DatasetListing:
    files: dict[str, list[str]] = field(default_factory=dict)  # arrival day -> full paths, sorted
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def days(self) -> list[str]:
        return sorted(self.files)

    def discovered(self) -> int:
        return sum(len(v) for v in self.files.values()) + len(self.skipped)


def suffix_of(name: str) -> str | None:
    """The landing suffix of a file name (lower-cased), or None."""
    lower = name.lower()
    return next((s for s in sorted(LANDING_SUFFIXES, key=len, reverse=True) if lower.endswith(s)), None)


def day_of_folder(name: str) -> str | None:
    """YYYY-MM-DD for a `day=YYYY-MM-DD` folder name with a real date, else None."""
    m = DAY_FOLDER.fullmatch(name)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def _is_local(fs) -> bool:
    return isinstance(fs, fsspec.implementations.local.LocalFileSystem)


def _full(fs, path: str) -> str:
    return path if _is_local(fs) else fs.unstrip_protocol(path)


def _classify_local(path: str, landing_root: str) -> str | None:
    """None for a regular file inside the landing folder, else the skip reason."""
    try:
        st = os.stat(path)  # follows symbolic links
    except FileNotFoundError:
        return "broken_link"
    except OSError:
        return "not_a_regular_file"
    if os.path.islink(path):
        real = os.path.realpath(path)
        root = os.path.realpath(landing_root)
        if os.path.commonpath([real, root]) != root:
            return "outside_landing"
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    if not stat.S_ISREG(st.st_mode):
        return "not_a_regular_file"
    return None


def _entries(fs, folder: str) -> list[tuple[str, str]]:
    """(name, kind) of a folder's entries, kind 'directory' or 'file' (a local link is classified later)."""
    out = []
    for info in fs.ls(folder, detail=True):
        name = posixpath.basename(info["name"].rstrip("/"))
        out.append((name, info.get("type", "file")))
    return sorted(out)


def list_dataset(landing_dir: str, landing_folder: str) -> DatasetListing:
    """Every entry under `<landing>/<landing_folder>/`: landing files by arrival day, the rest skipped."""
    fs, root = fsspec.core.url_to_fs(landing_dir)
    base = posixpath.join(root, landing_folder)
    listing = DatasetListing()
    if not fs.isdir(base):
        return listing
    local = _is_local(fs)

    def kind_of(path: str, listed_kind: str) -> str | None:
        if not local:
            return "folder" if listed_kind == "directory" else None
        return _classify_local(path, root)

    for name, listed in _entries(fs, base):
        path = posixpath.join(base, name)
        kind = kind_of(path, listed)
        if kind == "folder":
            day = day_of_folder(name)
            if day is None:
                listing.skipped.append(Skipped(name + "/", "not_a_day_folder"))
                continue
            for fname, flisted in _entries(fs, path):
                fpath = posixpath.join(path, fname)
                rel = f"{name}/{fname}"
                fkind = kind_of(fpath, flisted)
                if fkind == "folder":
                    listing.skipped.append(Skipped(rel + "/", "nested_folder", day))
                elif fkind is not None:
                    listing.skipped.append(Skipped(rel, fkind, day))
                elif fname.startswith("."):
                    listing.skipped.append(Skipped(rel, "hidden_file", day))
                elif suffix_of(fname) is None:
                    listing.skipped.append(Skipped(rel, "unsupported_extension", day))
                else:
                    listing.files.setdefault(day, []).append(_full(fs, fpath))
        elif kind is not None:
            listing.skipped.append(Skipped(name, kind))
        else:
            listing.skipped.append(Skipped(name, "not_in_a_day_folder"))
    for day in listing.files:
        listing.files[day].sort()
    return listing


def unknown_folders(landing_dir: str, known: set[str]) -> list[str]:
    """Entries at the top of the landing folder that are no dataset's folder (reported, never read)."""
    fs, root = fsspec.core.url_to_fs(landing_dir)
    if not fs.isdir(root):
        return []
    return sorted(name for name, _ in _entries(fs, root) if name not in known and not name.startswith((".", "_")))


def list_roots(roots: str | tuple[str, ...] | list[str], landing_folder: str) -> DatasetListing:
    """A dataset's entries across landing roots (the user's landing folder, then the pulled folder). Entries of
    the first root keep paths relative to its dataset folder; those of later roots carry their full path. A
    file of a later root named like one of the same day in an earlier root is skipped (`same_name_in_landing`):
    the two would be one file to the lake."""
    if isinstance(roots, str):
        return list_dataset(roots, landing_folder)
    merged = DatasetListing()
    for i, root in enumerate(roots):
        listing = list_dataset(root, landing_folder)
        if i == 0:
            merged = listing
            continue
        base = posixpath.join(fsspec.core.url_to_fs(root)[1], landing_folder)
        for s in listing.skipped:
            merged.skipped.append(Skipped(posixpath.join(base, s.path), s.reason, s.day))
        for day, paths in listing.files.items():
            names = {posixpath.basename(p) for p in merged.files.get(day, [])}
            for path in paths:
                if posixpath.basename(path) in names:
                    merged.skipped.append(Skipped(path, "same_name_in_landing", day))
                else:
                    merged.files.setdefault(day, []).append(path)
            if day in merged.files:
                merged.files[day].sort()
    return merged
