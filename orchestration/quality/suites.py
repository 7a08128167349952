"""Great Expectations suites as code, validated with GE's pandas engine on bounded batches.

Each expectation carries `meta.severity`: `error` for a contract violation (the asset check fails and,
being blocking, stops everything downstream), `warn` for drift (the check still passes the data on
but reports a warning). A raw dataset's suite is derived from its contract and registry entry
(`dataset_suite`); the mart suites below check invariants of two marts after dbt. Batches come from
DuckDB reading the lake files a run wrote, at most `FINOPS_GE_MAX_BATCH_ROWS` rows at a time (default
1,000,000), so memory stays bounded; every row is validated (no sampling).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.datasets import Dataset
from orchestration.ingest.contracts import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP

logging.getLogger("great_expectations").setLevel(logging.WARNING)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@functools.cache
def great_expectations():
    """Great Expectations, imported on first use: ~2.5 s of CPU, paid in the process that validates (a run's
    validation worker, orchestration.quality.validation), not in every process that imports this module."""
    import great_expectations as gx

    # GE's pandas engine fingerprints every batch below HASH_THRESHOLD bytes (an md5 of pandas' row hashes, twice
    # per validation: once per get_batch) for batch markers this project never reads: 2.5 s of 6 s per 1M usage
    # rows. Nothing validated depends on it (tests/test_quality_blocking.py: the suites still fail on planted
    # defects).
    try:
        from great_expectations.execution_engine import pandas_execution_engine as _pandas_engine

        _pandas_engine.HASH_THRESHOLD = 0
    except (ImportError, AttributeError):  # another GE layout: the fingerprint only costs time
        pass
    return gx


def _unix_s(day: date) -> int:
    return int(pd.Timestamp(day).timestamp())


def unix_seconds(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """A timestamp column as integer seconds, floored (an empty one stays empty: a frame shows it as NaN, never
    as the smallest integer): GE's pandas range check on integers is ~30x faster than on datetimes."""
    if not pa.types.is_timestamp(values.type):
        values = pc.cast(values, pa.timestamp("us"))
    # the stored instant in microseconds (a zone changes no stored value)
    micros = pc.cast(pc.cast(values, pa.timestamp("us", tz=values.type.tz), safe=False), pa.int64())
    seconds = pc.divide(micros, 1_000_000)  # integer division truncates: one less below a negative remainder
    return pc.subtract(seconds, pc.cast(pc.greater(pc.multiply(seconds, 1_000_000), micros), pa.int64()))


def lowered(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed of whitespace and lower-cased: the Arrow kernels pandas' `.str.strip().str.lower()` run on
    Arrow-backed strings."""
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    return pc.utf8_lower(pc.utf8_trim_whitespace(values))


def passing(values: pa.ChunkedArray, value) -> pa.ChunkedArray:
    """Empty values replaced by `value`, one the expectation reading the column accepts. GE skips empty values
    anyway, but its pandas engine does so by selecting the other rows of the whole batch, a copy of every column
    per expectation (an optional column with empty values among 1M usage rows: 32 columns copied, twice); with
    none left it selects nothing. Only for expectations that hold for every value (no `mostly`): a share of
    the rows would count the empty ones."""
    if values.null_count == 0:
        return values
    if pa.types.is_null(values.type):
        return pa.chunked_array([pa.repeat(value, len(values))])
    return pc.fill_null(values, value)


def filled_sum(columns: list[pa.ChunkedArray]) -> pa.ChunkedArray:
    """The sum of the columns, an empty value counted as 0."""
    total = None
    for values in columns:
        if pa.types.is_null(values.type):
            values = pc.cast(values, pa.int64())
        values = pc.fill_null(values, 0)
        total = values if total is None else pc.add(total, values)
    return total


# strings stay Arrow-backed in pandas (pandas 3's default `str` dtype; pandas 2 would make Python objects of
# them): Great Expectations validates 1M usage rows in 7.9 s instead of 20.1 s
ARROW_STRINGS = {
    pa.string(): pd.StringDtype("pyarrow", na_value=np.nan),
    pa.large_string(): pd.StringDtype("pyarrow", na_value=np.nan),
}


def to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as the frame GE validates: one block per numeric dtype (GE filters the frame once per
    expectation, a row subset of every column, which would merge scattered blocks each time), strings
    Arrow-backed."""
    return table.to_pandas(types_mapper=ARROW_STRINGS.get)


def max_batch_rows() -> int:
    return int(os.environ.get("FINOPS_GE_MAX_BATCH_ROWS", "1000000"))


def _e(expectation, severity: str = "error"):
    expectation.meta = {"severity": severity}
    return expectation


@dataclass(frozen=True)
class DatasetSuite:
    """A raw dataset's Great Expectations suite: the expectations, the lake columns they read, and the step that
    adds derived columns (lower-cased enumerations, subset sums, times as unix seconds, optional fields' empty
    values as a passing value where every value must pass: `passing`) to a batch."""

    expectations: list
    columns: list[str]
    prepare: Callable[[pa.Table | pd.DataFrame], pd.DataFrame]


def dataset_suite(ds: Dataset, latest_arrival_day: date) -> DatasetSuite:
    """The suite of a raw dataset, derived from its contract and its registry entry.

    Blocking part (severity error): the contract's row rules, checked on what ingestion wrote. Ingestion already
    quarantined every record breaking them, so these fail only when a reader lets a bad record through: they
    check the reader, not the data (the same rule on purpose twice, in two engines, from one declaration).
    Ranges, accepted values and subset rules come from the same `Contract`, so the two always agree. Events
    after the day after the run's latest arrival day are impossible.
    Drift part (severity warn): the registry's `warnings` (attribution share, success share, charge types).
    """
    E = great_expectations().expectations
    contract = ds.contract
    out: list = [_e(E.ExpectColumnValuesToNotBeNull(column=contract.id_field))]
    columns = {contract.id_field}
    derived: list[tuple[str, Callable[[pa.Table], pa.ChunkedArray]]] = []
    for f in contract.fields:
        if f.hashed or f.name == contract.id_field:
            continue
        if f.required:
            out.append(_e(E.ExpectColumnValuesToNotBeNull(column=f.name)))
            columns.add(f.name)
        if f.kind == "integer" or (f.kind == "number" and (f.min_value is not None or f.max_value is not None)):
            low = f.min_value if f.min_value is not None else (0 if f.kind == "integer" else None)
            high = f.max_value if f.max_value is not None else (1e15 - 1 if f.kind == "integer" else None)
            column = f.name
            if not f.required:  # an optional field's empty values as a value in range (passing)
                column = f"{f.name}__filled"
                fill = low if low is not None else high
                derived.append((column, lambda table, name=f.name, fill=fill: passing(table[name], fill)))
            out.append(_e(E.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)))
            columns.add(f.name)
        if f.kind in ("timestamp", "epoch_s"):
            latest = latest_arrival_day + timedelta(days=2) if f.name == contract.time_field else None
            high = _unix_s(latest) - 1 if latest else _unix_s(date.fromisoformat(LATEST_TIMESTAMP)) - 1
            low = _unix_s(date.fromisoformat(EARLIEST_TIMESTAMP))
            column = f"{f.name}__unix_s"
            out.append(_e(E.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)))
            columns.add(f.name)
            derived.append((column, lambda table, name=f.name, low=low: passing(unix_seconds(table[name]), low)))
    for name, values in contract.allowed():
        column = f"{name}__lower"
        out.append(_e(E.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))))
        columns.add(name)
        derived.append((column, lambda table, name=name, first=values[0]: passing(lowered(table[name]), first)))
    for i, rule in enumerate(contract.subset_rules):
        column = f"subset_{i}__{rule.total}"
        out.append(_e(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=rule.total, column_B=column, or_equal=True)))
        columns.update((rule.total, *rule.parts))
        derived.append((column, lambda table, parts=rule.parts: filled_sum([table[p] for p in parts])))
    for w in ds.warnings:
        columns.add(w.column)
        if w.kind == "not_null":
            out.append(_e(E.ExpectColumnValuesToNotBeNull(column=w.column, mostly=w.mostly), "warn"))
        elif w.kind == "in_set":  # compared trimmed and lower-cased, as accepted values are; empty values kept
            drift_column = f"{w.column}__drift"
            values = sorted({v.lower() for v in w.values})
            out.append(
                _e(E.ExpectColumnValuesToBeInSet(column=drift_column, value_set=values, mostly=w.mostly), "warn")
            )
            if all(column != drift_column for column, _ in derived):
                derived.append((drift_column, lambda table, name=w.column: lowered(table[name])))
        else:
            raise ValueError(f"dataset {ds.name}: unknown warning kind {w.kind!r}")

    def prepare(batch: pa.Table | pd.DataFrame) -> pd.DataFrame:
        """The batch with its derived columns, as GE's frame: computed on Arrow, converted to pandas once (no
        copy of the frame per derived column)."""
        table = pa.Table.from_pandas(batch, preserve_index=False) if isinstance(batch, pd.DataFrame) else batch
        for column, compute in derived:
            table = table.append_column(column, compute(table))
        return to_frame(table)

    return DatasetSuite(out, sorted(columns), prepare)


@dataclass
class Failure:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    sample: list = field(default_factory=list)


@dataclass
class SuiteOutcome:
    suite: str
    rows: int = 0
    batches: int = 0
    evaluated: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = field(default=0.0, compare=False)  # computing it (reading the rows, validating them)

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "warn"]


def _suite(suite_name: str, expectations: list):
    """An ephemeral GE context with a pandas dataframe asset and the suite: (context, batch definition, suite)."""
    gx = great_expectations()
    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    except AttributeError:  # older or newer GE without this knob: bars only cost log noise
        pass
    asset = context.data_sources.add_pandas("lake").add_dataframe_asset(suite_name)
    batch_definition = asset.add_batch_definition_whole_dataframe("run_batch")
    suite = gx.ExpectationSuite(name=suite_name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    return context, batch_definition, context.suites.add(suite)


def validate_batches(suite_name: str, expectations: list, batches: Iterable[pd.DataFrame]) -> SuiteOutcome:
    """Run one suite over each batch with GE's pandas engine; collect every failed expectation. The GE context
    is made on the first non-empty batch (a run that loaded nothing has nothing to validate)."""
    outcome = SuiteOutcome(suite=suite_name)
    context = batch_definition = suite = None
    previous_pool = _arrow_pool_for_validation()
    try:
        for df in batches:
            if df.empty:
                continue
            if batch_definition is None:
                context, batch_definition, suite = _suite(suite_name, expectations)
            # BASIC: the unexpected count and the first unexpected values, all a failure reports. GE's default
            # (SUMMARY) also counts every distinct unexpected value and lists indexes: twice the time (1.4 s vs
            # 0.77 s per 700k usage rows).
            # Copy-on-write: GE selects each expectation's rows with a boolean mask, and pandas without it copies
            # the whole frame, every column, when the mask keeps every row (nearly always): 282 such copies took
            # 3.9 s of validating 2M usage rows (9.6 s). With it the selection shares the frame's memory; GE never
            # writes to it. The option is pandas' own (its default from pandas 3.0), set while GE validates.
            with pd.option_context("mode.copy_on_write", True):
                result = batch_definition.get_batch(batch_parameters={"dataframe": df}).validate(
                    suite, result_format="BASIC"
                )
            outcome.rows += len(df)
            outcome.batches += 1
            for r in result.results:
                outcome.evaluated += 1
                if r.success:
                    continue
                cfg = r.expectation_config
                outcome.failures.append(
                    Failure(
                        expectation=cfg.type,
                        column=cfg.kwargs.get("column")
                        or f"{cfg.kwargs.get('column_A')}>={cfg.kwargs.get('column_B')}",
                        severity=(cfg.meta or {}).get("severity", "error"),
                        unexpected_count=r.result.get("unexpected_count"),
                        sample=[str(v) for v in (r.result.get("partial_unexpected_list") or [])[:5]],
                    )
                )
    finally:
        pa.set_memory_pool(previous_pool)
        if context is not None:
            # GE keeps its ephemeral context as the process's project context, and the context keeps the last
            # batch in its pandas engine's cache: dropped with the data source, or the process holds the frame
            # through the dbt build that follows
            context.data_sources.delete("lake")
    return outcome


def _arrow_pool_for_validation() -> pa.MemoryPool:
    """Arrow's system allocator (glibc's malloc) while a suite validates, unless ARROW_DEFAULT_MEMORY_POOL
    chooses one; returns the pool to restore. The batches are made and converted to pandas as the loop pulls
    them, and pandas computes on Arrow-backed strings with Arrow's default pool: mimalloc in pyarrow's wheels,
    which on this machine class spends twice the time in the kernel (`validate_run` of 3M usage rows in a new
    process, five runs each: 4.6-6.2 s, system CPU 3.0-4.6 s, 240k page faults; on the system pool 3.6-4.1 s,
    1.7-2.0 s, 600k faults; docs/benchmarks.md). What the system pool keeps after is returned by malloc_trim
    (validation.return_freed_memory)."""
    previous = pa.default_memory_pool()
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())
    return previous


def capacity_hourly_expectations() -> list:
    """Invariants of marts.fct_capacity_hourly: nothing lost, nothing negative, utilization a fraction."""
    E = great_expectations().expectations
    out = [
        # used + idle + unallocated - committed - overage, in USD: exactly 0 for every row
        _e(E.ExpectColumnValuesToBeBetween(column="conservation_gap_usd", min_value=0, max_value=0)),
        _e(E.ExpectColumnValuesToBeBetween(column="utilization_pct", min_value=0, max_value=1)),
        _e(E.ExpectColumnValuesToNotBeNull(column="committed_cost_usd")),
        _e(E.ExpectColumnValuesToBeInSet(column="capacity_model", value_set=_capacity_models())),
        # drift: provisioned requests whose model has no burndown weights
        _e(E.ExpectColumnValuesToBeBetween(column="requests_without_weights", min_value=0, max_value=0), "warn"),
    ]
    out += [
        _e(E.ExpectColumnValuesToBeBetween(column=c, min_value=0))
        for c in ("used_cost_usd", "idle_cost_usd", "unallocated_cost_usd", "overage_cost_usd")
    ]
    return out


def _capacity_models() -> list[str]:
    return ["azure_ptu", "aws_model_units", "gcp_gsu", "openai_scale_tier"]


CAPACITY_HOURLY_SQL = """
    select
        capacity_model,
        cast(committed_cost_usd as double) as committed_cost_usd,
        cast(used_cost_usd as double) as used_cost_usd,
        cast(idle_cost_usd as double) as idle_cost_usd,
        cast(unallocated_cost_usd as double) as unallocated_cost_usd,
        cast(overage_cost_usd as double) as overage_cost_usd,
        -- the gap is computed in exact decimals before it is handed to pandas
        cast(used_cost_usd + idle_cost_usd + unallocated_cost_usd - committed_cost_usd - overage_cost_usd as double)
            as conservation_gap_usd,
        utilization_pct,
        requests_without_weights
    from marts.fct_capacity_hourly
"""


def reconciliation_tolerance_pct() -> float:
    """Unexplained variance (percent of the billed amount) above which the billing reconciliation warns."""
    return float(os.environ.get("FINOPS_RECONCILIATION_TOLERANCE_PCT", "1.0"))


# one row per platform and day: the unexplained variance as a share of what was billed (exact decimals until
# the ratio); days billed less than a dollar compare against a dollar
RECONCILIATION_SQL = """
    select
        platform,
        day,
        cast(sum(billed_effective_cost) as double) as billed_usd,
        cast(sum(unexplained_variance) as double) as unexplained_usd,
        abs(cast(sum(unexplained_variance) as double))
            / greatest(abs(cast(sum(billed_effective_cost) as double)), 1.0) * 100 as unexplained_pct_abs
    from marts.rpt_billing_reconciliation_daily
    group by 1, 2
"""


# one row per platform and day where a provider reports cost or counts requests: what the bill charges beyond the
# provider's own report, and the logged share of the requests the provider counted
THREE_WAY_SQL = """
    select
        platform,
        day,
        cast(sum(billed_usage_cost) as double) as billed_usd,
        cast(sum(provider_reported_cost) as double) as reported_usd,
        abs(cast(sum(billed_usage_cost) - sum(provider_reported_cost) as double))
            / greatest(abs(cast(sum(billed_usage_cost) as double)), 1.0) * 100 as billed_vs_reported_pct_abs,
        cast(sum(logged_requests) filter (where provider_requests is not null) as double)
            / nullif(sum(provider_requests), 0) * 100 as request_completeness_pct
    from marts.rpt_three_way_reconciliation_daily
    group by 1, 2
    having count(provider_reported_cost) > 0 or count(provider_requests) > 0
"""


def three_way_expectations(tolerance_pct: float) -> list:
    """Warn (never block) when a platform-day's bill and the provider's own cost report differ by more than the
    tolerance, or when the logged requests fall short of (or exceed) the provider's count by more than it."""
    E = great_expectations().expectations
    return [
        _e(
            E.ExpectColumnValuesToBeBetween(column="billed_vs_reported_pct_abs", max_value=tolerance_pct),
            "warn",
        ),
        _e(
            E.ExpectColumnValuesToBeBetween(
                column="request_completeness_pct", min_value=100 - tolerance_pct, max_value=100 + tolerance_pct
            ),
            "warn",
        ),
    ]


def reconciliation_expectations(tolerance_pct: float) -> list:
    """Warn (never block) when a platform-day's unexplained variance exceeds the tolerance."""
    E = great_expectations().expectations
    return [
        _e(E.ExpectColumnValuesToNotBeNull(column="unexplained_usd")),
        _e(E.ExpectColumnValuesToBeBetween(column="unexplained_pct_abs", max_value=tolerance_pct), "warn"),
    ]
