"""dbt node -> Dagster asset: keys mirror warehouse names (schema/name), groups follow the folders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class FinopsDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        # several sources may be one asset (a dataset's rows, quarantine and ingestion log: its ingestion)
        super().__init__(
            settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # lake sources are the ingestion assets: the three tables of a dataset (usage_events,
            # usage_events_quarantine, usage_events_ingestion_log) are raw/usage_events, named in their meta
            # (dagster.asset_key, which dagster-dbt's own key honours); another source is raw/<its name>
            key = super().get_asset_key(dbt_resource_props)
            unnamed = AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
            return key if key != unnamed else AssetKey(["raw", dbt_resource_props["name"]])
        schema = dbt_resource_props.get("schema") or "main"
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return AssetKey([schema, name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        # models/<layer>/<area>/...: group by layer_area (staging_canonical, marts_finops, ...)
        parts = fqn[1:-1]
        return "_".join(parts[:2]) if parts else "dbt"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:finops-analytics"]
