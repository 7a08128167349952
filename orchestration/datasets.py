"""The one registry of raw datasets: everything per dataset derives from it.

A raw dataset is one landing folder read with one record format into one lake dataset. Its entry says:
- `name`: the lake dataset (`<lake>/<name>/`, with `<name>_quarantine/` and `<name>_ingestion_log/`), the dbt
  sources `source('lake', name)` (and the other two) and the Dagster asset `raw/<name>` that writes all three;
- `landing_folder`: where its files arrive (`<landing>/<landing_folder>/day=YYYY-MM-DD/`; default the name);
- `contract`: the record format (orchestration/ingest/contracts.py): fields, types and row rules;
- `partition_column`: the lake's day column (`event_date` for events, `charge_date` for bills);
- `role`: `usage` (one row per model call: unioned into int_usage_events), `usage_report` (aggregated usage
  buckets: counted where no per-request source covers a platform and day), `kpi` (business outcomes), `bill` (a
  billing export) or `other` (landed, validated and reconciled; read by its own staging model only);
- `staging_model`: the dbt model that reads it (`models/staging/<system>/`);
- `warnings`: drift expectations of its Great Expectations suite (warn, never block); the blocking part of
  the suite is derived from the contract.

Derived from this module, never written by hand:
- the Dagster ingestion assets and their checks (orchestration/ingest/assets.py);
- the dbt sources over the lake and the macro `raw_datasets()` (models/staging/lake/_lake__sources.yml,
  macros/generated/raw_datasets.sql: written by `genai-finops generate-dbt`; a test fails on any drift),
  from which the quarantine and ingestion-log unions, the ingestion reconciliation and the usage-source
  union of `int_usage_events` loop;
- the landing listing of the sensor and of `genai-finops run`.

Adding a landing format: its contract (if it is a new format), one entry below, its staging model, then
`genai-finops generate-dbt`.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.ingest import contracts as c

ROLES = ("usage", "usage_report", "kpi", "bill", "other")
# the roles whose records carry the day they happened: late records widen a run's window (`rebuild_from`), and
# the tests of their staging models read the window's days (dbt: raw_datasets()' `events`)
EVENT_ROLES = ("usage", "usage_report", "kpi")


@dataclass(frozen=True)
class Warn:
    """A drift expectation (Great Expectations, severity warn): `not_null` or `in_set`, holding for at least
    `mostly` of the rows."""

    kind: str
    column: str
    mostly: float = 1.0
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    name: str
    contract: c.Contract
    role: str
    staging_model: str
    description: str
    landing_folder: str | None = None
    partition_column: str = "event_date"
    warnings: tuple[Warn, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"dataset {self.name}: role {self.role!r} is not one of {ROLES}")

    @property
    def landing(self) -> str:
        return self.landing_folder or self.name


ATTRIBUTED = Warn("not_null", "use_case_id", mostly=0.8)
MOSTLY_SUCCESS = Warn("in_set", "status", mostly=0.9, values=("success",))
MODEL_NAMED = Warn("not_null", "model", mostly=0.99)


def _charge_types(column: str, *values: str) -> Warn:
    """Charge types the billing staging models know; another one would land as 'Adjustment'."""
    return Warn("in_set", column, values=values)


AZURE_CHARGE_TYPES = _charge_types(
    "charge_type",
    "Usage",
    "Purchase",
    "Tax",
    "Credit",
    "Refund",
    "RoundingAdjustment",
    "UnusedReservation",
    "UnusedSavingsPlan",
)

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "usage_events",
        c.CANONICAL_USAGE,
        role="usage",
        staging_model="stg_canonical__usage_events",
        description="Canonical usage events, one row per model call as delivered (duplicates possible).",
        warnings=(ATTRIBUTED, MOSTLY_SUCCESS),
    ),
    Dataset(
        "kpi_events",
        c.KPI_EVENTS,
        role="kpi",
        staging_model="stg_canonical__kpi_events",
        description="Business KPI events, one row per outcome of a use-case transaction.",
        warnings=(Warn("not_null", "transaction_id", mostly=0.95),),
    ),
    Dataset(
        "otel_spans",
        c.OTEL_SPANS,
        role="usage",
        staging_model="stg_otel__genai_spans",
        description="OpenTelemetry GenAI model-call spans (OTLP/JSON) flattened to canonical usage fields.",
        warnings=(ATTRIBUTED, MOSTLY_SUCCESS),
    ),
    Dataset(
        "bedrock_invocations",
        c.BEDROCK_INVOCATIONS,
        role="usage",
        staging_model="stg_bedrock__invocations",
        description="AWS Bedrock model invocation log records (allow-listed fields; never request or response bodies).",
        warnings=(ATTRIBUTED,),
    ),
    Dataset(
        "litellm_spend_logs",
        c.LITELLM_SPEND_LOGS,
        role="usage",
        staging_model="stg_litellm__spend_logs",
        description="LiteLLM proxy spend-log records (never messages or responses).",
        warnings=(ATTRIBUTED,),
    ),
    Dataset(
        "anthropic_messages",
        c.ANTHROPIC_MESSAGES,
        role="usage",
        staging_model="stg_anthropic__messages",
        description=(
            "Anthropic Messages API usage objects, one row per message (allow-listed fields; never content); "
            "the landing day when the record carried no time."
        ),
        warnings=(Warn("not_null", "record_time", mostly=0.99), ATTRIBUTED),
    ),
    Dataset(
        "openai_usage",
        c.OPENAI_USAGE,
        role="usage_report",
        staging_model="stg_openai__usage_completions",
        description="OpenAI Usage API completions results, one row per bucket result (num_model_requests calls).",
        warnings=(MODEL_NAMED,),
    ),
    Dataset(
        "anthropic_usage",
        c.ANTHROPIC_USAGE,
        role="usage_report",
        staging_model="stg_anthropic__usage_report",
        description="Anthropic Admin usage report results, one row per bucket result (aggregated).",
        warnings=(MODEL_NAMED,),
    ),
    Dataset(
        "openai_costs",
        c.OPENAI_COSTS,
        role="other",
        staging_model="stg_openai__costs",
        description=(
            "OpenAI Costs API results, one row per bucket result: what OpenAI reports it charged (provider-reported "
            "cost, never mixed into the computed cost)."
        ),
    ),
    Dataset(
        "anthropic_costs",
        c.ANTHROPIC_COSTS,
        role="other",
        staging_model="stg_anthropic__cost_report",
        description=(
            "Anthropic Admin cost report results, one row per bucket result (amounts in cents as exact decimals): "
            "provider-reported cost, never mixed into the computed cost."
        ),
    ),
    Dataset(
        "focus_charges",
        c.FOCUS_CHARGES,
        role="bill",
        staging_model="stg_focus__charges",
        description="FOCUS billing export rows (1.0 to 1.2 column sets, CSV or Parquet), money exact to 10 places.",
        partition_column="charge_date",
        warnings=(_charge_types("charge_category", "Usage", "Purchase", "Tax", "Credit", "Adjustment"),),
    ),
    Dataset(
        "aws_cur",
        c.AWS_CUR,
        role="bill",
        staging_model="stg_aws__cur",
        description="AWS CUR 2.0 / Data Exports line items (IAM principal hashed).",
        partition_column="charge_date",
        warnings=(
            _charge_types(
                "line_item_type",
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
        ),
    ),
    Dataset(
        "azure_cost_actual",
        c.AZURE_COST,
        role="bill",
        staging_model="stg_azure__cost_details",
        description="Azure cost details export, actual-cost view (AccountOwnerId hashed).",
        partition_column="charge_date",
        warnings=(AZURE_CHARGE_TYPES,),
    ),
    Dataset(
        "azure_cost_amortized",
        c.AZURE_COST,
        role="bill",
        staging_model="stg_azure__cost_details",
        description="Azure cost details export, amortized-cost view (AccountOwnerId hashed).",
        partition_column="charge_date",
        warnings=(AZURE_CHARGE_TYPES,),
    ),
    Dataset(
        "gcp_billing",
        c.GCP_BILLING,
        role="bill",
        staging_model="stg_gcp__billing",
        description="GCP billing export rows (credits summed into credits_amount; labels as JSON).",
        partition_column="charge_date",
        warnings=(_charge_types("cost_type", "regular", "tax", "adjustment", "rounding_error"),),
    ),
)

_BY_NAME = {d.name: d for d in DATASETS}
if len(_BY_NAME) != len(DATASETS):
    raise ValueError("two datasets share a name")


def dataset(name: str) -> Dataset:
    """The registry entry of a raw dataset, by name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no raw dataset {name!r}; the registry has {', '.join(_BY_NAME)}") from None


def by_role(role: str, datasets: tuple[Dataset, ...] = DATASETS) -> tuple[Dataset, ...]:
    return tuple(d for d in datasets if d.role == role)
