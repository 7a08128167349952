"""sources.yml: a valid file gives the sources; each wrong or missing entry fails naming the entry."""

from __future__ import annotations

import pytest

from orchestration.pull.config import SourcesConfigError, load_sources

pytestmark = pytest.mark.unit

VALID = """
apis:
  openai_usage:
    provider: openai
    endpoint: usage_completions
    api_key_env: OPENAI_ADMIN_KEY
    start: 2026-01-01
    schedule: "0 3 * * *"
  anthropic_costs:
    provider: anthropic
    endpoint: cost_report
    api_key_env: ANTHROPIC_ADMIN_KEY
    start: 2026-02-01
    window_days: 31
"""


def test_a_valid_file(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text(VALID)
    config = load_sources(path)
    openai, anthropic = config.apis
    assert (openai.name, openai.dataset, openai.url) == (
        "openai_usage",
        "openai_usage",
        "https://api.openai.com/v1/organization/usage/completions",
    )
    assert (anthropic.dataset, anthropic.window_days, anthropic.start) == ("anthropic_costs", 31, "2026-02-01")
    assert config.schedules == {"openai_usage": "0 3 * * *"}


def test_no_file_no_sources(tmp_path):
    assert load_sources(tmp_path / "absent.yml").apis == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("provider: openai", "provider: azure"), "apis.openai_usage: provider 'azure' is not one of"),
        (("endpoint: usage_completions", "endpoint: usage"), "apis.openai_usage: endpoint 'usage' is not one of"),
        (("    api_key_env: OPENAI_ADMIN_KEY\n", ""), "apis.openai_usage: 'api_key_env' is missing"),
        (("api_key_env: OPENAI_ADMIN_KEY", "api_key_env: sk-live-123"), "names an environment variable"),
        (("start: 2026-01-01", "start: yesterday"), "apis.openai_usage: start 'yesterday' is not a date"),
        (("window_days: 31", "window_days: 0"), "apis.anthropic_costs: window_days is a whole number"),
        (('schedule: "0 3 * * *"', "schedule: daily"), "apis.openai_usage: schedule 'daily' is not a cron"),
        (
            ("    start: 2026-02-01\n", "    start: 2026-02-01\n    bucket: 1d\n"),
            "apis.anthropic_costs: unknown setting",
        ),
        (("apis:", "api:"), "unknown section(s) ['api']"),
    ],
)
def test_a_wrong_entry_is_named(tmp_path, change, message):
    path = tmp_path / "sources.yml"
    assert change[0] in VALID
    path.write_text(VALID.replace(change[0], change[1], 1))
    with pytest.raises(SourcesConfigError) as failure:
        load_sources(path)
    assert message in str(failure.value)


BUCKETS = """
buckets:
  bedrock_cur:
    url: s3://billing/cur/genai-export
    dataset: aws_cur
    layout: cur2
    endpoint_url: http://127.0.0.1:9000
    access_key_env: CUR_KEY
    secret_key_env: CUR_SECRET
    schedule: "0 */6 * * *"
  usage_drop:
    url: exports/usage
    dataset: usage_events
"""


def test_buckets(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text(BUCKETS)
    config = load_sources(path)
    cur, drop = config.buckets
    assert (cur.url, cur.dataset, cur.layout, cur.endpoint_url, cur.access_key_env) == (
        "s3://billing/cur/genai-export",
        "aws_cur",
        "cur2",
        "http://127.0.0.1:9000",
        "CUR_KEY",
    )
    # a local folder is relative to sources.yml; the layout defaults to a landing-shaped prefix
    assert (drop.url, drop.layout) == (str(tmp_path / "exports" / "usage"), "landing")
    assert config.schedules == {"bedrock_cur": "0 */6 * * *"}
    assert config.names == ("bedrock_cur", "usage_drop")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("    dataset: aws_cur\n", ""), "buckets.bedrock_cur: 'dataset' is missing"),
        (("dataset: aws_cur", "dataset: cur"), "buckets.bedrock_cur: dataset 'cur' is not one of"),
        (("layout: cur2", "layout: cur1"), "buckets.bedrock_cur: layout 'cur1' is not one of"),
        (("secret_key_env: CUR_SECRET", "secret_key_env: wJalrXUtnFEMI/K7MDENG"), "names an environment variable"),
        (
            ("    secret_key_env: CUR_SECRET\n", ""),
            "buckets.bedrock_cur: access_key_env and secret_key_env go together",
        ),
        (("    url: exports/usage\n", ""), "buckets.usage_drop: 'url' is missing"),
        (('schedule: "0 */6 * * *"', "schedule: hourly"), "buckets.bedrock_cur: schedule 'hourly' is not a cron"),
        (("  usage_drop:", "  usage-drop:"), "buckets.usage-drop: a source name is lower case"),
    ],
)
def test_a_wrong_bucket_entry_is_named(tmp_path, change, message):
    path = tmp_path / "sources.yml"
    assert change[0] in BUCKETS
    path.write_text(BUCKETS.replace(change[0], change[1], 1))
    with pytest.raises(SourcesConfigError) as failure:
        load_sources(path)
    assert message in str(failure.value)
