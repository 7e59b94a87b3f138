"""The demo orders written as Shopify's 79-column orders export: one row per line item,
order-level fields only on an order's first row."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ro_core.demo.files import (
    _QUOTED_EMPTY,
    SHOPIFY_ORDERS_HEADER,
    _csv_cell,
    _money,
    _shopify_time,
)
from ro_core.demo.orders import _Demo
from ro_core.demo.store import _CATALOG, _REGIONS, SOURCE_DRAFT, SOURCE_POS


def _tokens(rng: np.random.Generator, count: int, length: int) -> list[str]:
    """Random payment-reference-like tokens (letters and digits)."""
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    chars = np.ascontiguousarray(alphabet[rng.integers(0, len(alphabet), size=(count, length))])
    return [str(t) for t in chars.view(f"<U{length}").ravel()] if count else []


def _order_rows(demo: _Demo, rng: np.random.Generator, tz: ZoneInfo) -> list[str]:
    """The orders export as CSV lines, header first."""
    n = len(demo.orders)
    end_of_data = datetime.combine(demo.days[-1], time(23, 59, 59), tzinfo=tz)
    paid_seconds = rng.integers(0, 4, size=n)
    draft_paid_minutes = rng.integers(2, 90, size=n)
    fulfil_minutes = rng.integers(180, 4320, size=n)
    payment_draw = rng.random(n)
    risk_draw = rng.random(n)
    payment_ids = _tokens(rng, n, 25)

    col = {name: i for i, name in enumerate(SHOPIFY_ORDERS_HEADER)}
    blank: list[object] = [None] * len(SHOPIFY_ORDERS_HEADER)
    out = [",".join(SHOPIFY_ORDERS_HEADER)]

    def later(moment: datetime, **delta: int) -> datetime:
        """A later moment with the offset in force then (it may cross a DST change)."""
        return (moment.astimezone(UTC) + timedelta(**delta)).astimezone(tz)

    for i, order in enumerate(demo.orders):
        customer = demo.customers[order.customer] if order.customer is not None else None
        region = _REGIONS[order.region]
        is_pos = order.source == SOURCE_POS
        is_draft = order.source == SOURCE_DRAFT
        paid = order.financial_status not in ("pending", "voided")
        if is_draft:
            paid_at = later(order.created, minutes=int(draft_paid_minutes[i]))
        else:
            paid_at = later(order.created, seconds=int(paid_seconds[i]))
        if is_pos:
            fulfilled_at = order.created
        elif not order.ships:  # gift cards only: delivered by email at once
            fulfilled_at = paid_at
        else:
            fulfilled_at = later(order.created, minutes=int(fulfil_minutes[i]))
        fulfilled = (
            order.cancelled_at is None
            and order.financial_status != "pending"
            and fulfilled_at <= end_of_data
        )
        if is_pos:
            payment_method = "Cash" if payment_draw[i] < 0.25 else "Shopify Payments"
        elif is_draft:
            payment_method = "manual"
        elif order.financial_status == "pending":
            payment_method = "Bank Deposit"
        elif payment_draw[i] < 0.18:
            payment_method = "PayPal Express Checkout"
        else:
            payment_method = "Shopify Payments"
        created_text = _shopify_time(order.created)
        email = customer.email if customer else None
        for line_no, (product_index, quantity) in enumerate(order.lines):
            product = _CATALOG[product_index]
            row = list(blank)
            row[col["Name"]] = order.name
            row[col["Email"]] = email
            row[col["Created at"]] = created_text
            row[col["Lineitem quantity"]] = quantity
            row[col["Lineitem name"]] = product.title
            row[col["Lineitem price"]] = _money(product.price)
            row[col["Lineitem requires shipping"]] = "false" if product.is_gift_card else "true"
            row[col["Lineitem taxable"]] = "false" if product.is_gift_card else "true"
            row[col["Lineitem fulfillment status"]] = "fulfilled" if fulfilled else "pending"
            row[col["Vendor"]] = product.vendor
            row[col["Lineitem discount"]] = "0.00"
            compare_at = _money(product.compare_at) if product.compare_at else None
            if line_no > 0:  # later rows: only the line's own fields, like Shopify
                row[col["Lineitem compare at price"]] = compare_at or _QUOTED_EMPTY
                row[col["Lineitem sku"]] = product.sku or _QUOTED_EMPTY
                out.append(",".join([_csv_cell(v) for v in row]))
                continue
            row[col["Lineitem compare at price"]] = compare_at
            row[col["Lineitem sku"]] = product.sku or None
            row[col["Financial Status"]] = order.financial_status
            row[col["Paid at"]] = _shopify_time(paid_at) if paid else None
            row[col["Fulfillment Status"]] = "fulfilled" if fulfilled else "unfulfilled"
            row[col["Fulfilled at"]] = _shopify_time(fulfilled_at) if fulfilled else None
            marketing = customer is not None and customer.accepts_marketing
            row[col["Accepts Marketing"]] = "yes" if marketing else "no"
            row[col["Currency"]] = "USD"
            row[col["Subtotal"]] = _money(order.subtotal)
            row[col["Shipping"]] = _money(order.shipping)
            row[col["Taxes"]] = _money(sum(cents for _, _, cents in order.tax_lines))
            row[col["Total"]] = _money(order.total)
            row[col["Discount Code"]] = order.discount_code or _QUOTED_EMPTY
            row[col["Discount Amount"]] = _money(order.discount)
            if is_pos or is_draft or not order.ships:
                row[col["Shipping Method"]] = _QUOTED_EMPTY
            elif order.express:
                row[col["Shipping Method"]] = "Express Shipping"
            elif region.country == "US":
                row[col["Shipping Method"]] = "Standard Shipping"
            else:
                row[col["Shipping Method"]] = "International Shipping"
            if customer is not None:
                home = _REGIONS[customer.region]
                for prefix in ("Billing", "Shipping"):
                    if prefix == "Shipping" and (is_pos or not order.ships):
                        continue
                    row[col[f"{prefix} Name"]] = f"{customer.first} {customer.last}"
                    row[col[f"{prefix} Street"]] = customer.street
                    row[col[f"{prefix} Address1"]] = customer.street
                    row[col[f"{prefix} City"]] = home.city
                    row[col[f"{prefix} Zip"]] = home.zip_code
                    row[col[f"{prefix} Province"]] = home.province or None
                    row[col[f"{prefix} Country"]] = home.country
                    row[col[f"{prefix} Province Name"]] = home.province_name or None
            row[col["Note Attributes"]] = _QUOTED_EMPTY
            if order.cancelled_at is not None:
                row[col["Cancelled at"]] = _shopify_time(order.cancelled_at)
            row[col["Payment Method"]] = payment_method
            row[col["Refunded Amount"]] = _money(order.refunded)
            pending = order.financial_status == "pending"
            row[col["Outstanding Balance"]] = _money(order.total if pending else 0)
            if is_pos or is_draft:
                row[col["Employee"]] = "Sam Okafor" if is_pos else "Dana Whitfield"
                row[col["Location"]] = "Brooklyn Roastery & Shop"
            if is_pos:
                row[col["Device ID"]] = "48213906"
                row[col["Receipt Number"]] = str(order.order_id % 10_000_000)
            row[col["Id"]] = order.order_id
            row[col["Tags"]] = "wholesale" if is_draft else _QUOTED_EMPTY
            risk = risk_draw[i]
            row[col["Risk Level"]] = "Low" if risk < 0.96 else "Medium" if risk < 0.995 else "High"
            row[col["Source"]] = order.source
            for t, (tax_name, rate, cents) in enumerate(order.tax_lines, start=1):
                row[col[f"Tax {t} Name"]] = f"{tax_name} {rate * 100:g}%"
                row[col[f"Tax {t} Value"]] = _money(cents)
            if is_draft and pending:
                row[col["Payment Terms Name"]] = "Net 30"
                row[col["Next Payment Due At"]] = _shopify_time(later(order.created, days=30))
            if paid:
                for name in ("Payment Reference", "Payment ID", "Payment References"):
                    row[col[name]] = payment_ids[i]
            out.append(",".join([_csv_cell(v) for v in row]))
    return out
