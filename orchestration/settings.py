"""Where things live and how the pipeline reads: one Dagster resource, configured from the environment.

`Settings` is a `ConfigurableResource`: the Dagster definitions hand it to every asset and check that needs a
path, and the command line and the tools build the same object with `Settings.from_env()`. Relative paths
resolve against the project folder. No secret is part of its configuration (Dagster shows resource
configuration in its UI): the salt for hashing user ids is read from `FINOPS_HASH_SALT` when it is needed
(`hash_salt()`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from dagster import ConfigurableResource

from orchestration.paths import PROJECT_DIR
from orchestration.paths import SEEDS_DIR as SEEDS_DIR  # re-exported: the project imports both from here

DEMO_SALT = "genai-finops-demo-salt"  # public: only for the generated demo data


def _path(value: str) -> str:
    if "://" in value:  # an object-storage URL (s3://, gs://, abfs://) is used as it is
        return value
    p = Path(value)
    return str(p if p.is_absolute() else (PROJECT_DIR / p).resolve())


class MissingSalt(RuntimeError):
    pass


class Settings(ConfigurableResource):
    """Paths and reading options of the warehouse (FINOPS_* environment variables, with local defaults)."""

    duckdb_path: str
    landing_dir: str
    lake_dir: str
    published_path: str
    dbt_target_dir: str
    pulled_dir: str = ""  # empty: `pulled` beside the lake
    partition_start: str = "2026-01-01"
    naive_timezone: str = "UTC"
    file_timeout_seconds: float = 600.0
    salt_policy: str = "create"  # create: a random salt beside the warehouse when FINOPS_HASH_SALT is unset;
    # require: stop instead; demo: the public demo salt (generated demo data only)
    dbt_unit_tests: bool = False  # the refresh job's dbt build runs the project's unit tests too

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ.get
        values = dict(
            duckdb_path=_path(env("FINOPS_DUCKDB_PATH", "data/warehouse.duckdb")),
            landing_dir=_path(env("FINOPS_LANDING_DIR", "data/landing")),
            lake_dir=_path(env("FINOPS_LAKE_DIR", "data/lake")),
            # the read-only copy BI tools query (swapped in atomically after each successful build)
            published_path=_path(env("FINOPS_PUBLISHED_PATH", "data/published/warehouse.duckdb")),
            # dbt's artifacts and logs (manifest, run results): outside the project when set
            dbt_target_dir=_path(env("FINOPS_DBT_TARGET_DIR", "target")),
            # what the pulls bring from object storage and provider APIs, a landing folder of its own
            pulled_dir=_path(env("FINOPS_PULLED_DIR")) if env("FINOPS_PULLED_DIR") else "",
            # first day of the daily partitions (the demo data starts here)
            partition_start=env("FINOPS_PARTITION_START", "2026-01-01"),
            naive_timezone=env("FINOPS_NAIVE_TIMEZONE", "UTC"),
            file_timeout_seconds=float(env("FINOPS_FILE_TIMEOUT_SECONDS", "600")),
            salt_policy=env("FINOPS_SALT_POLICY", "create"),
            dbt_unit_tests=env("FINOPS_DBT_UNIT_TESTS", "").lower() in ("1", "true"),
        )
        values.update({k: (_path(v) if k.endswith(("_path", "_dir")) else v) for k, v in overrides.items()})
        return cls(**values)

    @property
    def pulled_root(self) -> str:
        """The folder the pulls write (FINOPS_PULLED_DIR, a local folder; default `pulled` beside the lake, or
        data/pulled when the lake is in object storage): laid out like a landing folder, read by ingestion beside
        the user's landing folder, never written by anything else."""
        if self.pulled_dir:
            return self.pulled_dir
        if "://" in self.lake_dir:  # a lake in object storage: the pulls still write locally
            return _path("data/pulled")
        return str(Path(self.lake_dir).parent / "pulled")

    @property
    def pull_state_dir(self) -> str:
        """The pulls' cursors and object fingerprints (`<pulled>/_state`)."""
        return self.pulled_root.rstrip("/") + "/_state"

    @property
    def landing_roots(self) -> tuple[str, ...]:
        """The folders ingestion reads: the user's landing folder, then the pulled folder."""
        return (self.landing_dir, self.pulled_root)

    @property
    def report_path(self) -> str:
        """The static HTML report, beside the published marts (FINOPS_REPORT_PATH)."""
        default = str(Path(self.published_path).parent / "report.html")
        return _path(os.environ.get("FINOPS_REPORT_PATH", default))

    @property
    def focus_export_path(self) -> str:
        """The FOCUS 1.3 export (Parquet), beside the published marts (FINOPS_FOCUS_EXPORT_PATH)."""
        default = str(Path(self.published_path).parent / "focus" / "genai_cost_and_usage.parquet")
        return _path(os.environ.get("FINOPS_FOCUS_EXPORT_PATH", default))

    @property
    def spark_dir(self) -> str:
        """Where the spark target keeps its warehouse and metastore (FINOPS_SPARK_DIR)."""
        return _path(os.environ.get("FINOPS_SPARK_DIR", "data/spark"))

    @property
    def salt_file(self) -> Path:
        return Path(self.duckdb_path + ".salt")

    def hash_salt(self, announce=print) -> str:
        """The salt for hashing user ids: FINOPS_HASH_SALT; else, by `salt_policy`, the demo salt, a random salt
        kept beside the warehouse (`<warehouse>.salt`, created once and announced), or a MissingSalt error."""
        salt = os.environ.get("FINOPS_HASH_SALT")
        if salt:
            return salt
        if self.salt_policy == "demo":
            return DEMO_SALT
        if self.salt_file.exists():
            return self.salt_file.read_text().strip()
        if self.salt_policy == "require":
            raise MissingSalt(
                "FINOPS_HASH_SALT is not set: user ids are hashed with a secret salt. Set it (keep it secret, keep it "
                "stable: changing it changes every user hash), or unset FINOPS_SALT_POLICY to let the run create a "
                f"random salt in {self.salt_file}."
            )
        self.salt_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.salt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        announce(
            f"FINOPS_HASH_SALT is not set: created a random salt for hashing user ids in {self.salt_file} "
            "(keep it with the warehouse; set FINOPS_HASH_SALT to use your own)"
        )
        return self.salt_file.read_text().strip()

    def dbt_env(self) -> dict[str, str]:
        """Environment of dbt subprocesses: absolute paths, so dbt finds the same files from any folder."""
        return {
            "FINOPS_DUCKDB_PATH": self.duckdb_path,
            "FINOPS_LAKE_DIR": self.lake_dir,
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_LOG_PATH": str(Path(self.dbt_target_dir) / "logs"),
        }


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the dbt build and the publish (FINOPS_DUCKDB_MEMORY_LIMIT; profiles.yml has the
    same default)."""
    return os.environ.get("FINOPS_DUCKDB_MEMORY_LIMIT", "4.5GB")


def workdir_env(work: Path, landing: Path | None = None) -> dict[str, str]:
    """FINOPS_* paths for a self-contained run in one folder (benchmarks, spark-check, tests): its landing files,
    lake, warehouse and published copy."""
    return {
        "FINOPS_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "FINOPS_LAKE_DIR": str(work / "lake"),
        "FINOPS_LANDING_DIR": str(landing or work / "landing"),
        "FINOPS_PUBLISHED_PATH": str(work / "published" / "warehouse.duckdb"),
    }
