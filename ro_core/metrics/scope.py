"""The scope of a view: which days, compared with which, over which orders and traffic.

A :class:`Scope` is built once at the edge (the sidebar, the CLI's arguments) and passed whole to
every computation: KPIs, trends, funnel, segments, decomposition, opportunities, the period
overview, goals and the report. Nothing takes it apart and rebuilds it; the UI's cache adapter
keys on :meth:`Scope.cache_key`.

The comparison follows the calendar (see ``periods.previous_range``): last month against the
month before, a year against the year before, a month/quarter/year to date against the same days
of the previous one. Which days a comparison really covers is decided with the data in
``ro_core.metrics.comparison``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.periods import TO_DATE_UNITS, DateRange, previous_range

COMPARE_LABELS: dict[str, str] = {
    "previous": "Previous period",
    "year": "Same dates last year",
    "none": "No comparison",
}
GRAINS = ("day", "week", "month")


@dataclass(frozen=True)
class Breakdown:
    """The "Segment by" choice: split the store by one dimension of one side."""

    dimension: str
    side: str  # 'traffic' or 'orders'
    label: str = ""


@dataclass(frozen=True)
class Scope:
    """What a view shows.

    Attributes:
        period: the days (store-local, inclusive).
        compare: 'previous' (calendar-aware previous period), 'year' (same dates last year),
            'custom' (``custom_comparison``) or 'none'.
        filters: order filters, revenue basis, currency, traffic source and the "Show only"
            segment (see OrderFilters).
        grain: 'day', 'week' or 'month' for trends and sparklines.
        preset: the period preset the range came from (decides month/quarter/year to date).
        breakdown: the "Segment by" split, or None for the whole store.
        custom_comparison: the comparison range when compare is 'custom'.
        anchor: the latest day with data the presets end on (for people; not part of the key).
    """

    period: DateRange
    compare: str = "previous"
    filters: OrderFilters = DEFAULT_FILTERS
    grain: str = "day"
    preset: str | None = None
    breakdown: Breakdown | None = None
    custom_comparison: DateRange | None = None
    anchor: date | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.compare not in (*COMPARE_LABELS, "custom"):
            raise InvalidInputError(
                f"Unknown comparison '{self.compare}': use previous, year or none."
            )
        if self.compare == "custom" and self.custom_comparison is None:
            raise InvalidInputError("A custom comparison needs its start and end dates.")
        if self.grain not in GRAINS:
            raise InvalidInputError(f"Unknown grain '{self.grain}': use day, week or month.")

    @property
    def comparison(self) -> DateRange | None:
        """The comparison range asked for (before cutting to days with data), or None."""
        if self.compare == "previous":
            return previous_range(self.period, TO_DATE_UNITS.get(self.preset or ""))
        if self.compare == "year":
            return self.period.year_before()
        if self.compare == "custom":
            return self.custom_comparison
        return None

    @property
    def currency(self) -> str | None:
        """The currency money is shown in."""
        return self.filters.currency

    @property
    def traffic_source(self) -> str | None:
        """The traffic source every figure uses (None: chosen from the data)."""
        return self.filters.traffic_source

    @property
    def compare_label(self) -> str:
        """'the previous period', 'the same dates last year', 'the comparison period' or ''."""
        return {
            "previous": "the previous period",
            "year": "the same dates last year",
            "custom": "the comparison period",
        }.get(self.compare, "")

    @property
    def compare_name(self) -> str:
        """Legend name of the comparison ('' without one)."""
        return "" if self.compare == "none" else COMPARE_LABELS.get(self.compare, "Comparison")

    def with_filters(self, **changes: Any) -> Scope:
        """The same scope with some order filters changed."""
        return replace(self, filters=replace(self.filters, **changes))

    def cache_key(self) -> str:
        """A stable text key of everything that changes a figure (the anchor does not)."""
        return repr(replace(self, anchor=None))

    def describe_period(self) -> str:
        """'2024-03-01 to 2024-03-31 (31 days) vs 2024-02-01 to 2024-02-29'."""
        text = self.period.label()
        other = self.comparison
        if other is not None:
            text += f" vs {other.start} to {other.end}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        other = self.comparison
        return {
            "period": self.period.to_dict(),
            "compare": self.compare,
            "comparison": other.to_dict() if other else None,
            "grain": self.grain,
            "preset": self.preset,
            "breakdown": (
                {"dimension": self.breakdown.dimension, "side": self.breakdown.side}
                if self.breakdown
                else None
            ),
            "filters": self.filters.to_dict(),
        }
