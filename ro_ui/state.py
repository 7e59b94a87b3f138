"""Session-state keys of the sidebar's widgets and the Scope every page reads.

The sidebar (drawn by app.py on every page) owns the widgets; their values live in
``st.session_state`` under the keys below, so filters persist when the user switches pages.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ro_core.metrics.scope import COMPARE_LABELS as SCOPE_COMPARE_LABELS
from ro_core.metrics.scope import Scope

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
TRAFFIC_SOURCE = "filter_traffic_source"

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

COMPARE_LABELS = SCOPE_COMPARE_LABELS
GRAIN_LABELS = {"day": "Day", "week": "Week", "month": "Month"}

# keys of things that are not filters
FILTERS_KEY = "scope"  # the Scope of the current run, set by the sidebar


def init_defaults() -> None:
    """Put every filter's default into session state once per session."""
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value


def current_scope() -> Scope:
    """The Scope the sidebar built in this run (the sidebar runs before every page)."""
    scope = st.session_state.get(FILTERS_KEY)
    if scope is None:
        raise RuntimeError("The sidebar must run before the page (app.py draws it).")
    return scope
