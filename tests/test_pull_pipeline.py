"""Pulling as part of the pipeline: the Dagster assets and sensor of sources.yml, and `genai-finops run` pulling an
admin API (the local replay server) and an S3 prefix (moto's server) before it builds: what was pulled reaches
the warehouse, and the planted credentials appear in no log, page, lake file, published file nor the warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, build_sensor_context, materialize

from orchestration.pull.assets import build_pull_definitions
from orchestration.pull.config import load_sources
from orchestration.settings import workdir_env
from orchestration.tools.replay import Replay
from tests.conftest import work_settings
from tests.test_pull_api import KEY, PAGE
from tests.test_pull_storage import _deliver, bucket, s3_endpoint  # noqa: F401 (fixtures)

S3_SECRET = "PLANTED-s3-secret-4f1e9a77c2"
KEY_ENV = "FINOPS_TEST_OPENAI_ADMIN_KEY"


def _sources_file(tmp_path: Path, api_url: str, s3_url: str, bucket_name: str, start: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(
        f"""
apis:
  openai_usage:
    provider: openai
    endpoint: usage_completions
    api_key_env: {KEY_ENV}
    base_url: {api_url}
    start: {start}
    window_days: 7
buckets:
  bedrock_cur:
    url: s3://{bucket_name}/cur/genai-export
    dataset: aws_cur
    layout: cur2
    endpoint_url: {s3_url}
    region: us-east-1
    access_key_env: FINOPS_TEST_S3_KEY
    secret_key_env: FINOPS_TEST_S3_SECRET
"""
    )
    return path


@pytest.fixture
def replay():
    server = Replay(KEY, page=PAGE)
    yield server
    server.close()


@pytest.mark.unit
def test_dagster_assets_and_bucket_sensor(tmp_path, replay, bucket, s3_endpoint, monkeypatch):  # noqa: F811
    client, name = bucket
    monkeypatch.setenv(KEY_ENV, KEY)
    _deliver(client, name, "2026-01", "exec1", [("a", "2026-01-02", "1.50")])
    start = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    config = load_sources(_sources_file(tmp_path, replay.url, s3_endpoint, name, start))
    assets, jobs, schedules, sensors = build_pull_definitions(config)
    assert [a.key for a in assets] == [AssetKey(["pull", "openai_usage"]), AssetKey(["pull", "bedrock_cur"])]
    assert [j.name for j in jobs] == ["pull_sources"] and schedules == []
    settings = work_settings(tmp_path / "work")
    result = materialize(assets, resources={"finops": settings})
    assert result.success
    meta = {
        m.asset_key.path[-1]: m.metadata
        for m in result.get_asset_materialization_events()
        for m in [m.event_specific_data.materialization]
    }
    assert meta["openai_usage"]["buckets"].value == 5
    assert meta["bedrock_cur"]["downloaded"].value == 1
    pulled = Path(settings.pulled_root)
    assert len(list((pulled / "openai_usage").rglob("*.json"))) >= 2
    assert len(list((pulled / "aws_cur").rglob("*.parquet"))) == 1

    [sensor] = sensors
    first = list(sensor(build_sensor_context(cursor=None)))
    assert len(first) == 1 and first[0].asset_selection == [AssetKey(["pull", "bedrock_cur"])]
    context = build_sensor_context(cursor=None)
    list(sensor(context))
    again = list(sensor(build_sensor_context(cursor=context.cursor)))
    assert type(again[0]).__name__ == "SkipReason"  # nothing new in the bucket
    _deliver(client, name, "2026-01", "exec2", [("a", "2026-01-02", "1.50"), ("b", "2026-01-03", "2.00")])
    changed = list(sensor(build_sensor_context(cursor=context.cursor)))
    assert type(changed[0]).__name__ == "RunRequest"


@pytest.mark.unit
def test_bucket_sensor_syncs_again_when_a_deleted_object_is_restored(tmp_path, bucket, s3_endpoint):  # noqa: F811
    """A versioned bucket whose object is deleted and then restored (its delete marker removed) lists as it did
    before: the sensor asks for a third sync with a key Dagster has not seen, so the object is pulled again; a tick
    evaluated again from the same cursor asks for the same key; its earlier cursors (the signature alone, or with
    the count under `listing`) are read."""
    client, name = bucket
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    _deliver(client, name, "2026-01", "exec1", [("a", "2026-01-02", "1.50")])
    sources = tmp_path / "sources.yml"
    sources.write_text(
        f"""
buckets:
  bedrock_cur:
    url: s3://{name}/cur/genai-export
    dataset: aws_cur
    layout: cur2
    endpoint_url: {s3_endpoint}
    region: us-east-1
    access_key_env: FINOPS_TEST_S3_KEY
    secret_key_env: FINOPS_TEST_S3_SECRET
"""
    )
    [sensor] = build_pull_definitions(load_sources(sources))[3]

    def tick(cursor):
        context = build_sensor_context(cursor=cursor)
        return list(sensor(context)), context.cursor

    (first,), first_cursor = tick(None)
    assert tick(None)[0][0].run_key == first.run_key
    manifest = "cur/genai-export/metadata/BILLING_PERIOD=2026-01/genai-export-Manifest.json"
    marker = client.delete_object(Bucket=name, Key=manifest)["VersionId"]
    (gone,), cursor = tick(first_cursor)
    client.delete_object(Bucket=name, Key=manifest, VersionId=marker)  # restored: the version it had
    (back,), back_cursor = tick(cursor)
    assert json.loads(back_cursor)["seen"] == json.loads(first_cursor)["seen"]
    assert len({first.run_key, gone.run_key, back.run_key}) == 3
    assert all(type(r).__name__ == "RunRequest" for r in (first, gone, back))
    signature_alone = json.loads(back_cursor)["seen"]
    assert type(tick(signature_alone)[0][0]).__name__ == "SkipReason"
    earlier = json.dumps({"listing": signature_alone, "requests": 3})  # the form with a count it had before
    (skip,), _ = tick(earlier)
    assert type(skip).__name__ == "SkipReason"


@pytest.mark.pipeline
def test_run_pulls_then_builds_and_no_credential_is_stored(tmp_path, replay, bucket, s3_endpoint):  # noqa: F811
    client, name = bucket
    today = datetime.now(UTC).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    _deliver(
        client,
        name,
        last_month.strftime("%Y-%m"),
        "exec1",
        [("a", (last_month + timedelta(days=4)).isoformat(), "1.50")],
    )
    start = today - timedelta(days=10)
    sources = _sources_file(tmp_path, replay.url, s3_endpoint, name, start.isoformat())
    work = tmp_path / "work"
    (work / "landing").mkdir(parents=True)
    env = {
        **os.environ,
        **workdir_env(work),
        "FINOPS_PARTITION_START": last_month.isoformat(),
        "FINOPS_HASH_SALT": "test-salt",
        KEY_ENV: KEY,
        "FINOPS_TEST_S3_KEY": "test-access-key",
        "FINOPS_TEST_S3_SECRET": S3_SECRET,
    }
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("genai-finops")), "run", "--sources", str(sources)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "bedrock_cur: 1 objects listed, 1 downloaded" in proc.stdout
    # the key was used (so the test can fail): every request carried it
    assert replay.requests and all(r["auth"] == f"Bearer {KEY}" for r in replay.requests)

    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    try:
        days = con.execute(
            "select count(distinct event_date), sum(request_count) from staging.stg_openai__usage_completions"
        ).fetchone()
        billed = con.execute("select sum(billed_cost) from staging.stg_aws__cur").fetchone()[0]
        # every text column of every table and view: neither secret
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where contains("{column}", ?) or contains("{column}", ?)',
                [KEY, S3_SECRET],
            ).fetchone()[0]
            assert hits == 0, f"a credential in {schema}.{table}.{column}"
    finally:
        con.close()
    first = (start - datetime(2026, 1, 1).date()).days + 1
    assert days == (10, sum(range(first, first + 10)))  # the replay's buckets, each once
    assert str(billed) == "1.5000000000"

    for text in (proc.stdout, proc.stderr):
        assert KEY not in text and S3_SECRET not in text
    for path in work.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert KEY.encode() not in data and S3_SECRET.encode() not in data, f"a credential in {path}"
    state = json.loads((work / "pulled" / "_state" / "openai_usage.json").read_text())
    assert state["window_start"] == today.isoformat()
