"""The product table's sums per store-local day, read a calendar month at a time and kept per data
version, so that a period adds up days already read (the direct queries re-read a year of order
lines and events for each period). A period reads only the months it needs that are not kept
yet, one statement per run of such months.

Order lines: per (day, product) units, list value and line discounts (exact, in cents), orders
and orders holding that product alone, for the orders the filters keep. An order has one day,
so its distinct orders per product and day add up over days.

Events: sessions per (day, product, step) for the steps view, cart and purchase. A session
counts once per product and step over a period: a period (a run of days) holds a run of the
session's own days with such events, so its days there minus its pairs of consecutive days
there is 1 when it has any and 0 otherwise. Each month keeps, besides the per-day counts, its
sessions' pairs of consecutive days inside the month (a session across midnight); the pairs
from one month into a later one are read once per data version for the few sessions with
events in two months. Besides those: purchase revenue per (day, product) and the products with
other events (remove_from_cart, events without a session) per day, so a product with only
those is still listed.

A month's products are numbered by the statement that read it (several months read together
share one numbering); a period adds up within each numbering in NumPy, then joins the
numberings by product text (the month machinery: ro_core.metrics.month_rollup). The local DuckDB file only: with a store engine the table keeps
its direct queries (the rollup's rows would travel).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ro_core.metrics._sql import filtered_orders_sql, orders_span
from ro_core.metrics.event_days import event_days
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.month_rollup import (
    ByDay,
    as_texts,
    by_month,
    clip,
    day_number,
    frozen,
    join_numberings,
    month_runs,
    month_values,
    months_between,
    sums_by_code,
)
from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import remember
from ro_core.store import schema
from ro_core.store.db import Database

STEPS: tuple[str, ...] = ("view", "cart", "purchase")
"""Event types counted as sessions per product (in this order: views, carts, purchases)."""
_DAY = "CAST(local_date - DATE '1970-01-01' AS INTEGER)"
_IN_STEP = (
    "event_type IN ('view', 'cart', 'purchase') AND session_id IS NOT NULL "
    "AND product_id IS NOT NULL"
)
_STEP_CODE = "CAST(CASE event_type WHEN 'view' THEN 0 WHEN 'cart' THEN 1 ELSE 2 END AS TINYINT)"
# the event products of the days read, numbered in text order (the same in each statement of
# one snapshot)
_CODES = f"""codes AS (
    SELECT product_id, CAST(row_number() OVER (ORDER BY product_id) - 1 AS INTEGER) AS code
    FROM (SELECT DISTINCT product_id FROM {schema.EVENTS}
          WHERE product_id IS NOT NULL AND local_date BETWEEN ? AND ?))"""


def uses_rollup(db: Database) -> bool:
    """Whether the product table adds up the rollups (the local DuckDB file) or runs its direct
    queries (a store engine serves the tables)."""
    return db.store_engine is None


# --- order lines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _OrderMonth:
    """The order lines of one month, per (day, product)."""

    products: np.ndarray  # product texts of the statement that read it (shared by its months)
    skus: np.ndarray  # SKU texts in text order (shared); a row's sku is an index, len for none
    rows: ByDay  # code, sku, units, gross_cents, discount_cents, orders, alone


_ORDER_SUMS = ("units", "gross_cents", "discount_cents", "orders", "alone")


def _groups(months: list[Any]) -> list[list[Any]]:
    """The months grouped by the statement that read them (they share its numbering)."""
    groups: dict[int, list[Any]] = {}
    for month in months:
        groups.setdefault(id(month.products), []).append(month)
    return list(groups.values())


def _order_table(months: list[_OrderMonth], period: DateRange) -> pd.DataFrame:
    """product, sku, units, revenue, gross, discount, orders, with_others over `period`."""
    parts, sums, skus = [], [], []
    for group in _groups(months):
        size = len(group[0].products)
        total = {name: np.zeros(size, dtype=np.int64) for name in _ORDER_SUMS}
        present = np.zeros(size, dtype=bool)
        least = np.full(size, len(group[0].skus), dtype=np.int64)
        for month in group:
            r = month.rows.between(period)
            present[r["code"]] = True
            # the least SKU text of the product's rows: one of its SKUs in the period (the
            # direct query takes any of them)
            np.minimum.at(least, r["code"], r["sku"])
            for name in _ORDER_SUMS:
                total[name] += sums_by_code(r["code"], r[name], size)
        parts.append((group[0].products, present))
        sums.append({name: values[present] for name, values in total.items()})
        skus.append(np.append(group[0].skus, None)[least[present]])
    codes, texts = join_numberings(parts)
    size = len(texts)
    total = {name: np.zeros(size, dtype=np.int64) for name in _ORDER_SUMS}
    for part_codes, part in zip(codes, sums, strict=True):
        for name in _ORDER_SUMS:
            total[name] += sums_by_code(part_codes, part[name], size)
    chosen = np.full(size, None, dtype=object)
    if size:
        found = pd.DataFrame({"code": np.concatenate(codes), "sku": np.concatenate(skus)})
        least_text = found.dropna().groupby("code")["sku"].min()
        chosen[least_text.index.to_numpy()] = least_text.to_numpy(dtype=object)
    gross, discount, orders = total["gross_cents"], total["discount_cents"], total["orders"]
    return pd.DataFrame(
        {
            "product": as_texts(texts),
            "sku": as_texts(chosen),
            "units": total["units"].astype(float),
            "revenue": (gross - discount) / 100,
            "gross": gross / 100,
            "discount": discount / 100,
            "orders": orders,
            "with_others": orders - total["alone"],
        }
    )


def _read_order_run(db: Database, filters: OrderFilters, run: DateRange) -> dict[date, Any]:
    orders_sql, params = filtered_orders_sql(filters, run)
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
            FROM {schema.ORDER_LINES} l JOIN f ON f.order_id = l.order_id),
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
    codes, products = pd.factorize(frame["product"])
    sku_codes, skus = pd.factorize(frame["sku"], sort=True)  # sorted: the least text first
    products = frozen(np.asarray(products, dtype=object))
    skus = frozen(np.asarray(skus, dtype=object))
    columns = {"code": codes.astype(np.int32),
               "sku": np.where(sku_codes < 0, len(skus), sku_codes).astype(np.int64)}  # fmt: skip
    columns |= {name: frame[name].to_numpy(np.int64) for name in _ORDER_SUMS}
    split = by_month(run, frame["day"].to_numpy(np.int32), columns)
    return {month: _OrderMonth(products, skus, rows) for month, rows in split.items()}


def order_products(db: Database, filters: OrderFilters, period: DateRange) -> pd.DataFrame:
    """What the direct query gives for `period` under `filters`: product, sku, units, revenue,
    gross, discount, orders, with_others (one row per product with lines in it). Months are
    kept per data version and order filters (the traffic source, the revenue basis and the
    online channels do not change them)."""
    key = replace(filters, traffic_source=None, revenue_basis="total", online_channels=None)
    first, last = orders_span(db)
    if first is not None and key.utc_offset_minutes is not None:
        # a date at another offset is up to two days from the exported one (-14h vs +14h)
        first, last = first - timedelta(days=2), last + timedelta(days=2)
    months = month_values(db, ("product order month", key), clip(period, first, last),
                           lambda run: _read_order_run(db, key, run))  # fmt: skip
    return _order_table(months, period)


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EventMonth:
    """The events of one month, per (day, product)."""

    products: np.ndarray  # event product ids of the statement that read it (shared)
    # slot (code x 3 + step: 0 view, 1 cart, 2 purchase), n (sessions with such an event that
    # day; left out when every row has 1)
    steps: ByDay
    pairs: dict[str, np.ndarray]  # day, next_day, slot, n: sessions with events on both days
    others: ByDay  # code, cents: purchase revenue; a row = the product has events that day


def _inside(pairs: dict[str, np.ndarray], period: DateRange) -> np.ndarray:
    return (pairs["day"] >= day_number(period.start)) & (
        pairs["next_day"] <= day_number(period.end)
    )


def _event_table(
    months: list[_EventMonth], across: pd.DataFrame, period: DateRange
) -> pd.DataFrame:
    """product_id, views, cart_sessions, purchase_sessions, event_revenue over `period`;
    `across`: the pairs of days of sessions from one month into another."""
    parts, counts, cents = [], [], []
    for group in _groups(months):
        size = len(group[0].products)
        total = np.zeros(size * len(STEPS), dtype=np.int64)
        revenue = np.zeros(size, dtype=np.int64)
        listed = np.zeros(size, dtype=bool)
        for month in group:
            s = month.steps.between(period)
            total += sums_by_code(s["slot"], s.get("n"), size * len(STEPS))
            inside = _inside(month.pairs, period)
            if inside.any():
                total -= sums_by_code(
                    month.pairs["slot"][inside], month.pairs["n"][inside], total.size
                )
            o = month.others.between(period)
            listed[o["code"]] = True
            revenue += sums_by_code(o["code"], o["cents"], size)
        total = total.reshape(size, len(STEPS))
        # a product with a session's event in the period counts that session at least once
        present = listed | total.any(axis=1)
        parts.append((group[0].products, present))
        counts.append(total[present])
        cents.append(revenue[present])
    codes, texts = join_numberings(parts)
    size = len(texts)
    total = np.zeros((size, len(STEPS)), dtype=np.int64)
    revenue = np.zeros(size, dtype=np.int64)
    for part_codes, part_counts, part_cents in zip(codes, counts, cents, strict=True):
        total[part_codes] += part_counts  # one row per product within a numbering
        revenue[part_codes] += part_cents
    inside = across[(across["day"] >= day_number(period.start))
                    & (across["next_day"] <= day_number(period.end))]  # fmt: skip
    if len(inside):
        # both days lie in the period, so the product is listed
        at = pd.Index(texts).get_indexer(inside["product_id"])
        np.subtract.at(total, (at, inside["step"].to_numpy()), inside["n"].to_numpy())
    return pd.DataFrame(
        {
            "product_id": as_texts(texts),
            "views": total[:, 0],
            "cart_sessions": total[:, 1],
            "purchase_sessions": total[:, 2],
            "event_revenue": revenue / 100,
        }
    )


def _read_event_run(db: Database, run: DateRange) -> dict[date, Any]:
    days = [run.start, run.end]
    with db.cursor() as cur:
        # one snapshot for the three statements (the product numbering must agree)
        cur.execute("BEGIN TRANSACTION")
        try:
            products = cur.execute(
                f"WITH {_CODES} SELECT product_id FROM codes ORDER BY code", days
            ).fetchnumpy()["product_id"]
            # per product, step and session its first and last day: one day (most) adds 1 to
            # that day; several (across midnight) 1 to each of its days, and a pair for each
            # two consecutive ones (consecutive in the run: in the store too)
            steps = cur.execute(
                f"""WITH {_CODES},
                g AS MATERIALIZED (
                    SELECT product_id, event_type, session_id,
                           min(local_date) AS d0, max(local_date) AS d1
                    FROM {schema.EVENTS} WHERE {_IN_STEP} AND local_date BETWEEN ? AND ?
                    GROUP BY product_id, event_type, session_id),
                spans AS (
                    SELECT DISTINCT e.local_date, e.product_id, e.event_type, e.session_id
                    FROM {schema.EVENTS} e
                    JOIN (SELECT product_id, event_type, session_id FROM g WHERE d0 < d1) m
                      ON e.product_id = m.product_id AND e.event_type = m.event_type
                     AND e.session_id = m.session_id
                    WHERE e.local_date BETWEEN ? AND ?),
                days AS (
                    SELECT d0 AS local_date, NULL::DATE AS next_day, product_id, event_type
                    FROM g WHERE d0 = d1
                    UNION ALL
                    SELECT local_date, NULL::DATE, product_id, event_type FROM spans
                    UNION ALL
                    SELECT local_date, next_day, product_id, event_type
                    FROM (SELECT local_date, product_id, event_type,
                                 lead(local_date) OVER (PARTITION BY product_id, event_type,
                                     session_id ORDER BY local_date) AS next_day
                          FROM spans) s
                    WHERE next_day IS NOT NULL),
                -- numbered before they are counted: grouping by numbers, not texts, is faster
                slots AS (
                    SELECT {_DAY} AS day,
                           coalesce(CAST(next_day - DATE '1970-01-01' AS INTEGER), -1)
                               AS next_day,
                           c.code * {len(STEPS)} + {_STEP_CODE} AS slot
                    FROM days d JOIN codes c ON c.product_id = d.product_id)
                SELECT day, next_day, CAST(slot AS INTEGER) AS slot, CAST(count(*) AS INTEGER) AS n
                FROM slots GROUP BY day, next_day, slot""",
                days * 3,
            ).fetchnumpy()
            # purchases (revenue), other types and events without a session (the product is
            # listed); views and carts with a session are in `steps`
            others = cur.execute(
                f"""WITH {_CODES}
                SELECT {_DAY} AS day, c.code,
                       CAST(coalesce(sum(CASE WHEN e.event_type = 'purchase'
                                              THEN e.revenue END), 0) * 100 AS BIGINT) AS cents
                FROM {schema.EVENTS} e JOIN codes c ON c.product_id = e.product_id
                WHERE (e.event_type NOT IN ('view', 'cart') OR e.session_id IS NULL)
                  AND e.local_date BETWEEN ? AND ?
                GROUP BY local_date, c.code""",
                days + days,
            ).fetchnumpy()
        finally:
            cur.execute("ROLLBACK")
    products = frozen(np.asarray(products, dtype=object))
    slot = steps["slot"]
    one = steps["next_day"] < 0
    # a month keeps the pairs inside it; those from one month into another: `_read_across`
    months = np.asarray(steps["day"], dtype="datetime64[D]").astype("datetime64[M]")
    ahead = np.asarray(steps["next_day"], dtype="datetime64[D]").astype("datetime64[M]")
    pair = ~one & (months == ahead)
    n = steps["n"][one]
    per_day = {"slot": slot[one]} if bool((n == 1).all()) else {"slot": slot[one], "n": n}
    split_steps = by_month(run, steps["day"][one], per_day)
    pairs = {"day": steps["day"][pair], "next_day": steps["next_day"][pair],
             "slot": slot[pair], "n": steps["n"][pair]}  # fmt: skip
    split_pairs = by_month(run, pairs["day"], pairs)
    split_others = by_month(run, others["day"], {"code": others["code"], "cents": others["cents"]})
    return {
        month: _EventMonth(products, rows, split_pairs[month].columns, split_others[month])
        for month, rows in split_steps.items()
    }


_NO_PAIRS = pd.DataFrame(
    {"day": np.array([], np.int32), "next_day": np.array([], np.int32),
     "product_id": np.array([], object), "step": np.array([], np.int8),
     "n": np.array([], np.int64)}
)  # fmt: skip


def _read_across(db: Database, window: DateRange) -> pd.DataFrame:
    """The pairs of consecutive days of a session's events of one product and step in two
    months of `window` (a run of months: consecutive in it is consecutive in the store). Read
    for the sessions with such events in two of its months: few."""
    days = [window.start, window.end]
    return db.fetch_df(
        f"""WITH x AS (
            SELECT session_id FROM {schema.EVENTS}
            WHERE {_IN_STEP} AND local_date BETWEEN ? AND ?
            GROUP BY session_id
            HAVING date_trunc('month', min(local_date)) < date_trunc('month', max(local_date))),
        spans AS (  -- a join: "IN (SELECT ...)" took four times as long
            SELECT DISTINCT e.local_date, e.product_id, e.event_type, e.session_id
            FROM {schema.EVENTS} e JOIN x ON x.session_id = e.session_id
            WHERE e.event_type IN ('view', 'cart', 'purchase') AND e.product_id IS NOT NULL
              AND e.local_date BETWEEN ? AND ?),
        pairs AS (
            SELECT local_date, product_id, event_type,
                   lead(local_date) OVER (PARTITION BY product_id, event_type, session_id
                                          ORDER BY local_date) AS next_day
            FROM spans)
        SELECT {_DAY} AS day, CAST(next_day - DATE '1970-01-01' AS INTEGER) AS next_day,
               product_id, {_STEP_CODE} AS step, count(*) AS n
        FROM pairs
        WHERE date_trunc('month', next_day) > date_trunc('month', local_date)
        GROUP BY local_date, next_day, product_id, event_type""",
        days + days,
    )


def event_products(db: Database, period: DateRange) -> pd.DataFrame:
    """What the direct query gives for `period`: product_id, views, cart_sessions,
    purchase_sessions, event_revenue (one row per product with events in it). Months are kept
    per data version."""
    known = event_days(db).days
    clipped = clip(period, known[0], known[-1]) if known else None
    months = month_values(db, "product event month", clipped,
                           lambda run: _read_event_run(db, run))  # fmt: skip
    if clipped is None or clipped.start.replace(day=1) == clipped.end.replace(day=1):
        across = _NO_PAIRS  # none with both days in one month
    else:
        window = month_runs(months_between(clipped.start, clipped.end))[0]
        across = remember(db, ("product event pairs across months", window),
                          lambda: _read_across(db, window))  # fmt: skip
    return _event_table(months, across, period)
