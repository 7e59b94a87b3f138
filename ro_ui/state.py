"""Session-state keys of the shared filters and the Filters every page reads.

The sidebar (drawn by app.py on every page) owns the widgets; their values live in
``st.session_state`` under the keys below, so filters persist when the user switches pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange

# --- widget keys (st.session_state) -----------------------------------------------------------
PRESET = "filter_preset"
CUSTOM_RANGE = "filter_custom_range"
COMPARE = "filter_compare"
GRAIN = "filter_grain"
SEGMENT_DIMENSION = "filter_segment_dimension"
SHOW_ONLY = "filter_show_only"  # "side:dimension" of the segment filter, or NO_SEGMENT
SHOW_ONLY_VALUE = "filter_show_only_value"  # the one value of that dimension to show
REVENUE_BASIS = "filter_revenue_basis"
EXCLUDE_CANCELLED = "filter_exclude_cancelled"
EXCLUDE_TEST = "filter_exclude_test"
ONLINE_ONLY = "filter_online_only"
CURRENCY = "filter_currency"

CUSTOM = "custom"
ALL_CURRENCIES = "all"
NO_SEGMENT = "all"

DEFAULTS: dict[str, Any] = {
    PRESET: "last_30_days",
    COMPARE: "previous",
    GRAIN: "day",
    SEGMENT_DIMENSION: NO_SEGMENT,
    SHOW_ONLY: NO_SEGMENT,
    REVENUE_BASIS: "total",
    EXCLUDE_CANCELLED: True,
    EXCLUDE_TEST: True,
    ONLINE_ONLY: True,
    CURRENCY: ALL_CURRENCIES,
}

COMPARE_LABELS = {"previous": "Previous period", "year": "Previous year", "none": "No comparison"}
GRAIN_LABELS = {"day": "Day", "week": "Week", "month": "Month"}

# keys of things that are not filters
FILTERS_KEY = "filters"  # the Filters of the current run, set by the sidebar


def init_defaults() -> None:
    """Put every filter's default into session state once per session."""
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value


@dataclass(frozen=True)
class Filters:
    """What the sidebar selected: the period, its comparison, grain, segment and order filters.

    `segment_dimension` is the "Segment by" breakdown; the "Show only" segment filter lives in
    `orders` (OrderFilters.segment_dimension / segment_value / segment_side), so every metric
    computed from these filters is the segment's.
    """

    period: DateRange
    comparison: DateRange | None
    compare: str  # previous | year | none
    grain: str  # day | week | month
    orders: OrderFilters
    segment_dimension: str | None = None  # e.g. "device"; None = whole store
    segment_side: str | None = None  # "traffic" or "orders": where the dimension comes from
    segment_label: str | None = None  # e.g. "Device"
    anchor: date | None = None  # the latest day with data the presets end on
    currency: str | None = None  # the currency money is shown in (None when mixed/unknown)
    comparison_gap: str | None = None  # why the comparison cannot be trusted (before the data)

    @property
    def compare_name(self) -> str:
        """Legend name of the comparison: 'Previous period', 'Same dates last year' or ''."""
        return {"previous": "Previous period", "year": "Same dates last year"}.get(self.compare, "")

    @property
    def comparable(self) -> bool:
        """Whether changes against the comparison period should be shown."""
        return self.comparison is not None and self.comparison_gap is None

    @property
    def compare_label(self) -> str:
        """'the previous period', 'the same dates last year' or ''."""
        return {"previous": "the previous period", "year": "the same dates last year"}.get(
            self.compare, ""
        )

    def order_filter_items(self) -> tuple[tuple[str, Any], ...]:
        """The order filters as plain, hashable values (a cache key)."""
        return tuple(
            (k, tuple(v) if isinstance(v, list) else v) for k, v in self.orders.to_dict().items()
        )

    @property
    def segment_filter_label(self) -> str:
        """'device = Mobile' when the sidebar shows only one segment, else ''."""
        return self.orders.segment_label()

    def describe_period(self) -> str:
        """'2024-03-01 to 2024-03-31 (31 days) vs 2024-01-31 to 2024-02-29'."""
        text = self.period.label()
        if self.comparison is not None:
            text += f" vs {self.comparison.start} to {self.comparison.end}"
        return text


def order_filters_from_items(items: tuple[tuple[str, Any], ...]) -> OrderFilters:
    """Rebuild OrderFilters from :meth:`Filters.order_filter_items`."""
    return OrderFilters(**dict(items))


def current_filters() -> Filters:
    """The filters the sidebar set in this run (the sidebar runs before every page)."""
    filters = st.session_state.get(FILTERS_KEY)
    if filters is None:
        raise RuntimeError("The sidebar must run before the page (app.py draws it).")
    return filters
