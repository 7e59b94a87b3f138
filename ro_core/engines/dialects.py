"""One SQL, several engines: our DuckDB-dialect queries transpiled to Spark SQL and ClickHouse.

Every metric query is written once, in DuckDB's dialect, for the embedded database. To run it on
Spark or ClickHouse, SQLGlot parses it, the bound values are placed in the tree as literals (the
generator quotes and escapes them for the target dialect; no value is ever pasted into SQL text),
the overrides below fix what the dialects mean differently, and SQLGlot writes the target SQL.

Overrides (where the same text means something else, or SQLGlot's mapping is not the meaning):

=========================  ===================================  ===================================
DuckDB                     Spark SQL                            ClickHouse
=========================  ===================================  ===================================
x / 0: inf (double)        NULL (ANSI mode off: the session      inf (same). Our SQL never divides by
                           setting spark.sql.ansi.enabled)      a zero: x / nullif(y, 0), ratios in
                                                                Python
sum/avg/min/max over no    NULL (same)                          0 / nan: the setting
rows: NULL                                                      aggregate_functions_null_for_empty
outer join misses: NULL    NULL (same)                          the type's default: join_use_nulls=1
sum(x) AS x, then x: the   the column (same)                    the alias, inside another aggregate:
column                                                          prefer_column_name_to_alias=1, and
                                                                ORDER BY an output name is written
                                                                as its expression
list_has_all(a, b)         size(array_except(b, a)) = 0         hasAll(a, b)
median, quantile_cont      percentile(x, q): exact, linear      quantileExactInclusive(q)(x):
(exact, linear                                                  exact, linear (quantile() samples)
interpolation)
bool_or / bool_and         bool_or / bool_and (same)            max / min of the condition
epoch(ts): seconds as a    unix_micros(ts) / 1e6                toUnixTimestamp64Micro(ts) / 1e6
double
date - date: days (int)    an interval: written datediff        an error: written dateDiff('day')
week start: Monday         date_trunc('WEEK'): Monday (same)    toMonday (dateTrunc is Monday too)
date_trunc of a DATE: a   a TIMESTAMP (same)                   a Date: our SQL casts the result
TIMESTAMP                                                       to DATE wherever the type matters
store-local dates          stored as local_date at import: no time-zone arithmetic at query time
NULLs sort last (ASC)      NULLS FIRST for ASC: written         NULLS LAST by default (same)
                           explicitly by SQLGlot
=========================  ===================================  ===================================

Distinct counts (count(DISTINCT ...)) are exact on all three (ClickHouse's
count_distinct_implementation defaults to uniqExact); medians are exact as above. Both are the
only aggregates that are not additive over period buckets: they are computed over the whole range
in one query on every engine, never merged from buckets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from ro_core.errors import RoError

DUCKDB = "duckdb"
SPARK = "spark"
CLICKHOUSE = "clickhouse"
DIALECTS = (DUCKDB, SPARK, CLICKHOUSE)

# Session settings each engine needs for DuckDB's meaning (see the table above).
SPARK_SETTINGS = {
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
}
CLICKHOUSE_SETTINGS = {
    "join_use_nulls": 1,
    "aggregate_functions_null_for_empty": 1,
    "prefer_column_name_to_alias": 1,
    "session_timezone": "UTC",
}


class DialectError(RoError):
    """A query could not be written for an engine."""

    title = "Query not supported on this engine"


@lru_cache(maxsize=2048)
def _parse(sql: str) -> exp.Expression:
    """The query's tree, each ? numbered by its place in the text ($1, $2, ...): the tree's own
    order of nodes is not the order of the text (a WITH clause is kept after the SELECT)."""
    tokens = sqlglot.Dialect.get_or_raise(DUCKDB).tokenize(sql)
    marks = [t.start for t in tokens if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]
    numbered = sql
    for number, start in reversed(list(enumerate(marks, start=1))):
        numbered = f"{numbered[:start]}${number}{numbered[start + 1 :]}"
    return sqlglot.parse_one(numbered, read=DUCKDB)


@lru_cache(maxsize=2048)
def _typed(sql: str) -> exp.Expression:
    """The query's tree with the type of every expression SQLGlot can infer from the warehouse
    columns (a date minus a date, the date_trunc of a date); the plain tree when it cannot."""
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    from ro_core.engines.layout import COLUMN_TYPES

    tree = _parse(sql).copy()
    try:
        tree = qualify(tree, schema=COLUMN_TYPES, dialect=DUCKDB, validate_qualify_columns=False)
        return annotate_types(tree, schema=COLUMN_TYPES, dialect=DUCKDB)
    except sqlglot.errors.SqlglotError:
        return _parse(sql)


def tables_read(sql: str) -> frozenset[str]:
    """Names of the tables a query reads (CTE names left out)."""
    tree = _parse(sql)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes)


def _literal(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    raise DialectError(f"A value of type {type(value).__name__} cannot be sent to this engine.")


def _bind(tree: exp.Expression, params: Sequence[Any]) -> exp.Expression:
    """Replace each numbered placeholder by its value as a typed literal."""
    holders = list(tree.find_all(exp.Placeholder))
    if len(holders) != len(params):
        raise DialectError(f"The query has {len(holders)} parameters but got {len(params)}.")
    for holder in holders:
        holder.replace(_literal(params[int(holder.name) - 1]))
    return tree


def _quantile(node: exp.Expression, level: exp.Expression, dialect: str) -> exp.Expression:
    if dialect == SPARK:
        return exp.Anonymous(this="percentile", expressions=[node, level])
    return exp.Anonymous(
        this=f"quantileExactInclusive({level.sql(dialect=CLICKHOUSE)})", expressions=[node]
    )


def _override(node: exp.Expression, dialect: str) -> exp.Expression:
    """One node rewritten for `dialect` where the meaning differs (see the module's table)."""
    if isinstance(node, exp.Median):
        return _quantile(node.this, exp.Literal.number(0.5), dialect)
    if isinstance(node, exp.PercentileCont | exp.Quantile):
        return _quantile(node.this, node.expression, dialect)
    if isinstance(node, exp.TimeToUnix):
        micros = "unix_micros" if dialect == SPARK else "toUnixTimestamp64Micro"
        return exp.Div(
            this=exp.Anonymous(this=micros, expressions=[node.this]),
            expression=exp.Literal.number("1000000.0"),
        )
    if isinstance(node, exp.Anonymous) and node.name.lower() == "list_has_all":
        haystack, needles = node.expressions
        if dialect == SPARK:
            missing = exp.Anonymous(this="array_except", expressions=[needles, haystack])
            return exp.EQ(
                this=exp.Anonymous(this="size", expressions=[missing]),
                expression=exp.Literal.number(0),
            )
        return exp.Anonymous(this="hasAll", expressions=[haystack, needles])
    if dialect == CLICKHOUSE:
        if isinstance(node, exp.Select) and node.args.get("order"):
            _order_by_expressions(node)
            return node
        if isinstance(node, exp.LogicalOr):
            return exp.Max(this=node.this)
        if isinstance(node, exp.LogicalAnd):
            return exp.Min(this=node.this)
    if isinstance(node, exp.Sub) and _is_date(node.this) and _is_date(node.expression):
        # DuckDB: days between as an integer; Spark: an interval; ClickHouse: an error
        return exp.DateDiff(
            this=node.this.copy(), expression=node.expression.copy(), unit=exp.var("DAY")
        )
    return node


def _order_by_expressions(select: exp.Select) -> None:
    """ORDER BY an output name becomes ORDER BY its expression: with
    prefer_column_name_to_alias, ClickHouse would read the name as an input column."""
    aliases = {e.alias: e.this for e in select.expressions if isinstance(e, exp.Alias)}
    for ordered in select.args["order"].expressions:
        column = ordered.this
        if isinstance(column, exp.Column) and not column.table and column.name in aliases:
            column.replace(aliases[column.name].copy())


def _is_date(node: exp.Expression) -> bool:
    """True when SQLGlot inferred DATE for the expression (or it is a cast to DATE)."""
    if isinstance(node, exp.Cast):
        return node.to.is_type(exp.DataType.Type.DATE)
    return node.type is not None and node.type.is_type(exp.DataType.Type.DATE)


def to_dialect(sql: str, params: Sequence[Any] | None, dialect: str) -> str:
    """`sql` (DuckDB dialect, ? parameters) as `dialect` SQL with the values bound as literals."""
    if dialect not in DIALECTS:
        raise DialectError(f"Unknown SQL dialect {dialect!r}: use one of {', '.join(DIALECTS)}.")
    if dialect == DUCKDB:
        return _bind(_parse(sql).copy(), list(params or [])).sql(dialect=DUCKDB)
    tree = _bind(_typed(sql).copy(), list(params or []))
    tree = tree.transform(_override, dialect, copy=False)
    try:
        return tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as error:
        raise DialectError(f"This query cannot be written for {dialect}: {error}") from error
