"""The overrides of ro_core.engines.dialects, checked on the engines themselves: each
expression gives on chDB and on Spark what DuckDB gives (the meaning, not the text)."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from ro_core.engines.base import EngineChoice, open_store_engine
from ro_core.engines.dialects import DialectError, tables_read, to_dialect
from ro_core.store.db import Database
from tests.engines.conftest import require, require_engine

# (what, DuckDB SQL with ? over the warehouse's imports table, parameters, expected rows).
# Expected values come from the calendar and arithmetic by hand, not from DuckDB.
SUNDAY = dt.date(2025, 3, 9)
CASES = [
    (
        "week starts on Monday",
        "SELECT CAST(date_trunc('week', CAST(? AS DATE)) AS DATE), "
        "CAST(date_trunc('month', CAST(? AS DATE)) AS DATE) FROM imports LIMIT 1",
        [SUNDAY, SUNDAY],
        [(dt.date(2025, 3, 3), dt.date(2025, 3, 1))],
    ),
    (
        "a date minus a date is a number of days",
        "SELECT CAST(? AS DATE) - CAST(? AS DATE) + 1 FROM imports LIMIT 1",
        [dt.date(2025, 3, 31), dt.date(2025, 3, 1)],
        [(31,)],
    ),
    (
        "dividing by nullif(0, 0) gives NULL",
        "SELECT sum(CAST(import_id AS DOUBLE)) / nullif(count(*) - count(*), 0) FROM imports",
        [],
        [(None,)],
    ),
    (
        "sums over no rows are NULL, counts 0",
        "SELECT sum(import_id), count(*), max(import_id) FROM imports WHERE import_id < 0",
        [],
        [(None, 0, None)],
    ),
    (
        "an outer join's misses are NULL",
        "SELECT count(*), count(b.import_id) FROM imports a "
        "LEFT JOIN imports b ON b.import_id = a.import_id + 1000",
        [],
        [(7, 0)],
    ),
    (
        "a bound text is a value, never SQL",
        "SELECT count(*) FROM imports WHERE file_name = ?",
        ["x' OR '1'='1"],
        [(0,)],
    ),
    (
        "bool_or and bool_and",
        "SELECT bool_or(import_id > 6), bool_and(import_id > 6) FROM imports",
        [],
        [(True, False)],
    ),
]


def run(engine, sql, params):
    return (
        [tuple(r) for r in engine.run(sql, params).to_pylist()]
        if False
        else _rows(engine.run(sql, params))
    )


def _rows(table) -> list[tuple]:
    return [tuple(row.values()) for row in table.to_pylist()]


@pytest.fixture(scope="module", params=["duckdb", "clickhouse", "spark"])
def engine(request, demo_store):
    require_engine(request.param)
    store_engine = open_store_engine(EngineChoice(request.param, str(demo_store["warehouse"])))
    yield store_engine
    store_engine.close()


@pytest.mark.parametrize("what,sql,params,expected", CASES, ids=[c[0] for c in CASES])
def test_each_engine_means_what_duckdb_means(engine, what, sql, params, expected):
    assert _rows(engine.run(sql, params)) == expected


def test_median_and_quantiles_are_exact_and_interpolated(engine, demo_store):
    """median / quantile_cont: linear interpolation between the exact values (statistics
    module), not ClickHouse's sampled quantile()."""
    database = Database(demo_store["db"], read_only=True)
    try:
        ids = [r[0] for r in database.fetch_all("SELECT import_id FROM imports")]
    finally:
        database.close()
    rows = _rows(
        engine.run(
            "SELECT median(CAST(import_id AS DOUBLE)), "
            "quantile_cont(CAST(import_id AS DOUBLE), 0.9) FROM imports",
            [],
        )
    )
    q90 = statistics.quantiles(ids, n=10, method="inclusive")[-1]
    assert rows[0] == pytest.approx((statistics.median(ids), q90), rel=1e-12)


def test_tables_read_leaves_out_cte_names():
    require("sqlglot", "the dialects")
    sql = "WITH f AS (SELECT * FROM orders) SELECT * FROM f JOIN traffic USING (x)"
    assert tables_read(sql) == {"orders", "traffic"}


def test_parameters_follow_the_text_order_even_inside_a_with_clause():
    require("sqlglot", "the dialects")
    sql = "WITH a AS (SELECT ? AS x) SELECT x, ? FROM a WHERE x = ?"
    assert to_dialect(sql, [1, "two", 3], "duckdb") == (
        "WITH a AS (SELECT 1 AS x) SELECT x, 'two' FROM a WHERE x = 3"
    )


def test_wrong_number_of_parameters_is_our_error():
    require("sqlglot", "the dialects")
    with pytest.raises(DialectError, match="2 parameters but got 1"):
        to_dialect("SELECT ? + ?", [1], "clickhouse")
