"""SQL building blocks shared by the metrics: the filtered-orders relation and safe maths.

Only constants and generated names go into SQL text; every user value is a bound parameter.
Functions return ``(sql, params)`` pairs that callers splice in order.
"""

from __future__ import annotations

import math
from typing import Any

from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import remember
from ro_core.store import schema
from ro_core.store.db import Database

_REVENUE_SQL = {
    "total": "coalesce(o.total, 0)",
    "net": "coalesce(o.total, 0) - coalesce(o.refunded, 0)",
    "product": "coalesce(o.subtotal, 0)",
}

# Order-side dimensions: name -> SQL expression over the orders table aliased `o`.
ORDER_DIMENSIONS: dict[str, str] = {
    "channel": "coalesce(o.channel, 'unknown')",
    "country": "coalesce(o.country, 'unknown')",
    "customer_type": "coalesce(lower(o.customer_type), 'unknown')",
    "discount_code": "CASE WHEN o.discount_code IS NULL THEN 'no code' ELSE 'with code' END",
    "currency": "coalesce(o.currency, 'unknown')",
}


# Relation `fa`: the orders relation `f` with a column `aligned`, true for online orders dated
# inside one of the traffic periods of relation `p`. An equi-join on the covered days rather
# than a correlated EXISTS: Spark and ClickHouse take no correlated subquery in an aggregate.
ONLINE_ON_TRAFFIC_DAYS = """covered AS (
    SELECT DISTINCT d.day FROM (SELECT DISTINCT day FROM f) d CROSS JOIN p
    WHERE d.day BETWEEN p.period_start AND p.period_end),
fa AS (SELECT f.*, (f.online AND c.day IS NOT NULL) AS aligned
       FROM f LEFT JOIN covered c ON c.day = f.day)"""
# The same relation when there is no traffic: every online order counts.
ONLINE_ORDERS = "fa AS (SELECT f.*, f.online AS aligned FROM f)"


def revenue_sql(filters: OrderFilters) -> str:
    """Expression for one order's revenue (DECIMAL) under the filters' basis."""
    return _REVENUE_SQL[filters.revenue_basis]


def local_date_sql(filters: OrderFilters) -> tuple[str, list[Any]]:
    """Expression for an order's store-local date (exported, or at the override offset)."""
    if filters.utc_offset_minutes is None:
        return "o.local_date", []
    return (
        "coalesce(CAST(timezone('UTC', o.created_at) + to_minutes(CAST(? AS INTEGER)) AS DATE), "
        "o.local_date)",
        [filters.utc_offset_minutes],
    )


def online_sql(filters: OrderFilters) -> tuple[str, list[Any]]:
    """Boolean expression: the order comes from an online (session-backed) channel."""
    if not filters.online_channels:
        return "true", []
    marks = ", ".join("?" for _ in filters.online_channels)
    return f"(o.channel IS NULL OR o.channel IN ({marks}))", list(filters.online_channels)


def order_conditions(filters: OrderFilters) -> tuple[str, list[Any]]:
    """WHERE conditions (without dates) for the orders that count."""
    parts = ["true"]
    params: list[Any] = []
    if filters.exclude_cancelled:
        parts.append(
            "NOT coalesce(o.cancelled, false) AND coalesce(o.financial_status, '') <> 'voided'"
        )
    if filters.exclude_test:
        parts.append("NOT coalesce(o.is_test, false) AND coalesce(o.channel, '') <> 'draft'")
    if filters.currency:
        if filters.blank_currency_as:
            # Orders without a currency count in `blank_currency_as` (the store currency).
            parts.append("coalesce(o.currency, ?) = ?")
            params += [filters.blank_currency_as, filters.currency]
        else:
            parts.append("o.currency = ?")
            params.append(filters.currency)
    if filters.has_segment:
        if filters.segment_applies_to_orders:
            # The expression comes from ORDER_DIMENSIONS (constants), the value is bound.
            parts.append(f"lower({ORDER_DIMENSIONS[filters.segment_dimension]}) = lower(?)")
            params.append(filters.segment_value)
        else:
            # The orders do not carry this dimension: no order belongs to the segment as far
            # as SQL can tell. Callers report order figures as unavailable (None), never the
            # whole store's orders beside the segment's sessions.
            parts.append("false")
    return " AND ".join(parts), params


def filtered_orders_sql(
    filters: OrderFilters,
    period: DateRange | None = None,
    *,
    extra_columns: dict[str, str] | None = None,
) -> tuple[str, list[Any]]:
    """A SELECT of the orders that count, one row each.

    Columns: order_id, day (store-local date), revenue (DOUBLE), online (BOOLEAN), the
    order-side dimensions (channel, country, customer_type, discount_code, currency) and any
    `extra_columns` (name -> expression over alias `o`).
    """
    day_sql, day_params = local_date_sql(filters)
    online, online_params = online_sql(filters)
    where, where_params = order_conditions(filters)
    dims = ", ".join(f"{expr} AS {name}" for name, expr in ORDER_DIMENSIONS.items())
    extra = "".join(f", {expr} AS {name}" for name, expr in (extra_columns or {}).items())
    sql = (
        f"SELECT o.order_id, {day_sql} AS day, CAST({revenue_sql(filters)} AS DOUBLE) AS revenue, "
        f"{online} AS online, {dims}{extra} FROM {schema.ORDERS} o WHERE {where}"
    )
    params = [*day_params, *online_params, *where_params]
    if period is not None:
        sql = f"SELECT * FROM ({sql}) WHERE day BETWEEN ? AND ?"
        params += [period.start, period.end]
    return sql, params


def orders_span(db: Database) -> tuple[Any, Any]:
    """(first, last) store-local order dates in the database, or (None, None); read once per
    data version."""

    def read() -> tuple[Any, Any]:
        row = db.fetch_one(f"SELECT min(local_date), max(local_date) FROM {schema.ORDERS}")
        return (row[0], row[1]) if row else (None, None)

    return remember(db, "orders span", read)


def safe_div(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None:
        return None
    try:
        if denominator == 0:
            return None
        value = float(numerator) / float(denominator)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
