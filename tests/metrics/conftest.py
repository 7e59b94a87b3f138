"""Helpers for metrics tests: load small synthetic stores through the real pipeline, or insert
canonical rows directly (as an importer would stage them) and resolve them."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ro_core.store import resolve, schema
from ro_core.store.db import Database

SHOPIFY_ORDERS_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku",
    "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status",
    "Billing Name", "Billing Street", "Billing Address1", "Billing Address2", "Billing Company",
    "Billing City", "Billing Zip", "Billing Province", "Billing Country", "Billing Phone",
    "Shipping Name", "Shipping Street", "Shipping Address1", "Shipping Address2",
    "Shipping Company", "Shipping City", "Shipping Zip", "Shipping Province", "Shipping Country",
    "Shipping Phone", "Notes", "Note Attributes", "Cancelled at", "Payment Method",
    "Payment Reference", "Refunded Amount", "Vendor", "Outstanding Balance", "Employee",
    "Location", "Device ID", "Id", "Tags", "Risk Level", "Source", "Lineitem discount",
    "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value", "Tax 3 Name", "Tax 3 Value",
    "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value", "Phone", "Receipt Number",
    "Duties", "Billing Province Name", "Shipping Province Name", "Payment ID",
    "Payment Terms Name", "Next Payment Due At", "Payment References",
]  # fmt: skip


def shopify_order(
    name: str,
    created_at: str,
    total: str,
    *,
    subtotal: str | None = None,
    shipping: str = "0.00",
    taxes: str = "0.00",
    refunded: str = "0.00",
    financial_status: str = "paid",
    cancelled_at: str = "",
    source: str = "web",
    country: str = "US",
    email: str = "a@example.com",
    discount_code: str = "",
    tags: str = "",
    lines: Iterable[tuple[str, int, str]] = (("Widget", 1, "10.00"),),
    currency: str = "USD",
) -> list[dict[str, str]]:
    """Rows (one per line item) of one order in the Shopify orders export layout."""
    rows = []
    for i, (product, qty, price) in enumerate(lines):
        row = dict.fromkeys(SHOPIFY_ORDERS_HEADER, "")
        row.update(
            {"Name": name, "Lineitem name": product, "Lineitem quantity": str(qty),
             "Lineitem price": price, "Created at": created_at}
        )  # fmt: skip
        if i == 0:
            row.update(
                {
                    "Email": email,
                    "Financial Status": financial_status,
                    "Currency": currency,
                    "Subtotal": subtotal if subtotal is not None else total,
                    "Shipping": shipping,
                    "Taxes": taxes,
                    "Total": total,
                    "Discount Code": discount_code,
                    "Shipping Country": country,
                    "Cancelled at": cancelled_at,
                    "Refunded Amount": refunded,
                    "Id": str(int(hashlib.sha256(name.encode()).hexdigest()[:10], 16)),
                    "Tags": tags,
                    "Source": source,
                    "Payment Method": "Shopify Payments",
                }
            )
        rows.append(row)
    return rows


def write_shopify_orders(path: Path, orders: Iterable[list[dict[str, str]]]) -> Path:
    """Write orders (from shopify_order) as a Shopify orders export CSV."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=SHOPIFY_ORDERS_HEADER, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for order in orders:
            writer.writerows(order)
    return path


def insert_canonical(
    db: Database, kind: str, rows: list[dict[str, Any]], *, file_format: str = "mapped"
) -> int:
    """Insert canonical rows of one kind as a new import and resolve them; returns import_id.

    For traffic rows `dimensions` is filled from the dimension columns that are set.
    """
    columns = schema.column_names(kind)
    if kind == schema.KIND_TRAFFIC:
        for row in rows:
            row.setdefault(
                "dimensions",
                ",".join(sorted(d for d in schema.TRAFFIC_DIMENSIONS if row.get(d) is not None)),
            )
    digest = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()
    with db.transaction() as cur:
        import_id = cur.execute("SELECT nextval('import_id_seq')").fetchone()[0]
        cur.execute(
            f"""INSERT INTO {schema.IMPORTS} (import_id, file_name, file_sha256, file_size, format,
                kinds, rows_read, rows_loaded, rows_skipped, report_json)
            VALUES (?, ?, ?, 0, ?, ?, ?, ?, 0, '{{}}')""",
            [import_id, f"test-{kind}-{import_id}.csv", digest + str(import_id), file_format,
             kind, len(rows), len(rows)],
        )  # fmt: skip
        marks = ", ".join("?" for _ in range(len(columns) + 1))
        cur.executemany(
            f"INSERT INTO {schema.ROWS_TABLE[kind]} (import_id, {', '.join(columns)}) "
            f"VALUES ({marks})",
            [[import_id, *(row.get(c) for c in columns)] for row in rows],
        )
        resolve.refresh(cur, kind, import_id, removing=False)
        resolve.run_after_refresh(cur, {kind})
    return int(import_id)


def traffic_row(
    start: date,
    end: date | None = None,
    *,
    source: str = "shopify",
    grain: str = "day",
    **values: Any,
) -> dict[str, Any]:
    """One canonical traffic row (store totals unless a dimension column is given)."""
    if end is None:
        end = {"day": start, "week": start + timedelta(days=6)}.get(grain, start)
    return {"traffic_source": source, "grain": grain, "period_start": start, "period_end": end,
            **values}  # fmt: skip


def event_row(
    when: str, session: str, event_type: str, *, revenue: float | None = None, **values: Any
) -> dict[str, Any]:
    """One canonical event row; `when` like '2024-03-01 10:00:00+00'."""
    return {"event_time": when, "local_date": when[:10], "session_id": session,
            "event_type": event_type, "event_name": event_type, "revenue": revenue,
            **values}  # fmt: skip


@pytest.fixture
def load_orders(db: Database, tmp_path: Path):
    """Import a synthetic Shopify orders export through the real pipeline."""
    from ro_core.ingest.pipeline import ingest_file

    def _load(orders: Iterable[list[dict[str, str]]], name: str = "orders_export.csv"):
        path = write_shopify_orders(tmp_path / name, orders)
        return ingest_file(db, path)

    return _load


# --- a small synthetic Shopify store (Eastern time, spans the March 2024 daylight-saving change) --
# Week under test: Monday 2024-03-04 .. Sunday 2024-03-10 (clocks go forward on 2024-03-10).
DST_WEEK = (date(2024, 3, 4), date(2024, 3, 10))
STORE_ORDERS = [
    # counted, web
    shopify_order("#1001", "2024-03-04 10:00:00 -0500", "100.00", subtotal="90.00",
                  shipping="5.00", taxes="5.00", country="US", email="a@x.com"),
    # counted, web, partially refunded 20
    shopify_order("#1002", "2024-03-05 12:00:00 -0500", "50.00", subtotal="45.00",
                  shipping="5.00", refunded="20.00", financial_status="partially_refunded",
                  country="CA", email="b@x.com", discount_code="SPRING"),
    # cancelled and voided: out by default
    shopify_order("#1003", "2024-03-06 09:00:00 -0500", "80.00", financial_status="voided",
                  cancelled_at="2024-03-06 10:00:00 -0500", email="c@x.com"),
    # draft order: out by default (test/draft)
    shopify_order("#1004", "2024-03-07 15:00:00 -0500", "60.00", source="shopify_draft_order",
                  email="d@x.com"),
    # point of sale: counted in orders and revenue, not in CR/RPV
    shopify_order("#1005", "2024-03-08 11:00:00 -0500", "40.00", subtotal="40.00", source="pos",
                  email="e@x.com"),
    # voided without a cancel date: out by default
    shopify_order("#1008", "2024-03-09 13:00:00 -0500", "25.00", financial_status="voided",
                  email="f@x.com"),
    # test order (tag): out by default
    shopify_order("#1009", "2024-03-09 14:00:00 -0500", "35.00", tags="test", email="g@x.com"),
    # late evening on the DST Sunday: store-local 2024-03-10 (UTC already 2024-03-11)
    shopify_order("#1006", "2024-03-10 23:30:00 -0400", "30.00", subtotal="30.00",
                  country="US", email="a@x.com"),
    # next week
    shopify_order("#1007", "2024-03-11 00:30:00 -0400", "70.00", subtotal="60.00",
                  shipping="10.00", email="h@x.com"),
    shopify_order("#1010", "2024-03-12 10:00:00 -0400", "200.00", subtotal="200.00",
                  refunded="200.00", financial_status="refunded", email="i@x.com"),
    # the week before (previous period)
    shopify_order("#0990", "2024-02-27 10:00:00 -0500", "120.00", subtotal="110.00",
                  shipping="10.00", email="j@x.com"),
    shopify_order("#0991", "2024-03-01 18:00:00 -0500", "80.00", subtotal="80.00",
                  email="k@x.com"),
]  # fmt: skip
# Daily Shopify traffic 2024-02-26 .. 2024-03-17: 100 sessions and 80 visitors a day.
STORE_TRAFFIC_DAYS = [date(2024, 2, 26) + timedelta(days=i) for i in range(21)]


@pytest.fixture
def small_store(db: Database, load_orders) -> Database:
    """The synthetic store: orders through the real Shopify importer, daily traffic rows."""
    load_orders(STORE_ORDERS)
    insert_canonical(
        db,
        schema.KIND_TRAFFIC,
        [traffic_row(d, sessions=100.0, visitors=80.0) for d in STORE_TRAFFIC_DAYS],
        file_format="shopify_analytics",
    )
    return db
