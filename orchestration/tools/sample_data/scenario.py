"""The demo enterprise: its use cases, where their calls go, and the incidents in the window.

Everything here is data (frozen dataclasses); `generator.py` turns it into events with numpy.
Model strings are raw (as the provider reports them) and are mapped to canonical models by the
`model_aliases` seed, so the generator exercises the alias mapping too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Route:
    """Where a call is served and billed."""

    platform: str
    raw_model: str
    region: str
    region_scope: str | None = None  # None: implied by the model string (Bedrock profiles) or global
    capacity_type: str = "on_demand"
    service_tier: str = "standard"
    deployment_id: str | None = None
    tokens_per_second: float = 80.0
    ttft_ms: float = 450.0


@dataclass(frozen=True)
class Variant:
    variant_id: str
    weight: float
    routes: tuple[tuple[Route, float], ...]
    success_rate: float
    input_scale: float = 1.0
    output_scale: float = 1.0
    first_day: int | None = None  # day index from which the variant serves traffic
    last_day: int | None = None  # day index after which it stops


@dataclass(frozen=True)
class UseCase:
    use_case_id: str | None  # None: unattributed traffic (no use-case tag on the request)
    kind: str  # conversation | agent | single | batch
    share: float  # share of all events
    shape: str  # business | weekday_business | steady | nightly | evening
    team: str
    variants: tuple[Variant, ...]
    calls_mean: float = 1.0  # mean calls per transaction (turns, steps, chunks)
    system_tokens: int = 0
    input_median: float = 500.0
    input_sigma: float = 0.6
    output_median: float = 300.0
    output_sigma: float = 0.5
    cache: str = "none"  # none | anthropic_5m | anthropic_1h | automatic
    reasoning_share: float = 0.0
    image_tokens_median: float = 0.0
    audio_share_input: float = 0.0
    audio_share_output: float = 0.0
    long_context_share: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    growth: float = 0.5  # relative growth over the window (0.5: +50% from first to last day)
    extra_kpis: tuple[str, ...] = field(default_factory=tuple)


# Platforms: openai, azure_openai, aws_bedrock, gcp_vertex, anthropic.
ANTHROPIC_SONNET = Route("anthropic", "claude-sonnet-4-5-20250929", "us", "global", tokens_per_second=70)
ANTHROPIC_SONNET_BATCH = Route(
    "anthropic", "claude-sonnet-4-5-20250929", "us", "global", capacity_type="batch", tokens_per_second=70
)
ANTHROPIC_OPUS = Route("anthropic", "claude-opus-4-5-20251101", "us", "global", tokens_per_second=50, ttft_ms=900)
ANTHROPIC_HAIKU = Route("anthropic", "claude-haiku-4-5-20251001", "us", "global", tokens_per_second=140)
OPENAI_GPT5 = Route("openai", "gpt-5-2025-08-07", "us", "global", tokens_per_second=60, ttft_ms=900)
OPENAI_GPT5_PRIORITY = Route(
    "openai", "gpt-5-2025-08-07", "us", "global", service_tier="priority", tokens_per_second=90, ttft_ms=500
)
OPENAI_GPT5_FLEX = Route(
    "openai", "gpt-5-2025-08-07", "us", "global", service_tier="flex", tokens_per_second=40, ttft_ms=2500
)
OPENAI_GPT5_MINI = Route("openai", "gpt-5-mini-2025-08-07", "us", "global", tokens_per_second=110)
OPENAI_O4_MINI = Route("openai", "o4-mini-2025-04-16", "us", "global", tokens_per_second=100, ttft_ms=1200)
OPENAI_REALTIME = Route("openai", "gpt-realtime-2025-08-28", "us", "global", tokens_per_second=50, ttft_ms=300)
OPENAI_UNKNOWN = Route("openai", "gpt-5.1-codex-preview", "us", "global", tokens_per_second=60)
AZURE_GPT41 = Route("azure_openai", "gpt-4.1-2025-04-14", "eastus2", "global", deployment_id="sales-gpt41")
AZURE_GPT5_MINI = Route(
    "azure_openai",
    "gpt-5-mini-2025-08-07",
    "eastus2",
    "global",
    deployment_id="sales-gpt5mini",
    tokens_per_second=110,
)
AZURE_GPT4O_DZ = Route("azure_openai", "gpt-4o-2024-11-20", "eastus2", "data_zone", deployment_id="kb-gpt4o-dz")
AZURE_GPT4O_PTU = Route(
    "azure_openai",
    "gpt-4o-2024-11-20",
    "eastus2",
    "data_zone",
    capacity_type="provisioned",
    deployment_id="kb-gpt4o-ptu",
    tokens_per_second=95,
    ttft_ms=300,
)
BEDROCK_SONNET_US = Route(
    "aws_bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", tokens_per_second=65
)
BEDROCK_OPUS_US = Route(
    "aws_bedrock",
    "us.anthropic.claude-opus-4-5-20251101-v1:0",
    "us-east-1",
    tokens_per_second=45,
    ttft_ms=1100,
)
BEDROCK_LLAMA = Route("aws_bedrock", "meta.llama3-3-70b-instruct-v1:0", "us-east-1", tokens_per_second=120)
BEDROCK_MAVERICK = Route("aws_bedrock", "us.meta.llama4-maverick-17b-instruct-v1:0", "us-west-2", tokens_per_second=150)
VERTEX_FLASH = Route("gcp_vertex", "gemini-2.5-flash", "us-central1", "global", tokens_per_second=160, ttft_ms=350)

# Provisioned capacity (seeds/reference/capacity_reservations.csv, capacity_deployments.csv). Day indexes
# below assume the default window start (2026-01-01), matching the deployments' dates.
AZURE_CALLS_GPT41_PTU = Route(
    "azure_openai",
    "gpt-4.1-2025-04-14",
    "eastus2",
    "data_zone",
    capacity_type="provisioned",
    deployment_id="calls-ptu",
    tokens_per_second=90,
    ttft_ms=400,
)
AZURE_CALLS_GPT5_PTU = Route(
    "azure_openai",
    "gpt-5-2025-08-07",
    "eastus2",
    "data_zone",
    capacity_type="provisioned",
    deployment_id="calls-ptu",
    tokens_per_second=80,
    ttft_ms=700,
)
BEDROCK_LLAMA_PT = Route(
    "aws_bedrock",
    "meta.llama3-3-70b-instruct-v1:0",
    "us-east-1",
    capacity_type="provisioned",
    deployment_id="arn:aws:bedrock:us-east-1:123456789012:provisioned-model/llama33-contracts",
    tokens_per_second=140,
)
VERTEX_FLASH_GSU = Route(
    "gcp_vertex",
    "gemini-2.5-flash",
    "us-central1",
    "global",
    capacity_type="provisioned",
    deployment_id="claims-gsu",
    tokens_per_second=180,
    ttft_ms=300,
)
VERTEX_PRO_GSU = Route(
    "gcp_vertex",
    "gemini-2.5-pro",
    "us-central1",
    "global",
    capacity_type="provisioned",
    deployment_id="claims-gsu",
    tokens_per_second=80,
    ttft_ms=1200,
)
OPENAI_GPT5_SCALE = Route(
    "openai",
    "gpt-5-2025-08-07",
    "us",
    "global",
    capacity_type="provisioned",
    service_tier="scale",
    deployment_id="openai-scale-gpt-5",
    tokens_per_second=75,
    ttft_ms=700,
)
SWAP_DAY = 45  # 2026-02-15: calls-ptu moves from gpt-4.1 to gpt-5
GSU_START_DAY = 14  # 2026-01-15
GSU_PRO_DAY = 60  # 2026-03-02
MU_END_DAY = 59  # 2026-03-01: the Bedrock model unit is not renewed
SCALE_FIRST_DAY, SCALE_LAST_DAY = 31, 60  # 2026-02-01 .. 2026-03-02
VERTEX_FLASH_LITE = Route("gcp_vertex", "gemini-2.5-flash-lite", "us-central1", "global", tokens_per_second=200)
VERTEX_PRO = Route("gcp_vertex", "gemini-2.5-pro", "us-central1", "global", tokens_per_second=70, ttft_ms=1500)


def _single(route: Route) -> tuple[tuple[Route, float], ...]:
    return ((route, 1.0),)


USE_CASES: tuple[UseCase, ...] = (
    UseCase(
        "support_chatbot",
        kind="conversation",
        share=0.26,
        shape="business",
        team="cx-platform",
        variants=(Variant("default", 1.0, _single(ANTHROPIC_SONNET), success_rate=0.62),),
        calls_mean=5.0,
        system_tokens=3200,
        input_median=60,
        input_sigma=0.7,
        output_median=180,
        output_sigma=0.5,
        cache="anthropic_5m",
        growth=0.6,
        extra_kpis=("csat_score",),
    ),
    UseCase(
        "doc_summarizer",
        kind="batch",
        share=0.04,
        shape="nightly",
        team="knowledge-eng",
        variants=(Variant("default", 1.0, _single(ANTHROPIC_SONNET_BATCH), success_rate=0.9),),
        calls_mean=1.0,
        input_median=55000,
        input_sigma=0.9,
        output_median=1200,
        output_sigma=0.4,
        long_context_share=0.12,
        growth=0.2,
    ),
    UseCase(
        "research_agent",
        kind="agent",
        share=0.16,
        shape="weekday_business",
        team="strategy-ai",
        variants=(
            Variant(
                "default",
                1.0,
                ((OPENAI_GPT5, 0.2), (OPENAI_O4_MINI, 0.8)),
                success_rate=0.7,
                last_day=SCALE_FIRST_DAY - 1,
            ),
            # February: the planning steps run on the Scale Tier commitment
            Variant(
                "default",
                1.0,
                ((OPENAI_GPT5_SCALE, 0.2), (OPENAI_O4_MINI, 0.8)),
                success_rate=0.7,
                first_day=SCALE_FIRST_DAY,
                last_day=SCALE_LAST_DAY,
            ),
            Variant(
                "default",
                1.0,
                ((OPENAI_GPT5, 0.2), (OPENAI_O4_MINI, 0.8)),
                success_rate=0.7,
                first_day=SCALE_LAST_DAY + 1,
            ),
        ),
        calls_mean=6.0,
        system_tokens=2500,
        input_median=900,
        input_sigma=0.8,
        output_median=450,
        output_sigma=0.6,
        cache="automatic",
        reasoning_share=0.65,
        error_rate=0.03,
        timeout_rate=0.015,
        growth=1.2,
    ),
    UseCase(
        "sales_email_writer",
        kind="single",
        share=0.12,
        shape="weekday_business",
        team="revenue-ai",
        variants=(
            Variant("control_gpt41", 0.4, _single(AZURE_GPT41), success_rate=0.12),
            Variant("gpt5mini_v2", 0.4, _single(AZURE_GPT5_MINI), success_rate=0.12, output_scale=1.1),
            Variant("sonnet_v2", 0.2, _single(BEDROCK_SONNET_US), success_rate=0.16, input_scale=1.3),
        ),
        system_tokens=900,
        input_median=700,
        input_sigma=0.4,
        output_median=320,
        output_sigma=0.3,
        growth=0.3,
    ),
    UseCase(
        "claims_vision",
        kind="single",
        share=0.08,
        shape="weekday_business",
        team="claims-ai",
        variants=(
            Variant("flash", 1.0, _single(VERTEX_FLASH), success_rate=0.78, last_day=GSU_START_DAY - 1),
            Variant(
                "flash",
                1.0,
                _single(VERTEX_FLASH_GSU),
                success_rate=0.78,
                first_day=GSU_START_DAY,
                last_day=GSU_PRO_DAY - 1,
            ),
            Variant("pro", 1.0, _single(VERTEX_PRO_GSU), success_rate=0.85, first_day=GSU_PRO_DAY),
        ),
        system_tokens=600,
        input_median=250,
        output_median=400,
        image_tokens_median=1300,
        reasoning_share=0.3,
        growth=0.4,
    ),
    UseCase(
        "voice_assistant",
        kind="conversation",
        share=0.07,
        shape="evening",
        team="cx-platform",
        variants=(Variant("default", 1.0, _single(OPENAI_REALTIME), success_rate=0.55),),
        calls_mean=4.0,
        system_tokens=1400,
        input_median=120,
        output_median=160,
        cache="automatic",
        audio_share_input=0.9,
        audio_share_output=0.85,
        growth=1.5,
    ),
    UseCase(
        "code_review_bot",
        kind="single",
        share=0.09,
        shape="weekday_business",
        team="dev-productivity",
        variants=(
            # the prompt change: v2 adds a longer rubric from day 45 on (more input, a little more output)
            Variant("prompt_v1", 1.0, _single(BEDROCK_OPUS_US), success_rate=0.6, last_day=44),
            Variant(
                "prompt_v2",
                1.0,
                _single(BEDROCK_OPUS_US),
                success_rate=0.6,
                input_scale=1.45,
                output_scale=1.15,
                first_day=45,
            ),
        ),
        system_tokens=1800,
        input_median=4000,
        input_sigma=0.9,
        output_median=700,
        growth=0.4,
    ),
    UseCase(
        "call_summaries",
        kind="single",
        share=0.085,
        shape="weekday_business",
        team="cx-platform",
        variants=(
            Variant("gpt41", 1.0, _single(AZURE_CALLS_GPT41_PTU), success_rate=0.8, last_day=SWAP_DAY - 1),
            Variant("gpt5", 1.0, _single(AZURE_CALLS_GPT5_PTU), success_rate=0.84, first_day=SWAP_DAY),
        ),
        system_tokens=1200,
        input_median=42000,
        input_sigma=0.35,
        output_median=1500,
        output_sigma=0.3,
        growth=0.6,
    ),
    UseCase(
        "kb_search",
        kind="single",
        share=0.10,
        shape="steady",
        team="knowledge-eng",
        variants=(
            Variant(
                "default",
                1.0,
                ((AZURE_GPT4O_PTU, 0.65), (AZURE_GPT4O_DZ, 0.35)),
                success_rate=0.7,
            ),
        ),
        system_tokens=1400,
        input_median=2500,
        input_sigma=0.5,
        output_median=250,
        cache="automatic",
        growth=0.3,
    ),
    UseCase(
        "contract_extractor",
        kind="single",
        share=0.03,
        shape="weekday_business",
        team="legal-ops",
        variants=(
            Variant("llama33", 0.5, _single(BEDROCK_LLAMA_PT), success_rate=0.5, last_day=MU_END_DAY - 1),
            Variant("llama33", 0.5, _single(BEDROCK_LLAMA), success_rate=0.5, first_day=MU_END_DAY),
            Variant("maverick", 0.5, _single(BEDROCK_MAVERICK), success_rate=0.5),
        ),
        input_median=6000,
        output_median=900,
        growth=0.8,
    ),
    UseCase(
        "meeting_notes",
        kind="single",
        share=0.02,
        shape="weekday_business",
        team="workplace-ai",
        variants=(Variant("default", 1.0, ((VERTEX_FLASH_LITE, 0.8), (VERTEX_PRO, 0.2)), success_rate=0.8),),
        input_median=9000,
        output_median=800,
        audio_share_input=0.95,
        growth=0.5,
    ),
    UseCase(
        None,  # unattributed: untagged developer traffic, incl. an experimental model missing from the price book
        kind="single",
        share=0.03,
        shape="business",
        team="unknown",
        variants=(
            Variant(
                "default",
                1.0,
                (
                    (OPENAI_GPT5, 0.45),
                    (OPENAI_GPT5_PRIORITY, 0.15),
                    (OPENAI_GPT5_FLEX, 0.15),
                    (OPENAI_GPT5_MINI, 0.15),
                    (ANTHROPIC_HAIKU, 0.07),
                    (OPENAI_UNKNOWN, 0.03),
                ),
                success_rate=0.0,
            ),
        ),
        input_median=1500,
        output_median=500,
        growth=0.5,
    ),
)


@dataclass(frozen=True)
class Incidents:
    """Day indexes (0-based from the window start) of the events worth finding."""

    spike_day_fraction: float = 0.45  # support_chatbot traffic x3 on that day (a product launch)
    spike_factor: float = 3.0
    throttle_day_fraction: float = 0.7  # research_agent hits 429s from 14:00 to 18:00 UTC
    throttle_share: float = 0.4
    late_share: float = 0.01  # events delivered in the next day's landing file
    duplicate_share: float = 0.001  # events delivered twice (the second copy in the next day's file)
    # the planted cost anomalies (PLANTED_ANOMALIES lists what a detector should find, with the top driver)
    runaway_day_fraction: float = 0.6  # research_agent: an agent loop on part of the day's transactions
    runaway_share: float = 0.25  # of that day's transactions loop ...
    runaway_factor: int = 4  # ... with 4 times the steps (the history re-sent at every step)
    runaway_error_rate: float = 0.2  # and a fifth of their calls fail and are retried
    cache_break_day_fraction: float = 0.75  # support_chatbot: a prompt change puts a timestamp first: no cache reads
    model_switch_day_fraction: float = 0.85  # doc_summarizer: silently pointed at Claude Opus 4.5 (real time) for a day
    overflow_day_fraction: float = 0.82  # call_summaries: a backlog replayed on its provisioned deployment ...
    overflow_hours: tuple[int, int] = (14, 20)  # ... from 14:00 to 20:00 UTC ...
    overflow_factor: int = 6  # ... at 6 times the traffic: it spills over to pay-as-you-go


INCIDENTS = Incidents()


@dataclass(frozen=True)
class PlantedAnomaly:
    """A cost anomaly the generator plants: on which use case and day, and the driver that explains most of it."""

    name: str
    use_case_id: str
    day_fraction: float
    top_driver: str

    def day(self, days: int) -> int:
        return round(days * self.day_fraction)


PLANTED_ANOMALIES: tuple[PlantedAnomaly, ...] = (
    PlantedAnomaly("launch spike (chats x3)", "support_chatbot", INCIDENTS.spike_day_fraction, "volume"),
    # the launch on provisioned capacity: it takes more of its reservation (allocated capacity cost) and spills
    PlantedAnomaly("launch spike on provisioned capacity", "call_summaries", INCIDENTS.spike_day_fraction, "capacity"),
    PlantedAnomaly("runaway agent loop", "research_agent", INCIDENTS.runaway_day_fraction, "tokens_per_transaction"),
    PlantedAnomaly("prompt change breaks the cache", "support_chatbot", INCIDENTS.cache_break_day_fraction, "cache"),
    PlantedAnomaly(
        "silent switch to a pricier model", "doc_summarizer", INCIDENTS.model_switch_day_fraction, "model_mix"
    ),
    PlantedAnomaly(
        "backlog spills over provisioned capacity", "call_summaries", INCIDENTS.overflow_day_fraction, "spillover"
    ),
)


@dataclass(frozen=True)
class BillingIncidents:
    """What the providers' bills say that the usage logs do not (issue: reconciliation must find each)."""

    # a team calling Bedrock Claude Haiku 4.5 (US profile) on weekdays without any usage logging
    untracked_team: str = "DataScience"
    untracked_platform: str = "aws_bedrock"
    untracked_model: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    untracked_input_tokens_per_day: int = 2_000_000
    untracked_output_tokens_per_day: int = 300_000
    # Azure bills gpt-4.1 input and output at a different price than the price book on three days
    price_error_platform: str = "azure_openai"
    price_error_model: str = "gpt-4.1"
    price_error_day_fraction: float = 0.45
    price_error_days: int = 3
    price_error_factor: float = 1.2
    # OpenAI credits back part of an earlier day in a later billing period (FOCUS ChargeClass Correction)
    correction_platform: str = "openai"
    correction_day_fraction: float = 0.12
    correction_usd: str = "-40.00"
    # what the provider charges where the price book has no price (the book leaves such usage unpriced)
    provider_prices_usd_per_mtok: tuple[tuple[str, str, str], ...] = (
        ("gpt-5.1-codex-preview", "input", "1.25"),
        ("gpt-5.1-codex-preview", "output", "10"),
        ("gemini-2.5-flash-lite", "cached_input", "0.01"),
    )


BILLING_INCIDENTS = BillingIncidents()
