"""The demo store's figures computed straight from its export files (data/sample) with the csv
module: the independent source the browser tests compare the pages with. Nothing here imports
ro_core.

Rules restated from the exports' own meaning (ro_core must agree, not the other way round):
- an order is the first row of its Name (Shopify repeats the Name on every line item; the
  order-level fields sit on the first row); its day is the store-local date in 'Created at';
- the default filters leave out cancelled orders ('Cancelled at' set), voided payments and
  draft orders (Source 'shopify_draft_order'); revenue is the order 'Total';
- online orders are Source 'web'; conversion rate is Shopify's converted sessions / sessions.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
ORDERS = "shopify_orders_export.csv"
SESSIONS = "shopify_sessions_over_time.csv"
BEHAVIOR = "shopify_customer_behavior.csv"
DEVICE = "shopify_sessions_by_device.csv"
REFERRER = "shopify_sessions_by_referrer.csv"
EVENTS = "events.csv"
LANDING = "shopify_sessions_by_landing_page.csv"
STEP_COLUMNS = (
    "Sessions",
    "Sessions with cart additions",
    "Sessions that reached checkout",
    "Sessions that completed checkout",
)


def _rows(name: str) -> list[dict[str, str]]:
    with (SAMPLE / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Order:
    day: date
    total: float
    source: str


@cache
def orders() -> tuple[Order, ...]:
    """Orders kept by the default filters, one per Name."""
    seen: set[str] = set()
    kept = []
    for row in _rows(ORDERS):
        if row["Name"] in seen:
            continue
        seen.add(row["Name"])
        if row["Cancelled at"].strip() or row["Financial Status"].strip().lower() == "voided":
            continue
        if row["Source"].strip().lower() == "shopify_draft_order":
            continue
        kept.append(
            Order(date.fromisoformat(row["Created at"][:10]), float(row["Total"]), row["Source"])
        )
    return tuple(kept)


@cache
def daily_traffic() -> dict[date, tuple[int, int]]:
    """Day -> (sessions, sessions that completed checkout) from the two store-total reports."""
    sessions = {date.fromisoformat(r["Day"]): int(r["Sessions"]) for r in _rows(SESSIONS)}
    converted = {
        date.fromisoformat(r["Day"]): int(r["Sessions that completed checkout"])
        for r in _rows(BEHAVIOR)
    }
    return {day: (sessions[day], converted.get(day, 0)) for day in sessions}


def anchor() -> date:
    """The latest day that has both orders and sessions (where the presets end)."""
    order_days = {o.day for o in orders()}
    return max(day for day in daily_traffic() if day in order_days)


def last_30_days() -> tuple[date, date]:
    """The default period: the 30 days ending on the anchor."""
    end = anchor()
    return end - timedelta(days=29), end


def previous_30_days() -> tuple[date, date]:
    """The previous period of the default one: the 30 days before it."""
    start, _ = last_30_days()
    return start - timedelta(days=30), start - timedelta(days=1)


@dataclass(frozen=True)
class Cards:
    revenue: float
    orders: int
    sessions: int
    converted: int
    online_revenue: float

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.sessions

    @property
    def aov(self) -> float:
        return self.revenue / self.orders

    @property
    def rpv(self) -> float:
        return self.online_revenue / self.sessions


def cards(start: date, end: date) -> Cards:
    """The six headline figures of a period (every day of the demo has traffic)."""
    inside = [o for o in orders() if start <= o.day <= end]
    traffic = [v for d, v in daily_traffic().items() if start <= d <= end]
    return Cards(
        revenue=sum(o.total for o in inside),
        orders=len(inside),
        sessions=sum(s for s, _ in traffic),
        converted=sum(c for _, c in traffic),
        online_revenue=sum(o.total for o in inside if o.source == "web"),
    )


def revenue_by_day(start: date, end: date) -> dict[date, float]:
    """Revenue of every day of the range (0 on a day without orders)."""
    days = {start + timedelta(days=i): 0.0 for i in range((end - start).days + 1)}
    for o in orders():
        if o.day in days:
            days[o.day] += o.total
    return days


def funnel_steps(start: date, end: date) -> tuple[int, int, int, int]:
    """Sessions, with cart additions, reached checkout, completed checkout over the range."""
    totals = [0, 0, 0, 0]
    sessions = {date.fromisoformat(r["Day"]): int(r["Sessions"]) for r in _rows(SESSIONS)}
    for day, value in sessions.items():
        if start <= day <= end:
            totals[0] += value
    for row in _rows(BEHAVIOR):
        if start <= date.fromisoformat(row["Day"]) <= end:
            for i, column in enumerate(STEP_COLUMNS[1:], start=1):
                totals[i] += int(row[column])
    return tuple(totals)


def breakdown(name: str, key_columns: tuple[str, ...], start: date, end: date) -> dict:
    """Segment (tuple of key column values) -> [sessions, cart, checkout, completed]."""
    sums: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in _rows(name):
        if start <= date.fromisoformat(row["Day"]) <= end:
            key = tuple(row[c].strip() for c in key_columns)
            for i, column in enumerate(STEP_COLUMNS):
                sums[key][i] += int(row[column])
    return dict(sums)


def month_to_date_revenue(day: date) -> float:
    """Revenue from the first of `day`'s month up to `day`."""
    return sum(o.total for o in orders() if day.replace(day=1) <= o.day <= day)


def data_rows(name: str) -> int:
    """Data rows of an export file (the header not counted)."""
    return len(_rows(name))


def order_count(name: str = ORDERS) -> int:
    """Orders in an orders export (distinct Names), before any filter."""
    return len({r["Name"] for r in _rows(name)})


def lmdi_parts(before: Cards, after: Cards) -> dict[str, float]:
    """Revenue change split into sessions, CR and revenue per converted session (LMDI-I, on
    online revenue) plus the other revenue; the parts add up to the change."""

    def mean(a: float, b: float) -> float:
        return a if a == b else (a - b) / (math.log(a) - math.log(b))

    weight = mean(after.online_revenue, before.online_revenue)
    per_converted = (
        after.online_revenue / after.converted,
        before.online_revenue / before.converted,
    )
    return {
        "traffic": weight * math.log(after.sessions / before.sessions),
        "conversion": weight * math.log(after.conversion_rate / before.conversion_rate),
        "value": weight * math.log(per_converted[0] / per_converted[1]),
        "other": (after.revenue - after.online_revenue) - (before.revenue - before.online_revenue),
    }
