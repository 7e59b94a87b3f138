"""Checks every import gets after its format staged the rows: duplicated orders, currencies,
totals that do not add up, future dates, impossible traffic counts."""

from __future__ import annotations

import duckdb

from ro_core.errors import ImportFileError
from ro_core.ingest.base import StageContext, stage_table
from ro_core.store import schema
from ro_core.store.currency_rule import store_currency_among


def _warn_about_currencies(
    cur: duckdb.DuckDBPyConnection, ctx: StageContext, currencies: list[str]
) -> None:
    """Report lines on the file's currencies: several in one file, and orders without one (they
    count in the store currency, see ro_core.metrics.currency)."""
    staged = stage_table(schema.KIND_ORDERS)
    columns = "currency, total, cancelled, financial_status, is_test, channel"
    # The store currency as it will be once this file is in: stored orders plus this file's
    # (orders written directly are the store's only orders).
    relation = (
        f"(SELECT {columns} FROM {staged})"
        if ctx.direct is not None and schema.KIND_ORDERS in ctx.direct.kinds
        else f"(SELECT {columns} FROM {schema.ORDERS} "
        f"WHERE order_id NOT IN (SELECT order_id FROM {staged}) "
        f"UNION ALL SELECT {columns} FROM {staged})"
    )
    store = store_currency_among(cur, relation)
    if len(currencies) > 1:
        ctx.warn(
            f"orders in several currencies ({', '.join(currencies)}): figures show one currency "
            f"at a time, the store currency ({store}) unless you pick another; amounts in "
            "different currencies are never added together."
        )
    blank, total = cur.execute(
        f"SELECT count(*) FILTER (WHERE currency IS NULL), count(*) FROM {staged}"
    ).fetchone()
    if not blank:
        return
    of = f"All {blank:,}" if blank == total else f"{blank:,} of {total:,}"
    if store:
        ctx.warn(f"{of} orders have no currency: they count in the store currency ({store}).")
    else:
        ctx.warn(
            f"{of} orders have no currency, and no stored order has one: they count in the "
            "store currency once orders with a currency are imported."
        )


# Kinds whose staged rows validate_and_warn leaves with unique resolution keys (duplicated
# orders are counted once, repeated traffic periods refuse the file).
KINDS_WITH_UNIQUE_KEYS = frozenset({schema.KIND_ORDERS, schema.KIND_TRAFFIC})


def validate_and_warn(cur: duckdb.DuckDBPyConnection, ctx: StageContext, kinds: set[str]) -> None:
    """Checks every format gets: duplicates, mixed currencies, future dates."""
    if schema.KIND_ORDERS in kinds:
        dupes = cur.execute(
            f"SELECT count(*) - count(DISTINCT order_id) FROM {stage_table(schema.KIND_ORDERS)}"
        ).fetchone()[0]
        if dupes:
            ctx.warn(
                f"{dupes:,} duplicated order rows (same order id) in this file were counted once."
            )
            _keep_one_row_per_order(cur, ctx)
        currencies = [
            r[0]
            for r in cur.execute(
                f"SELECT DISTINCT currency FROM {stage_table(schema.KIND_ORDERS)} "
                "WHERE currency IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        _warn_about_currencies(cur, ctx, currencies)
        # Total = subtotal (after discounts) + shipping + tax, or without tax where prices
        # include it; anything else is worth a look (duties, tips or an edited export).
        mismatched, examples = cur.execute(
            f"""SELECT count(*), list(coalesce(order_name, order_id) ORDER BY order_id)[1:3]
            FROM {stage_table(schema.KIND_ORDERS)}
            WHERE subtotal IS NOT NULL AND total IS NOT NULL
              AND abs(subtotal + coalesce(shipping, 0) + coalesce(tax, 0) - total) > 0.01
              AND abs(subtotal + coalesce(shipping, 0) - total) > 0.01"""
        ).fetchone()
        if mismatched:
            ctx.warn(
                f"{mismatched:,} orders have a total that is not subtotal + shipping + tax "
                f"(for example {', '.join(examples)}); duties, tips or edits can cause this. "
                "Revenue uses the total as exported."
            )
        future = cur.execute(
            f"SELECT count(*) FROM {stage_table(schema.KIND_ORDERS)} "
            "WHERE local_date > current_date + INTERVAL 1 DAY"
        ).fetchone()[0]
        if future:
            ctx.warn(f"{future:,} orders are dated in the future; check the export's dates.")
    if schema.KIND_TRAFFIC in kinds:
        _check_traffic_measures(cur, ctx)
        keys = ", ".join(schema.RESOLUTION_KEY[schema.KIND_TRAFFIC])
        dupes = cur.execute(
            f"SELECT count(*) FROM (SELECT {keys} FROM {stage_table(schema.KIND_TRAFFIC)} "
            f"GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        if dupes:
            raise ImportFileError(
                f"{dupes} periods appear more than once for the same segment.",
                file_name=ctx.file_name,
                hint="Export the report again without extra breakdown columns.",
            )


def _keep_one_row_per_order(cur: duckdb.DuckDBPyConnection, ctx: StageContext) -> None:
    """Leave one staged row per order id (any of them: duplicated rows are the same order)."""
    if ctx.direct is not None and schema.KIND_ORDERS in ctx.direct.kinds:
        table = schema.RESOLVED_TABLE[schema.KIND_ORDERS]
        cur.execute(
            f"""DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table}
            QUALIFY row_number() OVER (PARTITION BY order_id) > 1)"""
        )
        return
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE stage_orders AS
        SELECT * FROM {stage_table(schema.KIND_ORDERS)}
        QUALIFY row_number() OVER (PARTITION BY order_id) = 1"""
    )


# Traffic measures that may be negative (an analytics tool nets refunds out of revenue).
SIGNED_MEASURES = ("revenue",)


def _check_traffic_measures(cur: duckdb.DuckDBPyConnection, ctx: StageContext) -> None:
    """Refuse traffic with a count below zero or a value that is not a finite number.

    The formats already refuse non-numbers, inf and NaN with their line (ro_number); this is the
    net under every format, sign included.
    """
    staged = stage_table(schema.KIND_TRAFFIC)
    for measure in schema.TRAFFIC_MEASURES:
        floor = "" if measure in SIGNED_MEASURES else f" OR {measure} < 0"
        bad, example, period = cur.execute(
            f"SELECT count(*), min({measure}), min(period_start) FROM {staged} "
            f"WHERE NOT isfinite({measure}) OR abs({measure}) >= 1e15{floor}"
        ).fetchone()
        if bad:
            raise ImportFileError(
                f"{bad:,} rows have a '{measure.replace('_', ' ')}' value that cannot be a "
                f"count (for example {example:g}, period starting {period}).",
                file_name=ctx.file_name,
                column=measure.replace("_", " "),
                hint="Export the report again; counts are whole numbers of zero or more.",
            )
