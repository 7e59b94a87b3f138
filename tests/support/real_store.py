"""A store built from the real export files in ../shared/real-exports plus generated Shopify
orders that overlap them (the real files hold no orders of that store).

Orders: every day from 2023-04-09 (so 2023 starts late, as on the real store) to 2025-06-30,
6 to 11 web orders a day and a point-of-sale order every fifth day, in USD, through the real
Shopify importer; the forezia dev-store export adds 19 EUR draft orders. Traffic: the 2024
Shopify Analytics files (weekly sessions, customer behaviour, sessions by referrer and by social
referrer), the 2025 year-to-date customer behaviour, and the 2024 GA4 downloads.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from ro_core.ingest.pipeline import ingest_file
from ro_core.store.db import Database
from tests.metrics.conftest import shopify_order, write_shopify_orders

ORDERS_FIRST = date(2023, 4, 9)
ORDERS_LAST = date(2025, 6, 30)
SHOPIFY_FILES = (
    "Shopify 2024 - Visitors Over Time.csv",
    "Shopify 2024 - Customer behavior.csv",
    "Shopify 2024 - Sessions by referrer.csv",
    "Shopify 2024 - Sessions by social referrer.csv",
    "Shopify 2025 YTD - Customer behavior.csv",
)
GA4_FILES = (
    "GA Traffic_acquisition_Session_primary_channel_group_(Default_Channel_Group) 2024.csv",
)


def generated_orders(seed: int = 7) -> list[list[dict[str, str]]]:
    """The generated USD orders (rows in the Shopify export layout)."""
    rng = random.Random(seed)
    orders = []
    day = ORDERS_FIRST
    number = 10_000
    while day <= ORDERS_LAST:
        for k in range(rng.randint(6, 11) + (1 if day.day % 5 == 0 else 0)):
            number += 1
            hour, minute = rng.randint(8, 22), rng.randint(0, 59)
            total = f"{rng.randint(2_000, 20_000) / 100:.2f}"
            pos = day.day % 5 == 0 and k == 0
            orders.append(
                shopify_order(
                    f"#{number}",
                    f"{day} {hour:02d}:{minute:02d}:00 -0500",
                    total,
                    source="pos" if pos else "web",
                    email=f"c{rng.randint(1, 4_000)}@example.com",
                    country=rng.choice(("US", "US", "US", "CA", "GB")),
                )
            )
        day += timedelta(days=1)
    return orders


def build_real_store(db: Database, real_exports: Path, folder: Path) -> None:
    """Load the real files and the generated orders into `db` (see the module docstring)."""
    path = write_shopify_orders(folder / "orders_export.csv", generated_orders())
    ingest_file(db, path)
    ingest_file(db, real_exports / "shopify_orders" / "forezia_devstore_orders_export.csv")
    for name in SHOPIFY_FILES:
        ingest_file(db, real_exports / "shopify_analytics" / name)
    for name in GA4_FILES:
        ingest_file(db, real_exports / "ga4_exports" / name)
