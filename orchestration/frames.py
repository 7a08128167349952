"""Frames in and out of the dbt Python models, whichever engine runs them: dbt-duckdb hands DuckDB relations and
a DuckDB connection, dbt-spark Spark DataFrames and a SparkSession."""

from __future__ import annotations

import pandas as pd

# the project's column types, spelled per engine
TYPES = {
    "string": ("varchar", "string"),
    "bigint": ("bigint", "bigint"),
    "double": ("double", "double"),
    "boolean": ("boolean", "boolean"),
    "date": ("date", "date"),
    "timestamp": ("timestamp", "timestamp"),
    "usd": ("decimal(18,2)", "decimal(18,2)"),  # an estimate in USD, to the cent
}


def to_pandas(relation) -> pd.DataFrame:
    """A pandas frame with floats for decimals: DuckDB hands DECIMAL as float64, Spark as Python Decimal objects
    (and DATE as datetime.date)."""
    if hasattr(relation, "df"):
        return relation.df()
    from decimal import Decimal

    frame = relation.toPandas()
    for column in frame.columns:
        if len(frame) and frame[column].map(lambda x: isinstance(x, Decimal)).any():
            frame[column] = frame[column].astype(float)
    return frame


def previous(session, this) -> pd.DataFrame | None:
    """The rows the model's own table (dbt.this) holds from its last build, or None before its first: a table
    model's Python code runs before its new table replaces the old one."""
    if hasattr(session, "createDataFrame"):  # Spark
        name = f"{this.schema}.{this.identifier}"
        return to_pandas(session.table(name)) if session.catalog.tableExists(name) else None
    found = session.execute(  # fetchall: DuckDB keeps a result not read to its end open on the connection
        "select count(*) from information_schema.tables where table_catalog = ? and table_schema = ? "
        "and table_name = ?",
        [this.database, this.schema, this.identifier],
    ).fetchall()[0][0]
    return session.sql(f"select * from {this!r}").df() if found else None


def output(frame: pd.DataFrame, session, columns: dict[str, str]):
    """The model's result with exactly these columns and types (TYPES keys), empty or not: a DuckDB relation
    cast column by column, or a Spark DataFrame with an explicit schema."""
    frame = frame[list(columns)]
    if hasattr(session, "createDataFrame"):  # Spark
        schema = ", ".join(f"`{name}` {TYPES[kind][1]}" for name, kind in columns.items())
        rows = frame.astype(object).where(frame.notna(), None)
        if "usd" in columns.values():
            from decimal import Decimal

            for name, kind in columns.items():
                if kind == "usd":
                    rows[name] = [None if v is None else Decimal(repr(round(float(v), 2))) for v in rows[name]]
        data = rows.to_numpy().tolist()
        stamps = [i for i, kind in enumerate(columns.values()) if kind == "timestamp"]
        for row in data:  # Spark takes datetime.datetime, not pandas' Timestamp (after to_numpy: a column of
            for i in stamps:  # datetimes in a frame is datetime64 again)
                if row[i] is not None:
                    row[i] = pd.Timestamp(row[i]).to_pydatetime()
        return session.createDataFrame(data, schema=schema)
    relation = session.from_df(frame)
    casts = ", ".join(
        f"cast(round({name}, 2) as {TYPES[kind][0]}) as {name}"
        if kind == "usd"
        else f"cast({name} as {TYPES[kind][0]}) as {name}"
        for name, kind in columns.items()
    )
    return relation.project(casts)
