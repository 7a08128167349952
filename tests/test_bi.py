"""What BI tools and people see, on the demo (`make run`'s data): the semantic layer queried with MetricFlow's
`mf` against the published marts equals the marts; the report the pipeline wrote, opened in headless Chromium
with the network off, renders every chart with marks, logs nothing to the console and shows the marts' headline
numbers; the dbt docs generate offline with every mart column described."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.browser import open_page, screenshot
from tests.conftest import DBT, copy_project, query

pytestmark = pytest.mark.pipeline

MF = str(Path(sys.executable).with_name("mf"))
PERIOD = (date(2026, 3, 2), date(2026, 3, 31))  # the demo's newest 30 days with cost (data through 2026-03-31)


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


@pytest.fixture(scope="module")
def semantic(demo, tmp_path_factory):
    """A copy of the dbt project, parsed (mf reads target/semantic_manifest.json under the project), pointed at a
    copy of the demo's published marts file (its views read the published Parquet by absolute path)."""
    work, _, _, ok = demo
    assert ok
    base = tmp_path_factory.mktemp("semantic")
    project = copy_project(base / "project")
    published = base / "published.duckdb"
    shutil.copyfile(work / "published" / "warehouse.duckdb", published)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project),
        "DBT_LOG_PATH": str(base / "logs"),
        "FINOPS_DUCKDB_PATH": str(published),
        "FINOPS_LAKE_DIR": str(work / "lake"),
    }
    env.pop("FINOPS_DBT_TARGET_DIR", None)
    parse = subprocess.run(
        [DBT, "parse", "--project-dir", str(project), "--target-path", str(project / "target")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert parse.returncode == 0, parse.stdout[-3000:]
    return project, env


def mf(semantic, *args: str) -> str:
    project, env = semantic
    proc = subprocess.run([MF, *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_metricflow_validates_the_semantic_layer_against_the_warehouse(semantic):
    out = mf(semantic, "validate-configs")
    assert "ERRORS: 0" in out and "✖" not in out, out[-3000:]


def test_mf_monthly_total_cost_prints_the_marts_monthly_spend(demo, semantic):
    out = mf(semantic, "query", "--metrics", "total_cost", "--group-by", "metric_time__month", "--decimals", "2")
    printed = {
        m.group(1): Decimal(m.group(2)) for m in re.finditer(r"^(\d{4}-\d{2})-01T00:00:00\s+([\d.]+)\s*$", out, re.M)
    }
    # the marts: pay-as-you-go after discounts (per request) plus provisioned capacity (per reservation hour) ...
    marts = query(
        demo[0],
        """
        with payg as (
            select strftime(event_date, '%Y-%m') as month, sum(effective_cost_usd) as usd
            from marts.fct_genai_requests group by 1
        ), capacity as (
            select strftime(hour_date, '%Y-%m') as month, sum(committed_cost_usd + overage_cost_usd) as usd
            from marts.fct_capacity_hourly group by 1
        )
        select month, coalesce(payg.usd, 0) + coalesce(capacity.usd, 0)
        from payg full join capacity using (month) order by month
        """,
    )
    expected = {month: cents(usd) for month, usd in marts}
    assert printed == expected, out[-2000:]
    assert {"2026-01", "2026-02", "2026-03"} <= set(printed)  # (and the calls of 04-01 before the data ends)
    # ... which is the computed side of the billing reconciliation for the months it covers
    billing = query(
        demo[0],
        "select strftime(day, '%Y-%m'), sum(computed_cost) from marts.rpt_billing_reconciliation_daily "
        "group by 1 order by 1",
    )
    assert len(billing) == 3 and {m: cents(v) for m, v in billing} == {m: expected[m] for m, _ in billing}


def test_saved_queries_answer_what_the_report_shows(demo, semantic):
    out = mf(semantic, "query", "--saved-query", "use_case_value", "--decimals", "2", "--csv", "/dev/stdout")
    rows = {line.split(",")[0]: line.split(",") for line in out.splitlines() if line and not line.startswith("use_")}
    head = next(line for line in out.splitlines() if line.startswith("use_case"))
    header = head.split(",")
    board = query(demo[0], "select use_case_id, value_usd, net_value_usd from marts.rpt_use_case_leaderboard")
    assert len(board) == 12
    for use_case, value, net in board:
        row = dict(zip(header, rows[use_case], strict=True))
        assert cents(row["value"]) == cents(value) and cents(row["net_value"]) == cents(net), (use_case, row)


# --- the report ------------------------------------------------------------------------------------------------
CHARTS = {
    "chart-spend-platform",
    "chart-forecast",
    "chart-spend-use-case",
    "chart-leaderboard",
    "chart-cost-distribution",
    "chart-capacity-split",
    "chart-capacity-heatmap",
    "chart-billing-waterfall",
    "chart-billing-causes",
    "chart-anomalies",
}


def render_status(dom: str) -> dict:
    found = re.search(r'<pre id="render-status">([^<]*)</pre>', dom)
    assert found and found.group(1), "the page never finished rendering its charts"
    return json.loads(found.group(1).replace("&quot;", '"'))


def problems(page) -> list[str]:
    """What a person would see wrong: a chart that failed or drew nothing, a message in the console."""
    status = render_status(page.dom)
    out = [f"error: {e}" for e in status["errors"]]
    out += [f"{chart}: no marks" for chart, marks in status["rendered"].items() if marks == 0]
    out += [f"console: {line}" for line in page.console]
    return out


def usd(value) -> str:
    value = cents(value)
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def test_the_report_renders_every_chart_offline_with_the_marts_numbers(demo, tmp_path):
    work = demo[0]
    report = work / "published" / "report.html"  # written by the pipeline's Dagster asset published/report
    html = report.read_text()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), "the report loads something remote"
    page = open_page(report, tmp_path / "profile")
    assert problems(page) == []
    assert set(render_status(page.dom)["rendered"]) == CHARTS
    assert f"Period {PERIOD[0]} to {PERIOD[1]} (30 days)" in page.dom

    shown = {
        m.group(1): m.group(2)
        for m in re.finditer(r'data-metric="(\w+)"[^>]*>.*?<div class="value">([^<]*)</div>', page.dom, re.S)
    }
    start, end = PERIOD
    [(payg,)] = query(
        work,
        f"select sum(effective_cost_usd) from marts.fct_genai_requests where event_date between '{start}' and '{end}'",
    )
    [(capacity, idle, unallocated)] = query(
        work,
        "select sum(committed_cost_usd + overage_cost_usd), sum(idle_cost_usd), sum(unallocated_cost_usd) "
        f"from marts.fct_capacity_hourly where hour_date between '{start}' and '{end}'",
    )
    [(value, cost)] = query(
        work,
        f"select sum(value_usd), sum(cost_usd) from marts.rpt_use_case_roi_daily where event_date between '{start}' "
        f"and '{end}'",
    )
    [(unexplained,)] = query(
        work,
        "select sum(unexplained_variance) from marts.rpt_billing_reconciliation_daily "
        f"where day between '{start}' and '{end}'",
    )
    roi = (value - cost) / cost
    assert shown == {
        "total_cost": usd(payg + capacity),
        "value": usd(value),
        "net_value": usd(value - cost),
        "roi": f"{roi * 100:,.1f}%",
        "unexplained_billing_variance": usd(unexplained),
        "idle_capacity_cost": usd(idle),
        "unallocated_capacity_cost": usd(unallocated),
    }
    shot = screenshot(report, tmp_path / "report.png", tmp_path / "profile")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 100_000


def test_the_browser_check_catches_a_broken_chart_and_a_page_that_needs_the_network(demo, tmp_path):
    """Planted defects: a chart whose spec Vega-Lite cannot draw, and the same report loading its JavaScript from
    a CDN instead of inlining it (with the network off, nothing renders)."""
    html = (demo[0] / "published" / "report.html").read_text()
    broken = re.sub(r'"mark": \{"type": "area"', '"mark": {"type": "no-such-mark"', html, count=1)
    assert broken != html
    path = tmp_path / "broken.html"
    path.write_text(broken)
    found = problems(open_page(path, tmp_path / "profile"))
    assert any(p.startswith("error: chart-spend-platform") for p in found), found

    head, rest = html.split("<script>", 1)
    _, tail = rest.split("</script>", 1)  # the inlined Vega / Vega-Lite / vega-embed bundle
    remote = head + '<script src="https://cdn.jsdelivr.net/npm/vega-embed@7"></script>' + tail
    path = tmp_path / "remote.html"
    path.write_text(remote)
    page = open_page(path, tmp_path / "profile")
    assert any("vegaEmbed is not defined" in line for line in page.console), page.console
    assert '<pre id="render-status"></pre>' in page.dom  # no chart ever rendered


# --- docs ------------------------------------------------------------------------------------------------------
def test_dbt_docs_generate_offline_with_every_mart_column_described(demo, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(demo[0] / "warehouse.duckdb", work / "warehouse.duckdb")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(Path(__file__).parents[1]),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "FINOPS_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "FINOPS_LAKE_DIR": str(demo[0] / "lake"),
        # any HTTP(S) request dbt might make fails: the docs must not need the network
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    target = tmp_path / "target"
    proc = subprocess.run(
        [DBT, "docs", "generate", "--static", "--target-path", str(target)],
        cwd=Path(__file__).parents[1],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    page = (target / "static_index.html").read_text()
    assert "fct_genai_requests" in page and len(page) > 1_000_000
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    models = {n["unique_id"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    undescribed = []
    for uid, entry in catalog["nodes"].items():
        node = models.get(uid)
        if node is None or entry["metadata"]["schema"] != "marts":
            continue
        if not node["description"].strip():
            undescribed.append(node["name"])
        documented = {name.lower() for name, c in node["columns"].items() if c["description"].strip()}
        undescribed += [f"{node['name']}.{c}" for c in entry["columns"] if c.lower() not in documented]
    assert undescribed == []
    exposures = {e["name"] for e in manifest["exposures"].values()}
    assert {"genai_finops_report", "focus_export"} <= exposures


def test_the_published_marts_match_the_warehouse(demo):
    """The published DuckDB file (views over the published Parquet) holds every mart, row for row."""
    work = demo[0]
    marts = [r[0] for r in query(work, "select table_name from information_schema.tables where table_schema = 'marts'")]
    con = duckdb.connect(str(work / "published" / "warehouse.duckdb"), read_only=True)
    try:
        for mart in marts:
            [(n,)] = query(work, f"select count(*) from marts.{mart}")
            assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] == n, mart
        [(total,)] = query(work, "select sum(total_cost_usd) from marts.fct_genai_requests")
        assert con.execute("select sum(total_cost_usd) from marts.fct_genai_requests").fetchone()[0] == total
    finally:
        con.close()
