"""Which days a comparison really covers, for orders and for traffic separately.

A change is honest only when both sides had data: 2024 against 2023 when the 2023 orders start
on 9 April compares 9 April - 31 December of both years, and says so. For each family of data
(orders; traffic of the scope's source) the days of the period whose counterpart in the
comparison range also has data form one window, cut identically on both sides. Metrics that
need both families (CR as orders / sessions, RPV) use the days both windows share.

Counterparts: for 'year' the same calendar date a year earlier; otherwise the day at the same
offset from the start. Coverage is the span of data of that family (first to last day imported),
not the days that happen to have orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ro_core.dates import shift_months
from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic_inventory import inventory
from ro_core.metrics.versioned import remember
from ro_core.store import schema
from ro_core.store.db import Database

ORDERS = "orders"
TRAFFIC = "traffic"
BOTH = "both"
FAMILY_WORDS = {ORDERS: "orders", TRAFFIC: "traffic", BOTH: "orders and traffic"}


@dataclass(frozen=True)
class ComparedDays:
    """The days a comparison covers for one family of data.

    Attributes:
        family: 'orders', 'traffic' or 'both'.
        current / comparison: the compared days on each side; None when the two sides have no
            day in common with data (then no change is shown).
        cut: True when the compared days are fewer than the ranges asked for.
        note: why they were cut, or why nothing can be compared; None when nothing was cut.
    """

    family: str
    current: DateRange | None
    comparison: DateRange | None
    cut: bool
    note: str | None = None

    @property
    def comparable(self) -> bool:
        """Whether a change can be shown for this family."""
        return self.current is not None and self.comparison is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "family": self.family,
            "current": self.current.to_dict() if self.current else None,
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "cut": self.cut,
            "note": self.note,
        }


def orders_coverage(db: Database) -> DateRange | None:
    """The days the imported orders cover (None without orders).

    From the first to the last order date, widened on both ends by the longest run of days
    without orders seen between two orders (minus one): a store that sells every day covers
    exactly its first to last order, while a small store with a quiet first day is not cut.
    """
    row = remember(
        db,
        "orders coverage",
        lambda: db.fetch_one(
            f"""SELECT min(d), max(d), coalesce(max(gap), 1) FROM (
                SELECT d, d - lag(d) OVER (ORDER BY d) AS gap
                FROM (SELECT DISTINCT local_date AS d FROM {schema.ORDERS}
                      WHERE local_date IS NOT NULL))"""
        ),
    )
    if not row or row[0] is None:
        return None
    slack = timedelta(days=max(int(row[2]) - 1, 0))
    return DateRange(row[0] - slack, row[1] + slack)


def traffic_coverage(db: Database, source: str | None) -> DateRange | None:
    """First to last day with session rows of `source` (any source when None)."""
    inv = inventory(db)
    spans = [
        (u.start, u.end)
        for key in inv.breakdown_keys(source or None)
        for u in inv.units(*key)
        if "sessions" in u.measures
    ]
    if not spans:
        return None
    return DateRange(min(s for s, _e in spans), max(e for _s, e in spans))


def _whole_months(period: DateRange) -> int | None:
    """How many whole calendar months the range spans (None when it is not whole months)."""
    if period.start.day != 1 or (period.end + timedelta(days=1)).day != 1:
        return None
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


class _Mapping:
    """Counterpart of a current day in the comparison range, and back: the same date a year
    earlier ('year'), the same day of the month N months earlier (whole months against whole
    months), else the same offset from the start."""

    def __init__(self, period: DateRange, comparison: DateRange, by_year: bool) -> None:
        self.months: int | None = -12 if by_year else None
        months = _whole_months(period)
        if not by_year and months is not None and months == _whole_months(comparison):
            start, other = period.start, comparison.start
            self.months = (other.year - start.year) * 12 + other.month - start.month
        self.offset = period.start - comparison.start

    def to_comparison(self, day: date) -> date:
        if self.months is not None:
            return shift_months(day, self.months)
        return day - self.offset

    def to_current(self, day: date) -> date:
        if self.months is not None:
            return shift_months(day, -self.months)
        return day + self.offset


def window(
    family: str,
    period: DateRange,
    comparison: DateRange,
    covered: DateRange | None,
    *,
    by_year: bool,
) -> ComparedDays:
    """The compared days of one family, given the span its data covers."""
    words = FAMILY_WORDS[family]
    if covered is None:
        return ComparedDays(family, None, None, False, f"No {words} imported: no change shown.")
    if covered.start <= min(period.start, comparison.start) and covered.end >= max(
        period.end, comparison.end
    ):
        return ComparedDays(family, period, comparison, False)
    mapping = _Mapping(period, comparison, by_year)
    lo = max(period.start, covered.start, mapping.to_current(covered.start))
    lo = max(lo, mapping.to_current(comparison.start))
    hi = min(period.end, covered.end, mapping.to_current(covered.end))
    hi = min(hi, mapping.to_current(comparison.end))
    if lo > hi:
        return ComparedDays(
            family,
            None,
            None,
            False,
            f"The {words} imported ({covered.start} to {covered.end}) "
            f"{'does' if family == TRAFFIC else 'do'} not cover both "
            f"{period.start} to {period.end} and {comparison.start} to {comparison.end}: "
            "no change shown.",
        )
    current = DateRange(lo, hi)
    other_end = min(mapping.to_comparison(hi), comparison.end)
    other = DateRange(min(mapping.to_comparison(lo), other_end), other_end)
    cut = current != period or other != comparison
    note = None
    if cut:
        note = (
            f"Changes in {words} compare the {current.days} days both periods have {words} "
            f"for: {current.start} to {current.end} against {other.start} to {other.end} "
            f"({words} imported for {covered.start} to {covered.end})."
        )
    return ComparedDays(family, current, other, cut, note)


def both(orders: ComparedDays, traffic: ComparedDays) -> ComparedDays:
    """The days both the orders window and the traffic window share."""
    if not (orders.comparable and traffic.comparable):
        note = orders.note if not orders.comparable else traffic.note
        return ComparedDays(BOTH, None, None, False, note)
    assert orders.current and traffic.current and orders.comparison and traffic.comparison
    lo = max(orders.current.start, traffic.current.start)
    hi = min(orders.current.end, traffic.current.end)
    c_lo = max(orders.comparison.start, traffic.comparison.start)
    c_hi = min(orders.comparison.end, traffic.comparison.end)
    if lo > hi or c_lo > c_hi:
        return ComparedDays(
            BOTH, None, None, False, "Orders and traffic share no compared days: no change shown."
        )
    cut = orders.cut or traffic.cut
    notes = [n for n in (orders.note, traffic.note) if n]
    return ComparedDays(
        BOTH, DateRange(lo, hi), DateRange(c_lo, c_hi), cut, " ".join(notes) or None
    )


def compared_days(
    db: Database,
    period: DateRange,
    comparison: DateRange,
    *,
    traffic_source: str | None,
    by_year: bool,
) -> dict[str, ComparedDays]:
    """The compared days for 'orders', 'traffic' and 'both' (see the module docstring)."""
    orders = window(ORDERS, period, comparison, orders_coverage(db), by_year=by_year)
    traffic = window(
        TRAFFIC, period, comparison, traffic_coverage(db, traffic_source), by_year=by_year
    )
    return {ORDERS: orders, TRAFFIC: traffic, BOTH: both(orders, traffic)}
