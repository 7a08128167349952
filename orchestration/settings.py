"""Where things live. Environment variables with safe local defaults; no secret in code."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def _path(env: str, default: str) -> str:
    value = os.environ.get(env, default)
    if "://" in value:  # an object-storage URL (s3://, gs://, abfs://) is used as it is
        return value
    p = Path(value)
    return str(p if p.is_absolute() else (PROJECT_DIR / p).resolve())


@dataclass(frozen=True)
class Settings:
    duckdb_path: str
    landing_dir: str
    lake_dir: str
    hash_salt: str
    partition_start: str
    published_path: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            duckdb_path=_path("FINOPS_DUCKDB_PATH", "data/warehouse.duckdb"),
            landing_dir=_path("FINOPS_LANDING_DIR", "data/landing"),
            lake_dir=_path("FINOPS_LAKE_DIR", "data/lake"),
            # salt for hashing user identifiers; set your own in production
            hash_salt=os.environ.get("FINOPS_HASH_SALT", "genai-finops-demo-salt"),
            # first day of the daily partitions (the demo data starts here)
            partition_start=os.environ.get("FINOPS_PARTITION_START", "2026-01-01"),
            # the read-only copy BI tools query (swapped in atomically after each successful build)
            published_path=_path("FINOPS_PUBLISHED_PATH", "data/published/warehouse.duckdb"),
        )

    @property
    def spark_dir(self) -> str:
        """Where the spark target keeps its warehouse and metastore (FINOPS_SPARK_DIR)."""
        return _path("FINOPS_SPARK_DIR", "data/spark")

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt subprocesses: absolute paths so dbt finds the same files from any cwd."""
        return {
            "FINOPS_DUCKDB_PATH": self.duckdb_path,
            "FINOPS_LAKE_DIR": self.lake_dir,
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
        }


def workdir_env(work: Path, landing: Path | None = None) -> dict[str, str]:
    """FINOPS_* paths for a self-contained run in one folder (benchmarks, spark-check): its landing files,
    lake, warehouse and published copy."""
    return {
        "FINOPS_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "FINOPS_LAKE_DIR": str(work / "lake"),
        "FINOPS_LANDING_DIR": str(landing or work / "landing"),
        "FINOPS_PUBLISHED_PATH": str(work / "published" / "warehouse.duckdb"),
    }
