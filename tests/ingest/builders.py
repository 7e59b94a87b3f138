"""Small synthetic Shopify orders exports for pipeline tests (header of the real 79-column export)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

SHOPIFY_HEADER = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Tax 2 Name",
    "Tax 2 Value",
    "Tax 3 Name",
    "Tax 3 Value",
    "Tax 4 Name",
    "Tax 4 Value",
    "Tax 5 Name",
    "Tax 5 Value",
    "Phone",
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
    "Payment ID",
    "Payment Terms Name",
    "Next Payment Due At",
    "Payment References",
]


def shopify_order_rows(
    number: int,
    created: str,
    total: str,
    *,
    lines: int = 2,
    status: str = "paid",
    refunded: str = "0.00",
    source: str = "web",
    cancelled_at: str = "",
    country: str = "US",
) -> list[dict[str, str]]:
    """Rows (first row with order fields, then line rows) of one order."""
    rows = []
    for i in range(lines):
        row = dict.fromkeys(SHOPIFY_HEADER, "")
        row.update(
            {
                "Name": f"#{number}",
                "Created at": created,
                "Lineitem quantity": "1",
                "Lineitem name": f"Product {i + 1}",
                "Lineitem price": "10.00",
            }
        )
        if i == 0:
            row.update(
                {
                    "Email": f"customer{number}@example.com",
                    "Financial Status": status,
                    "Currency": "USD",
                    "Subtotal": total,
                    "Shipping": "0.00",
                    "Taxes": "0.00",
                    "Total": total,
                    "Discount Amount": "0.00",
                    "Refunded Amount": refunded,
                    "Cancelled at": cancelled_at,
                    "Id": str(9000000 + number),
                    "Source": source,
                    "Shipping Country": country,
                }
            )
        rows.append(row)
    return rows


def write_shopify_export(path: Path, orders: list[list[dict[str, str]]]) -> Path:
    """Write orders (each a list of rows) as a Shopify orders export CSV."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SHOPIFY_HEADER, lineterminator="\n")
    writer.writeheader()
    for order in orders:
        writer.writerows(order)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
