"""Products: what each product sells and, with event data, where it loses shoppers.

From order lines of the orders that count (the scope's filters and period): units, product
revenue (line price x quantity minus line discount), share of product revenue, orders, average
price, average discount (share of the list value), how often it is bought with other products
(attach rate) and its revenue change against the comparison period.

From events (when the store has event-level data for the period): sessions that viewed it,
added it to the cart and bought it; add-to-cart rate (the product page click-through CRO talks
about) and purchase rate per view. A product is matched to its events by SKU or name; events
whose product matches no order line are listed under their product id. The revenue lost between
view and cart is an estimate: views x (the median add-to-cart rate of products with at least
MIN_VIEWS views - its own) x its purchases per cart x its revenue per purchase.

On the local DuckDB file every period is a sum over the days of per-day rollups read a month at
a time and kept per data version (``product_rollup``); with a store engine the direct queries
below run instead. Both give the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ro_core.metrics._sql import filtered_orders_sql
from ro_core.metrics.product_rollup import event_products, order_products, uses_rollup
from ro_core.metrics.scope import Scope
from ro_core.metrics.versioned import pins_version
from ro_core.store import schema
from ro_core.store.db import Database

MIN_VIEWS = 100
PRODUCT_COLUMNS = [
    "product",
    "units",
    "revenue",
    "revenue_share",
    "orders",
    "avg_price",
    "avg_discount",
    "attach_rate",
    "revenue_change",
    "views",
    "cart_sessions",
    "purchase_sessions",
    "add_to_cart_rate",
    "purchase_rate",
    "lost_view_to_cart",
    "lost_rank",
]


@dataclass(frozen=True)
class ProductTable:
    """One row per product (PRODUCT_COLUMNS) and notes on what the data could give.

    Columns: product; units, revenue (product sales), revenue_share, orders, avg_price (revenue
    per unit), avg_discount (line discounts / list value), attach_rate (share of its orders with
    other products), revenue_change (relative, against the comparison; None without one) from
    the orders; views, cart_sessions, purchase_sessions, add_to_cart_rate, purchase_rate (per
    view), lost_view_to_cart (money, estimate) and lost_rank from events (None without them).
    """

    frame: pd.DataFrame
    has_events: bool
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what `ro products --json` prints)."""
        return {"rows": self.frame, "has_events": self.has_events, "notes": list(self.notes)}


_LINES = f"""SELECT l.order_id, coalesce(l.product, l.sku, 'unknown') AS product, l.sku,
               coalesce(l.quantity, 0) AS units,
               CAST(coalesce(l.price, 0) * coalesce(l.quantity, 0) AS DOUBLE) AS gross,
               CAST(coalesce(l.discount, 0) AS DOUBLE) AS discount
        FROM {schema.ORDER_LINES} l JOIN f ON f.order_id = l.order_id"""


def _order_products(db: Database, scope: Scope, period) -> pd.DataFrame:
    if uses_rollup(db):
        return order_products(db, scope.filters, period)
    return _order_products_direct(db, scope, period)


def _order_products_direct(db: Database, scope: Scope, period) -> pd.DataFrame:
    # One join of the lines with the orders that count, then two groupings of it: by product
    # (sums and distinct orders) and by order (an order whose lines all have one product, the
    # least equal to the greatest, is its product's order without others). with_others is
    # orders minus those. Over a year of 2M lines about half the work of counting distinct
    # products per order and joining that back onto every line.
    orders_sql, params = filtered_orders_sql(scope.filters, period)
    return db.fetch_df(
        f"""WITH f AS ({orders_sql}),
        l AS ({_LINES}),
        alone AS (
            SELECT first_product AS product, count(*) AS orders
            FROM (SELECT order_id, min(product) AS first_product, max(product) AS last_product
                  FROM l GROUP BY order_id) per_order
            WHERE first_product = last_product
            GROUP BY first_product),
        per_product AS (
            SELECT product, any_value(sku) AS sku, sum(units) AS units,
                   sum(gross - discount) AS revenue, sum(gross) AS gross,
                   sum(discount) AS discount, count(DISTINCT order_id) AS orders
            FROM l GROUP BY product)
        SELECT p.product, p.sku, p.units, p.revenue, p.gross, p.discount, p.orders,
               p.orders - coalesce(a.orders, 0) AS with_others
        FROM per_product p LEFT JOIN alone a ON a.product = p.product""",
        params,
    )


def _order_revenue(db: Database, scope: Scope, period) -> pd.Series:
    """Product revenue per product over `period` (the comparison needs nothing else)."""
    if uses_rollup(db):
        return order_products(db, scope.filters, period).set_index("product")["revenue"]
    orders_sql, params = filtered_orders_sql(scope.filters, period)
    frame = db.fetch_df(
        f"""WITH f AS ({orders_sql}), l AS ({_LINES})
        SELECT product, sum(gross - discount) AS revenue FROM l GROUP BY product""",
        params,
    )
    return frame.set_index("product")["revenue"]


def _event_products(db: Database, period) -> pd.DataFrame:
    if uses_rollup(db):
        return event_products(db, period)
    return _event_products_direct(db, period)


def _event_products_direct(db: Database, period) -> pd.DataFrame:
    # Sessions per product and step, as distinct (product, step, session) rows counted per
    # product (other steps, e.g. remove_from_cart, collapse to one row per product with no
    # session: such a product is still listed); purchase revenue from the purchase events alone.
    # The distinct rows are most of the cost (one per event on a generated store); with no
    # aggregates beside them, 20-30% less CPU than grouping by product and session with a count
    # per step. Plain SQL on any engine.
    where = "local_date BETWEEN ? AND ? AND product_id IS NOT NULL"
    return db.fetch_df(
        f"""WITH steps AS (
            SELECT product_id,
                   count(CASE WHEN event_type = 'view' THEN session_id END) AS views,
                   count(CASE WHEN event_type = 'cart' THEN session_id END) AS cart_sessions,
                   count(CASE WHEN event_type = 'purchase' THEN session_id END)
                       AS purchase_sessions
            FROM (SELECT DISTINCT product_id, event_type,
                         CASE WHEN event_type IN ('view', 'cart', 'purchase') THEN session_id
                         END AS session_id
                  FROM {schema.EVENTS} WHERE {where}) d
            GROUP BY product_id),
        purchases AS (
            SELECT product_id, CAST(sum(revenue) AS DOUBLE) AS event_revenue
            FROM {schema.EVENTS} WHERE {where} AND event_type = 'purchase'
            GROUP BY product_id)
        SELECT s.product_id, s.views, s.cart_sessions, s.purchase_sessions,
               coalesce(p.event_revenue, 0) AS event_revenue
        FROM steps s LEFT JOIN purchases p ON p.product_id = s.product_id""",
        [period.start, period.end, period.start, period.end],
    )


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


@pins_version
def products(db: Database, scope: Scope) -> ProductTable:
    """The product table of the scope (see the module docstring), biggest revenue first, then
    (products only in events) most viewed first."""
    notes: list[str] = []
    if not scope.filters.segment_applies_to_orders:
        notes.append(
            f"The orders carry no {scope.filters.segment_name}: products are the whole store's."
        )
        scope = replace(scope, filters=scope.filters.without_segment())
    now = _order_products(db, scope, scope.period)
    frame = now.copy()
    total = float(frame["revenue"].sum()) if not frame.empty else 0.0
    frame["revenue_share"] = frame["revenue"] / total if total else None
    frame["avg_price"] = _ratio(frame["revenue"], frame["units"].astype(float))
    frame["avg_discount"] = _ratio(frame["discount"], frame["gross"])
    frame["attach_rate"] = _ratio(frame["with_others"].astype(float), frame["orders"].astype(float))
    frame["revenue_change"] = None
    if scope.comparison is not None:
        base = frame["product"].map(_order_revenue(db, scope, scope.comparison))
        frame["revenue_change"] = ((frame["revenue"] - base) / base.where(base > 0)).astype(float)
    if frame.empty:
        notes.append("No order lines in this period: import an orders export with line items.")
    events = _event_products(db, scope.period)
    has_events = not events.empty
    for column in PRODUCT_COLUMNS:
        if column not in frame:
            frame[column] = None
    if has_events:
        frame, events_note = _with_events(frame, events)
        notes.append(events_note)
    else:
        notes.append(
            "Views, add-to-cart and purchase rates per product need event-level data (a GA4 "
            "BigQuery export or a clickstream such as REES46): add one on the Data page."
        )
    # biggest revenue first; products known only from events by how often they were viewed
    frame = frame.sort_values(["revenue", "views"], ascending=False, na_position="last")
    return ProductTable(frame[PRODUCT_COLUMNS].reset_index(drop=True), has_events, tuple(notes))


def _with_events(frame: pd.DataFrame, events: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Join the events' funnel onto the products (by SKU, else name) and rank the losses."""
    by_sku = dict(zip(frame["sku"].astype(str), frame["product"], strict=True))
    names = set(frame["product"].astype(str))
    events = events.copy()
    events["product"] = [
        by_sku.get(str(pid)) or (str(pid) if str(pid) in names else f"product id {pid}")
        for pid in events["product_id"]
    ]
    matched = int(events["product"].isin(names).sum())
    measures = events.groupby("product")[["views", "cart_sessions", "purchase_sessions",
                                           "event_revenue"]].sum()  # fmt: skip
    frame = frame.drop(columns=["views", "cart_sessions", "purchase_sessions"]).merge(
        measures, left_on="product", right_index=True, how="outer"
    )
    frame["add_to_cart_rate"] = _ratio(frame["cart_sessions"], frame["views"])
    frame["purchase_rate"] = _ratio(frame["purchase_sessions"], frame["views"])
    sample = frame[frame["views"] >= MIN_VIEWS]["add_to_cart_rate"].dropna()
    benchmark = float(sample.median()) if len(sample) else None
    if benchmark is not None:
        per_cart = _ratio(frame["purchase_sessions"], frame["cart_sessions"]).fillna(0)
        per_purchase = _ratio(frame["event_revenue"], frame["purchase_sessions"]).fillna(
            frame["avg_price"]
        )
        gap = (benchmark - frame["add_to_cart_rate"]).clip(lower=0)
        lost = frame["views"] * gap * per_cart * per_purchase
        frame["lost_view_to_cart"] = lost.where(frame["views"] >= MIN_VIEWS)
        ranked = frame["lost_view_to_cart"].where(frame["lost_view_to_cart"] > 0)
        frame["lost_rank"] = ranked.rank(ascending=False, method="first")
    note = (
        f"Views and add-to-cart from events: {matched} of {len(events)} event products match "
        "an order line's SKU or name; the others are listed by product id. Revenue lost between "
        "view and cart is an estimate against the median add-to-cart rate"
        + (f" ({benchmark:.1%})" if benchmark is not None else "")
        + f" of products with {MIN_VIEWS}+ views."
    )
    return frame, note
