"""The two series a trend is made from, one row per bucket (day, ISO week or month).

- orders_series: orders and revenue per calendar bucket of the period, every bucket present
  (ORDER_SERIES_COLUMNS);
- traffic_series: the traffic's periods (or daily rows summed per bucket) with the orders
  dated inside each (TRAFFIC_SERIES_COLUMNS).

ro_core.metrics.trends chooses which series a metric needs and computes its values.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from ro_core.dates import shift_months
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.order_days import order_days
from ro_core.metrics.periods import DateRange, bucket_start, calendar_buckets
from ro_core.metrics.traffic import TrafficSelection
from ro_core.metrics.traffic_inventory import RowSums, Unit, row_sums
from ro_core.metrics.traffic_totals import selection_units
from ro_core.store.db import Database

ORDER_SERIES_COLUMNS = ["period_start", "period_end", "days", "partial", "orders", "revenue"]
TRAFFIC_SERIES_COLUMNS = [
    "period_start",
    "period_end",
    "days",
    "partial",
    "sessions",
    "visitors",
    "converted_sessions",
    "orders",
    "revenue",
    "online_orders",
    "online_revenue",
]


def orders_series(
    db: Database, period: DateRange, filters: OrderFilters, grain: str
) -> pd.DataFrame:
    """Orders and revenue per calendar bucket, every bucket present (zeros included).

    The orders' per-day sums (ro_core.metrics.order_days) added up per bucket; the calendar
    (every bucket, its days inside the period, whether it is partial) is Python's.
    """
    by_bucket: dict[date, list[float]] = {}
    for day, sums in order_days(db, filters).between(period):
        found = by_bucket.setdefault(bucket_start(day, grain), [0, 0.0])
        found[0] += sums.orders
        found[1] += sums.revenue
    if not by_bucket:
        return pd.DataFrame(columns=ORDER_SERIES_COLUMNS)
    rows = []
    for first, last in calendar_buckets(period, grain):
        orders, revenue = by_bucket.get(first, (0, 0.0))
        end = min(last, period.end)
        rows.append(
            {
                "period_start": pd.Timestamp(first),
                "period_end": pd.Timestamp(end),
                "days": (end - max(first, period.start)).days + 1,
                "partial": first < period.start or last > period.end,
                "orders": orders,
                "revenue": float(revenue),
            }
        )
    frame = pd.DataFrame(rows, columns=ORDER_SERIES_COLUMNS)
    frame["orders"] = frame["orders"].astype("int64")
    frame["days"] = frame["days"].astype("int64")
    return frame


def _by_period(units: list[Unit]) -> dict[tuple[date, date], RowSums]:
    """The sums of the rows having sessions, per traffic period."""
    grouped: dict[tuple[date, date], list[Unit]] = {}
    for u in units:
        if "sessions" in u.measures:
            grouped.setdefault((u.start, u.end), []).append(u)
    return {key: row_sums(found) for key, found in grouped.items()}


def _sum_all(values: list[float | None]) -> float | None:
    """SQL's CASE WHEN count(x) = count(*) THEN sum(x) END."""
    known = [v for v in values if v is not None]
    return float(sum(known)) if len(known) == len(values) else None


def traffic_series(
    db: Database,
    period: DateRange,
    filters: OrderFilters,
    selection: TrafficSelection,
    bucket_grain: str | None,
) -> pd.DataFrame:
    """Traffic and the orders dated inside each traffic period, summed per bucket.

    bucket_grain None keeps the traffic's own periods; 'week'/'month' sums daily rows. The
    periods are the breakdown's (a period without a row for the segment counts zero sessions;
    a segment without any row in the range has no traffic figures at all, as in kpis); the
    sums come from the traffic inventory and the orders' per-day sums.
    """
    periods = _by_period(selection_units(db, selection, segment=False))
    chosen = _by_period(selection_units(db, selection))
    days = order_days(db, filters)
    buckets: dict[date, dict[str, Any]] = {}
    for start, end in sorted(periods):
        p = periods[(start, end)]
        s = chosen.get((start, end))
        if s is not None:
            sessions = s.total("sessions")
            visitors = s.complete("visitors")
            converted = s.complete("converted_sessions")
        elif chosen:
            sessions = 0.0
            visitors = 0.0 if p.counts.get("visitors", 0) == p.rows else None
            converted = 0.0 if p.counts.get("converted_sessions", 0) == p.rows else None
        else:
            sessions = visitors = converted = None
        lo, hi = max(start, period.start), min(end, period.end)  # orders of the trend's days
        orders = days.totals(DateRange(lo, hi)) if lo <= hi else None
        if bucket_grain is None:
            bucket, natural_end = start, end
        else:
            bucket = bucket_start(start, bucket_grain)
            following = (
                shift_months(bucket, 1)
                if bucket_grain == "month"
                else bucket + timedelta(days=7 if bucket_grain == "week" else 1)
            )
            natural_end = following - timedelta(days=1)
        b = buckets.setdefault(bucket, {"end": end, "days": 0, "natural_end": natural_end,
                                        "sessions": [], "visitors": [], "converted": [],
                                        "orders": 0, "revenue": 0.0, "online_orders": 0,
                                        "online_revenue": 0.0})  # fmt: skip
        b["end"] = max(b["end"], end)
        b["natural_end"] = max(b["natural_end"], natural_end)
        b["days"] += (end - start).days + 1
        b["sessions"].append(sessions)
        b["visitors"].append(visitors)
        b["converted"].append(converted)
        if orders is not None:
            b["orders"] += orders.orders
            b["revenue"] += orders.revenue
            b["online_orders"] += orders.aligned_orders
            b["online_revenue"] += orders.aligned_revenue
    if not buckets:
        return pd.DataFrame(columns=TRAFFIC_SERIES_COLUMNS)
    rows = []
    for bucket in sorted(buckets):
        b = buckets[bucket]
        known = [v for v in b["sessions"] if v is not None]
        rows.append(
            {
                "period_start": pd.Timestamp(bucket),
                "period_end": pd.Timestamp(b["end"]),
                "days": b["days"],
                "partial": b["days"] < (b["natural_end"] - bucket).days + 1,
                "sessions": float(sum(known)) if known else None,
                "visitors": _sum_all(b["visitors"]),
                "converted_sessions": _sum_all(b["converted"]),
                "orders": b["orders"],
                "revenue": b["revenue"],
                "online_orders": b["online_orders"],
                "online_revenue": b["online_revenue"],
            }
        )
    frame = pd.DataFrame(rows, columns=TRAFFIC_SERIES_COLUMNS)
    for col in ("period_start", "period_end"):
        frame[col] = frame[col].astype("datetime64[us]")
    for col in ("days", "orders", "online_orders"):
        frame[col] = frame[col].astype("int64")
    for col in ("sessions", "visitors", "converted_sessions", "revenue", "online_revenue"):
        frame[col] = frame[col].astype(float)
    return frame[TRAFFIC_SERIES_COLUMNS]
