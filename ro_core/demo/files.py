"""The demo exports' file names, headers and cell formats, and writing a file atomically.

Orders follow Shopify's orders export (money as ``12.34``, times as ``2025-01-15 14:03:09
-0500``, some empty cells quoted); the analytics reports quote text and leave numbers bare.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

ORDERS_FILE = "shopify_orders_export.csv"
SESSIONS_FILE = "shopify_sessions_over_time.csv"
BEHAVIOR_FILE = "shopify_customer_behavior.csv"
DEVICE_FILE = "shopify_sessions_by_device.csv"
REFERRER_FILE = "shopify_sessions_by_referrer.csv"
LANDING_FILE = "shopify_sessions_by_landing_page.csv"
EVENTS_FILE = "events.csv"
# Import order: orders, store totals, breakdowns, events.
DEMO_FILE_NAMES: tuple[str, ...] = (
    ORDERS_FILE,
    SESSIONS_FILE,
    BEHAVIOR_FILE,
    DEVICE_FILE,
    REFERRER_FILE,
    LANDING_FILE,
    EVENTS_FILE,
)

# The header of Shopify's orders export, exactly as Shopify writes it (79 columns).
SHOPIFY_ORDERS_HEADER: tuple[str, ...] = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount",
    "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags",
    "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name",
    "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name",
    "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
)  # fmt: skip
SESSIONS_HEADER = ("Day", "Online store visitors", "Sessions")
BEHAVIOR_HEADER = (
    "Day",
    "Sessions with cart additions",
    "Sessions that reached checkout",
    "Sessions that completed checkout",
)
# Breakdowns carry the checkout steps too (Shopify reports can add these metrics), so CR by
# device and by referrer can be computed, not only sessions.
DEVICE_HEADER = (
    "Day",
    "Session device type",
    "Online store visitors",
    "Sessions",
    *BEHAVIOR_HEADER[1:],
)
REFERRER_HEADER = (
    "Day",
    "Referrer source",
    "Referrer name",
    "Online store visitors",
    "Sessions",
    *BEHAVIOR_HEADER[1:],
)
# Shopify's "Sessions by landing page" report with its bounce rate (a fraction, like Shopify's
# other rate columns) and the checkout steps.
LANDING_HEADER = (
    "Day",
    "Landing page type",
    "Landing page path",
    "Sessions",
    "Bounce rate",
    *BEHAVIOR_HEADER[1:],
)
EVENTS_HEADER = (
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
)


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _shopify_time(moment: datetime) -> str:
    """'2025-01-15 14:03:09 -0500': store-local time with its offset."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


_QUOTED_EMPTY = object()  # Shopify writes some empty cells as "" and others as nothing


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if value is _QUOTED_EMPTY:
        return '""'
    text = value if isinstance(value, str) else str(value)
    if "," in text or '"' in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _analytics_cell(value: object) -> str:
    """Shopify Analytics style: text quoted, numbers bare, missing values empty."""
    if value is None:
        return ""
    if isinstance(value, int | np.integer):
        return str(int(value))
    return '"' + str(value).replace('"', '""') + '"'


def _write_text(path: Path, lines: Sequence[str]) -> None:
    """Write LF-terminated lines atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines))
        fh.write("\n")
    tmp.replace(path)
