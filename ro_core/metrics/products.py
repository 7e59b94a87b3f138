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
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ro_core.metrics._sql import filtered_orders_sql
from ro_core.metrics.scope import Scope
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


def _order_products(db: Database, scope: Scope, period) -> pd.DataFrame:
    orders_sql, params = filtered_orders_sql(scope.filters, period)
    return db.fetch_df(
        f"""WITH f AS ({orders_sql}),
        l AS (
            SELECT l.order_id, coalesce(l.product, l.sku, 'unknown') AS product, l.sku,
                   coalesce(l.quantity, 0) AS units,
                   CAST(coalesce(l.price, 0) * coalesce(l.quantity, 0) AS DOUBLE) AS gross,
                   CAST(coalesce(l.discount, 0) AS DOUBLE) AS discount
            FROM {schema.ORDER_LINES} l JOIN f ON f.order_id = l.order_id),
        per_order AS (SELECT order_id, count(DISTINCT product) AS products FROM l GROUP BY 1)
        SELECT l.product, any_value(l.sku) AS sku, sum(l.units) AS units,
               sum(l.gross - l.discount) AS revenue, sum(l.gross) AS gross,
               sum(l.discount) AS discount, count(DISTINCT l.order_id) AS orders,
               count(DISTINCT l.order_id) FILTER (WHERE p.products > 1) AS with_others
        FROM l JOIN per_order p ON p.order_id = l.order_id
        GROUP BY l.product""",
        params,
    )


def _event_products(db: Database, period) -> pd.DataFrame:
    # Sessions per product and step, as distinct session ids: one pass groups the events by
    # product and session, a second counts the sessions (over a year of 5M events 3-5x faster
    # than three count(DISTINCT ...) per product, and plain SQL on any engine).
    return db.fetch_df(
        f"""SELECT product_id,
               count(CASE WHEN viewed > 0 THEN session_id END) AS views,
               count(CASE WHEN carted > 0 THEN session_id END) AS cart_sessions,
               count(CASE WHEN purchased > 0 THEN session_id END) AS purchase_sessions,
               CAST(coalesce(sum(revenue), 0) AS DOUBLE) AS event_revenue
        FROM (
            SELECT product_id, session_id,
                   count(CASE WHEN event_type = 'view' THEN 1 END) AS viewed,
                   count(CASE WHEN event_type = 'cart' THEN 1 END) AS carted,
                   count(CASE WHEN event_type = 'purchase' THEN 1 END) AS purchased,
                   sum(CASE WHEN event_type = 'purchase' THEN revenue END) AS revenue
            FROM {schema.EVENTS}
            WHERE local_date BETWEEN ? AND ? AND product_id IS NOT NULL
            GROUP BY product_id, session_id
        ) per_session
        GROUP BY 1""",
        [period.start, period.end],
    )


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


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
        before = _order_products(db, scope, scope.comparison).set_index("product")["revenue"]
        base = frame["product"].map(before)
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
