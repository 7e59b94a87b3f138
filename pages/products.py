"""Products: revenue, units, attach rate and trend per product from the orders; view-to-cart
and view-to-purchase rates and the revenue lost between view and cart from event data."""

import streamlit as st

from ro_core.metrics.catalog import METRICS
from ro_ui import cached, fmt, views
from ro_ui.state import current_scope
from ro_ui.widgets import download_table, show_table

COLUMNS = {
    "product": ("Product", "text"),
    "revenue": (METRICS["revenue"].short_label, "money"),
    "revenue_share": ("Share of revenue", "rate"),
    "units": ("Units", "count"),
    "orders": (METRICS["orders"].short_label, "count"),
    "avg_price": ("Average price", "money"),
    "avg_discount": ("Average discount", "rate"),
    "attach_rate": (METRICS["attach_rate"].short_label, "rate"),
    "revenue_change": ("Revenue change", "change"),
    "views": ("Viewing sessions", "count"),
    "add_to_cart_rate": (METRICS["add_to_cart_rate"].short_label, "rate"),
    "purchase_rate": (METRICS["purchase_rate"].short_label, "rate"),
    "lost_view_to_cart": ("Lost between view and cart", "money"),
}
TOP_LOSSES = 10

db = cached.database()
scope = current_scope()
views.header("Products", scope)

if views.has_data(db, key="products"):
    table = cached.products(db, scope)
    for note in table.notes:
        st.caption(fmt.md_escape(note))
    frame = table.frame
    if frame.empty:
        st.info("No products in this period.", icon=":material/info:")
    else:
        shown = [c for c in COLUMNS if c in frame and frame[c].notna().any()]
        show_table(
            frame[shown],
            key="products_table",
            kinds={c: COLUMNS[c][1] for c in shown},
            labels={c: COLUMNS[c][0] for c in shown},
            currency=scope.currency,
        )
        download_table(frame, "products.csv", key="download_products")
        if table.has_events:
            st.subheader("Losing the most between view and cart")
            losses = frame[frame["lost_rank"].notna()].sort_values("lost_rank").head(TOP_LOSSES)
            if losses.empty:
                st.caption("No product with enough views falls behind the median add-to-cart rate.")
            else:
                columns = ["product", "views", "add_to_cart_rate", "lost_view_to_cart"]
                show_table(
                    losses[columns],
                    key="products_losses",
                    kinds={c: COLUMNS[c][1] for c in columns},
                    labels={c: COLUMNS[c][0] for c in columns},
                    currency=scope.currency,
                )
