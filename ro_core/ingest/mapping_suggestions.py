"""The mapping form's first guess: which canonical field each header column of an unknown
layout probably holds, from its name."""

from __future__ import annotations

import re

from ro_core.ingest.base import normalise_header_name
from ro_core.ingest.formats.mapped_fields import TRAFFIC_FIELDS, TRAFFIC_ONLY
from ro_core.store import schema

# Normalised header name (lower case, non-alphanumerics as '_') -> field, tried in order.
_EXACT: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id", "order_number", "order_no", "order", "id", "order_ref", "name"),
    "created_at": (
        "created_at",
        "order_date",
        "order_purchase_timestamp",
        "purchase_date",
        "date_created",
        "created",
        "order_created_at",
        "order_time",
        "timestamp",
        "date",
        "day",
    ),
    "total": (
        "total",
        "order_total",
        "total_price",
        "grand_total",
        "payment_value",
        "amount",
        "order_amount",
        "total_amount",
        "order_total_amount",
    ),
    "subtotal": ("subtotal", "order_subtotal", "subtotal_price", "net_sales"),
    "shipping": ("shipping", "freight_value", "freight", "shipping_cost", "shipping_amount"),
    "tax": ("tax", "taxes", "total_tax", "tax_amount", "vat"),
    "discounts": ("discounts", "discount_amount", "total_discounts", "cart_discount"),
    "refunded": ("refunded", "refunded_amount", "refund_amount", "order_refund"),
    "currency": ("currency", "order_currency", "currency_code"),
    "financial_status": (
        "financial_status",
        "status",
        "order_status",
        "payment_status",
        "state",
    ),
    "fulfillment_status": ("fulfillment_status", "fulfilment_status", "delivery_status"),
    "customer_key": (
        "customer_key",
        "customer_id",
        "customer_email",
        "email",
        "billing_email",
        "customer_unique_id",
        "user_id",
        "customer",
    ),
    "customer_type": ("customer_type", "new_or_returning", "new_vs_returning"),
    "country": ("country", "shipping_country", "billing_country", "country_code"),
    "source": ("source", "source_name", "sales_channel", "utm_source"),
    "discount_code": ("discount_code", "coupon", "coupon_code", "coupons", "promo_code"),
    "item_quantity": ("item_quantity", "items", "items_sold", "units", "total_items"),
    "line_number": ("line_number", "line_no", "line", "order_item_id", "item_number", "position"),
    "product": ("product", "product_id", "product_name", "item_name", "lineitem_name", "title"),
    "sku": ("sku", "lineitem_sku", "variant_sku"),
    "vendor": ("vendor", "brand", "seller", "seller_id", "supplier"),
    "quantity": ("quantity", "qty", "lineitem_quantity"),
    "price": ("price", "unit_price", "item_price", "lineitem_price"),
    "discount": ("discount", "line_discount", "lineitem_discount", "item_discount"),
    "period_start": ("period_start", "week", "month", "date_range_start", "start_date"),
    "period_end": ("period_end", "end_date", "date_range_end"),
    "sessions": ("sessions", "visits", "online_store_sessions"),
    "visitors": ("visitors", "users", "total_users", "unique_visitors", "online_store_visitors"),
    "new_visitors": ("new_visitors", "new_users"),
    "engaged_sessions": ("engaged_sessions",),
    "cart_sessions": ("cart_sessions", "sessions_with_cart_additions", "added_to_cart"),
    "checkout_sessions": (
        "checkout_sessions",
        "sessions_that_reached_checkout",
        "reached_checkout",
    ),
    "converted_sessions": ("converted_sessions", "sessions_that_completed_checkout"),
    "orders": ("orders", "transactions", "purchases", "conversions"),
    "revenue": ("revenue", "total_revenue", "purchase_revenue", "sales"),
    "device": ("device", "device_type", "device_category"),
    "referrer": ("referrer", "referrer_name", "session_source"),
    "landing_page": ("landing_page", "landing_page_path"),
    "region": ("region", "state", "province"),
}
_CONTAINS: dict[str, tuple[str, ...]] = {
    "created_at": ("purchase_timestamp", "created_at", "order_date", "date_created"),
    "total": ("order_total", "total_price", "payment_value", "grand_total"),
    "customer_key": ("customer_email", "customer_id", "billing_email"),
    "financial_status": ("order_status", "financial_status", "payment_status"),
    "product": ("product_name", "item_name", "product_id"),
    "quantity": ("quantity", "qty"),
    "sessions": ("sessions",),
}


def _normalise(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", normalise_header_name(name).lower()).strip("_")


def suggest_mapping(header: list[str]) -> dict[str, str]:
    """Guess a column mapping (header column -> field) from column names, for the mapping form.

    Each field is suggested for at most one column; the guess always forms a valid combination
    of fields (traffic fields are dropped when an order id is found, and a date column is
    offered as ``period_start`` in a traffic file).
    """
    names = [(h, _normalise(h)) for h in header]
    chosen: dict[str, str] = {}  # field -> header
    taken: set[str] = set()
    for field, candidates in _EXACT.items():
        for candidate in candidates:
            hit = next((h for h, n in names if n == candidate and h not in taken), None)
            if hit is not None and field not in chosen:
                chosen[field] = hit
                taken.add(hit)
                break
    for field, fragments in _CONTAINS.items():
        if field in chosen:
            continue
        hit = next((h for h, n in names if h not in taken and any(f in n for f in fragments)), None)
        if hit is not None:
            chosen[field] = hit
            taken.add(hit)
    fields = set(chosen)
    measures = fields & set(schema.TRAFFIC_MEASURES)
    if "order_id" in fields:
        for field in list(chosen):
            if field in TRAFFIC_ONLY:
                del chosen[field]
    elif measures:
        date_header = chosen.pop("created_at", None)
        if date_header is not None and "period_start" not in chosen:
            chosen["period_start"] = date_header
        for field in list(chosen):
            if field not in TRAFFIC_FIELDS:
                del chosen[field]
    else:
        return {}
    return {header_name: field for field, header_name in chosen.items()}
