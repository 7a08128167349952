"""The project's folders, without importing Dagster (orchestration.settings re-exports them): what a worker
process needs to read the registry's contracts."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
# reference data (dbt seeds) that Python reads too: the price book, capacity SKUs, use cases, platforms
SEEDS_DIR = PROJECT_DIR / "seeds" / "reference"
