"""The demo store: a deterministic generator of realistic exports, and loading them as demo data.

The demo store (Northwind Roasters, a US coffee roaster selling beans, brewing gear and mugs
online, through an app channel and in its Brooklyn shop; time zone America/New_York, USD)
exports what a real store would upload:

- ``shopify_orders_export.csv``: the 79-column Shopify orders export, one row per line item,
  order-level fields only on an order's first row, ``Created at`` with the offset of the day
  (-0500 in winter, -0400 in summer). Money follows Shopify: ``Subtotal`` is the line items
  after the order's discount (sum of price x quantity minus ``Discount Amount``) and
  ``Total = Subtotal + Shipping + Taxes``.
- ``shopify_sessions_over_time.csv``, ``shopify_customer_behavior.csv``,
  ``shopify_sessions_by_device.csv``, ``shopify_sessions_by_referrer.csv``: Shopify Analytics
  exports at day grain that agree with the orders: "Sessions that completed checkout" on a day
  equals the web orders created that (store-local) day, and every breakdown sums to the store
  totals.
- ``events.csv``: event-level data in the public REES46 layout for the last 30 days: one
  session per analytics session, one purchase event per line of each web order at the order's
  own time, and some "Buy Now" purchases that have no cart event.

Everything comes from one seeded ``numpy`` generator: the same arguments write the same bytes.

This package holds the public API (``generate_demo_files``, ``demo_files``, ``load_demo``) and
re-exports the constants callers use. Its modules: ``store`` (time zone, year, channels,
catalogue, regions), ``files`` (file names, headers, cell formats), ``timeline`` (events,
seasons, daily demand, store-local times), ``orders`` (simulating the orders),
``orders_export`` (the orders export's rows), ``traffic`` (sessions, funnel and breakdowns) and
``events`` (the event-level export).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

from ro_core.demo.events import _event_lines
from ro_core.demo.files import (
    BEHAVIOR_FILE,
    BEHAVIOR_HEADER,
    DEMO_FILE_NAMES,
    DEVICE_FILE,
    DEVICE_HEADER,
    EVENTS_FILE,
    EVENTS_HEADER,
    LANDING_FILE,
    LANDING_HEADER,
    ORDERS_FILE,
    REFERRER_FILE,
    REFERRER_HEADER,
    SESSIONS_FILE,
    SESSIONS_HEADER,
    SHOPIFY_ORDERS_HEADER,
    _write_text,
)
from ro_core.demo.orders import _simulate_orders
from ro_core.demo.orders_export import _order_rows
from ro_core.demo.store import (
    DAYS,
    DEFAULT_SEED,
    END_DATE,
    EVENT_DAYS,
    EXPECTED_ORDERS_PER_YEAR,
    SOURCE_APP,
    SOURCE_DRAFT,
    SOURCE_POS,
    SOURCE_WEB,
    SOURCES,
    STORE_TIME_ZONE,
)
from ro_core.demo.traffic import _analytics_files, _landing_page_lines, _simulate_traffic
from ro_core.store.db import SAMPLE_DIR

if TYPE_CHECKING:
    from ro_core.ingest.import_report import ImportReport
    from ro_core.store.db import Database

__all__ = [
    "BEHAVIOR_FILE",
    "BEHAVIOR_HEADER",
    "DAYS",
    "DEFAULT_SEED",
    "DEMO_FILE_NAMES",
    "DEVICE_FILE",
    "DEVICE_HEADER",
    "END_DATE",
    "EVENTS_FILE",
    "EVENTS_HEADER",
    "EVENT_DAYS",
    "EXPECTED_ORDERS_PER_YEAR",
    "LANDING_FILE",
    "LANDING_HEADER",
    "ORDERS_FILE",
    "REFERRER_FILE",
    "REFERRER_HEADER",
    "SAMPLE_DIR",
    "SESSIONS_FILE",
    "SESSIONS_HEADER",
    "SHOPIFY_ORDERS_HEADER",
    "SOURCES",
    "SOURCE_APP",
    "SOURCE_DRAFT",
    "SOURCE_POS",
    "SOURCE_WEB",
    "STORE_TIME_ZONE",
    "demo_files",
    "generate_demo_files",
    "load_demo",
]


def generate_demo_files(
    target_dir: Path,
    seed: int = DEFAULT_SEED,
    *,
    days: int = DAYS,
    end_date: date = END_DATE,
    event_days: int = EVENT_DAYS,
) -> list[Path]:
    """Write the demo store's exports into target_dir; returns their paths in import order.

    Deterministic: the same arguments write the same bytes. ``days`` shortens the year (for
    quick tests); ``event_days`` is how many of the last days get events.
    """
    if days < 1 or event_days < 0:
        raise ValueError("days must be at least 1 and event_days at least 0.")
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    tz = ZoneInfo(STORE_TIME_ZONE)
    rng = np.random.Generator(np.random.PCG64(seed))
    day_list = [end_date - timedelta(days=days - 1 - i) for i in range(days)]
    demo = _simulate_orders(rng, day_list, tz)
    contents = {ORDERS_FILE: _order_rows(demo, rng, tz)}
    traffic = _simulate_traffic(rng, demo)
    contents.update(_analytics_files(demo, traffic))
    contents[EVENTS_FILE] = _event_lines(rng, demo, traffic, tz, event_days)
    contents[LANDING_FILE] = _landing_page_lines(seed, demo, traffic)
    paths = []
    for name in DEMO_FILE_NAMES:
        path = target_dir / name
        _write_text(path, contents[name])
        paths.append(path)
    return paths


def demo_files() -> list[Path]:
    """The demo exports present in SAMPLE_DIR, in import order."""
    return [SAMPLE_DIR / name for name in DEMO_FILE_NAMES if (SAMPLE_DIR / name).is_file()]


def load_demo(
    db: Database, progress: Callable[[int, int, str | None], None] | None = None
) -> list[ImportReport]:
    """Import the demo exports as demo data (writing them into SAMPLE_DIR first if missing).

    Demo imports are marked ``is_demo`` and removed in one step with
    ``ro_core.ingest.pipeline.remove_demo_data``. Loading twice is harmless: files already
    imported are recognised by their bytes and not loaded again.

    ``progress``, when given, is called with (files imported, files in all, name of the file
    about to be imported) before each file, and with (all, all, None) once the last is in.
    """
    from ro_core.ingest.pipeline import ingest_file

    db.require_local_store("loading the demo store")
    files = demo_files()
    if len(files) < len(DEMO_FILE_NAMES):
        files = generate_demo_files(SAMPLE_DIR)
    reports = []
    for done, path in enumerate(files):
        if progress is not None:
            progress(done, len(files), path.name)
        # Event times are UTC: count their days in the store's time zone, like the orders.
        options = {"timezone": STORE_TIME_ZONE} if path.name == EVENTS_FILE else None
        reports.append(ingest_file(db, path, options=options, is_demo=True))
    if progress is not None:
        progress(len(files), len(files), None)
    return reports
