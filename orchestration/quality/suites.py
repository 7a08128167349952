"""Great Expectations suites as code, validated with GE's pandas engine on bounded batches.

Each expectation carries `meta.severity`: `error` for a contract violation (the asset check fails and,
being blocking, stops everything downstream), `warn` for drift (the check still passes the data on
but reports a warning). Batches come from DuckDB reading the lake files a run wrote, at most
`FINOPS_GE_MAX_BATCH_ROWS` rows at a time (default 1,000,000), so memory stays bounded; every row is
validated (no sampling).
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import great_expectations as gx
import pandas as pd

from orchestration.ingest.contracts import TOKEN_FIELDS
from orchestration.settings import PROJECT_DIR

logging.getLogger("great_expectations").setLevel(logging.WARNING)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PLATFORMS = ["openai", "azure_openai", "aws_bedrock", "gcp_vertex", "anthropic", "google_ai_studio"]
CAPACITY_TYPES = ["on_demand", "batch", "provisioned", "spillover"]
SERVICE_TIERS = ["standard", "priority", "flex", "scale"]
STATUSES = ["success", "error", "throttled", "timeout", "filtered"]
TOKEN_COLUMNS = list(TOKEN_FIELDS)
MAX_INPUT_TOKENS = 2_000_000  # the largest context window on offer; more is a unit error
EARLIEST_EVENT = date(2020, 1, 1)


def _unix_s(day: date) -> int:
    return int(pd.Timestamp(day).timestamp())


def _occurred_in_range(latest_arrival_day: date):
    """Events cannot precede 2020 nor occur after the day after their file arrived."""
    return _e(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="occurred_at_unix_s",
            min_value=_unix_s(EARLIEST_EVENT),
            max_value=_unix_s(latest_arrival_day + timedelta(days=2)),
        )
    )


def with_unix_seconds(df: pd.DataFrame) -> pd.DataFrame:
    """occurred_at as integer seconds: GE's pandas range check on integers is ~30x faster than on datetimes."""
    df["occurred_at_unix_s"] = df["occurred_at"].astype("datetime64[us]").astype("int64") // 1_000_000
    return df


def max_batch_rows() -> int:
    return int(os.environ.get("FINOPS_GE_MAX_BATCH_ROWS", "1000000"))


@lru_cache
def _seed_values(seed: str, column: str) -> list[str]:
    with (PROJECT_DIR / "seeds" / "reference" / f"{seed}.csv").open(newline="") as f:
        return sorted({row[column] for row in csv.DictReader(f)})


def _e(expectation, severity: str = "error"):
    expectation.meta = {"severity": severity}
    return expectation


def usage_events_expectations(latest_arrival_day: date) -> list:
    """The raw usage_events contract. Events cannot occur after the day after their file arrived."""
    E = gx.expectations
    out = [
        _e(E.ExpectColumnValuesToNotBeNull(column="event_id")),
        _e(E.ExpectColumnValuesToNotBeNull(column="occurred_at")),
        _occurred_in_range(latest_arrival_day),
        _e(E.ExpectColumnValuesToBeInSet(column="platform", value_set=PLATFORMS)),
        _e(E.ExpectColumnValuesToNotBeNull(column="model")),
        _e(E.ExpectColumnValuesToBeInSet(column="capacity_type", value_set=CAPACITY_TYPES)),
        _e(E.ExpectColumnValuesToBeInSet(column="service_tier", value_set=SERVICE_TIERS)),
        _e(E.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES)),
        _e(E.ExpectColumnValuesToBeInSet(column="cache_write_ttl", value_set=["5m", "1h"])),
        _e(E.ExpectColumnValuesToBeBetween(column="input_tokens", min_value=0, max_value=MAX_INPUT_TOKENS)),
        _e(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="input_tokens", column_B="cache_parts", or_equal=True)),
        _e(
            E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="input_tokens", column_B="modality_parts", or_equal=True)
        ),
        _e(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="output_tokens", column_B="output_parts", or_equal=True)),
        _e(E.ExpectColumnValuesToBeBetween(column="latency_ms", min_value=0)),
        _e(E.ExpectColumnValuesToBeBetween(column="attempt", min_value=1, max_value=20)),
        # drift: worth a look, not a reason to stop
        _e(E.ExpectColumnValuesToNotBeNull(column="use_case_id", mostly=0.8), "warn"),
        _e(E.ExpectColumnValuesToBeInSet(column="status", value_set=["success"], mostly=0.9), "warn"),
    ]
    out += [_e(E.ExpectColumnValuesToBeBetween(column=c, min_value=0)) for c in TOKEN_COLUMNS]
    return out


USAGE_COLUMNS = [
    "event_id",
    "occurred_at",
    "platform",
    "model",
    "capacity_type",
    "service_tier",
    "status",
    "cache_write_ttl",
    "use_case_id",
    "latency_ms",
    "attempt",
    *TOKEN_COLUMNS,
]


def prepare_usage_batch(df: pd.DataFrame) -> pd.DataFrame:
    """Defaults as staging applies them, and the subset sums the contract compares with totals."""
    df = df.copy()
    df["capacity_type"] = df["capacity_type"].fillna("on_demand")
    df["service_tier"] = df["service_tier"].fillna("standard")
    df["status"] = df["status"].fillna("success")
    df["attempt"] = df["attempt"].fillna(1)
    tok = {c: df[c].fillna(0) for c in TOKEN_COLUMNS}
    df["cache_parts"] = tok["cached_input_tokens"] + tok["cache_write_tokens"]
    df["modality_parts"] = tok["image_input_tokens"] + tok["audio_input_tokens"]
    df["output_parts"] = tok["reasoning_tokens"] + tok["audio_output_tokens"]
    return with_unix_seconds(df)


def kpi_events_expectations(latest_arrival_day: date) -> list:
    E = gx.expectations
    return [
        _e(E.ExpectColumnValuesToNotBeNull(column="kpi_event_id")),
        _occurred_in_range(latest_arrival_day),
        _e(E.ExpectColumnValuesToBeInSet(column="use_case_id", value_set=_seed_values("use_cases", "use_case_id"))),
        _e(E.ExpectColumnValuesToBeInSet(column="kpi_id", value_set=_seed_values("kpi_definitions", "kpi_id"))),
        _e(E.ExpectColumnValuesToNotBeNull(column="value")),
        _e(E.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=1_000_000)),
        _e(E.ExpectColumnValuesToNotBeNull(column="transaction_id", mostly=0.95), "warn"),
    ]


KPI_COLUMNS = ["kpi_event_id", "occurred_at", "use_case_id", "kpi_id", "value", "transaction_id"]


def prepare_kpi_batch(df: pd.DataFrame) -> pd.DataFrame:
    return with_unix_seconds(df.copy())


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

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "warn"]


def _suite(suite_name: str, expectations: list):
    """An ephemeral GE context with a pandas dataframe asset and the suite: (batch definition, suite)."""
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
    return batch_definition, context.suites.add(suite)


def validate_batches(suite_name: str, expectations: list, batches: Iterable[pd.DataFrame]) -> SuiteOutcome:
    """Run one suite over each batch with GE's pandas engine; collect every failed expectation. The GE context
    is made on the first non-empty batch (a run that loaded nothing has nothing to validate)."""
    outcome = SuiteOutcome(suite=suite_name)
    batch_definition = suite = None
    for df in batches:
        if df.empty:
            continue
        if batch_definition is None:
            batch_definition, suite = _suite(suite_name, expectations)
        # BASIC: the unexpected count and the first unexpected values, all a failure reports. GE's default
        # (SUMMARY) also counts every distinct unexpected value and lists indexes: twice the time (1.4 s vs
        # 0.77 s per 700k usage rows)
        result = batch_definition.get_batch(batch_parameters={"dataframe": df}).validate(suite, result_format="BASIC")
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
                    column=cfg.kwargs.get("column") or f"{cfg.kwargs.get('column_A')}>={cfg.kwargs.get('column_B')}",
                    severity=(cfg.meta or {}).get("severity", "error"),
                    unexpected_count=r.result.get("unexpected_count"),
                    sample=[str(v) for v in (r.result.get("partial_unexpected_list") or [])[:5]],
                )
            )
    return outcome


def capacity_hourly_expectations() -> list:
    """Invariants of marts.fct_capacity_hourly: nothing lost, nothing negative, utilization a fraction."""
    E = gx.expectations
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


def bedrock_invocations_expectations(latest_arrival_day: date) -> list:
    """The raw Bedrock invocation log contract."""
    E = gx.expectations
    counts = (
        "input_token_count",
        "cache_read_input_token_count",
        "cache_write_input_token_count",
        "output_token_count",
    )
    return [
        _e(E.ExpectColumnValuesToNotBeNull(column="request_id")),
        _e(E.ExpectColumnValuesToNotBeNull(column="model_id")),
        _occurred_in_range(latest_arrival_day),
        _e(E.ExpectColumnValuesToBeBetween(column="input_token_count", min_value=0, max_value=MAX_INPUT_TOKENS)),
        *[_e(E.ExpectColumnValuesToBeBetween(column=c, min_value=0)) for c in counts],
        _e(E.ExpectColumnValuesToNotBeNull(column="use_case_id", mostly=0.8), "warn"),
    ]


BEDROCK_COLUMNS = [
    "request_id",
    "timestamp",
    "model_id",
    "use_case_id",
    "input_token_count",
    "cache_read_input_token_count",
    "cache_write_input_token_count",
    "output_token_count",
]


def prepare_bedrock_batch(df: pd.DataFrame) -> pd.DataFrame:
    df = df.rename(columns={"timestamp": "occurred_at"})
    return with_unix_seconds(df.copy())


def aggregated_report_expectations(time_column: str, token_columns: tuple[str, ...]):
    """Contract of an aggregated usage report: an id and a bucket time in range, token counts never negative."""

    def build(latest_arrival_day: date) -> list:
        E = gx.expectations
        return [
            _e(E.ExpectColumnValuesToNotBeNull(column="record_id")),
            _e(
                E.ExpectColumnValuesToBeBetween(
                    column="occurred_at_unix_s",
                    min_value=_unix_s(EARLIEST_EVENT),
                    max_value=_unix_s(latest_arrival_day + timedelta(days=2)),
                )
            ),
            *[_e(E.ExpectColumnValuesToBeBetween(column=c, min_value=0)) for c in token_columns],
            _e(E.ExpectColumnValuesToNotBeNull(column="model", mostly=0.99), "warn"),
        ]

    def prepare(df: pd.DataFrame) -> pd.DataFrame:
        return with_unix_seconds(df.rename(columns={time_column: "occurred_at"}).copy())

    return build, ["record_id", time_column, "model", *token_columns], prepare


OPENAI_USAGE_SUITE = aggregated_report_expectations(
    "bucket_start", ("num_model_requests", "input_tokens", "input_cached_tokens", "output_tokens")
)
ANTHROPIC_USAGE_SUITE = aggregated_report_expectations(
    "starting_at", ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens")
)


def litellm_spend_log_expectations(latest_arrival_day: date) -> list:
    """The raw LiteLLM spend-log contract."""
    E = gx.expectations
    return [
        _e(E.ExpectColumnValuesToNotBeNull(column="request_id")),
        _e(E.ExpectColumnValuesToNotBeNull(column="model")),
        _occurred_in_range(latest_arrival_day),
        _e(E.ExpectColumnValuesToBeBetween(column="prompt_tokens", min_value=0, max_value=MAX_INPUT_TOKENS)),
        _e(E.ExpectColumnValuesToBeBetween(column="completion_tokens", min_value=0)),
        _e(E.ExpectColumnValuesToNotBeNull(column="use_case_id", mostly=0.8), "warn"),
    ]


LITELLM_COLUMNS = ["request_id", "start_time", "model", "use_case_id", "prompt_tokens", "completion_tokens"]


def prepare_litellm_batch(df: pd.DataFrame) -> pd.DataFrame:
    return with_unix_seconds(df.rename(columns={"start_time": "occurred_at"}).copy())


def anthropic_message_expectations(latest_arrival_day: date) -> list:
    """The raw Anthropic message-usage contract; the share logged without a time (stamped with the landing
    day) warns above 1%."""
    E = gx.expectations
    counts = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens")
    return [
        _e(E.ExpectColumnValuesToNotBeNull(column="message_id")),
        _e(E.ExpectColumnValuesToNotBeNull(column="model")),
        _occurred_in_range(latest_arrival_day),
        *[_e(E.ExpectColumnValuesToBeBetween(column=c, min_value=0)) for c in counts],
        _e(E.ExpectColumnValuesToNotBeNull(column="record_time", mostly=0.99), "warn"),
        _e(E.ExpectColumnValuesToNotBeNull(column="use_case_id", mostly=0.8), "warn"),
    ]


ANTHROPIC_MESSAGE_COLUMNS = [
    "message_id",
    "logged_at",
    "record_time",
    "model",
    "use_case_id",
    "input_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "output_tokens",
]


def prepare_anthropic_message_batch(df: pd.DataFrame) -> pd.DataFrame:
    return with_unix_seconds(df.rename(columns={"logged_at": "occurred_at"}).copy())


def billing_expectations(time_column: str, cost_column: str, category_column: str, categories: tuple[str, ...]):
    """Contract of a billing export: a charge time in range (never after the day after its delivery), a cost on
    every row, and charge types the staging models know (an unknown one warns: it would land as 'Adjustment')."""

    def build(latest_arrival_day: date) -> list:
        E = gx.expectations
        return [
            _e(E.ExpectColumnValuesToNotBeNull(column=cost_column)),
            _occurred_in_range(latest_arrival_day),
            _e(E.ExpectColumnValuesToBeInSet(column=category_column, value_set=list(categories)), "warn"),
        ]

    def prepare(df: pd.DataFrame) -> pd.DataFrame:
        df = df.rename(columns={time_column: "occurred_at"}).copy()
        df[category_column] = df[category_column].fillna("(none)")
        return with_unix_seconds(df)

    return build, [time_column, cost_column, category_column], prepare


FOCUS_SUITE = billing_expectations(
    "charge_period_start", "billed_cost", "charge_category", ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
)
AWS_CUR_SUITE = billing_expectations(
    "usage_start",
    "unblended_cost",
    "line_item_type",
    (
        "(none)",
        "Usage",
        "DiscountedUsage",
        "SavingsPlanCoveredUsage",
        "Fee",
        "RIFee",
        "SavingsPlanRecurringFee",
        "SavingsPlanUpfrontFee",
        "Tax",
        "Credit",
        "Refund",
        "EdpDiscount",
        "BundledDiscount",
        "PrivateRateDiscount",
        "SavingsPlanNegation",
    ),
)
AZURE_COST_SUITE = billing_expectations(
    "usage_date",
    "cost",
    "charge_type",
    ("Usage", "Purchase", "Tax", "Credit", "Refund", "RoundingAdjustment", "UnusedReservation", "UnusedSavingsPlan"),
)
GCP_BILLING_SUITE = billing_expectations(
    "usage_start_time", "cost", "cost_type", ("(none)", "regular", "tax", "adjustment", "rounding_error")
)


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


def reconciliation_expectations(tolerance_pct: float) -> list:
    """Warn (never block) when a platform-day's unexplained variance exceeds the tolerance."""
    E = gx.expectations
    return [
        _e(E.ExpectColumnValuesToNotBeNull(column="unexplained_usd")),
        _e(E.ExpectColumnValuesToBeBetween(column="unexplained_pct_abs", max_value=tolerance_pct), "warn"),
    ]
