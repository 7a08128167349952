"""Object-storage landing against a local S3 server (moto's server mode, started by the test on 127.0.0.1): an AWS
Data Exports (CUR 2.0) export with manifests (a delivery under way, a re-delivered month that replaces its files,
a new month), a landing-shaped prefix (a new day, a changed object, a deleted object, a multipart upload not yet
completed, a stray object), nothing read twice, and what a sync brings in ingested with the exact totals."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from orchestration.datasets import dataset
from orchestration.ingest.engine import ingest_days
from orchestration.ingest.landing import list_roots
from orchestration.pull.storage import BucketSource, SyncError, sync

pytestmark = pytest.mark.unit

KEY_ENV, SECRET_ENV = "FINOPS_TEST_S3_KEY", "FINOPS_TEST_S3_SECRET"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "test-access-key")
    monkeypatch.setenv(SECRET_ENV, "test-secret-key")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test-access-key",
        aws_secret_access_key="test-secret-key",
        region_name="us-east-1",
    )
    name = f"billing-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return client, name


def _source(s3_endpoint: str, bucket: str, prefix: str, dataset_name: str, layout: str) -> BucketSource:
    return BucketSource(
        name="test_source",
        url=f"s3://{bucket}/{prefix}",
        dataset=dataset_name,
        layout=layout,
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_env=KEY_ENV,
        secret_key_env=SECRET_ENV,
    )


def _cur_file(rows: list[tuple[str, str, str]]) -> bytes:
    """A CUR 2.0 Parquet file: (line item id, usage day, unblended cost) per row."""
    table = pa.table(
        {
            "identity_line_item_id": [r[0] for r in rows],
            "bill_billing_period_start_date": ["2026-01-01T00:00:00Z"] * len(rows),
            "bill_payer_account_id": ["123456789012"] * len(rows),
            "line_item_usage_start_date": [f"{r[1]}T00:00:00Z" for r in rows],
            "line_item_line_item_type": ["Usage"] * len(rows),
            "line_item_product_code": ["AmazonBedrock"] * len(rows),
            "line_item_usage_type": ["USE1-Claude4.5Sonnet-input-tokens"] * len(rows),
            "line_item_unblended_cost": [r[2] for r in rows],
            "line_item_net_unblended_cost": [r[2] for r in rows],
            "line_item_currency_code": ["USD"] * len(rows),
        }
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _deliver(client, bucket: str, period: str, execution: str, rows, with_manifest: bool = True) -> None:
    export = "cur/genai-export"
    key = f"{export}/data/BILLING_PERIOD={period}/genai-export-{execution}-00001.snappy.parquet"
    client.put_object(Bucket=bucket, Key=key, Body=_cur_file(rows))
    if with_manifest:
        manifest = {"executionId": execution, "dataFiles": [f"s3://{bucket}/{key}"]}
        client.put_object(
            Bucket=bucket,
            Key=f"{export}/metadata/BILLING_PERIOD={period}/genai-export-Manifest.json",
            Body=json.dumps(manifest).encode(),
        )


def _lake_total(lake: Path) -> tuple[int, str]:
    rows, total = duckdb.execute(
        f"select count(*), sum(unblended_cost) from read_parquet('{lake}/aws_cur/*/*.parquet') where line_item_id "
        "is not null"
    ).fetchone()
    return rows, str(total)


def _ingest_cur(landing: Path, pulled: Path, lake: Path) -> None:
    days = list_roots((str(landing), str(pulled)), "aws_cur").days
    results = ingest_days(dataset("aws_cur"), days, (str(landing), str(pulled)), str(lake), "salt")
    assert all(r.status == "loaded" and r.records_quarantined == 0 for r in results), results


def test_cur2_export_delivery_under_way_redelivery_and_new_month(tmp_path, bucket, s3_endpoint):
    client, name = bucket
    source = _source(s3_endpoint, name, "cur/genai-export", "aws_cur", "cur2")
    pulled, state, landing, lake = (tmp_path / d for d in ("pulled", "state", "landing", "lake"))
    landing.mkdir()

    # a delivery under way: its data file is there, its manifest not yet: nothing is read
    _deliver(client, name, "2026-01", "exec1", [("a", "2026-01-02", "1.50"), ("b", "2026-01-03", "2.25")], False)
    report = sync(source, str(pulled), str(state))
    assert (report.downloaded, len(report.not_delivered)) == (0, 1)
    assert not (pulled / "aws_cur").exists()

    # the manifest arrives: the delivery lands on its day (the period's last day at the latest)
    _deliver(client, name, "2026-01", "exec1", [("a", "2026-01-02", "1.50"), ("b", "2026-01-03", "2.25")])
    report = sync(source, str(pulled), str(state))
    assert (report.listed, report.downloaded, report.removed, report.not_delivered) == (1, 1, 0, [])
    files = sorted(p.relative_to(pulled).as_posix() for p in pulled.rglob("*.parquet"))
    assert files == ["aws_cur/day=2026-01-31/genai-export-exec1-00001.snappy.parquet"]
    _ingest_cur(landing, pulled, lake)
    assert _lake_total(lake) == (2, "3.7500000000")

    # nothing changed: nothing read again
    report = sync(source, str(pulled), str(state))
    assert (report.downloaded, report.unchanged, report.removed) == (0, 1, 0)

    # the month re-delivered (a new execution's file; the earlier one stays in the bucket, unlisted): it replaces
    # the earlier delivery, never adds to it
    january = [("a", "2026-01-02", "1.50"), ("b", "2026-01-03", "2.25"), ("c", "2026-01-20", "4.00")]  # 7.75 in all
    _deliver(client, name, "2026-01", "exec2", january)
    report = sync(source, str(pulled), str(state))
    assert (report.downloaded, report.removed, len(report.not_delivered)) == (1, 1, 1)
    files = sorted(p.name for p in pulled.rglob("*.parquet"))
    assert files == ["genai-export-exec2-00001.snappy.parquet"]
    _ingest_cur(landing, pulled, lake)
    assert _lake_total(lake) == (3, "7.7500000000")

    # delivered again with the same lines (AWS refreshes a month daily): replaced, the totals unchanged
    _deliver(client, name, "2026-01", "exec2b", january)
    report = sync(source, str(pulled), str(state))
    assert (report.downloaded, report.removed) == (1, 1)
    _ingest_cur(landing, pulled, lake)
    assert _lake_total(lake) == (3, "7.7500000000")

    # a new month: its own delivery, the January one untouched
    _deliver(client, name, "2026-02", "exec3", [("d", "2026-02-01", "0.0000000001")])
    report = sync(source, str(pulled), str(state))
    assert (report.downloaded, report.unchanged, report.removed) == (1, 1, 0)
    _ingest_cur(landing, pulled, lake)
    assert _lake_total(lake) == (4, "7.7500000001")
    assert sorted(p.name for p in pulled.rglob("*.parquet")) == [
        "genai-export-exec2b-00001.snappy.parquet",
        "genai-export-exec3-00001.snappy.parquet",
    ]


def test_cur2_manifest_naming_a_missing_file_reads_nothing_of_the_delivery(tmp_path, bucket, s3_endpoint):
    client, name = bucket
    source = _source(s3_endpoint, name, "cur/genai-export", "aws_cur", "cur2")
    manifest = {"dataFiles": [f"s3://{name}/cur/genai-export/data/BILLING_PERIOD=2026-01/missing.parquet"]}
    client.put_object(
        Bucket=name,
        Key="cur/genai-export/metadata/BILLING_PERIOD=2026-01/genai-export-Manifest.json",
        Body=json.dumps(manifest).encode(),
    )
    with pytest.raises(SyncError, match="missing.parquet.*not in the bucket"):
        sync(source, str(tmp_path / "pulled"), str(tmp_path / "state"))
    assert not (tmp_path / "pulled" / "aws_cur").exists()


def _event(event_id: str, day: str) -> bytes:
    record = {
        "event_id": event_id,
        "occurred_at": f"{day}T10:00:00Z",
        "platform": "openai",
        "model": "gpt-4o-2024-08-06",
        "input_tokens": 100,
        "output_tokens": 10,
    }
    return (json.dumps(record) + "\n").encode()


def test_landing_prefix_new_day_changed_deleted_partial_and_stray(tmp_path, bucket, s3_endpoint):
    client, name = bucket
    source = _source(s3_endpoint, name, "usage", "usage_events", "landing")
    pulled, state = tmp_path / "pulled", tmp_path / "state"
    client.put_object(Bucket=name, Key="usage/day=2026-01-02/a.jsonl", Body=_event("e1", "2026-01-02"))
    client.put_object(Bucket=name, Key="usage/day=2026-01-03/b.jsonl", Body=_event("e2", "2026-01-03"))
    client.put_object(Bucket=name, Key="usage/notes.txt", Body=b"not data")

    report = sync(source, str(pulled), str(state))
    assert (report.listed, report.downloaded) == (3, 3)
    assert report.days == {"day=2026-01-02", "day=2026-01-03", "notes.txt"}
    # the stray object is there for the landing listing to report, never read as data
    listing = list_roots(("/nonexistent-landing", str(pulled)), "usage_events")
    assert listing.days == ["2026-01-02", "2026-01-03"]
    assert [(Path(s.path).name, s.reason) for s in listing.skipped] == [("notes.txt", "not_in_a_day_folder")]

    # a new day, a changed object, a deleted object, and a multipart upload not completed yet
    client.put_object(Bucket=name, Key="usage/day=2026-01-04/c.jsonl", Body=_event("e3", "2026-01-04"))
    client.put_object(Bucket=name, Key="usage/day=2026-01-02/a.jsonl", Body=_event("e1-changed", "2026-01-02"))
    client.delete_object(Bucket=name, Key="usage/day=2026-01-03/b.jsonl")
    upload = client.create_multipart_upload(Bucket=name, Key="usage/day=2026-01-05/d.jsonl")
    part = client.upload_part(
        Bucket=name,
        Key="usage/day=2026-01-05/d.jsonl",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=_event("e4", "2026-01-05"),
    )
    report = sync(source, str(pulled), str(state))
    assert (report.listed, report.downloaded, report.unchanged, report.removed) == (3, 2, 1, 1)
    assert report.days == {"day=2026-01-02", "day=2026-01-03", "day=2026-01-04"}
    assert not (pulled / "usage_events" / "day=2026-01-03" / "b.jsonl").exists()
    assert b"e1-changed" in (pulled / "usage_events" / "day=2026-01-02" / "a.jsonl").read_bytes()
    assert not (pulled / "usage_events" / "day=2026-01-05").exists()

    client.complete_multipart_upload(
        Bucket=name,
        Key="usage/day=2026-01-05/d.jsonl",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    report = sync(source, str(pulled), str(state))
    assert (report.downloaded, report.unchanged, report.removed) == (1, 3, 0)
    # a rerun reads nothing
    report = sync(source, str(pulled), str(state))
    assert (report.downloaded, report.unchanged, report.removed) == (0, 4, 0)
    assert sorted(p.relative_to(pulled / "usage_events").as_posix() for p in pulled.rglob("*.jsonl")) == [
        "day=2026-01-02/a.jsonl",
        "day=2026-01-04/c.jsonl",
        "day=2026-01-05/d.jsonl",
    ]


def test_a_missing_credential_variable_is_named_and_its_value_never_shown(tmp_path, bucket, s3_endpoint, monkeypatch):
    _, name = bucket
    monkeypatch.delenv(SECRET_ENV)
    source = _source(s3_endpoint, name, "usage", "usage_events", "landing")
    with pytest.raises(SyncError, match=f"{SECRET_ENV} is not set") as excinfo:
        sync(source, str(tmp_path / "pulled"), str(tmp_path / "state"))
    assert "test-access-key" not in str(excinfo.value)


def test_a_pulled_file_named_like_a_landing_file_of_the_same_day_is_skipped(tmp_path):
    for root in ("landing", "pulled"):
        day = tmp_path / root / "usage_events" / "day=2026-01-02"
        day.mkdir(parents=True)
        (day / "a.jsonl").write_bytes(_event("e1", "2026-01-02"))
    (tmp_path / "pulled" / "usage_events" / "day=2026-01-02" / "b.jsonl").write_bytes(_event("e2", "2026-01-02"))
    listing = list_roots((str(tmp_path / "landing"), str(tmp_path / "pulled")), "usage_events")
    assert [Path(p).relative_to(tmp_path).as_posix() for p in listing.files["2026-01-02"]] == [
        "landing/usage_events/day=2026-01-02/a.jsonl",
        "pulled/usage_events/day=2026-01-02/b.jsonl",
    ]
    [skip] = listing.skipped
    assert (Path(skip.path).relative_to(tmp_path).as_posix(), skip.reason, skip.day) == (
        "pulled/usage_events/day=2026-01-02/a.jsonl",
        "same_name_in_landing",
        "2026-01-02",
    )


def test_the_pulled_folder_is_beside_a_local_lake_and_local_for_a_remote_one(tmp_path):
    from orchestration.settings import PROJECT_DIR, Settings

    local = Settings.from_env(lake_dir=str(tmp_path / "lake"))
    assert (local.pulled_root, local.pull_state_dir) == (str(tmp_path / "pulled"), str(tmp_path / "pulled/_state"))
    remote = Settings.from_env(lake_dir="s3://bucket/lake")
    assert remote.pulled_root == str(PROJECT_DIR / "data" / "pulled")
    assert Settings.from_env(pulled_dir=str(tmp_path / "p")).pulled_root == str(tmp_path / "p")


def test_the_pull_command(tmp_path, monkeypatch, capsys):
    """`genai-finops pull`: nothing configured or a wrong entry stops with the exit code of a configuration
    error, naming it; a bucket synced prints its summary; a second pull reads nothing."""
    from orchestration.cli import EX_CONFIG, main

    monkeypatch.setenv("FINOPS_LAKE_DIR", str(tmp_path / "lake"))
    assert main(["pull", "--sources", str(tmp_path / "absent.yml")]) == EX_CONFIG
    assert "no sources configured" in capsys.readouterr().err
    bucket = tmp_path / "bucket" / "day=2026-01-02"
    bucket.mkdir(parents=True)
    (bucket / "a.jsonl").write_bytes(_event("e1", "2026-01-02"))
    sources = tmp_path / "sources.yml"
    sources.write_text("buckets:\n  drop:\n    url: bucket\n    dataset: usage_event\n")
    assert main(["pull", "--sources", str(sources)]) == EX_CONFIG
    assert "buckets.drop: dataset 'usage_event' is not one of" in capsys.readouterr().err
    sources.write_text("buckets:\n  drop:\n    url: bucket\n    dataset: usage_events\n")
    assert main(["pull", "--sources", str(sources)]) == 0
    assert "drop: 1 objects listed, 1 downloaded" in capsys.readouterr().out
    assert (tmp_path / "pulled" / "usage_events" / "day=2026-01-02" / "a.jsonl").exists()
    assert main(["pull", "--sources", str(sources), "--source", "drop"]) == 0
    assert "1 objects listed, 0 downloaded (0 bytes), 1 unchanged" in capsys.readouterr().out
    assert main(["pull", "--sources", str(sources), "--source", "other"]) == EX_CONFIG
