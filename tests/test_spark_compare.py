"""spark-check's comparison (orchestration/spark.py) flags what it must: the check itself runs in CI with
`make spark-check`; here its verdicts are tested on two DuckDB databases, one standing in for Spark."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pytest

from orchestration.tools.spark import compare_marts, format_comparison

pytestmark = pytest.mark.unit


class DuckDBAsSpark:
    """The two calls compare_marts makes on a SparkSession, answered by a DuckDB database."""

    def __init__(self, path):
        self.con = duckdb.connect(str(path))

    def table(self, name):
        schema, table = name.split(".")
        cols = self.con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
        if not cols:
            raise RuntimeError(f"[TABLE_OR_VIEW_NOT_FOUND] {name}")
        return SimpleNamespace(schema=SimpleNamespace(fields=[SimpleNamespace(name=c) for (c,) in cols]))

    def sql(self, query):
        # Spark quotes identifiers with backticks and names its text type `string`
        row = self.con.execute(query.replace("`", '"').replace(" as string)", " as varchar)")).fetchone()
        return SimpleNamespace(collect=lambda: [row])


MART = """
    create schema marts;
    create table marts.costs as
    select * from (values
        ('a', 1000::bigint, 0.1234567890::decimal(38, 10), 0.5::double, true, date '2026-01-01'),
        ('b', 2500::bigint, 2.0000000000::decimal(38, 10), 0.25::double, false, date '2026-01-02')
    ) as t(use_case_id, tokens, cost_usd, share, is_success, day)
"""


@pytest.fixture
def engines(tmp_path):
    for name in ("duck", "spark"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            con.execute(MART)
    return tmp_path / "duck.duckdb", tmp_path / "spark.duckdb"


def _compare(engines, change=None):
    duck, spark_path = engines
    if change:
        with duckdb.connect(str(spark_path)) as con:
            con.execute(change)
    spark = DuckDBAsSpark(spark_path)
    try:
        return compare_marts(str(duck), ["costs", "missing"], spark)
    finally:
        spark.con.close()


def test_identical_marts_agree_and_a_mart_missing_on_both_is_reported(engines):
    costs, missing = _compare(engines)
    assert costs.ok and costs.duckdb_rows == costs.spark_rows == 2
    # rows + (non-null, sum/true/distinct) for each of 6 columns
    assert len(costs.columns) == 12
    assert not missing.ok and missing.problem == "not in the DuckDB warehouse"


@pytest.mark.parametrize(
    ("change", "columns"),
    [
        ("update marts.costs set cost_usd = cost_usd + 0.01 where use_case_id = 'a'", ["cost_usd (sum)"]),
        ("update marts.costs set tokens = tokens + 1 where use_case_id = 'b'", ["tokens (sum)"]),
        ("update marts.costs set share = share * 1.00001 where use_case_id = 'a'", ["share (sum)"]),
        ("update marts.costs set is_success = true", ["is_success (true)"]),
        ("update marts.costs set day = date '2026-01-01'", ["day (distinct)"]),
        # a null also leaves one distinct value fewer
        (
            "update marts.costs set use_case_id = null where use_case_id = 'b'",
            ["use_case_id (non-null)", "use_case_id (distinct)"],
        ),
    ],
)
def test_a_difference_in_any_column_kind_is_flagged(engines, change, columns):
    costs = _compare(engines, change)[0]
    assert not costs.ok
    assert [c.column for c in costs.columns if not c.ok] == columns
    assert all(f"costs.{column}" in format_comparison([costs]) for column in columns)


def test_money_agrees_to_the_cent_and_floats_to_the_stated_tolerance(engines):
    # 0.004 USD over the column and a 1e-8 relative change of a float are within tolerance
    costs = _compare(
        engines,
        "update marts.costs set cost_usd = cost_usd + 0.004 where use_case_id = 'a';"
        "update marts.costs set share = share * (1 + 1e-8)",
    )[0]
    assert costs.ok, format_comparison([costs])


def test_row_counts_and_columns_must_match(engines):
    extra_row = _compare(engines, "insert into marts.costs select * from marts.costs where use_case_id = 'a'")[0]
    assert not extra_row.ok and (extra_row.duckdb_rows, extra_row.spark_rows) == (2, 3)


def test_a_column_missing_on_spark_is_a_difference(engines):
    costs = _compare(engines, "alter table marts.costs drop column share")[0]
    assert not costs.ok and "only on DuckDB ['share']" in costs.problem


def test_an_engines_own_id_hash_is_compared_by_its_distinct_values(engines):
    """A column named *_id_hash (macro id_hash: md5 on DuckDB, xxhash64 on Spark) has other values on each
    engine: its sums differ, its distinct counts must not."""
    add = "alter table marts.costs add column event_id_hash bigint; update marts.costs set event_id_hash = {}"
    duck, _ = engines
    with duckdb.connect(str(duck)) as con:
        con.execute(add.format("hash(use_case_id) >> 1"))
    costs = _compare(engines, add.format("tokens * 7"))[0]
    assert costs.ok, format_comparison([costs])
    assert "event_id_hash (distinct)" in [c.column for c in costs.columns]
    one_value = _compare(engines, "update marts.costs set event_id_hash = 7")[0]
    assert [c.column for c in one_value.columns if not c.ok] == ["event_id_hash (distinct)"]
