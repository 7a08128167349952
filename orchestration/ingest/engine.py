"""Landing files -> raw lake (Parquet, partitioned by day) + quarantine + ingestion log.

Landing files are read in batches (engine._batches: files of one format, up to BATCH_BYTES; a CSV file alone),
one statement per step for the whole batch, batches side by side on their own connections; every record keeps
its own file, line and arrival day, and each file's outputs are its own, exactly as if it were read alone. A
batch that cannot be read whole (a corrupt file, Parquet files of different schemas, the time limit) is read
again file by file, so each file gets its own outcome. Per landing file, in DuckDB (vectorised; no per-row Python):
1. read it as text fields: JSON lines (`*.jsonl`, `*.json`, optionally `.gz`) are split into lines and
   each field is pulled with one `json_extract_string` call per line; Parquet columns are cast to text.
   Only the contract's fields are read, so content fields never reach the lake.
2. check every record against the contract; the first broken rule gives `field` and `reason`.
3. write good records, typed, to `<lake>/<dataset>/<partition_column>=<day>/<file_key>.part<n>.parquet`, bad
   ones (if any) to `<lake>/<dataset>_quarantine/day=<arrival day>/<file_key>.parquet`, and one row of counts
   to `<lake>/<dataset>_ingestion_log/day=<arrival day>/<file_key>.parquet`.

Landing files live in `<landing>/<dataset>/day=<arrival day>/` (orchestration/ingest/landing.py lists them
and says why anything else is skipped); the arrival day is the Dagster partition. Each file's `file_key` is
`<arrival day>__<readable stem>__<hash of its name>`: unique for every distinct landing file, short enough for
any file system, and mapped back to the file by the ingestion log. Re-loading a file or a whole arrival day
first removes what that file (or day) wrote before: nothing is duplicated. Each file's counts reconcile:
records_read = records_loaded + records_quarantined; each dataset's entries: discovered = loaded + skipped.

Paths are read literally: DuckDB gets a private link (or copy) with a plain name, never the landing name, so
brackets or asterisks in a file name are never expanded as patterns. Timestamps without a zone are read in
`naive_timezone` (UTC unless configured), never the host's zone. A file that takes longer than
`file_timeout_s` to read is interrupted and logged unreadable (a batch that does is read again file by file,
each with that time limit).
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import fsspec
import fsspec.implementations.local
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.datasets import DATASETS, Dataset
from orchestration.ingest.contracts import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, Contract, Field
from orchestration.ingest.landing import Skipped, list_roots, suffix_of
from orchestration.ingest.otel import otel_relation
from orchestration.parallel import at_once


@dataclass(frozen=True)
class FileResult:
    dataset: str
    source_file: str
    file_key: str
    records_read: int
    records_loaded: int
    records_quarantined: int
    status: str  # loaded | unreadable | skipped
    error: str | None  # why a file was unreadable, or the skip reason
    seconds: float


class IngestionError(RuntimeError):
    pass


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def full_path(fs, path: str) -> str:
    """A path DuckDB can open: local paths as they are, object-store paths with their protocol (s3://...)."""
    if isinstance(fs, fsspec.implementations.local.LocalFileSystem):
        return path
    return fs.unstrip_protocol(path)


def lake_files(lake_dir: str, dataset: str, partition_glob: str, name_glob: str) -> list[str]:
    """Files of the lake (written by ingestion, so their names hold no pattern characters)."""
    fs, root = fsspec.core.url_to_fs(lake_dir)
    return sorted(full_path(fs, p) for p in fs.glob(posixpath.join(root, dataset, partition_glob, name_glob)))


def arrival_files(fs, root: str, dataset: str, days: list[str] | set[str]) -> list[str]:
    """The data files landing files of these arrival days wrote to a dataset, in any of its partitions
    (`<partition>=<day>/<arrival day>__<key>.part<n>.parquet`): one listing of the dataset's folder, however
    many days (a glob per day would walk every partition once per day)."""
    base = posixpath.join(root, dataset)
    if not fs.isdir(base):
        return []
    wanted = set(days)
    out = []
    for path in fs.find(base):
        name = posixpath.basename(path)
        if ".part" in name and name.endswith(".parquet") and name.split("__", 1)[0] in wanted:
            out.append(path)
    return sorted(out)


def run_files(lake_dir: str, dataset: str, days: list[str]) -> list[str]:
    """The lake files a run's arrival days wrote to a dataset (see arrival_files), as DuckDB opens them."""
    fs, root = fsspec.core.url_to_fs(lake_dir)
    return [full_path(fs, p) for p in arrival_files(fs, root, dataset, days)]


def oldest_event_day(lake_dir: str, datasets: tuple[Dataset, ...], first_day: str, last_day: str) -> str | None:
    """The oldest day partition that files arriving in [first_day, last_day] wrote rows to, across `datasets`:
    where the incremental models must rebuild from to take in late data of any age. Read from the lake's file
    names (`<partition>=<day>/<arrival day>__...`), no data read."""
    fs, root = fsspec.core.url_to_fs(lake_dir)
    oldest = None
    for ds in datasets:
        base = posixpath.join(root, ds.name)
        if not fs.isdir(base):
            continue
        for path in fs.find(base):
            folder, name = posixpath.split(path)
            arrival = name.split("__", 1)[0]
            if not (first_day <= arrival <= last_day) or not name.endswith(".parquet"):
                continue
            day = posixpath.basename(folder).split("=", 1)[-1]
            if oldest is None or day < oldest:
                oldest = day
    return oldest


def file_key(day: str, path: str) -> str:
    """`<arrival day>__<readable stem>__<10 hex digits of the hash of the name>`: unique per entry of a day
    (`a b.jsonl` and `a_b.jsonl`, `x.jsonl` and `x.csv` differ), at most ~70 characters whatever the name.
    `path` is a landing file (its name counts) or a skipped entry's path within the dataset folder."""
    name = posixpath.basename(path.rstrip("/"))
    suffix = suffix_of(name) or ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:40] or "entry"
    hashed = path if path.endswith("/") or day == UNDATED else name  # folders and undated entries: the whole path
    digest = hashlib.sha1(hashed.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"{day}__{safe}__{digest}"


NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)


DECIMAL = "decimal(38, 10)"
# bump when the lake's own files change (2: _arrival_date; 3: schema.parquet; 4: keys; 5: one schema per folder,
# the files of older contracts rewritten: conform_files)
LAKE_LAYOUT_VERSION = 5


# A number given as text (CSV cells, JSON strings, OTLP's string-encoded intValue) must be exactly a number:
# no padding, no digit separators ("1_000"), no leading '+' or zeros, no words
STRICT_NUMBER = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?"


def _strict_number(text: str, target: str = "double") -> str:
    return f"case when regexp_full_match({text}, '{STRICT_NUMBER}') then try_cast({text} as {target}) end"


def _typed_columns(f: Field, native: str | None, source: str) -> list[str]:
    """raw_<f> (text, for messages and hashing) and, for numbers and times, num_<f> / ts_<f> parsed once."""
    text = source if native in (None, "VARCHAR") else f"cast({source} as varchar)"
    out = [f"{text} as raw_{f.name}"]
    is_native_number = bool(native) and native.startswith(NUMERIC_TYPES)
    if f.kind in ("integer", "number"):
        out.append(
            f"cast({source} as double) as num_{f.name}"
            if is_native_number
            else f"{_strict_number(text)} as num_{f.name}"
        )
    if f.kind == "decimal":
        # exact to 10 places; a value in scientific notation goes through double
        exact = f"try_cast({text} as {DECIMAL})"
        via_double = f"try_cast(try_cast({text} as double) as {DECIMAL})"
        parsed = f"coalesce({exact}, {via_double})"
        out.append(
            f"{parsed} as num_{f.name}"
            if is_native_number
            else f"case when regexp_full_match({text}, '{STRICT_NUMBER}') then {parsed} end as num_{f.name}"
        )
    if f.kind == "epoch_s":
        number = f"cast({source} as double)" if is_native_number else _strict_number(text)
        out.append(f"{number} as num_{f.name}")
        out.append(f"to_timestamp({number}) as ts_{f.name}")
    if f.kind == "timestamp":
        if native == "TIMESTAMP WITH TIME ZONE":
            out.append(f"{source} as ts_{f.name}")
        elif native and native.startswith("TIMESTAMP"):
            out.append(f"cast(cast({source} as timestamp) as timestamptz) as ts_{f.name}")  # naive: naive_timezone
        elif f.formats:
            # formats without a zone are read in the connection's time zone (naive_timezone)
            parsed = ", ".join(f"try_strptime({text}, {_sql_str(fmt)})" for fmt in f.formats)
            out.append(
                f"coalesce(cast(coalesce({parsed}) as timestamptz), try_cast({text} as timestamptz)) as ts_{f.name}"
            )
        else:
            out.append(f"try_cast({text} as timestamptz) as ts_{f.name}")
    return out


def _column_for(f: Field, path: str | None = None) -> tuple[str, str | None]:
    """Column of a tabular file (Parquet, CSV) holding a field, and the JSON path inside it for nested paths:
    '$.startTime' -> column startTime; '$.metadata.user.id' -> column metadata, '$.user.id' inside it."""
    path = path or (f.paths[0] if f.path else None)
    if not path or ":" in path.split("$")[0]:
        return f.name, None
    parts = path.removeprefix("$.").split(".", 1)
    return parts[0], ("$." + parts[1]) if len(parts) > 1 else None


FILE_COL = "__finops_file"  # which file of a batch a record came from (0, 1, ... in the batch's order)
DAY_COL = "__finops_day"  # that file's arrival day (text)
SOURCE_COL = "__finops_source"  # that file's landing path
KEY_COL = "__finops_key"  # that file's file_key


def _with_default(f: Field, expr: str) -> str:
    """The field's text, or its file's landing day for a field that defaults to it."""
    if not f.landing_day_default:
        return expr
    return f"coalesce(nullif(trim({expr}), ''), {DAY_COL} || 'T00:00:00Z')"


def _files_values(files: list[tuple[str, str]], name_column: str) -> str:
    """The batch's files as a relation: (name_column = the path DuckDB reads, FILE_COL, DAY_COL)."""
    rows = ", ".join(f"({_sql_str(path)}, {i}, {_sql_str(day)})" for i, (path, day) in enumerate(files))
    return f"(values {rows}) as _files({name_column}, {FILE_COL}, {DAY_COL})"


def _texts(files: list[tuple[str, str]]) -> str:
    """Each text file of the batch whole, one row per file: FILE_COL, DAY_COL, content."""
    paths = "[" + ", ".join(_sql_str(p) for p, _ in files) + "]"
    return (
        f"select {FILE_COL}, {DAY_COL}, content from read_text({paths}) "
        f"join {_files_values(files, 'filename')} using (filename)"
    )


def _source_relation(con: duckdb.DuckDBPyConnection, contract: Contract, files: list[tuple[str, str]]) -> str:
    """A SQL relation over a batch of landing files (readable path, arrival day) of one format: FILE_COL and
    DAY_COL (which file), line_no, is_json_valid, is_object, and per contract field its text (raw_<f>) and, for
    numbers and timestamps, its parsed value (num_<f>, ts_<f>). Parquet files of a batch share one schema; a
    CSV file is a batch of its own (its rows are numbered in reading order)."""
    first = files[0][0]
    carried = f"{FILE_COL}, {DAY_COL}"
    if first.endswith((".parquet", ".csv")):
        if first.endswith(".parquet"):
            paths = "[" + ", ".join(_sql_str(p) for p, _ in files) + "]"
            scan = (
                f"(select * from read_parquet({paths}, filename = '__finops_name', file_row_number = true) "
                f"join {_files_values(files, '__finops_name')} using (__finops_name))"
            )
            line = "file_row_number + 1"  # the row
        else:
            if len(files) != 1:
                raise ValueError("a CSV file is read alone")
            # every column as text; header on line 1, so a record's line is its row number + 1
            nulls = "".join(f", {_sql_str(v)}" for v in contract.null_strings)
            csv_scan = f"read_csv({_sql_str(first)}, all_varchar = true, header = true, nullstr = [''{nulls}])"
            scan = (
                f"(select *, row_number() over () as _row, 0 as {FILE_COL}, {_sql_str(files[0][1])} as {DAY_COL} "
                f"from {csv_scan})"
            )
            line = "_row + 1"
        native = {r[0]: r[1] for r in con.execute(f"describe select * from {scan}").fetchall()}
        cols = []
        for f in contract.fields:
            located = [_column_for(f, p) for p in f.paths] if f.path else [_column_for(f)]
            column, json_path = next(((c, j) for c, j in located if c in native), located[0])
            if column in native and json_path:
                text = f'json_extract_string("{column}", {_sql_str(json_path)})'
                cols += _typed_columns(f, None, _with_default(f, text))
            elif column in native and f.landing_day_default:
                cols += _typed_columns(f, None, _with_default(f, f'cast("{column}" as varchar)'))
            elif column in native:
                cols += _typed_columns(f, native[column], f'"{column}"')
            elif f.landing_day_default:
                cols += _typed_columns(f, None, _with_default(f, "cast(null as varchar)"))
            else:
                cols += [f"cast(null as varchar) as raw_{f.name}"]
                if f.kind in ("integer", "number", "decimal", "epoch_s"):
                    cols.append(f"cast(null as {DECIMAL if f.kind == 'decimal' else 'double'}) as num_{f.name}")
                if f.kind in ("timestamp", "epoch_s"):
                    cols.append(f"cast(null as timestamptz) as ts_{f.name}")
        return f"""
            select {carried}, {line} as line_no, false as is_invalid_utf8, true as is_json_valid, true as is_object,
            false as has_duplicate_key, {", ".join(cols)}
            from {scan}
        """
    if contract.reader == "otel":
        typed = ", ".join(c for f in contract.fields for c in _typed_columns(f, None, f"raw_{f.name}")[1:])
        relation = otel_relation(_texts(files), contract.field_names, (FILE_COL, DAY_COL))
        return f"select *, false as is_invalid_utf8, false as has_duplicate_key, {typed} from ({relation})"
    if contract.explode:
        return _exploded_relation(contract, files)
    all_paths = [p for f in contract.fields if not f.is_sum for p in f.paths]
    paths = "[" + ", ".join(_sql_str(p) for p in all_paths) + "]"
    extracted, sums, i = [], [], 1
    for f in contract.fields:
        if f.is_sum:  # the sum of the numbers a list path finds (a record without any: null)
            values = f"json_extract_string(line, {_sql_str(f.paths[0])})"
            sums.append(
                f"case when is_object then cast(list_sum("
                f"list_transform({values}, lambda x: try_cast(x as {DECIMAL}))) as varchar) end as sum_{f.name}"
            )
            extracted.append(f"sum_{f.name} as raw_{f.name}")
            continue
        found = [f"v[{i + k}]" for k in range(len(f.paths))]
        i += len(f.paths)
        text = found[0] if len(found) == 1 else f"coalesce({', '.join(found)})"
        extracted.append(f"{_with_default(f, text)} as raw_{f.name}")
    extracted = ", ".join(extracted)
    sums = "".join(f", {c}" for c in sums)
    typed = ", ".join(c for f in contract.fields for c in _typed_columns(f, None, f"raw_{f.name}")[1:])
    # read_text keeps each file byte-exact; splitting on newlines gives 1-based line numbers
    return f"""
        with documents as (
            -- JSON lines; or one (pretty-printed) JSON document; or a JSON array of records
            select {carried}, case
                when json_valid(content) and json_type(content::json) = 'ARRAY'
                    then cast(json_extract(content, '$[*]') as varchar[])
                when json_valid(content) and not json_valid(string_split(content, chr(10))[1]) then [content]
                else string_split(replace(content, chr(13), ''), chr(10))
            end as l
            from ({_texts(files)})
        ),
        lines as (
            select {carried}, unnest(range(1, len(l) + 1)) as line_no, unnest(l) as line
            from documents
        ),
        classified as (
            select {carried}, line_no, line, trim(line) = {_sql_str(INVALID_UTF8_MARKER)} as is_invalid_utf8,
                   json_valid(line) as is_json_valid,
                   case when json_valid(line) then json_type(line::json) = 'OBJECT' else false end as is_object
            from lines
            where trim(line) <> ''
        ),
        parsed as (
            select {carried}, line_no, is_invalid_utf8, is_json_valid, is_object,
                   -- a key twice in one record: readers disagree on which one counts, so neither does
                   case when is_object then len(json_keys(line)) <> len(list_distinct(json_keys(line))) else false
                   end as has_duplicate_key,
                   case when is_object then json_extract_string(line, {paths}) end as v{sums}
            from classified
        ),
        fields as (
            select {carried}, line_no, is_invalid_utf8, is_json_valid, is_object, has_duplicate_key, {extracted}
            from parsed
        )
        select *{", " + typed if typed else ""}
        from fields
    """


def _exploded_relation(contract: Contract, files: list[tuple[str, str]]) -> str:
    """Aggregated report pages: each document's nested lists unnested level by level (contract.explode);
    one record per element of the last level; a field 'N:$.x' reads level N (0 = the document)."""
    last = len(contract.explode)
    carried = f"{FILE_COL}, {DAY_COL}"
    levels = []
    for i, list_path in enumerate(contract.explode, 1):
        source = "docs where is_object" if i == 1 else f"level{i - 1}"
        kept = ", ".join(f"l{j}" for j in range(i))
        levels.append(
            f"level{i} as (select {carried}, line_no, {kept}, "
            f"unnest(json_extract(l{i - 1}, {_sql_str(list_path)})) as l{i} from {source})"
        )

    def one(spec: str) -> str:
        level, _, json_path = spec.partition(":") if spec[0].isdigit() else (str(last), "", spec)
        return f"json_extract_string(l{level}, {_sql_str(json_path)})"

    def value(f: Field) -> str:
        found = [one(p) for p in f.paths]
        return _with_default(f, found[0] if len(found) == 1 else f"coalesce({', '.join(found)})")

    fields = ", ".join(f"{value(f)} as raw_{f.name}" for f in contract.fields)
    nulls = ", ".join(f"cast(null as varchar) as raw_{f.name}" for f in contract.fields)
    typed = ", ".join(c for f in contract.fields for c in _typed_columns(f, None, f"raw_{f.name}")[1:])
    return f"""
        with documents as (
            select {carried}, case
                when json_valid(content) and not json_valid(string_split(content, chr(10))[1]) then [content]
                else string_split(replace(content, chr(13), ''), chr(10))
            end as l
            from ({_texts(files)})
        ),
        lines as (
            select {carried}, unnest(range(1, len(l) + 1)) as line_no, unnest(l) as line from documents
        ),
        -- materialized: read twice (the objects' levels, the other lines), each line split and validated once
        docs as materialized (
            select {carried}, line_no, line as l0, trim(line) = {_sql_str(INVALID_UTF8_MARKER)} as is_invalid_utf8,
                   json_valid(line) as is_json_valid,
                   case when json_valid(line) then json_type(line::json) = 'OBJECT' else false end as is_object
            from lines
            where trim(line) <> ''
        ),
        {", ".join(levels)},
        records as (
            select {carried}, line_no, false as is_invalid_utf8, true as is_json_valid, true as is_object,
                   len(json_keys(l{last})) <> len(list_distinct(json_keys(l{last}))) as has_duplicate_key, {fields}
            from level{last}
            union all
            select {carried}, line_no, is_invalid_utf8, is_json_valid, is_object, false as has_duplicate_key, {nulls}
            from docs where not is_object
        )
        select *{", " + typed if typed else ""} from records
    """


INVALID_UTF8_MARKER = '"__finops_invalid_utf8__"'  # a JSON string: the reader flags its line as invalid_utf8


def _readable(path: str, tmp: Path, name: str) -> str:
    """A path DuckDB reads literally: a private link (local files) or copy (object storage) named `name`,
    decompressed for .gz (whole file, not per record). For JSON text, a UTF-8 byte-order mark is dropped and a
    line that is not valid UTF-8 is replaced by a marker, so that line alone is quarantined (invalid_utf8)
    instead of the whole file failing."""
    suffix = suffix_of(posixpath.basename(path)) or ""
    plain = tmp / (name + suffix.removesuffix(".gz"))
    if suffix.endswith(".gz"):
        import gzip

        with fsspec.open(path, "rb") as src, gzip.open(src) as unzipped, open(plain, "wb") as out:
            shutil.copyfileobj(unzipped, out)
    elif "://" in path:
        with fsspec.open(path, "rb") as src, open(plain, "wb") as out:
            shutil.copyfileobj(src, out)
    else:
        os.symlink(os.path.realpath(path), plain)
    if not plain.name.endswith((".json", ".jsonl", ".ndjson")):
        return str(plain)
    data = plain.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    if valid and not bom:
        return str(plain)
    lines = data[3:].split(b"\n") if bom else data.split(b"\n")
    cleaned = []
    for line in lines:
        try:
            line.decode("utf-8")
            cleaned.append(line)
        except UnicodeDecodeError:
            cleaned.append(INVALID_UTF8_MARKER.encode())
    target = tmp / ("clean_" + plain.name)
    target.write_bytes(b"\n".join(cleaned))
    return str(target)


CONTROL_CHARACTERS = r"[\x00-\x1F\x7F]"
# text a spreadsheet would run as a formula when a BI export is opened (CSV injection): =, +, @, or - not
# starting a number
FORMULA_START = "^[=+@]|^-[^0-9.]"


def _text_fields(contract: Contract) -> list[Field]:
    """String fields that reach the warehouse as text (hashed fields are stored as hashes only)."""
    return [f for f in contract.fields if f.kind == "string" and not f.hashed]


def _text_flags(contract: Contract) -> str:
    """Columns computed once per record before the checks: does any text field hold a control character, does
    any start like a spreadsheet formula (a separator character 31 before each field anchors the start)."""
    texts = _text_fields(contract)
    if not texts:
        return "false as _any_control, false as _any_formula"
    fields = ", ".join(f"raw_{f.name}" for f in texts)
    any_control = f"regexp_matches(concat_ws('', {fields}), '{CONTROL_CHARACTERS}')"
    any_formula = f"regexp_matches(concat_ws(chr(31), '', {fields}), chr(31) || '[=+@]|' || chr(31) || '-[^0-9.]')"
    return f"{any_control} as _any_control, {any_formula} as _any_formula"


def _checks(contract: Contract) -> list[tuple[str, str | None, str]]:
    """(condition that breaks the contract, field, reason), in the order they are reported."""
    out: list[tuple[str, str | None, str]] = [
        ("is_invalid_utf8", None, "invalid_utf8"),
        ("not is_json_valid", None, "invalid_json"),
        ("not is_object", None, "not_a_json_object"),
        ("has_duplicate_key", None, "duplicate_key"),
    ]
    for f in contract.fields:
        if f.required:
            out.append((f"raw_{f.name} is null or trim(raw_{f.name}) = ''", f.name, "missing_required_field"))
    texts = _text_fields(contract)
    if texts:
        # one regular expression per record (columns _any_control / _any_formula, see _text_flags) finds the rare
        # bad record; only then is the field named
        for f in texts:
            out.append(
                (f"_any_control and regexp_matches(raw_{f.name}, '{CONTROL_CHARACTERS}')", f.name, "control_character")
            )
        for f in texts:
            out.append(
                (f"_any_formula and regexp_matches(raw_{f.name}, '{FORMULA_START}')", f.name, "formula_like_text")
            )
    for f in contract.fields:
        raw = f"raw_{f.name}"
        if f.kind in ("integer", "number", "decimal", "epoch_s"):
            num = f"num_{f.name}"
            out.append((f"{raw} is not null and {num} is null", f.name, "not_a_number"))
        if f.kind in ("integer", "number", "epoch_s"):
            out.append((f"not isfinite({num})", f.name, "not_a_finite_number"))
        if f.kind == "integer":
            # no token count comes near a quadrillion: beyond it a value is corrupt (and would overflow BIGINT)
            out.append((f"abs({num}) >= 1e15", f.name, "value_too_large"))
            out.append((f"{num} <> floor({num})", f.name, "not_an_integer"))
            out.append((f"{num} < 0", f.name, "negative_value"))
        if f.kind in ("integer", "number") and (f.min_value is not None or f.max_value is not None):
            bounds = []
            if f.min_value is not None:
                bounds.append(f"{num} < {f.min_value}")
            if f.max_value is not None:
                bounds.append(f"{num} > {f.max_value}")
            out.append((" or ".join(bounds), f.name, "value_out_of_range"))
        if f.kind in ("timestamp", "epoch_s"):
            ts = f"ts_{f.name}"
            out.append((f"{raw} is not null and {ts} is null", f.name, "unparseable_timestamp"))
            out.append(
                (
                    f"{ts} < timestamptz '{EARLIEST_TIMESTAMP} 00:00:00+00' "
                    f"or {ts} >= timestamptz '{LATEST_TIMESTAMP} 00:00:00+00'",
                    f.name,
                    "timestamp_out_of_range",
                )
            )
            if f.name == contract.time_field:
                # nothing can happen after the day after its file arrived (clock or parsing error)
                arrival = f"cast({DAY_COL} || ' 00:00:00+00' as timestamptz)"
                out.append((f"{ts} >= {arrival} + interval 2 day", f.name, "timestamp_after_arrival"))
    for name, values in contract.allowed():
        accepted = ", ".join(_sql_str(v) for v in values)
        out.append(
            (
                f"nullif(trim(raw_{name}), '') is not null and lower(trim(raw_{name})) not in ({accepted})",
                name,
                "unknown_value",
            )
        )
    for rule in contract.subset_rules:
        parts = " + ".join(f"coalesce(num_{p}, 0)" for p in rule.parts)
        out.append(
            (f"{parts} > coalesce(num_{rule.total}, 0)", "+".join(rule.parts), f"subset_exceeds_total:{rule.total}")
        )
    return out


def _typed(f: Field) -> str:
    if f.kind == "integer":
        return f"cast(num_{f.name} as bigint) as {f.name}"
    if f.kind in ("number", "decimal"):
        return f"num_{f.name} as {f.name}"
    if f.kind in ("timestamp", "epoch_s"):
        return f"timezone('UTC', ts_{f.name}) as {f.name}"
    return f"nullif(trim(raw_{f.name}), '') as {f.name}"


def ingest_file(
    ds: Dataset, path: str, day: str, lake_dir: str, hash_salt: str, run_id: str = "manual", **kw
) -> FileResult:
    """Load one landing file into the lake (replacing what it wrote before) and quarantine bad records; `kw` as
    ingest_files takes them (a file still being read after `timeout_s` seconds is interrupted and logged
    unreadable)."""
    return ingest_files(ds, [(path, day)], lake_dir, hash_salt, run_id, **kw)[0]


def ingest_files(
    ds: Dataset,
    items: list[tuple[str, str]],
    lake_dir: str,
    hash_salt: str,
    run_id: str = "manual",
    con: duckdb.DuckDBPyConnection | None = None,
    naive_timezone: str = "UTC",
    timeout_s: float | None = None,
    cleared: bool = False,
) -> list[FileResult]:
    """Load a batch of landing files (path, arrival day) of one format with one statement per step, each file's
    outputs apart, as if each were loaded alone (ingest_file). When the batch cannot be read whole (a corrupt or
    truncated file, Parquet files of different schemas, the time limit), every file is loaded alone, so each
    gets its own result and reason. A read still running after `timeout_s` seconds is interrupted; `cleared`:
    the caller removed everything the files' arrival days wrote already (ingest_days)."""
    own = con is None
    con = con or duckdb.connect()
    try:
        results = _load_batch(ds, items, lake_dir, hash_salt, run_id, con, naive_timezone, timeout_s, cleared)
        if results is None:
            results = [
                _load_batch(ds, [item], lake_dir, hash_salt, run_id, con, naive_timezone, timeout_s, cleared)[0]
                for item in items
            ]
        return results
    finally:
        if own:
            con.close()


class _MixedSchemas(Exception):
    pass


def _parquet_signature(path: str) -> tuple:
    """What decides how DuckDB types a Parquet file's columns: names and types (nested types whole)."""
    return tuple((f.name, str(f.type)) for f in pq.read_schema(path))


def _load_batch(
    ds: Dataset,
    items: list[tuple[str, str]],
    lake_dir: str,
    hash_salt: str,
    run_id: str,
    con: duckdb.DuckDBPyConnection,
    naive_timezone: str,
    timeout_s: float | None,
    cleared: bool,
) -> list[FileResult] | None:
    """ingest_files' work for one batch; None when a batch of several files could not be read whole (nothing
    was published)."""
    started = time.perf_counter()
    contract = ds.contract
    keys = [file_key(day, path) for path, day in items]
    fs, lake_root = fsspec.core.url_to_fs(lake_dir)
    tmp = Path(tempfile.mkdtemp(prefix="finops_ingest_"))
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(timeout_s, on_timeout) if timeout_s else None
    if timer:
        timer.daemon = True
        timer.start()
    meta_rows = ", ".join(
        f"({i}, {_sql_str(path)}, {_sql_str(key)})" for i, ((path, _), key) in enumerate(zip(items, keys, strict=True))
    )
    meta = f"(values {meta_rows}) as _meta({FILE_COL}, {SOURCE_COL}, {KEY_COL})"

    def result(i: int, n_read: int, n_bad: int, status: str, error: str | None) -> FileResult:
        seconds = (time.perf_counter() - started) / len(items)
        path, _ = items[i]
        return FileResult(ds.name, path, keys[i], n_read, n_read - n_bad, n_bad, status, error, seconds)

    try:
        con.execute(f"set TimeZone = {_sql_str(naive_timezone)}")  # a timestamp without a zone is in this zone
        # one pass: the first broken rule's number, then its reason and field looked up from lists
        checks = _checks(contract)
        first_broken = "case " + " ".join(f"when {c} then {i}" for i, (c, _, _) in enumerate(checks, 1)) + " end"
        reasons = "[" + ", ".join(_sql_str(r) for _, _, r in checks) + "]"
        fields = "[" + ", ".join(_sql_str(f) if f else "null" for _, f, _ in checks) + "]"
        try:
            files = [(_readable(path, tmp, f"f{i}"), day) for i, (path, day) in enumerate(items)]
            if len(files) > 1 and files[0][0].endswith(".parquet"):
                if len({_parquet_signature(p) for p, _ in files}) > 1:
                    raise _MixedSchemas
            _raise_if_stopped(con, timed_out)
            rel = _source_relation(con, contract, files)
            con.execute(
                f"""
                create or replace temp table _checked as
                select * exclude (_any_control, _any_formula), {reasons}[_check] as _reason, {fields}[_check] as _field
                from (select *, {first_broken} as _check from (select *, {_text_flags(contract)} from ({rel})))
                """
            )
            counts = {
                i: (n, bad)
                for i, n, bad in con.execute(
                    f"select {FILE_COL}, count(*), count(*) filter (where _reason is not null) from _checked group by 1"
                ).fetchall()
            }
            part = ds.partition_column
            _raise_if_stopped(con, timed_out)
            con.execute(
                f"""
                copy (
                  select *, cast({contract.time_field} as date) as {part}
                  from ({_good_rows_sql(ds, run_id, hash_salt, meta)})
                ) to {_sql_str(str(tmp / "good"))}
                (format parquet, compression zstd, partition_by ({KEY_COL}, {part}),
                 filename_pattern 'part{{i}}', overwrite_or_ignore)
                """
            )
        except (duckdb.Error, OSError, EOFError, pa.ArrowException, _MixedSchemas) as exc:
            # not JSON, not Parquet, truncated or corrupt gzip...
            interrupted = isinstance(exc, duckdb.InterruptException) and not timed_out.is_set()
            if len(items) > 1 and not interrupted:
                return None  # each file alone says which one fails and why
            if isinstance(exc, duckdb.InterruptException) and timed_out.is_set():
                msg = f"timed out after {timeout_s:g} s (FINOPS_FILE_TIMEOUT_SECONDS)"
            elif interrupted:
                msg = "interrupted: the run was asked to stop"
            else:  # naming the landing file, not the private copy DuckDB read
                msg = re.sub(re.escape(str(tmp)) + r"/[^'\" ]*", lambda _: items[0][0], str(exc).splitlines()[0])[:500]
            shutil.rmtree(tmp / "good", ignore_errors=True)
            out = []
            for i, (path, day) in enumerate(items):
                _write_log(ds, tmp, keys[i], path, day, 0, 0, 0, "unreadable", msg, run_id)
                _publish(fs, lake_root, ds, keys[i], day, tmp, cleared)
                out.append(result(i, 0, 0, "unreadable", msg))
            return out
        finally:
            if timer:
                timer.cancel()
        out = []
        for i, (path, day) in enumerate(items):
            n_read, n_bad = counts.get(i, (0, 0))
            if n_bad:  # a file without bad records has no quarantine file (the schema file keeps the columns)
                (tmp / "quarantine").mkdir(exist_ok=True)
                con.execute(
                    f"copy ({_quarantine_sql(ds, run_id, meta, i)}) "
                    f"to {_sql_str(str(tmp / 'quarantine' / (keys[i] + '.parquet')))} (format parquet)"
                )
            _write_log(ds, tmp, keys[i], path, day, n_read, n_read - n_bad, n_bad, "loaded", None, run_id)
            _publish(fs, lake_root, ds, keys[i], day, tmp, cleared)
            out.append(result(i, n_read, n_bad, "loaded", None))
        return out
    finally:
        if timer:
            timer.cancel()
        shutil.rmtree(tmp, ignore_errors=True)


def _good_rows_sql(ds: Dataset, run_id: str, hash_salt: str, meta: str) -> str:
    """Good records of _checked, typed, with their file's key (KEY_COL); a missing id becomes a deterministic
    hash of the record's fields. `meta`: the batch's files (FILE_COL, SOURCE_COL, KEY_COL)."""
    contract = ds.contract
    raw_concat = "concat_ws('|', " + ", ".join(f"coalesce(raw_{n}, '')" for n in contract.field_names) + ")"
    cols = []
    for f in contract.fields:
        if f.hashed:
            cols.append(
                f"case when nullif(trim(raw_{f.name}), '') is not null "
                f"then sha256({_sql_str(hash_salt)} || trim(raw_{f.name})) end as {f.hashed_name}"
            )
        elif f.name == contract.id_field:
            cols.append(
                f"case when nullif(trim(raw_{f.name}), '') is null then 'h_' || md5({raw_concat}) "
                f"else trim(raw_{f.name}) end as {f.name}"
            )
        else:
            cols.append(_typed(f))
    return f"""
        select {", ".join(cols)},
               {SOURCE_COL} as _source_file,
               cast({DAY_COL} as date) as _arrival_date,
               line_no as _source_line,
               {_sql_str(run_id)} as _run_id,
               {KEY_COL}
        from _checked join {meta} using ({FILE_COL}) where _reason is null
    """


def _quarantine_sql(ds: Dataset, run_id: str, meta: str, file_no: int | None = None) -> str:
    """Bad records of _checked (of one file of the batch): where they came from and why (the offending value
    of a metadata field)."""
    contract = ds.contract
    field_value = (
        "case _field "
        + " ".join(f"when '{n}' then raw_{n}" for n in contract.field_names if not contract.field(n).hashed)
        + " end"
    )
    one_file = "" if file_no is None else f" and {FILE_COL} = {file_no}"
    return f"""
        select {_sql_str(ds.name)} as dataset,
               {SOURCE_COL} as source_file,
               {KEY_COL} as file_key,
               cast({DAY_COL} as date) as arrival_date,
               line_no,
               _field as field,
               _reason as reason,
               left({field_value}, 200) as field_value,
               {_sql_str(run_id)} as run_id
        from _checked join {meta} using ({FILE_COL}) where _reason is not null{one_file} order by line_no
    """


# The partition of the schema files (and of the log of the entries outside any day folder): after every day, so
# that the first file DuckDB lists in a folder that holds data is a data file. DuckDB takes a folder's schema and
# its row estimate from the first file it lists (no union_by_name: the readers rely on conform_files instead); a
# zero-row file first made it estimate every lake read at 0 rows and plan its joins on that (int_usage_events
# ran out of memory at 100M events). LEGACY_SCHEMA_DAY: where lake layouts before 5 kept them.
SCHEMA_DAY = "9999-12-31"
LEGACY_SCHEMA_DAY = "1970-01-01"


_schemas_checked: set[tuple[str, str, str]] = set()  # (lake, dataset, signature) found in place by this process


def ensure_lake_schemas(lake_dir: str, datasets: tuple[Dataset, ...] = DATASETS) -> None:
    """Every raw dataset readable, even those that have had no landing file yet."""
    for ds in datasets:
        ensure_dataset_schema(ds, lake_dir)


def ensure_dataset_schema(ds: Dataset, lake_dir: str) -> None:
    """Write zero-row Parquet files that fix each dataset's schema, so readers of the lake (dbt sources) work
    before the first landing file of a dataset arrives. They hold no rows and never change any count. A
    signature of the contract's fields sits beside them: when the contract changes, they are rewritten, and so
    is every file of the dataset (its rows, quarantine and log) written under the contract before
    (conform_files: the new column null in its older rows). Every file of a lake folder then has the columns of
    its schema file, which is what lets the readers read a folder without DuckDB's `union_by_name` (which opens
    the footer of every file of the folder to merge their schemas, in each query that names the folder). The
    signature is written last: a run that stops half-way conforms the rest next time.

    The files are named `schema.parquet`, not `_schema.parquet`: Spark and Hadoop readers skip names that start
    with `_` or `.`, and an empty dataset must have a schema on every engine. The signature stays hidden."""
    contract = ds.contract
    fs, root = fsspec.core.url_to_fs(lake_dir)
    layout = [(f.name, f.kind, f.hashed_name) for f in contract.fields] + [ds.partition_column, LAKE_LAYOUT_VERSION]
    signature = hashlib.sha256(repr(layout).encode()).hexdigest()
    marker = posixpath.join(root, ds.name, f"{ds.partition_column}={SCHEMA_DAY}", "_schema.signature")
    targets = {
        "main": posixpath.join(root, ds.name, f"{ds.partition_column}={SCHEMA_DAY}", "schema.parquet"),
        "quarantine": posixpath.join(root, f"{ds.name}_quarantine", f"day={SCHEMA_DAY}", "schema.parquet"),
        "log": posixpath.join(root, f"{ds.name}_ingestion_log", f"day={SCHEMA_DAY}", "schema.parquet"),
    }
    checked = (lake_dir, ds.name, signature)
    if checked in _schemas_checked and fs.exists(marker):  # checked whole before; one look that it is still there
        return
    if all(fs.exists(t) for t in targets.values()) and fs.exists(marker) and fs.cat_file(marker).decode() == signature:
        _schemas_checked.add(checked)
        return
    empty = [
        f"cast(null as integer) as {FILE_COL}",
        f"cast(null as varchar) as {DAY_COL}",
        "cast(null as bigint) as line_no",
        "false as is_invalid_utf8",
        "false as is_json_valid",
        "false as is_object",
        "false as has_duplicate_key",
    ]
    for f in contract.fields:
        empty.append(f"cast(null as varchar) as raw_{f.name}")
        if f.kind in ("integer", "number", "decimal", "epoch_s"):
            empty.append(f"cast(null as {DECIMAL if f.kind == 'decimal' else 'double'}) as num_{f.name}")
        if f.kind in ("timestamp", "epoch_s"):
            empty.append(f"cast(null as timestamptz) as ts_{f.name}")
    empty += ["cast(null as integer) as _check", "cast(null as varchar) as _reason", "cast(null as varchar) as _field"]
    tmp = Path(tempfile.mkdtemp(prefix="finops_schema_"))
    con = duckdb.connect()
    try:
        con.execute(f"create temp table _checked as select {', '.join(empty)} where false")
        meta = f"(select 0 as {FILE_COL}, '' as {SOURCE_COL}, '' as {KEY_COL}) as _meta"
        sql = {
            "main": f"select * exclude ({KEY_COL}) from ({_good_rows_sql(ds, '', '', meta)})",
            "quarantine": _quarantine_sql(ds, "", meta),
        }
        for name, target in targets.items():
            local = tmp / f"{name}.parquet"
            if name == "log":
                _write_log_rows([], local)
            else:
                con.execute(f"copy ({sql[name]}) to {_sql_str(str(local))} (format parquet)")
            fs.makedirs(posixpath.dirname(target), exist_ok=True)
            _put(fs, local, target)
        for target in targets.values():  # the hidden name of lake layout 2
            legacy = posixpath.join(posixpath.dirname(target), "_schema.parquet")
            if fs.exists(legacy):
                fs.rm_file(legacy)
        for target in targets.values():  # the schema partition of layouts before 5, before the folder is conformed
            old = posixpath.dirname(target).replace(f"={SCHEMA_DAY}", f"={LEGACY_SCHEMA_DAY}")
            for name in ("schema.parquet", "_schema.parquet", "_schema.signature", f"{UNDATED}.parquet"):
                if fs.exists(posixpath.join(old, name)):
                    fs.rm_file(posixpath.join(old, name))
            if fs.isdir(old) and not fs.ls(old):
                fs.rmdir(old)
        for target in targets.values():
            conform_files(fs, target, tmp)
        fs.pipe_file(marker, signature.encode())
        _schemas_checked.add(checked)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)


def conform_files(fs, schema_file: str, tmp: Path) -> int:
    """Rewrite each Parquet file of a lake folder (`<folder>/<partition>=<day>/*.parquet`, the folder of
    `schema_file`'s partition) whose columns or their types are not those of `schema_file` (nullability aside):
    the schema file's columns in its order and types, a column the file lacks null, one the schema no longer has
    dropped, a column of another type cast to the schema's. Each file is written whole to `tmp`, then put in place
    of the old one (a rename on a local lake). Returns the files rewritten. A value the new type cannot hold (2.5
    for a field that became an integer) stops it with an IngestionError: only a re-ingest of the landing files
    under the new contract can say which of those rows it now quarantines."""
    with fs.open(schema_file, "rb") as fh:
        schema = pq.read_schema(fh).remove_metadata()
    schema = pa.schema([f.with_nullable(True) for f in schema])  # older rows have no value for a new field
    wanted = sorted((f.name, str(f.type)) for f in schema)
    folder = posixpath.dirname(posixpath.dirname(schema_file))
    rewritten = 0
    for path in sorted(fs.glob(posixpath.join(folder, "*", "*.parquet"))):
        if path == schema_file:
            continue
        with fs.open(path, "rb") as fh:
            found = pq.read_schema(fh)
        if sorted((f.name, str(f.type)) for f in found) == wanted:
            continue
        with fs.open(path, "rb") as fh:
            table = pq.read_table(fh)
        columns = []
        for f in schema:
            if f.name not in found.names:
                columns.append(pa.nulls(table.num_rows, f.type))
                continue
            try:
                columns.append(table.column(f.name).cast(f.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise IngestionError(
                    f"{path}: column {f.name} ({found.field(f.name).type}) cannot become {f.type} under the "
                    f"current contract ({exc}); remove the dataset's lake folders (rows, quarantine, ingestion log) "
                    "and re-ingest its landing days"
                ) from exc
        local = tmp / f"conformed_{rewritten}.parquet"
        pq.write_table(pa.Table.from_arrays(columns, schema=schema), local, compression="zstd")
        _put(fs, local, path)
        rewritten += 1
    return rewritten


# the ingestion log: one row per landing file (its counts) or skipped entry (its reason); arrival_date is null for
# an entry outside any day folder
LOG_SCHEMA = pa.schema(
    [
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("file_key", pa.string(), nullable=False),
        pa.field("arrival_date", pa.date32()),
        pa.field("records_read", pa.int64(), nullable=False),
        pa.field("records_loaded", pa.int64(), nullable=False),
        pa.field("records_quarantined", pa.int64(), nullable=False),
        pa.field("file_status", pa.string(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def _log_row(ds: Dataset, path, key, day, n_read, n_loaded, n_bad, status, error, run_id) -> dict:
    """One ingestion-log row: a landing file's counts, or a skipped entry with its reason (`error`)."""
    return {
        "dataset": ds.name,
        "source_file": path,
        "file_key": key,
        "arrival_date": None if day is None else date.fromisoformat(day),
        "records_read": n_read,
        "records_loaded": n_loaded,
        "records_quarantined": n_bad,
        "file_status": status,
        "error": error,
        "run_id": run_id,
        "ingested_at": datetime.now(UTC),
    }


def _write_log_rows(rows: list[dict], target) -> None:
    """Log rows as one Parquet file (written directly: a DuckDB statement per file costs more to plan than to
    run); no rows: the log's schema file."""
    pq.write_table(pa.Table.from_pylist(rows, schema=LOG_SCHEMA), str(target))


def _write_log(ds: Dataset, tmp, key, path, day, n_read, n_loaded, n_bad, status, error, run_id) -> None:
    ldir = tmp / "log"
    ldir.mkdir(exist_ok=True)
    row = _log_row(ds, path, key, day, n_read, n_loaded, n_bad, status, error, run_id)
    _write_log_rows([row], ldir / (key + ".parquet"))


def _remove_file_outputs(fs, lake_root: str, ds: Dataset, key_glob: str, day: str) -> None:
    patterns = [
        posixpath.join(lake_root, ds.name, "*", f"{key_glob}.part*.parquet"),
        posixpath.join(lake_root, f"{ds.name}_quarantine", f"day={day}", f"{key_glob}.parquet"),
        posixpath.join(lake_root, f"{ds.name}_ingestion_log", f"day={day}", f"{key_glob}.parquet"),
    ]
    for pattern in patterns:
        for p in fs.glob(pattern):
            fs.rm(p)


def _remove_day_outputs(fs, lake_root: str, ds: Dataset, days: list[str]) -> None:
    """Everything landing files of these arrival days wrote: data files in any partition (one listing of the
    dataset), their quarantine and log files (the day's own folders)."""
    for path in arrival_files(fs, lake_root, ds.name, days):
        fs.rm(path)
    for day in days:
        for name in ("_quarantine", "_ingestion_log"):
            for p in _day_outputs(fs, posixpath.join(lake_root, f"{ds.name}{name}", f"day={day}"), day):
                fs.rm(p)


def _day_outputs(fs, folder: str, day: str) -> list[str]:
    """The files of a day folder that landing files of that arrival day wrote (`<day>__<key>.parquet`): a
    listing of the folder (a glob per folder compiles a pattern: ~1 ms, 0.1 s for 31 days of three tables)."""
    try:
        entries = fs.ls(folder, detail=False)
    except FileNotFoundError:
        return []
    return [p for p in entries if posixpath.basename(p).startswith(f"{day}__") and p.endswith(".parquet")]


def _publish(fs, lake_root: str, ds: Dataset, key: str, day: str, tmp: Path, cleared: bool = False) -> None:
    """Replace what this file wrote before with the new outputs (delete, then put; `cleared`: the caller
    removed the outputs of the file's whole arrival day already)."""
    if not cleared:
        _remove_file_outputs(fs, lake_root, ds, key, day)
    good = tmp / "good" / f"{KEY_COL}={key}"  # <partition>=<day>/part<n>.parquet -> <key>.part<n>.parquet
    if good.exists():
        for f in sorted(good.rglob("*.parquet")):
            folder = posixpath.join(lake_root, ds.name, f.parent.relative_to(good).as_posix())
            fs.makedirs(folder, exist_ok=True)
            _put(fs, f, posixpath.join(folder, f"{key}.{f.name}"))
    for sub, name in (("quarantine", "_quarantine"), ("log", "_ingestion_log")):
        src = tmp / sub / (key + ".parquet")
        if src.exists():
            dest_dir = posixpath.join(lake_root, f"{ds.name}{name}", f"day={day}")
            fs.makedirs(dest_dir, exist_ok=True)
            _put(fs, src, posixpath.join(dest_dir, key + ".parquet"))


def _put(fs, src: Path, dest: str) -> None:
    """A finished output into the lake: renamed when the lake is a local folder on the same file system as the
    private folder (one atomic step; no copy, and no second file created then deleted), else copied (an object
    store, another file system)."""
    if isinstance(fs, fsspec.implementations.local.LocalFileSystem):
        try:
            os.replace(src, dest)
            return
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
    fs.put_file(str(src), dest)


UNDATED = "undated"  # log file of the entries outside any day folder (in the log's schema partition)


def _log_skips(
    ds: Dataset, lake_dir: str, skipped: list[Skipped], day: str | None, landing_base: str, run_id: str
) -> None:
    """Skipped entries into the ingestion log: those of a day folder under that day (one file per entry, like
    a landing file), those outside any day folder as one file rewritten by every run (the folder as it is)."""
    fs, lake_root = fsspec.core.url_to_fs(lake_dir)
    undated_target = posixpath.join(lake_root, f"{ds.name}_ingestion_log", f"day={SCHEMA_DAY}", f"{UNDATED}.parquet")
    if not skipped:  # nothing to log (and, for the undated entries, none left from an earlier run)
        if day is None and fs.exists(undated_target):
            fs.rm(undated_target)
        return
    tmp = Path(tempfile.mkdtemp(prefix="finops_skips_"))
    try:
        if day is None:
            rows = [
                _log_row(
                    ds,
                    posixpath.join(landing_base, s.path),
                    file_key(UNDATED, s.path),
                    None,
                    0,
                    0,
                    0,
                    "skipped",
                    s.reason,
                    run_id,
                )
                for s in skipped
            ]
            local = tmp / "undated.parquet"
            _write_log_rows(rows, local)
            fs.makedirs(posixpath.dirname(undated_target), exist_ok=True)
            _put(fs, local, undated_target)
            return
        for s in skipped:
            key = file_key(day, s.path)
            _write_log(ds, tmp, key, posixpath.join(landing_base, s.path), day, 0, 0, 0, "skipped", s.reason, run_id)
            _publish(fs, lake_root, ds, key, day, tmp, cleared=True)  # ingest_days cleared the day before
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_live_connections: set = set()  # DuckDB connections reading landing files now (interrupted on SIGTERM)
_stop_requested: set = set()  # those of them asked to stop: their batch reads nothing more (_raise_if_stopped)
# reentrant: a signal handler in the main thread may take it while the main thread holds it
_live_guard = threading.RLock()


def _interrupt(only: set | None = None) -> int:
    """Stop the reads in flight (those of `only`, or all); how many. Each is marked, so that its batch starts no
    statement after this one (DuckDB forgets an interrupt that comes between two statements), and interrupted.
    Under the guard, so none of them is closed meanwhile (a read's connection leaves the set, under the guard,
    before it is closed). A connection DuckDB refuses to interrupt is passed over (a signal handler calls this:
    the stop must go on): the mark still stops it."""
    with _live_guard:
        live = [c for c in _live_connections if only is None or c in only]
        for con in live:
            _stop_requested.add(con)
            try:
                con.interrupt()
            except duckdb.Error:
                pass
    return len(live)


def _raise_if_stopped(con: duckdb.DuckDBPyConnection, timed_out: threading.Event) -> None:
    """What an interrupted statement raises, before a statement of a batch whose read was asked to stop or ran
    out of time."""
    if con in _stop_requested or timed_out.is_set():
        raise duckdb.InterruptException("INTERRUPT Error: the run was asked to stop")


def interrupt_reads() -> int:
    """Interrupt every landing file being read in this process (a signal handler calls this, so a stop request
    never waits on a slow or hung read); returns how many were interrupted."""
    return _interrupt()


def ingest_workers() -> int:
    """Batches of landing files loaded at once (FINOPS_INGEST_WORKERS; default: the machine's cores). A file of
    fewer than ~120,000 rows is one Parquet row group, which DuckDB reads on one thread: batches side by side
    use the other cores."""
    return at_once("FINOPS_INGEST_WORKERS")


def ingest_days(
    ds: Dataset,
    days: list[str],
    landing_dir: str | tuple[str, ...],
    lake_dir: str,
    hash_salt: str,
    run_id: str = "manual",
    workers: int | None = None,
    naive_timezone: str = "UTC",
    file_timeout_s: float | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> list[FileResult]:
    """Re-load arrival days: everything their files wrote before is replaced, files gone are removed, and every
    entry of the dataset's landing folder is logged (loaded, unreadable or skipped with its reason). Files
    load in batches (_batches), `workers` batches at a time, each on its own connection to one in-memory DuckDB;
    results in file order, then the skipped entries of those days. `landing_dir` is one landing folder or several
    (Settings.landing_roots). `on_progress(files done, files in all, records read)` is called after each batch,
    in this thread."""
    ensure_lake_schemas(lake_dir, DATASETS if ds in DATASETS else (*DATASETS, ds))
    fs, lake_root = fsspec.core.url_to_fs(lake_dir)
    listing = list_roots(landing_dir, ds.landing)  # one landing folder, or several (landing, pulled)
    _, landing_root = fsspec.core.url_to_fs(landing_dir if isinstance(landing_dir, str) else landing_dir[0])
    landing_base = posixpath.join(landing_root, ds.landing)
    _log_skips(ds, lake_dir, [s for s in listing.skipped if s.day is None], None, landing_base, run_id)
    tasks = []
    skipped: list[FileResult] = []
    # what these days' files wrote before goes first; nothing arrived that day (or it was withdrawn): its old
    # outputs are gone, nothing to read
    _remove_day_outputs(fs, lake_root, ds, days)
    for day in days:
        tasks += [(path, day) for path in listing.files.get(day, [])]
        day_skips = [s for s in listing.skipped if s.day == day]
        _log_skips(ds, lake_dir, day_skips, day, landing_base, run_id)
        skipped += [
            FileResult(
                ds.name,
                posixpath.join(landing_base, s.path),
                file_key(day, s.path),
                0,
                0,
                0,
                "skipped",
                s.reason,
                0.0,
            )
            for s in day_skips
        ]
    if not tasks:
        return skipped
    batches = _batches(tasks, workers or ingest_workers())
    con = duckdb.connect()
    try:
        con.execute("set preserve_insertion_order = true")

        mine: set = set()  # this call's reads in flight
        stopping = threading.Event()  # this call was stopped: a batch that starts now reads nothing

        def load(batch: list[int]) -> list[FileResult]:
            cursor = con.cursor()  # a connection of its own: its temp tables are its own
            with _live_guard:
                _live_connections.add(cursor)
                mine.add(cursor)
                if stopping.is_set():
                    _stop_requested.add(cursor)
            try:
                return ingest_files(
                    ds,
                    [tasks[i] for i in batch],
                    lake_dir,
                    hash_salt,
                    run_id,
                    cursor,
                    naive_timezone,
                    file_timeout_s,
                    cleared=True,
                )
            finally:
                with _live_guard:
                    _live_connections.discard(cursor)
                    _stop_requested.discard(cursor)
                    mine.discard(cursor)
                cursor.close()

        by_task: dict[int, FileResult] = {}
        records = 0
        with ThreadPoolExecutor(max_workers=min(workers or ingest_workers(), len(batches))) as pool:
            try:
                for batch, results in zip(batches, pool.map(load, batches), strict=True):
                    by_task.update(zip(batch, results, strict=True))
                    if on_progress is not None:
                        records += sum(r.records_read for r in results)
                        on_progress(len(by_task), len(tasks), records)
            except Exception:
                raise  # a batch's error: the reads in flight end as before
            except BaseException:
                # a stop request raised here (KeyboardInterrupt; Dagster raises its interruption, a BaseException
                # too, in the step, where the command's SIGTERM handler does not run): the batches not begun are
                # dropped and the reads in flight stop, so leaving the pool does not wait on them
                pool.shutdown(wait=False, cancel_futures=True)
                with _live_guard:
                    stopping.set()
                    _interrupt(mine)
                raise
        return [by_task[i] for i in range(len(tasks))] + skipped
    finally:
        con.close()


BATCH_BYTES = 16 * 2**20  # landing bytes read by one statement at most (a compressed file counts 8 times its size)


def _batches(tasks: list[tuple[str, str]], workers: int) -> list[list[int]]:
    """Tasks (path, day) grouped into batches read together: files of one format (Parquet, JSON text; a CSV
    file alone), in order, as many batches as workers at least, each of at most BATCH_BYTES (a larger file
    alone). A statement costs the same to plan for one small file as for many: the demo's days are one file
    of a few thousand records each."""
    kinds: dict[str, list[int]] = {}
    for i, (path, _) in enumerate(tasks):
        suffix = (suffix_of(posixpath.basename(path)) or "").removesuffix(".gz")
        kind = "parquet" if suffix == ".parquet" else "csv" if suffix == ".csv" else "text"
        kinds.setdefault(kind, []).append(i)
    sizes = _sizes([path for path, _ in tasks])
    out: list[list[int]] = []
    for kind, indexes in kinds.items():
        if kind == "csv":
            out += [[i] for i in indexes]
            continue
        per_batch = -(-len(indexes) // workers)
        batch: list[int] = []
        size = 0
        for i in indexes:
            if batch and (len(batch) >= per_batch or size + sizes[i] > BATCH_BYTES):
                out.append(batch)
                batch, size = [], 0
            batch.append(i)
            size += sizes[i]
        if batch:
            out.append(batch)
    return out


def _sizes(paths: list[str]) -> list[int]:
    """Bytes each landing file holds to read: its size, 8 times that for a compressed file; BATCH_BYTES when it
    cannot be told (it is then read alone)."""
    out = []
    for path in paths:
        try:
            fs, plain = fsspec.core.url_to_fs(path)
            size = fs.size(plain)
        except (OSError, ValueError):
            size = BATCH_BYTES
        out.append(size * 8 if path.endswith(".gz") else size)
    return out


def ingest_day(
    ds: Dataset,
    day: str,
    landing_dir: str | tuple[str, ...],
    lake_dir: str,
    hash_salt: str,
    run_id: str = "manual",
    **kw,
) -> list[FileResult]:
    """Re-load one arrival day (see ingest_days)."""
    return ingest_days(ds, [day], landing_dir, lake_dir, hash_salt, run_id, **kw)
