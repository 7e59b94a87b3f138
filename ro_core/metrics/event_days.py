"""The events' counts per store-local day, read once per data version.

Whether a period has events, which segment columns they fill, which funnel steps occur and the
revenue per purchase event are sums over days of a few counts. One statement per data version
reads them for every day (a row per day with events); a new period costs no statement. Anything
per session (bounce, the closed funnel) stays with its query.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date

from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import remember
from ro_core.store import schema
from ro_core.store.db import Database

SEGMENT_COLUMNS: tuple[str, ...] = ("channel", "device", "country")
"""Event columns a breakdown can use (identifiers from constants)."""
COUNTED_TYPES: tuple[str, ...] = ("view", "cart", "checkout", "purchase")
"""Event types counted per day (the funnel's steps)."""


@dataclass(frozen=True)
class EventTotals:
    """Sums over some days.

    Attributes:
        events: every event; filled: segment column -> events where it has a value;
        by_type: event type (COUNTED_TYPES) -> events; purchase_revenue / purchase_revenue_n:
        the sum and count of the revenue of purchase events (None: no purchase revenue).
    """

    events: int
    filled: dict[str, int]
    by_type: dict[str, int]
    purchase_revenue: float | None
    purchase_revenue_n: int


class EventDays:
    """Per-day event counts, in date order."""

    def __init__(self, rows: dict[date, tuple]) -> None:
        self.by_day = rows
        self.days = tuple(sorted(rows))

    def totals(self, period: DateRange) -> EventTotals:
        """The counts of the days inside `period`."""
        lo = bisect_left(self.days, period.start)
        hi = bisect_right(self.days, period.end)
        events = 0
        filled = dict.fromkeys(SEGMENT_COLUMNS, 0)
        by_type = dict.fromkeys(COUNTED_TYPES, 0)
        revenue: float | None = None
        revenue_n = 0
        for day in self.days[lo:hi]:
            row = self.by_day[day]
            events += row[0]
            for i, column in enumerate(SEGMENT_COLUMNS):
                filled[column] += row[1 + i]
            for i, kind in enumerate(COUNTED_TYPES):
                by_type[kind] += row[1 + len(SEGMENT_COLUMNS) + i]
            if row[-2] is not None:
                revenue = (revenue or 0.0) + row[-2]
            revenue_n += row[-1]
        return EventTotals(events, filled, by_type, revenue, revenue_n)


def _read(db: Database) -> EventDays:
    filled = ", ".join(f"count({c})" for c in SEGMENT_COLUMNS)
    types = ", ".join(f"count(*) FILTER (WHERE event_type = '{t}')" for t in COUNTED_TYPES)
    rows = db.fetch_all(
        f"""SELECT local_date, count(*), {filled}, {types},
               sum(revenue) FILTER (WHERE event_type = 'purchase'),
               count(revenue) FILTER (WHERE event_type = 'purchase')
        FROM {schema.EVENTS} WHERE local_date IS NOT NULL GROUP BY local_date"""
    )
    return EventDays(
        {
            r[0]: (
                *(int(v) for v in r[1:-2]),
                float(r[-2]) if r[-2] is not None else None,
                int(r[-1]),
            )
            for r in rows
        }
    )


def event_days(db: Database) -> EventDays:
    """The per-day event counts (one statement per data version)."""
    return remember(db, "event days", lambda: _read(db))
