"""The report as one self-contained HTML file: Vega-Lite charts (Altair) with the Vega, Vega-Lite and vega-embed
JavaScript inlined (vl-convert's bundle), so it opens from disk with no network. Charts render as SVG; when all
have rendered the page records what it drew in #render-status (the browser test reads it)."""

from __future__ import annotations

import contextlib
import html
import json
import math
import os
from pathlib import Path

import altair as alt
import pandas as pd

from orchestration.report.data import ReportData

WIDTH = 560


# --- numbers for people ----------------------------------------------------------------------------------------
def usd(value: float | None, decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{decimals}f}"


def pct(value: float | None, decimals: int = 1, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:{'+' if signed else ''},.{decimals}f}%"


def number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{int(value):,}"


def headline_text(kind: str, value: float | None) -> str:
    return usd(value) if kind == "usd" else pct(value)


# --- charts ----------------------------------------------------------------------------------------------------
def _daily(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["day"] = pd.to_datetime(df["day"]).dt.strftime("%Y-%m-%d")
    return df


def spend_by(df: pd.DataFrame, by: str, title: str) -> alt.Chart:
    return (
        alt.Chart(_daily(df), title=title)
        .mark_area()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("sum(cost_usd):Q", title="USD per day", axis=alt.Axis(format="$,.0f")),
            color=alt.Color(f"{by}:N", title=by.replace("_", " ")),
            tooltip=[alt.Tooltip("day:T"), alt.Tooltip(f"{by}:N"), alt.Tooltip("sum(cost_usd):Q", format="$,.2f")],
        )
        .properties(width=WIDTH, height=220)
    )


def forecast_band(actual: pd.DataFrame, forecast: pd.DataFrame) -> alt.LayerChart:
    actual, forecast = _daily(actual), _daily(forecast)
    base = alt.Chart(forecast)
    band95 = base.mark_area(opacity=0.18, color="#4c78a8").encode(
        x="day:T", y=alt.Y("lo_95:Q", title="USD per day", axis=alt.Axis(format="$,.0f")), y2="hi_95:Q"
    )
    band80 = base.mark_area(opacity=0.3, color="#4c78a8").encode(x="day:T", y="lo_80:Q", y2="hi_80:Q")
    point = base.mark_line(strokeDash=[4, 3], color="#4c78a8").encode(
        x="day:T",
        y="point:Q",
        tooltip=[
            alt.Tooltip("day:T"),
            alt.Tooltip("point:Q", title="forecast", format="$,.2f"),
            alt.Tooltip("lo_80:Q", title="80% low", format="$,.2f"),
            alt.Tooltip("hi_80:Q", title="80% high", format="$,.2f"),
            alt.Tooltip("method:N"),
        ],
    )
    history = (
        alt.Chart(actual)
        .mark_line(color="#222")
        .encode(
            x=alt.X("day:T", title=None),
            y="cost_usd:Q",
            tooltip=[alt.Tooltip("day:T"), alt.Tooltip("cost_usd:Q", title="actual", format="$,.2f")],
        )
    )
    return alt.layer(
        band95, band80, point, history, title="Cost of the calls: actual and forecast (80% / 95%)"
    ).properties(width=WIDTH, height=220)


def net_value_bars(board: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(board, title="Net value per use case")
        .mark_bar()
        .encode(
            y=alt.Y("use_case_id:N", sort="-x", title=None),
            x=alt.X("net_value_usd:Q", title="net value (USD)", axis=alt.Axis(format="$,.0f")),
            color=alt.condition("datum.net_value_usd >= 0", alt.value("#54a24b"), alt.value("#e45756")),
            tooltip=[
                "use_case_id:N",
                alt.Tooltip("net_value_usd:Q", format="$,.2f"),
                alt.Tooltip("roi:Q", format=".1%"),
                "trend:N",
            ],
        )
        .properties(width=WIDTH, height=22 * max(len(board), 1))
    )


def cost_distribution(df: pd.DataFrame) -> alt.LayerChart:
    df = df[df["p99"] > 0]
    scale = alt.Scale(type="log")
    base = alt.Chart(df).encode(y=alt.Y("use_case_variant:N", title=None))
    rule = base.mark_rule(color="#888").encode(
        x=alt.X("p50:Q", scale=scale, title="cost per transaction (USD, log scale)", axis=alt.Axis(format="$.2~r")),
        x2="p99:Q",
    )
    tips = [
        "use_case_variant:N",
        alt.Tooltip("transactions:Q", format=","),
        alt.Tooltip("p50:Q", format="$,.4f"),
        alt.Tooltip("p90:Q", format="$,.4f"),
        alt.Tooltip("p99:Q", format="$,.4f"),
    ]
    p50 = base.mark_point(filled=True, size=60, color="#4c78a8").encode(x=alt.X("p50:Q", scale=scale), tooltip=tips)
    p90 = base.mark_tick(color="#f58518", thickness=2).encode(x=alt.X("p90:Q", scale=scale), tooltip=tips)
    p99 = base.mark_tick(color="#e45756", thickness=2).encode(x=alt.X("p99:Q", scale=scale), tooltip=tips)
    return alt.layer(
        rule, p50, p90, p99, title="Cost per transaction: median (dot), p90 (orange), p99 (red), last 30 days"
    ).properties(width=WIDTH, height=20 * max(len(df), 1))


def capacity_heatmap(df: pd.DataFrame) -> alt.Chart:
    days = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
    df = df.assign(weekday=df["dow"].map(days))
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour (UTC)"),
            y=alt.Y("weekday:N", sort=list(days.values()), title=None),
            color=alt.Color(
                "utilization:Q", title="utilization", scale=alt.Scale(domain=[0, 1]), legend=alt.Legend(format=".0%")
            ),
            tooltip=["reservation_id:N", "weekday:N", "hour:O", alt.Tooltip("utilization:Q", format=".1%")],
        )
        .properties(width=WIDTH - 60, height=120)
        .facet(row=alt.Row("reservation_id:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
        .properties(title="Capacity utilization by hour of week (period average), per reservation")
    )


def capacity_split(df: pd.DataFrame) -> alt.Chart:
    parts = ["used", "idle", "unallocated"]
    long = df.melt(id_vars=["reservation_id"], value_vars=parts, var_name="part", value_name="usd")
    long["stack"] = long["part"].map({p: i for i, p in enumerate(parts)})  # stacked in this order
    return (
        alt.Chart(long, title="Capacity: committed split into used, idle and unallocated")
        .mark_bar()
        .encode(
            y=alt.Y("reservation_id:N", title=None),
            x=alt.X("sum(usd):Q", title="USD in the period", axis=alt.Axis(format="$,.0f")),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=["used", "idle", "unallocated"], range=["#54a24b", "#f58518", "#bab0ac"]),
                title=None,
            ),
            order=alt.Order("stack:Q"),
            tooltip=["reservation_id:N", "part:N", alt.Tooltip("sum(usd):Q", format="$,.2f")],
        )
        .properties(width=WIDTH, height=28 * max(len(df), 1))
    )


CAUSES = (
    ("corrections", "credits & corrections"),
    ("capacity", "capacity"),
    ("untracked", "untracked traffic"),
    ("unpriced", "unpriced usage"),
    ("price_difference", "price difference"),
    ("unexplained", "unexplained"),
)


def waterfall_steps(billing: pd.DataFrame) -> pd.DataFrame:
    """Billed, then each cause of the variance taken off in turn, down to computed: billed - variance = computed,
    and the variance is the sum of the causes (what none explains included)."""
    billed = float(billing["billed"].sum())
    rows = [{"step": "billed", "start": 0.0, "end": billed, "amount": billed, "kind": "total"}]
    level = billed
    for column, label in CAUSES:
        amount = float(billing[column].sum())
        rows.append({"step": label, "start": level, "end": level - amount, "amount": -amount, "kind": "cause"})
        level -= amount
    computed = float(billing["computed"].sum())
    rows.append({"step": "computed", "start": 0.0, "end": computed, "amount": computed, "kind": "total"})
    return pd.DataFrame(rows).assign(order=range(len(rows)))


def waterfall(billing: pd.DataFrame) -> alt.Chart:
    steps = waterfall_steps(billing)
    low = min(steps[steps.kind == "cause"][["start", "end"]].min().min(), steps.loc[steps.kind == "total", "end"].min())
    floor = max(low - 0.02 * abs(low), 0)  # the totals are large and the causes small: start the axis near them
    steps = steps.assign(start=steps["start"].where(steps.kind == "cause", floor))
    return (
        alt.Chart(steps, title="From billed to computed: the variance by cause")
        .mark_bar(clip=True)
        .encode(
            x=alt.X("step:N", sort=list(steps["step"]), title=None, axis=alt.Axis(labelAngle=-20)),
            y=alt.Y("start:Q", title="USD in the period", scale=alt.Scale(zero=False), axis=alt.Axis(format="$,.0f")),
            y2="end:Q",
            color=alt.Color(
                "kind:N", scale=alt.Scale(domain=["total", "cause"], range=["#4c78a8", "#f58518"]), legend=None
            ),
            tooltip=["step:N", alt.Tooltip("amount:Q", format="$,.2f")],
        )
        .properties(width=WIDTH, height=240)
    )


def variance_by_cause(billing: pd.DataFrame) -> alt.Chart:
    long = billing.melt(id_vars=["platform"], value_vars=[c for c, _ in CAUSES], var_name="cause", value_name="usd")
    long["cause"] = long["cause"].map(dict(CAUSES))
    return (
        alt.Chart(long, title="Billing variance (billed - computed) per platform and cause")
        .mark_bar()
        .encode(
            y=alt.Y("platform:N", title=None),
            x=alt.X("sum(usd):Q", title="USD in the period", axis=alt.Axis(format="$,.2f")),
            color=alt.Color("cause:N", title=None),
            tooltip=["platform:N", "cause:N", alt.Tooltip("sum(usd):Q", format="$,.2f")],
        )
        .properties(width=WIDTH, height=28 * max(billing["platform"].nunique(), 1))
    )


def anomaly_impact(df: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(df, title="Anomalies: cost impact by day and top driver")
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("sum(impact_usd):Q", title="impact (USD)", axis=alt.Axis(format="$,.0f")),
            color=alt.Color("top_driver:N", title="top driver"),
            tooltip=["use_case_id:N", "day:T", "top_driver:N", alt.Tooltip("impact_usd:Q", format="$,.2f"), "status:N"],
        )
        .properties(width=WIDTH, height=200)
    )


# --- tables ----------------------------------------------------------------------------------------------------
def table(df: pd.DataFrame, columns: list[tuple[str, str, callable]], css: str = "") -> str:
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title, _ in columns)
    body = []
    for row in df.itertuples(index=False):
        values = row._asdict()
        cells = "".join(f"<td>{html.escape(fmt(values[col]))}</td>" for col, _, fmt in columns)
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def text(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def day_text(value) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def signed(fmt):
    """A number with its sign (+ when it rounds to more than 0 cents)."""

    def show(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return fmt(v)
        v = round(v, 2) + 0.0  # -0.0 shows as 0
        return ("+" if v > 0 else "") + fmt(v)

    return show


def p_value(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


# --- the page --------------------------------------------------------------------------------------------------
def headline_tiles(data: ReportData) -> str:
    tiles = []
    for h in data.headlines:
        change = h.change
        if h.previous is None:
            note, tone = "no previous period", "flat"
        elif change is None:
            note, tone = f"previous {len_days(data)} days: {headline_text(h.kind, h.previous)}", "flat"
        else:
            better = {"up": change > 0, "down": change < 0, "zero": abs(h.value or 0) < abs(h.previous or 0)}[
                h.good_when
            ]
            tone = "flat" if abs(change) < 0.005 else ("good" if better else "bad")
            note = f"{pct(change, signed=True)} vs previous {len_days(data)} days ({headline_text(h.kind, h.previous)})"
        tiles.append(
            f'<div class="tile" data-metric="{h.key}" data-value="{"" if h.value is None else repr(h.value)}">'
            f'<div class="label">{html.escape(h.label)}</div>'
            f'<div class="value">{headline_text(h.kind, h.value)}</div>'
            f'<div class="change {tone}">{html.escape(note)}</div></div>'
        )
    return '<section class="tiles">' + "".join(tiles) + "</section>"


def len_days(data: ReportData) -> int:
    return (data.period_end - data.period_start).days + 1


def build_sections(data: ReportData) -> tuple[list[tuple[str, str]], dict[str, dict]]:
    """The page's sections (title, HTML) and the chart specs by element id."""
    t = data.tables
    specs: dict[str, dict] = {}
    sections: list[tuple[str, str]] = []

    def chart(name: str, c) -> str:
        specs[f"chart-{name}"] = c.to_dict()
        return f'<div class="chart" id="chart-{name}"></div>'

    spend = []
    if "spend_by_platform" in t and len(t["spend_by_platform"]):
        spend.append(
            chart("spend-platform", spend_by(t["spend_by_platform"], "platform", "Total spend per day by platform"))
        )
    if "calls_cost_actual" in t and "calls_cost_forecast" in t and len(t["calls_cost_forecast"]):
        spend.append(chart("forecast", forecast_band(t["calls_cost_actual"], t["calls_cost_forecast"])))
    if "spend_by_use_case" in t and len(t["spend_by_use_case"]):
        spend.append(
            chart(
                "spend-use-case",
                spend_by(t["spend_by_use_case"], "use_case_id", "Cost of the calls per day by use case"),
            )
        )
    if spend:
        sections.append(("Spend over time", "".join(spend)))

    if "leaderboard" in t and len(t["leaderboard"]):
        board = t["leaderboard"]
        body = chart("leaderboard", net_value_bars(board)) + table(
            board,
            [
                ("net_value_rank", "#", number),
                ("use_case_id", "use case", text),
                ("owner_team", "team", text),
                ("stage", "stage", text),
                ("transactions", "transactions", number),
                ("success_rate", "success rate", pct),
                ("cost_usd", "cost", usd),
                ("value_usd", "value", usd),
                ("net_value_usd", "net value", usd),
                ("roi", "ROI", pct),
                ("cost_per_success_usd", "cost per success", lambda v: usd(v, 4)),
                ("net_value_last_30d_usd", "net value, last 30 days", usd),
                ("trend", "trend", text),
            ],
            "numbers",
        )
        sections.append(("Use-case leaderboard (all history)", body))

    value = []
    if "cost_distribution" in t and len(t["cost_distribution"]):
        value.append(chart("cost-distribution", cost_distribution(t["cost_distribution"])))
    if "ab_verdicts" in t and len(t["ab_verdicts"]):
        value.append(
            "<h3>A/B verdicts (variant vs control)</h3>"
            + table(
                t["ab_verdicts"],
                [
                    ("use_case_id", "use case", text),
                    ("variant_id", "variant", text),
                    ("control_variant_id", "control", text),
                    ("metric", "metric", text),
                    ("transactions", "transactions", number),
                    (
                        "difference_vs_control",
                        "difference",
                        lambda v: f"{v:+,.4f}" if v == v and v is not None else "–",
                    ),
                    ("p_value", "p-value", p_value),
                    ("verdict", "verdict", text),
                ],
                "numbers",
            )
        )
    if value:
        sections.append(("Cost per transaction and experiments", "".join(value)))

    capacity = []
    if "capacity_split" in t and len(t["capacity_split"]):
        capacity.append(chart("capacity-split", capacity_split(t["capacity_split"])))
        capacity.append(
            table(
                t["capacity_split"],
                [
                    ("reservation_id", "reservation", text),
                    ("committed", "committed", usd),
                    ("used", "used", usd),
                    ("idle", "idle", usd),
                    ("unallocated", "unallocated", usd),
                    ("overage", "overage", usd),
                ],
                "numbers",
            )
        )
    if "capacity_heatmap" in t and len(t["capacity_heatmap"]):
        capacity.append(chart("capacity-heatmap", capacity_heatmap(t["capacity_heatmap"])))
    if capacity:
        sections.append(("Provisioned capacity", "".join(capacity)))

    if "billing_by_platform" in t and len(t["billing_by_platform"]):
        billing = t["billing_by_platform"]
        body = (
            chart("billing-waterfall", waterfall(billing))
            + chart("billing-causes", variance_by_cause(billing))
            + table(
                billing,
                [("platform", "platform", text), ("billed", "billed", usd), ("computed", "computed", usd)]
                + [(c, label, signed(usd)) for c, label in CAUSES],
                "numbers",
            )
        )
        sections.append(("Billing: billed vs computed", body))

    if "budgets" in t and len(t["budgets"]):
        sections.append(
            (
                "Budgets",
                table(
                    t["budgets"],
                    [
                        ("scope", "scope", text),
                        ("scope_id", "of", text),
                        ("month", "month", day_text),
                        ("budget_usd", "budget", usd),
                        ("actual", "actual to date", usd),
                        ("forecast", "forecast month end", usd),
                        ("hi_80", "80% high", usd),
                        ("probability_over_budget", "P(over)", lambda v: pct(v, 0)),
                        ("run_out_date", "runs out", day_text),
                    ],
                    "numbers",
                ),
            )
        )

    if "anomalies" in t and len(t["anomalies"]):
        anomalies = t["anomalies"]
        body = chart("anomalies", anomaly_impact(_daily(anomalies))) + table(
            anomalies.head(25),
            [
                ("day", "first day", day_text),
                ("use_case_id", "use case", text),
                ("status", "status", text),
                ("top_driver", "top driver", text),
                ("impact_usd", "impact", signed(usd)),
                ("observed_usd", "observed", usd),
                ("expected_usd", "expected", usd),
                ("signals", "also moved", text),
            ],
            "numbers",
        )
        sections.append(("Anomalies (daily cost per use case)", body))
    return sections, specs


STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px 32px; color: #222;
       background: #fafafa; }
h1 { margin: 0 0 4px 0; font-size: 24px; } .sub { color: #666; margin-bottom: 20px; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 15px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; }
.tile { background: white; border: 1px solid #e3e3e3; border-radius: 6px; padding: 12px 14px; }
.tile .label { color: #666; font-size: 13px; } .tile .value { font-size: 24px; font-weight: 600; margin: 4px 0; }
.tile .change { font-size: 12px; } .good { color: #2e7d32; } .bad { color: #c62828; } .flat { color: #777; }
.chart { background: white; border: 1px solid #eee; border-radius: 6px; padding: 8px; margin: 10px 0;
         display: inline-block; vertical-align: top; }
table.numbers { border-collapse: collapse; font-size: 13px; margin: 10px 0; background: white; }
table.numbers th, table.numbers td { border-bottom: 1px solid #eee; padding: 4px 10px; text-align: right; }
table.numbers th { background: #f0f0f0; }
table.numbers td:first-child, table.numbers th:first-child { text-align: left; }
footer { color: #888; font-size: 12px; margin-top: 32px; }
#render-status { display: none; }
"""

SCRIPT = """
(function () {
  const specs = %(specs)s;
  const status = {rendered: {}, errors: []};
  window.addEventListener("error", function (e) { status.errors.push(String(e.message)); });
  const jobs = Object.keys(specs).map(function (id) {
    return vegaEmbed("#" + id, specs[id], {renderer: "svg", actions: false}).then(function () {
      status.rendered[id] = document.querySelectorAll("#" + id + " svg .role-mark > *").length;
    }).catch(function (e) { status.errors.push(id + ": " + e); console.error(e); });
  });
  Promise.all(jobs).then(function () {
    document.getElementById("render-status").textContent = JSON.stringify(status);
    document.body.setAttribute("data-rendered", "true");
  });
})();
"""


VL_VERSION = alt.SCHEMA_VERSION.rsplit(".", 1)[0]  # the Vega-Lite the charts are written for, e.g. v6.4


def bundle_cache_path() -> Path:
    """Where vega_bundle keeps the bundle: the user's cache folder ($XDG_CACHE_HOME, else ~/.cache), named by the
    vl-convert and Vega-Lite versions it was built with."""
    from importlib.metadata import version

    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "genai-finops" / f"vega-bundle-{version('vl-convert-python')}-{VL_VERSION}.js"


def vega_bundle() -> str:
    """vl-convert's bundle of Vega, Vega-Lite and vega-embed, inlined in the report so that it needs no network.
    Building it takes ~3 s, and it depends only on the installed versions: it is built once per version and kept
    in the user's cache folder (written whole or not at all); a cache that cannot be read or written, or no cache
    folder at all (neither $XDG_CACHE_HOME nor a home folder), only costs the build."""
    import vl_convert

    try:
        cache = bundle_cache_path()
    except RuntimeError:  # what pathlib raises without a home folder
        cache = None
    if cache is not None:
        with contextlib.suppress(OSError):
            if bundle := cache.read_text(encoding="utf-8"):
                return bundle
    bundle = vl_convert.javascript_bundle(vl_version=VL_VERSION)
    if cache is not None:
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(bundle, encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:  # no partial file is left
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    return bundle


def render(data: ReportData, title: str = "GenAI FinOps report") -> str:
    sections, specs = build_sections(data)
    bundle = vega_bundle()
    period = f"{data.period_start:%Y-%m-%d} to {data.period_end:%Y-%m-%d} ({len_days(data)} days)"
    body = "".join(f"<h2>{html.escape(name)}</h2>{content}" for name, content in sections)
    specs_json = json.dumps(specs, default=str).replace("</", "<\\/")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script>{bundle}</script></head><body>"
        f'<h1>{html.escape(title)}</h1><div class="sub">Period {period}; changes against the '
        f"{len_days(data)} days before. Money in USD.</div>"
        f"{headline_tiles(data)}{body}"
        f"<footer>Generated by genai-finops from the published marts (data through {data.period_end:%Y-%m-%d}). "
        "Definitions: the semantic layer (models/marts/semantic) and docs/bi.md.</footer>"
        '<pre id="render-status"></pre>'
        f"<script>{SCRIPT % {'specs': specs_json}}</script></body></html>"
    )


def write(data: ReportData, path: Path) -> Path:
    """Write the report next to its final path and swap it in, so a reader never opens a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(render(data), encoding="utf-8")
    os.replace(tmp, path)
    return path
