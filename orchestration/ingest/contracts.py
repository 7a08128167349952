"""Record formats: which fields a landing record may carry, where they sit, their types and row rules.

A contract describes one format (canonical usage events, OTLP/JSON spans, Bedrock invocation logs, ...);
the dataset registry (orchestration/datasets.py) says which landing folder and lake dataset use it.
Ingestion reads only the fields named here, so anything else a record carries (prompt text, message
bodies, tool arguments) never reaches the lake. A record that breaks a row rule goes to quarantine with the
field and the reason; the rest lands typed. The Great Expectations suite of a dataset is derived from the
same contract (orchestration/quality/suites.py), so ingestion and validation agree on every range.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace

from orchestration.paths import SEEDS_DIR


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # string | integer | number | decimal (money, exact to 10 places) | timestamp | epoch_s (unix seconds)
    required: bool = False
    hashed: bool = False  # stored as sha256(salt || value) under `hashed_name`
    hashed_name: str | None = None
    path: str | None = None  # JSON path in the record (default: $.<name>); 'a | b': the first that is present
    landing_day_default: bool = False  # a record without the field gets the landing day (00:00 UTC)
    formats: tuple[str, ...] = ()  # strptime formats of a timestamp tried before ISO 8601 (e.g. '%m/%d/%Y')
    min_value: float | None = None  # numbers: the accepted range (integers are never negative nor >= 1e15)
    max_value: float | None = None

    @property
    def is_sum(self) -> bool:
        """A path through a list ('$.credits[*].amount'): the field is the sum of the values found."""
        return bool(self.path) and "[*]" in self.path

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.path.split("|")) if self.path else ("$." + self.name,)


@dataclass(frozen=True)
class SubsetRule:
    """sum(parts) must not exceed total (e.g. cached + cache-write input tokens <= input tokens)."""

    parts: tuple[str, ...]
    total: str


@dataclass(frozen=True)
class SeedColumn:
    """Accepted values kept in a seed (reviewed reference data), e.g. the platforms the warehouse knows."""

    seed: str
    column: str

    def values(self) -> tuple[str, ...]:
        with (SEEDS_DIR / f"{self.seed}.csv").open(newline="") as f:
            return tuple(sorted({row[self.column] for row in csv.DictReader(f)}))


@dataclass(frozen=True)
class Contract:
    fields: tuple[Field, ...]
    id_field: str  # when missing from a record: a deterministic hash of the record
    time_field: str  # UTC timestamp that decides the lake partition
    subset_rules: tuple[SubsetRule, ...] = ()
    reader: str = "records"  # records: flat JSON lines / Parquet / CSV; otel: OTLP/JSON spans
    # field -> accepted values, compared lower-cased and trimmed (else the record is quarantined: unknown_value)
    allowed_values: tuple[tuple[str, tuple[str, ...] | SeedColumn], ...] = ()
    # aggregated reports: JSON paths unnested one level after the other (a page's buckets, a bucket's results);
    # a record is one element of the last level, and a field path 'N:$.x' reads level N (0 = the document)
    explode: tuple[str, ...] = ()
    null_strings: tuple[str, ...] = ()  # CSV cells read as null (e.g. FOCUS exports' literal 'NULL')

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def allowed(self) -> list[tuple[str, tuple[str, ...]]]:
        """(field, accepted values) with seed-kept lists read now."""
        return [(n, v.values() if isinstance(v, SeedColumn) else v) for n, v in self.allowed_values]


# Nothing in a GenAI usage log or bill predates this; ingestion quarantines earlier times and the Great
# Expectations suites check the same bound (one constant for both).
EARLIEST_TIMESTAMP = "2020-01-01"
LATEST_TIMESTAMP = "2100-01-01"
# the largest context window on offer: more input tokens in one request is a unit error
MAX_INPUT_TOKENS = 2_000_000
PLATFORMS = SeedColumn("platforms", "platform")


TOKEN_FIELDS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "image_input_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
)

# Canonical usage events: one record per model call, in the warehouse's own vocabulary (the format a team
# writes when it logs calls itself, and what the demo generator emits).
CANONICAL_USAGE = Contract(
    fields=(
        Field("event_id", "string"),
        Field("occurred_at", "timestamp", required=True),
        Field("platform", "string", required=True),
        Field("model", "string", required=True),
        Field("region", "string"),
        Field("region_scope", "string"),
        Field("deployment_id", "string"),
        Field("capacity_type", "string"),
        Field("service_tier", "string"),
        Field("use_case_id", "string"),
        Field("variant_id", "string"),
        Field("transaction_id", "string"),
        Field("conversation_id", "string"),
        Field("turn_index", "integer"),
        Field("step_index", "integer"),
        Field("team", "string"),
        Field("environment", "string"),
        Field("api_key_id", "string"),
        Field("user_id", "string", hashed=True, hashed_name="user_hash"),
        Field("input_tokens", "integer", required=True, max_value=MAX_INPUT_TOKENS),
        Field("cached_input_tokens", "integer"),
        Field("cache_write_tokens", "integer"),
        Field("cache_write_ttl", "string"),
        Field("output_tokens", "integer", required=True),
        Field("reasoning_tokens", "integer"),
        Field("image_input_tokens", "integer"),
        Field("audio_input_tokens", "integer"),
        Field("audio_output_tokens", "integer"),
        Field("status", "string"),
        Field("http_status", "integer"),
        Field("attempt", "integer"),
        Field("ttft_ms", "integer"),
        Field("latency_ms", "integer"),
    ),
    id_field="event_id",
    time_field="occurred_at",
    subset_rules=(
        SubsetRule(("cached_input_tokens", "cache_write_tokens"), "input_tokens"),
        SubsetRule(("image_input_tokens", "audio_input_tokens"), "input_tokens"),
        SubsetRule(("reasoning_tokens", "audio_output_tokens"), "output_tokens"),
    ),
    allowed_values=(
        ("platform", PLATFORMS),
        ("capacity_type", ("on_demand", "batch", "provisioned", "spillover")),
        ("service_tier", ("standard", "priority", "flex", "scale")),
        ("status", ("success", "error", "throttled", "timeout", "filtered")),
        ("cache_write_ttl", ("5m", "1h")),
    ),
)

KPI_EVENTS = Contract(
    fields=(
        Field("kpi_event_id", "string"),
        Field("occurred_at", "timestamp", required=True),
        Field("use_case_id", "string", required=True),
        Field("variant_id", "string"),
        Field("transaction_id", "string"),
        Field("kpi_id", "string", required=True),
        Field("value", "number", required=True, min_value=0, max_value=1_000_000),
    ),
    id_field="kpi_event_id",
    time_field="occurred_at",
    # a KPI the definitions do not know cannot be valued: quarantined (an unregistered use case flows on and
    # warns, as it does for usage)
    allowed_values=(("kpi_id", SeedColumn("kpi_definitions", "kpi_id")),),
)

# OpenTelemetry GenAI spans (OTLP/JSON) flattened to canonical usage fields (orchestration/ingest/otel.py); a
# provider the warehouse does not know keeps its name and is quarantined, not guessed.
# Cost a span reports for its call, kept beside (never instead of) the cost the price book computes: the proposed
# semantic-convention attributes gen_ai.usage.cost.amount / .currency / .source, or OpenLIT's gen_ai.usage.cost
# (USD). orchestration/ingest/otel.py reads them.
REPORTED_COST_FIELDS = (
    Field("reported_cost", "decimal", min_value=0),
    Field("reported_cost_currency", "string"),
    Field("reported_cost_source", "string"),
)
OTEL_SPANS = replace(CANONICAL_USAGE, reader="otel", fields=CANONICAL_USAGE.fields + REPORTED_COST_FIELDS)

# AWS Bedrock model invocation logs: the record as AWS writes it (token semantics are normalised in
# stg_bedrock__invocations: input = inputTokenCount + cache reads + cache writes). inputBodyJson and
# outputBodyJson (the prompt and the response) are never read; requestMetadata only by allow-listed keys.
BEDROCK_INVOCATIONS = Contract(
    fields=(
        Field("request_id", "string", path="$.requestId"),
        Field("timestamp", "timestamp", required=True, path="$.timestamp"),
        Field("account_id", "string", path="$.accountId"),
        Field("identity_arn", "string", hashed=True, hashed_name="identity_hash", path="$.identity.arn"),
        Field("region", "string", path="$.region"),
        Field("inference_region", "string", path="$.inferenceRegion"),
        Field("operation", "string", path="$.operation"),
        Field("model_id", "string", required=True, path="$.modelId"),
        Field("error_code", "string", path="$.errorCode"),
        Field("input_token_count", "integer", path="$.input.inputTokenCount", max_value=MAX_INPUT_TOKENS),
        Field("cache_read_input_token_count", "integer", path="$.input.cacheReadInputTokenCount"),
        Field("cache_write_input_token_count", "integer", path="$.input.cacheWriteInputTokenCount"),
        Field("output_token_count", "integer", path="$.output.outputTokenCount"),
        Field("use_case_id", "string", path="$.requestMetadata.use_case"),
        Field("variant_id", "string", path="$.requestMetadata.variant"),
        Field("team", "string", path="$.requestMetadata.team"),
        Field("transaction_id", "string", path="$.requestMetadata.transaction_id"),
        Field("user_id", "string", hashed=True, hashed_name="user_hash", path="$.requestMetadata.user_id"),
    ),
    id_field="request_id",
    time_field="timestamp",
)

# OpenAI Usage API pages (/v1/organization/usage/completions): one record per result of a time bucket;
# old and new column sets (input_cache_write_tokens, modality splits arrived in mid-2026), grouped or not.
OPENAI_USAGE = Contract(
    fields=(
        Field("record_id", "string", path="$.__record_id__"),  # none: a deterministic hash of the record
        Field("bucket_start", "epoch_s", required=True, path="1:$.start_time"),
        Field("bucket_end", "epoch_s", path="1:$.end_time"),
        Field("model", "string"),
        Field("project_id", "string"),
        Field("api_key_id", "string"),
        Field("user_id", "string", hashed=True, hashed_name="user_hash"),
        Field("batch", "string"),
        Field("service_tier", "string"),
        Field("num_model_requests", "integer", required=True),
        Field("input_tokens", "integer", required=True),
        Field("input_cached_tokens", "integer"),
        Field("input_cache_write_tokens", "integer"),
        Field("input_audio_tokens", "integer"),
        Field("input_image_tokens", "integer"),
        Field("output_tokens", "integer", required=True),
        Field("output_audio_tokens", "integer"),
    ),
    id_field="record_id",
    time_field="bucket_start",
    explode=("$.data[*]", "$.results[*]"),
    subset_rules=(SubsetRule(("input_cached_tokens", "input_cache_write_tokens"), "input_tokens"),),
)

# Anthropic Admin API usage report (/v1/organizations/usage_report/messages): one record per result of a
# time bucket; input is reported without cache reads and writes, writes split by TTL, no request count.
ANTHROPIC_USAGE = Contract(
    fields=(
        Field("record_id", "string", path="$.__record_id__"),  # none: a deterministic hash of the record
        Field("starting_at", "timestamp", required=True, path="1:$.starting_at"),
        Field("ending_at", "timestamp", path="1:$.ending_at"),
        Field("model", "string"),
        Field("api_key_id", "string"),
        Field("workspace_id", "string"),
        Field("service_tier", "string"),
        Field("context_window", "string"),
        Field("uncached_input_tokens", "integer", required=True),
        Field("cache_read_input_tokens", "integer"),
        Field("cache_creation_5m_input_tokens", "integer", path="$.cache_creation.ephemeral_5m_input_tokens"),
        Field("cache_creation_1h_input_tokens", "integer", path="$.cache_creation.ephemeral_1h_input_tokens"),
        Field("output_tokens", "integer", required=True),
        Field("web_search_requests", "integer", path="$.server_tool_use.web_search_requests"),
    ),
    id_field="record_id",
    time_field="starting_at",
    explode=("$.data[*]", "$.results[*]"),
)


# OpenAI Costs API pages (/v1/organization/costs): one record per result of a daily bucket, what OpenAI charged,
# grouped by project and line item ("<model>, <token type>") when the pull asks for it; amount.value in USD.
OPENAI_COSTS = Contract(
    fields=(
        Field("record_id", "string", path="$.__record_id__"),  # none: a deterministic hash of the record
        Field("bucket_start", "epoch_s", required=True, path="1:$.start_time"),
        Field("bucket_end", "epoch_s", path="1:$.end_time"),
        Field("amount", "decimal", required=True, path="$.amount.value"),
        Field("currency", "string", required=True, path="$.amount.currency"),
        Field("line_item", "string"),
        Field("project_id", "string"),
        Field("api_key_id", "string"),
        Field("quantity", "number"),
        Field("quantity_unit", "string"),
    ),
    id_field="record_id",
    time_field="bucket_start",
    explode=("$.data[*]", "$.results[*]"),
)

# Anthropic Admin API cost report (/v1/organizations/cost_report): one record per result of a daily bucket;
# `amount` is a decimal string in the currency's lowest unit (cents for USD), read exactly.
ANTHROPIC_COSTS = Contract(
    fields=(
        Field("record_id", "string", path="$.__record_id__"),  # none: a deterministic hash of the record
        Field("starting_at", "timestamp", required=True, path="1:$.starting_at"),
        Field("ending_at", "timestamp", path="1:$.ending_at"),
        Field("amount", "decimal", required=True),
        Field("currency", "string", required=True),
        Field("model", "string"),
        Field("workspace_id", "string"),
        Field("description", "string"),
        Field("cost_type", "string"),
        Field("token_type", "string"),
        Field("service_tier", "string"),
        Field("context_window", "string"),
        Field("inference_geo", "string"),
    ),
    id_field="record_id",
    time_field="starting_at",
    explode=("$.data[*]", "$.results[*]"),
)


def _message(path: str) -> str:
    """A Messages API response field wherever a team's log keeps the message: the record itself, a recorded
    HTTP exchange (response.body), or a log line wrapping it (response)."""
    return f"$.{path} | $.response.body.{path} | $.response.{path}"


# Anthropic Messages API responses, one per call: the `usage` object of each message as the SDK returns it,
# bare, inside a recorded exchange ({request, response: {body}}), or wrapped in a team's log line with
# `logged_at` and `metadata`. The response carries no time: a record without `logged_at` / `timestamp` gets
# its landing day (staging flags it). `content` and the request's messages are never read.
ANTHROPIC_MESSAGES = Contract(
    fields=(
        Field("message_id", "string", path=_message("id")),
        Field("logged_at", "timestamp", required=True, path="$.logged_at | $.timestamp", landing_day_default=True),
        Field("record_time", "timestamp", path="$.logged_at | $.timestamp"),
        Field("model", "string", required=True, path=_message("model")),
        Field("service_tier", "string", path=_message("usage.service_tier")),
        Field("input_tokens", "integer", required=True, path=_message("usage.input_tokens")),
        Field("cache_read_input_tokens", "integer", path=_message("usage.cache_read_input_tokens")),
        Field("cache_creation_input_tokens", "integer", path=_message("usage.cache_creation_input_tokens")),
        Field(
            "cache_creation_5m_input_tokens", "integer", path=_message("usage.cache_creation.ephemeral_5m_input_tokens")
        ),
        Field(
            "cache_creation_1h_input_tokens", "integer", path=_message("usage.cache_creation.ephemeral_1h_input_tokens")
        ),
        Field("output_tokens", "integer", required=True, path=_message("usage.output_tokens")),
        Field("web_search_requests", "integer", path=_message("usage.server_tool_use.web_search_requests")),
        Field("use_case_id", "string", path="$.metadata.use_case"),
        Field("variant_id", "string", path="$.metadata.variant"),
        Field("transaction_id", "string", path="$.metadata.transaction_id"),
        Field("team", "string", path="$.metadata.team"),
        Field("api_key_id", "string", path="$.metadata.api_key_id"),
        Field(
            "user_id",
            "string",
            hashed=True,
            hashed_name="user_hash",
            path="$.metadata.user_id | $.request.body.metadata.user_id",
        ),
        Field("latency_ms", "integer", path="$.latency_ms"),
    ),
    id_field="message_id",
    time_field="logged_at",
    subset_rules=(
        SubsetRule(("cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens"), "cache_creation_input_tokens"),
    ),
)

# LiteLLM proxy spend logs (its LiteLLM_SpendLogs table exported as JSON lines or CSV). `messages` and
# `response` (the prompt and the completion) are never read; attribution comes from the caller's
# requester_metadata; user and end-user ids are hashed.
LITELLM_SPEND_LOGS = Contract(
    fields=(
        Field("request_id", "string"),
        Field("start_time", "timestamp", required=True, path="$.startTime"),
        Field("end_time", "timestamp", path="$.endTime"),
        Field("completion_start_time", "timestamp", path="$.completionStartTime"),
        Field("call_type", "string"),
        Field("model", "string", required=True),
        Field("model_group", "string"),
        Field("custom_llm_provider", "string"),
        Field("api_key", "string"),
        Field("team_id", "string"),
        Field("user", "string", hashed=True, hashed_name="user_hash"),
        Field("end_user", "string", hashed=True, hashed_name="end_user_hash"),
        Field("status", "string"),
        Field("error_code", "string", path="$.metadata.error_information.error_code"),
        Field("spend", "number"),
        Field("prompt_tokens", "integer", required=True, max_value=MAX_INPUT_TOKENS),
        Field("completion_tokens", "integer", required=True),
        Field("cached_tokens", "integer", path="$.metadata.usage_object.prompt_tokens_details.cached_tokens"),
        Field("cache_creation_tokens", "integer", path="$.metadata.usage_object.cache_creation_input_tokens"),
        Field("reasoning_tokens", "integer", path="$.metadata.usage_object.completion_tokens_details.reasoning_tokens"),
        Field("use_case_id", "string", path="$.metadata.requester_metadata.use_case"),
        Field("variant_id", "string", path="$.metadata.requester_metadata.variant"),
        Field("transaction_id", "string", path="$.metadata.requester_metadata.transaction_id"),
    ),
    id_field="request_id",
    time_field="start_time",
    subset_rules=(SubsetRule(("cached_tokens", "cache_creation_tokens"), "prompt_tokens"),),
)

# ---- cloud billing exports ------------------------------------------------------------------------------
# Money is read exactly (decimal, 10 places). Every billing dataset is partitioned by its charge day; a
# newer delivery of the same billing period (month-to-date exports are re-delivered daily) supersedes the
# older ones in staging (rows carry their arrival day).


def _focus(column: str, *later: str) -> str:
    """A FOCUS column by its name in 1.0, then its names in later versions."""
    return " | ".join(f"$.{c}" for c in (column, *later))


# FOCUS exports (1.0 to 1.2 column sets; CSV or Parquet). Columns added in 1.1 / 1.2 are read when present.
FOCUS_CHARGES = Contract(
    fields=(
        Field("charge_id", "string", path="$.Id | $.x_ChargeId | $.x_LineItemId"),
        Field("billing_account_id", "string", path=_focus("BillingAccountId")),
        Field("billing_period_start", "timestamp", path=_focus("BillingPeriodStart")),
        Field("charge_period_start", "timestamp", required=True, path=_focus("ChargePeriodStart")),
        Field("charge_period_end", "timestamp", path=_focus("ChargePeriodEnd")),
        Field("billed_cost", "decimal", required=True, path=_focus("BilledCost")),
        Field("effective_cost", "decimal", path=_focus("EffectiveCost")),
        Field("list_cost", "decimal", path=_focus("ListCost")),
        Field("contracted_cost", "decimal", path=_focus("ContractedCost")),
        Field("billing_currency", "string", path=_focus("BillingCurrency")),
        Field("charge_category", "string", required=True, path=_focus("ChargeCategory")),
        Field("charge_class", "string", path=_focus("ChargeClass")),
        Field("charge_frequency", "string", path=_focus("ChargeFrequency")),
        Field("charge_description", "string", path=_focus("ChargeDescription")),
        Field("provider_name", "string", path=_focus("ProviderName", "ServiceProviderName")),
        Field("publisher_name", "string", path=_focus("PublisherName")),
        Field("sub_account_id", "string", path=_focus("SubAccountId")),
        Field("service_name", "string", path=_focus("ServiceName")),
        Field("service_category", "string", path=_focus("ServiceCategory")),
        Field("service_subcategory", "string", path=_focus("ServiceSubcategory")),
        Field("sku_id", "string", path=_focus("SkuId")),
        Field("sku_price_id", "string", path=_focus("SkuPriceId")),
        Field("sku_meter", "string", path=_focus("SkuMeter")),
        Field("region_id", "string", path=_focus("RegionId", "Region")),
        Field("resource_id", "string", path=_focus("ResourceId")),
        Field("resource_name", "string", path=_focus("ResourceName")),
        Field("commitment_discount_id", "string", path=_focus("CommitmentDiscountId")),
        Field("commitment_discount_type", "string", path=_focus("CommitmentDiscountType")),
        Field("commitment_discount_status", "string", path=_focus("CommitmentDiscountStatus")),
        Field("capacity_reservation_id", "string", path=_focus("CapacityReservationId")),
        Field("capacity_reservation_status", "string", path=_focus("CapacityReservationStatus")),
        Field("pricing_category", "string", path=_focus("PricingCategory")),
        Field("pricing_quantity", "decimal", path=_focus("PricingQuantity")),
        Field("pricing_unit", "string", path=_focus("PricingUnit")),
        Field("consumed_quantity", "decimal", path=_focus("ConsumedQuantity")),
        Field("consumed_unit", "string", path=_focus("ConsumedUnit")),
        Field("tags", "string", path=_focus("Tags")),
    ),
    id_field="charge_id",
    time_field="charge_period_start",
    null_strings=("NULL",),
)

# AWS CUR 2.0 / Data Exports rows (CSV or Parquet). pricing_unit says whether line_item_usage_amount counts
# tokens or thousands of tokens; the IAM principal (it may name a person) is hashed. Rows without a usage
# start date (query outputs) take their landing day.
AWS_CUR = Contract(
    fields=(
        Field("line_item_id", "string", path="$.identity_line_item_id"),
        Field("billing_period_start", "timestamp", path="$.bill_billing_period_start_date"),
        Field("payer_account_id", "string", path="$.bill_payer_account_id"),
        Field("usage_start", "timestamp", required=True, path="$.line_item_usage_start_date", landing_day_default=True),
        Field("usage_end", "timestamp", path="$.line_item_usage_end_date"),
        Field("line_item_type", "string", path="$.line_item_line_item_type"),
        Field("product_code", "string", required=True, path="$.line_item_product_code"),
        Field("usage_type", "string", required=True, path="$.line_item_usage_type"),
        Field("operation", "string", path="$.line_item_operation"),
        Field("usage_amount", "decimal", path="$.line_item_usage_amount"),
        Field("pricing_unit", "string", path="$.pricing_unit"),
        Field("unblended_cost", "decimal", required=True, path="$.line_item_unblended_cost"),
        Field("net_unblended_cost", "decimal", path="$.line_item_net_unblended_cost"),
        Field("public_on_demand_cost", "decimal", path="$.pricing_public_on_demand_cost"),
        Field("currency", "string", path="$.line_item_currency_code"),
        Field("usage_account_id", "string", path="$.line_item_usage_account_id"),
        Field("resource_id", "string", path="$.line_item_resource_id"),
        Field("region_code", "string", path="$.product_region_code"),
        Field("description", "string", path="$.line_item_line_item_description"),
        Field("iam_principal", "string", hashed=True, hashed_name="principal_hash", path="$.line_item_iam_principal"),
        Field("resource_tags", "string", path="$.resource_tags"),
    ),
    id_field="line_item_id",
    time_field="usage_start",
)

# Azure cost details exports (EA / MCA), one format for both views; the actual and the amortized view land
# in datasets of their own (the files look alike) and are combined in staging, never added together.
# UTF-8 BOM, MM/DD/YYYY dates, Tags as JSON without outer braces; AccountOwnerId (an e-mail) is hashed.
AZURE_COST = Contract(
    fields=(
        Field("billing_account_id", "string", path="$.BillingAccountId | $.billingAccountId"),
        Field(
            "billing_period_start",
            "timestamp",
            path="$.BillingPeriodStartDate | $.billingPeriodStartDate",
            formats=("%m/%d/%Y",),
        ),
        Field("account_owner_id", "string", hashed=True, hashed_name="account_owner_hash", path="$.AccountOwnerId"),
        Field("subscription_id", "string", path="$.SubscriptionId | $.subscriptionId"),
        Field("resource_group", "string", path="$.ResourceGroup | $.resourceGroupName"),
        Field("usage_date", "timestamp", required=True, path="$.Date | $.date", formats=("%m/%d/%Y",)),
        Field("product", "string", path="$.Product | $.ProductName | $.productName"),
        Field("meter_id", "string", path="$.MeterId | $.meterId"),
        Field("meter_category", "string", path="$.MeterCategory | $.meterCategory"),
        Field("meter_subcategory", "string", path="$.MeterSubCategory | $.meterSubCategory"),
        Field("meter_name", "string", path="$.MeterName | $.meterName"),
        Field("meter_region", "string", path="$.MeterRegion | $.meterRegion"),
        Field("quantity", "decimal", path="$.Quantity | $.quantity"),
        Field("unit_of_measure", "string", path="$.UnitOfMeasure | $.unitOfMeasure"),
        Field("effective_price", "decimal", path="$.EffectivePrice | $.effectivePrice"),
        Field("unit_price", "decimal", path="$.UnitPrice | $.unitPrice"),
        Field("payg_price", "decimal", path="$.PayGPrice | $.payGPrice"),
        Field("cost", "decimal", required=True, path="$.Cost | $.CostInBillingCurrency | $.costInBillingCurrency"),
        Field("billing_currency", "string", path="$.BillingCurrency | $.BillingCurrencyCode | $.billingCurrency"),
        Field("resource_location", "string", path="$.ResourceLocation | $.resourceLocation"),
        Field("resource_id", "string", path="$.ResourceId | $.InstanceName | $.resourceId"),
        Field("consumed_service", "string", path="$.ConsumedService | $.consumedService"),
        Field("additional_info", "string", path="$.AdditionalInfo | $.additionalInfo"),
        Field("tags", "string", path="$.Tags | $.tags"),
        Field("reservation_id", "string", path="$.ReservationId | $.reservationId"),
        Field("reservation_name", "string", path="$.ReservationName | $.reservationName"),
        Field("charge_type", "string", required=True, path="$.ChargeType | $.chargeType"),
        Field("frequency", "string", path="$.Frequency | $.frequency"),
        Field("pricing_model", "string", path="$.PricingModel | $.pricingModel"),
        Field("benefit_id", "string", path="$.benefitId | $.BenefitId"),
        Field("record_id", "string", path="$.__record_id__"),  # none: a deterministic hash of the record
    ),
    id_field="record_id",
    time_field="usage_date",
)

# GCP billing export rows (the BigQuery standard usage cost table, exported as JSON): credits are a repeated
# field with negative amounts (net = cost + their sum); labels kept as JSON.
GCP_BILLING = Contract(
    fields=(
        Field("record_id", "string", path="$.__record_id__"),  # none: a deterministic hash of the record
        Field("billing_account_id", "string"),
        Field("service_id", "string", path="$.service.id"),
        Field("service_description", "string", required=True, path="$.service.description"),
        Field("sku_id", "string", path="$.sku.id"),
        Field("sku_description", "string", required=True, path="$.sku.description"),
        Field("usage_start_time", "timestamp", required=True),
        Field("usage_end_time", "timestamp"),
        Field("project_id", "string", path="$.project.id"),
        Field("labels", "string", path="$.labels"),
        Field("region", "string", path="$.location.region"),
        Field("cost", "decimal", required=True),
        Field("currency", "string"),
        Field("usage_amount", "decimal", path="$.usage.amount"),
        Field("usage_unit", "string", path="$.usage.unit"),
        Field("usage_amount_in_pricing_units", "decimal", path="$.usage.amount_in_pricing_units"),
        Field("usage_pricing_unit", "string", path="$.usage.pricing_unit"),
        Field("credits_amount", "decimal", path="$.credits[*].amount"),
        Field("credits", "string", path="$.credits"),
        Field("invoice_month", "string", path="$.invoice.month"),
        Field("cost_type", "string"),
    ),
    id_field="record_id",
    time_field="usage_start_time",
)
