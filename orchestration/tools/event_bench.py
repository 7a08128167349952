"""What Dagster's events of a run over many days cost, with the in-memory instance's batches and without them.

A run of the refresh job over D days records a materialization per ingestion asset and day, and the asset checks'
evaluations. This runs a job of the same shape (ASSETS daily-partitioned assets, each with CHECKS checks, over
DAYS days; the assets do nothing else) on the in-memory instance (orchestration.event_storage), with the refresh
job's logger (the event stream to a log file, removed after), alternately with batches (the default) and event by
event (DAGSTER_EVENT_BATCH_SIZE=0), and prints each run's seconds:

    python -m orchestration.tools.event_bench [--assets 15] [--days 92] [--checks 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from datetime import date, timedelta


def job(assets: int, checks: int):
    from dagster import (
        AssetCheckResult,
        AssetCheckSpec,
        BackfillPolicy,
        DailyPartitionsDefinition,
        Definitions,
        MaterializeResult,
        asset,
    )

    partitions = DailyPartitionsDefinition(start_date="2026-01-01")

    def build(name: str):
        specs = [AssetCheckSpec(f"check_{k}", asset=name) for k in range(checks)]

        @asset(name=name, partitions_def=partitions, backfill_policy=BackfillPolicy.single_run(), check_specs=specs)
        def _asset(context):
            yield MaterializeResult(metadata={"days": len(context.partition_keys)})
            for spec in specs:
                yield AssetCheckResult(check_name=spec.name, passed=True)

        return _asset

    from orchestration.logs import finops_console

    definitions = Definitions(
        assets=[build(f"dataset_{i}") for i in range(assets)], loggers={"console": finops_console}
    )
    return definitions.resolve_implicit_global_asset_job_def()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=15)
    parser.add_argument("--days", type=int, default=92)
    parser.add_argument("--checks", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")  # backfill_policy is beta: one warning per asset
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from orchestration.dbt.assets import subprocess_env
    from orchestration.event_storage import ephemeral_instance

    last = date(2026, 1, 1) + timedelta(days=args.days - 1)
    tags = {ASSET_PARTITION_RANGE_START_TAG: "2026-01-01", ASSET_PARTITION_RANGE_END_TAG: last.isoformat()}
    refresh = job(args.assets, args.checks)
    # as the refresh job runs (orchestration.pipeline): the event stream to a log file, the terminal quiet, the
    # planned materializations one per asset with its days; the environment as it was afterwards
    log_file = tempfile.NamedTemporaryFile(prefix="event_bench_", suffix=".log", delete=False).name
    run_config = {"loggers": {"console": {"config": {"quiet": True, "log_file": log_file}}}}
    print(f"{args.assets} assets x {args.days} days, {args.checks} checks each")
    try:
        with subprocess_env({"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true"}):
            for _ in range(args.repeats):
                for label, batches in (("batched", {}), ("event by event", {"DAGSTER_EVENT_BATCH_SIZE": "0"})):
                    with subprocess_env(batches), ephemeral_instance() as instance:
                        started = time.perf_counter()
                        assert refresh.execute_in_process(instance=instance, tags=tags, run_config=run_config).success
                        print(f"  {label}: {time.perf_counter() - started:.2f} s", flush=True)
    finally:
        os.unlink(log_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
