"""The FOCUS 1.3 export: marts.fct_focus_cost_and_usage written as one Parquet file for FinOps tools
(docs/bi.md), swapped in atomically.

FOCUS' Decimal columns are written as Parquet DOUBLE: what focus-validator and the FOCUS tools that read it with
pandas accept (they reject Parquet DECIMAL, read as Python objects). The exact decimals stay in the mart."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

MART = "fct_focus_cost_and_usage"


def write_focus_export(warehouse: str, path: str | Path) -> tuple[Path, int]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    con = duckdb.connect(warehouse, read_only=True)
    try:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [MART],
        ).fetchall()
        if not columns:
            raise ValueError(f"{warehouse} has no marts.{MART}: build the warehouse first")
        exprs = [
            f'cast("{name}" as double) as "{name}"' if kind.startswith("DECIMAL") else f'"{name}"'
            for name, kind in columns
        ]
        con.execute(
            f"copy (select {', '.join(exprs)} from marts.{MART} order by ChargePeriodStart, x_ChargeType, "
            f"BillingAccountId, x_UseCaseId, x_VariantId, SkuId, ResourceId, CapacityReservationId) "
            f"to '{str(tmp).replace(chr(39), chr(39) * 2)}' (format parquet, compression zstd)"
        )
        rows = con.execute(f"select count(*) from marts.{MART}").fetchone()[0]
    finally:
        con.close()
    os.replace(tmp, path)
    return path, rows
