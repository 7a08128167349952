"""genai-finops: the Dagster code location (ingestion, dbt, quality, schedules) and the project CLI."""
