"""The product table's sums per store-local day, read once per data version and reused by every
period (the table's direct queries re-read a year of order lines and events for each period).

Order lines: per (day, product) units, list value and line discounts (exact, in cents), orders
and orders holding that product alone, for the orders the filters keep. An order has one day,
so its distinct orders per product and day add up over days.

Events: sessions per (day, product, step) for the steps view, cart and purchase. A session
counts once per product and step over a period, so per-day counts add up only for the sessions
whose events of that product and step fall on one day. For the others (a session across
midnight) the rollup also keeps, per product and step, how many sessions have each pair of
consecutive days with such events: over a period (a run of days) a session's days inside it are
consecutive in its own list of days, so days minus pairs is 1 when it has any and 0 otherwise.
Besides those: purchase revenue per (day, product) and which products have other events
(remove_from_cart, events without a session) on each day, so a product with only those is
still listed.

A rollup covers the whole store; a period adds up its days in NumPy. The local DuckDB file only:
with a store engine the table keeps its direct queries (the rollup's rows would travel).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from ro_core.metrics._sql import filtered_orders_sql
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import remember
from ro_core.store import schema
from ro_core.store.db import Database

EPOCH = date(1970, 1, 1)
STEPS: tuple[str, ...] = ("view", "cart", "purchase")
"""Event types counted as sessions per product (in this order: views, carts, purchases)."""
_DAY = "CAST(local_date - DATE '1970-01-01' AS INTEGER)"
_IN_STEP = (
    "event_type IN ('view', 'cart', 'purchase') AND session_id IS NOT NULL "
    "AND product_id IS NOT NULL"
)
_STEP_CODE = "CAST(CASE event_type WHEN 'view' THEN 0 WHEN 'cart' THEN 1 ELSE 2 END AS TINYINT)"
# event products numbered in text order: the same numbering in every statement of one snapshot
_CODES = f"""codes AS (
    SELECT product_id, CAST(row_number() OVER (ORDER BY product_id) - 1 AS INTEGER) AS code
    FROM (SELECT DISTINCT product_id FROM {schema.EVENTS} WHERE product_id IS NOT NULL))"""


def uses_rollup(db: Database) -> bool:
    """Whether the product table adds up the rollups (the local DuckDB file) or runs its direct
    queries (a store engine serves the tables)."""
    return db.store_engine is None


def _day(value: date) -> int:
    return (value - EPOCH).days


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class _ByDay:
    """Rows sorted by day: the days that have rows (days since 1970-01-01), where each day's
    rows start (and the end), and the rows' columns."""

    days: np.ndarray
    starts: np.ndarray
    columns: dict[str, np.ndarray]

    @classmethod
    def sorted(cls, day: np.ndarray, **columns: np.ndarray) -> _ByDay:
        order = np.argsort(day, kind="stable")
        days, starts = np.unique(day[order], return_index=True)
        return cls(
            _frozen(days),
            _frozen(np.append(starts, len(day))),
            {
                name: _frozen(np.ascontiguousarray(values[order]))
                for name, values in columns.items()
            },
        )

    def between(self, period: DateRange) -> dict[str, np.ndarray]:
        """The columns of the rows whose day lies in `period` (views, no copies)."""
        lo = self.starts[np.searchsorted(self.days, _day(period.start), side="left")]
        hi = self.starts[np.searchsorted(self.days, _day(period.end), side="right")]
        return {name: values[lo:hi] for name, values in self.columns.items()}


def _texts(values: np.ndarray) -> pd.Series:
    # as DuckDB's DataFrames have them: the string dtype, object when there are no rows
    return pd.Series(values, dtype="str" if len(values) else object)


def _sums(codes: np.ndarray, values: np.ndarray | None, size: int) -> np.ndarray:
    """Per code, the sum of `values` (integers; exact below 2**53), or the rows when None."""
    if not len(codes):
        return np.zeros(size, dtype=np.int64)
    if values is None:
        return np.bincount(codes, minlength=size).astype(np.int64, copy=False)
    return np.bincount(codes, weights=values, minlength=size).astype(np.int64)


# --- order lines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderProductDays:
    """Per (day, product) sums of the order lines of the orders some filters keep."""

    products: np.ndarray  # product (name, else SKU, else 'unknown') per code
    skus: np.ndarray  # SKU texts in text order; a row's sku is an index, len(skus) for none
    rows: _ByDay  # code, sku, units, gross_cents, discount_cents, orders, alone

    def period(self, period: DateRange) -> pd.DataFrame:
        """What the direct query gives for `period`: product, sku, units, revenue, gross,
        discount, orders, with_others (one row per product with lines in it)."""
        r = self.rows.between(period)
        size = len(self.products)
        code = r["code"]
        present = np.bincount(code, minlength=size) > 0 if len(code) else np.zeros(size, bool)
        # the least SKU of the product's rows: one of its SKUs in the period (the direct query
        # takes any of them)
        sku = np.full(size, len(self.skus), dtype=np.int64)
        np.minimum.at(sku, code, r["sku"])
        gross = _sums(code, r["gross_cents"], size)
        discount = _sums(code, r["discount_cents"], size)
        orders = _sums(code, r["orders"], size)
        alone = _sums(code, r["alone"], size)
        keep = np.flatnonzero(present)
        sku_text = np.append(self.skus, None)[sku[keep]]
        return pd.DataFrame(
            {
                "product": _texts(self.products[keep]),
                "sku": _texts(sku_text),
                "units": _sums(code, r["units"], size)[keep].astype(float),
                "revenue": (gross[keep] - discount[keep]) / 100,
                "gross": gross[keep] / 100,
                "discount": discount[keep] / 100,
                "orders": orders[keep],
                "with_others": orders[keep] - alone[keep],
            }
        )

    def revenue(self, period: DateRange) -> pd.Series:
        """Product revenue per product over `period` (products with lines in it)."""
        frame = self.period(period)
        return frame.set_index("product")["revenue"]


def _read_order_days(db: Database, filters: OrderFilters) -> OrderProductDays:
    orders_sql, params = filtered_orders_sql(filters)
    # An order's lines all fall on its day, so per (day, product) its distinct orders and whether
    # it holds that product alone add up over days (order_id is one order: the resolution key).
    frame = db.fetch_df(
        f"""WITH f AS ({orders_sql}),
        l AS (
            SELECT l.order_id, CAST(f.day - DATE '1970-01-01' AS INTEGER) AS day,
                   coalesce(l.product, l.sku, 'unknown') AS product, l.sku,
                   coalesce(l.quantity, 0) AS units,
                   coalesce(l.price, 0) * coalesce(l.quantity, 0) AS gross,
                   coalesce(l.discount, 0) AS discount
            FROM {schema.ORDER_LINES} l JOIN f ON f.order_id = l.order_id
            WHERE f.day IS NOT NULL),
        alone AS (
            SELECT day, first_product AS product, count(*) AS alone
            FROM (SELECT order_id, min(day) AS day, min(product) AS first_product,
                         max(product) AS last_product
                  FROM l GROUP BY order_id) per_order
            WHERE first_product = last_product
            GROUP BY day, first_product),
        per_day AS (
            SELECT day, product, min(sku) AS sku, CAST(sum(units) AS BIGINT) AS units,
                   CAST(sum(gross) * 100 AS BIGINT) AS gross_cents,
                   CAST(sum(discount) * 100 AS BIGINT) AS discount_cents,
                   count(DISTINCT order_id) AS orders
            FROM l GROUP BY day, product)
        SELECT p.day, p.product, p.sku, p.units, p.gross_cents, p.discount_cents, p.orders,
               coalesce(a.alone, 0) AS alone
        FROM per_day p LEFT JOIN alone a ON a.day = p.day AND a.product = p.product""",
        params,
    )
    codes, products = pd.factorize(frame["product"], sort=True)
    sku_codes, skus = pd.factorize(frame["sku"], sort=True)  # sorted: the least text first
    sku_codes = np.where(sku_codes < 0, len(skus), sku_codes)
    return OrderProductDays(
        _frozen(np.asarray(products, dtype=object)),
        _frozen(np.asarray(skus, dtype=object)),
        _ByDay.sorted(
            frame["day"].to_numpy(np.int32),
            code=codes.astype(np.int32),
            sku=sku_codes.astype(np.int64),
            units=frame["units"].to_numpy(np.int64),
            gross_cents=frame["gross_cents"].to_numpy(np.int64),
            discount_cents=frame["discount_cents"].to_numpy(np.int64),
            orders=frame["orders"].to_numpy(np.int64),
            alone=frame["alone"].to_numpy(np.int64),
        ),
    )


def order_product_days(db: Database, filters: OrderFilters) -> OrderProductDays:
    """The order lines' per-day sums for `filters` (one statement per data version and order
    filters; the traffic source, the revenue basis and the online channels do not change
    them)."""
    key = replace(filters, traffic_source=None, revenue_basis="total", online_channels=None)
    return remember(db, ("product order days", key), lambda: _read_order_days(db, key))


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventProductDays:
    """Per (day, product) sessions by step, with the pairs of days of sessions that span days."""

    products: np.ndarray  # event product_id per code
    # slot (code x 3 + step: 0 view, 1 cart, 2 purchase), n (sessions with such an event that
    # day; left out when every row has 1)
    steps: _ByDay
    pairs: dict[str, np.ndarray]  # day, next_day, slot, n: sessions with events on both days
    others: _ByDay  # code, cents: purchase revenue; a row = the product has events that day

    def period(self, period: DateRange) -> pd.DataFrame:
        """What the direct query gives for `period`: product_id, views, cart_sessions,
        purchase_sessions, event_revenue (one row per product with events in it)."""
        size = len(self.products)
        s = self.steps.between(period)
        o = self.others.between(period)
        counts = _sums(s["slot"], s.get("n"), size * len(STEPS))
        p = self.pairs
        inside = (p["day"] >= _day(period.start)) & (p["next_day"] <= _day(period.end))
        if inside.any():
            counts -= _sums(p["slot"][inside], p["n"][inside], size * len(STEPS))
        counts = counts.reshape(size, len(STEPS))
        # a product with a session's event in the period counts that session at least once
        present = counts.any(axis=1)
        present[o["code"]] = True
        cents = _sums(o["code"], o["cents"], size)
        keep = np.flatnonzero(present)
        return pd.DataFrame(
            {
                "product_id": _texts(self.products[keep]),
                "views": counts[keep, 0],
                "cart_sessions": counts[keep, 1],
                "purchase_sessions": counts[keep, 2],
                "event_revenue": cents[keep] / 100,
            }
        )


def _read_event_days(db: Database) -> EventProductDays:
    with db.cursor() as cur:
        # one snapshot for the three statements (the product numbering must agree)
        cur.execute("BEGIN TRANSACTION")
        try:
            products = cur.execute(
                f"{'WITH ' + _CODES} SELECT product_id FROM codes ORDER BY code"
            ).fetchnumpy()["product_id"]
            steps = cur.execute(
                f"""WITH {_CODES},
                g AS MATERIALIZED (
                    SELECT product_id, event_type, session_id,
                           min(local_date) AS d0, max(local_date) AS d1
                    FROM {schema.EVENTS} WHERE {_IN_STEP}
                    GROUP BY product_id, event_type, session_id),
                spans AS (
                    SELECT DISTINCT e.local_date, e.product_id, e.event_type, e.session_id
                    FROM {schema.EVENTS} e
                    JOIN (SELECT product_id, event_type, session_id FROM g WHERE d0 < d1) m
                      ON e.product_id = m.product_id AND e.event_type = m.event_type
                     AND e.session_id = m.session_id),
                days AS (
                    SELECT d0 AS local_date, NULL::DATE AS next_day, product_id, event_type,
                           count(*) AS n
                    FROM g WHERE d0 = d1 GROUP BY d0, product_id, event_type
                    UNION ALL
                    SELECT local_date, NULL::DATE, product_id, event_type, count(*)
                    FROM spans GROUP BY local_date, product_id, event_type
                    UNION ALL
                    SELECT local_date, next_day, product_id, event_type, count(*)
                    FROM (SELECT local_date, product_id, event_type,
                                 lead(local_date) OVER (PARTITION BY product_id, event_type,
                                     session_id ORDER BY local_date) AS next_day
                          FROM spans) s
                    WHERE next_day IS NOT NULL
                    GROUP BY local_date, next_day, product_id, event_type)
                SELECT {_DAY} AS day,
                       coalesce(CAST(next_day - DATE '1970-01-01' AS INTEGER), -1) AS next_day,
                       c.code, {_STEP_CODE} AS step, CAST(d.n AS INTEGER) AS n
                FROM days d JOIN codes c ON c.product_id = d.product_id"""
            ).fetchnumpy()
            # purchases (revenue), other types and events without a session (the product is
            # listed); views and carts with a session are in `steps`
            others = cur.execute(
                f"""WITH {_CODES}
                SELECT {_DAY} AS day, c.code,
                       CAST(coalesce(sum(CASE WHEN e.event_type = 'purchase'
                                              THEN e.revenue END), 0) * 100 AS BIGINT) AS cents
                FROM {schema.EVENTS} e JOIN codes c ON c.product_id = e.product_id
                WHERE e.event_type NOT IN ('view', 'cart') OR e.session_id IS NULL
                GROUP BY local_date, c.code"""
            ).fetchnumpy()
        finally:
            cur.execute("ROLLBACK")
    pair = steps["next_day"] >= 0
    one = ~pair
    slot = steps["code"] * np.int32(len(STEPS)) + steps["step"].astype(np.int32)
    n = steps["n"][one]
    per_day = {"slot": slot[one]} if bool((n == 1).all()) else {"slot": slot[one], "n": n}
    return EventProductDays(
        _frozen(np.asarray(products, dtype=object)),
        _ByDay.sorted(steps["day"][one], **per_day),
        {
            "day": _frozen(steps["day"][pair]),
            "next_day": _frozen(steps["next_day"][pair]),
            "slot": _frozen(slot[pair]),
            "n": _frozen(steps["n"][pair]),
        },
        _ByDay.sorted(others["day"], code=others["code"], cents=others["cents"]),
    )


def event_product_days(db: Database) -> EventProductDays:
    """The events' per-day sessions per product and step (read once per data version)."""
    return remember(db, "product event days", lambda: _read_event_days(db))
