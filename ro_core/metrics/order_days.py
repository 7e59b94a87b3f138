"""The orders' additive sums per store-local day, read once per data version and filters.

Every order figure of a period (KPIs, trends, the health check's daily orders, goals) is a sum
over days of: orders, revenue and the sum of squared order values, for all filtered orders and
for those from online channels. One statement per data version and order filters reads them for
every day of the store (a row per day with orders, far fewer than the orders), so a new period
or its comparison costs no statement; Python adds the days up. Orders that line up with the
traffic (online orders on days a traffic period covers) are the online sums of those days.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

from ro_core.metrics._sql import filtered_orders_sql
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import remember
from ro_core.store.db import Database


@dataclass(frozen=True)
class DaySums:
    """The filtered orders of one day (revenue under the filters' basis, as a float)."""

    orders: int
    revenue: float
    revenue_sq: float
    online_orders: int
    online_revenue: float
    online_revenue_sq: float


@dataclass(frozen=True)
class PeriodOrders:
    """Sums over some days: every filtered order, and the online ones counted (aligned)."""

    orders: int
    revenue: float
    aligned_orders: int
    aligned_revenue: float


class OrderDays:
    """Per-day sums of the filtered orders, in date order."""

    def __init__(self, rows: dict[date, DaySums]) -> None:
        self.by_day = rows
        self.days = tuple(sorted(rows))

    def between(self, period: DateRange) -> Iterator[tuple[date, DaySums]]:
        """The days with orders inside `period`, in order."""
        lo = bisect_left(self.days, period.start)
        hi = bisect_right(self.days, period.end)
        for day in self.days[lo:hi]:
            yield day, self.by_day[day]

    def totals(
        self, period: DateRange, aligned: Callable[[date], bool] | None = None
    ) -> PeriodOrders:
        """Orders and revenue in `period`, and the online ones on days `aligned` accepts (every
        day when None)."""
        orders = aligned_orders = 0
        revenue = aligned_revenue = 0.0
        for day, sums in self.between(period):
            orders += sums.orders
            revenue += sums.revenue
            if aligned is None or aligned(day):
                aligned_orders += sums.online_orders
                aligned_revenue += sums.online_revenue
        return PeriodOrders(orders, revenue, aligned_orders, aligned_revenue)


def covered_by(periods: tuple[tuple[date, date], ...]) -> Callable[[date], bool]:
    """Whether a day lies in one of `periods` (inclusive (start, end) pairs)."""
    days = {start + timedelta(days=i) for start, end in periods
            for i in range((end - start).days + 1)}  # fmt: skip
    return days.__contains__


def _read(db: Database, filters: OrderFilters) -> OrderDays:
    sql, params = filtered_orders_sql(filters)
    rows = db.fetch_all(
        f"""WITH f AS ({sql})
        SELECT day, count(*), sum(revenue), sum(revenue * revenue),
               count(*) FILTER (WHERE online),
               coalesce(sum(revenue) FILTER (WHERE online), 0),
               coalesce(sum(revenue * revenue) FILTER (WHERE online), 0)
        FROM f WHERE day IS NOT NULL GROUP BY day""",
        params,
    )
    return OrderDays(
        {
            r[0]: DaySums(
                int(r[1]),
                float(r[2] or 0),
                float(r[3] or 0),
                int(r[4]),
                float(r[5] or 0),
                float(r[6] or 0),
            )  # fmt: skip
            for r in rows
        }
    )


def order_days(db: Database, filters: OrderFilters) -> OrderDays:
    """The per-day sums of the orders `filters` keep (one statement per data version and
    filters; the traffic source does not change them)."""
    key = replace(filters, traffic_source=None)
    return remember(db, ("order days", key), lambda: _read(db, key))
