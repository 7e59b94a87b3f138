"""Fixtures for the RO-loop tests: the small synthetic Shopify store of tests/metrics, with a
channel breakdown of traffic whose name is an HTML snippet (to check escaping)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ro_core.ingest.pipeline import ingest_file
from ro_core.store import schema
from ro_core.store.db import Database
from tests.metrics.conftest import (
    STORE_ORDERS,
    STORE_TRAFFIC_DAYS,
    insert_canonical,
    traffic_row,
    write_shopify_orders,
)

HOSTILE = "<script>alert(1)</script>"
# The week the small store's tests look at (Monday 2024-03-04 .. Sunday 2024-03-10).
WEEK = (date(2024, 3, 4), date(2024, 3, 10))


def load_store(db: Database, folder: Path) -> Database:
    """Orders through the real Shopify importer, daily store traffic (1,000 sessions, 800
    visitors, 100 reaching the cart and 60 the checkout a day, 2024-02-26 .. 2024-03-17) and a
    complete channel breakdown: 'email' 600 sessions with 60 converted a day, and a channel named
    HOSTILE with 400 sessions and 10 converted a day (enough sample for email to be HOSTILE's
    benchmark opportunity)."""
    ingest_file(db, write_shopify_orders(folder / "orders_export.csv", STORE_ORDERS))
    rows = [
        traffic_row(d, sessions=1000.0, visitors=800.0, cart_sessions=100.0, checkout_sessions=60.0)
        for d in STORE_TRAFFIC_DAYS
    ]
    for day in STORE_TRAFFIC_DAYS:
        rows.append(traffic_row(day, channel="email", sessions=600.0, converted_sessions=60.0))
        rows.append(traffic_row(day, channel=HOSTILE, sessions=400.0, converted_sessions=10.0))
    insert_canonical(db, schema.KIND_TRAFFIC, rows, file_format="shopify_analytics")
    return db


@pytest.fixture
def store(db: Database, tmp_path: Path) -> Database:
    """The small synthetic store of :func:`load_store` in the test's database."""
    return load_store(db, tmp_path)


def days(start: date, count: int) -> list[date]:
    """`count` consecutive days from `start`."""
    return [start + timedelta(days=i) for i in range(count)]
