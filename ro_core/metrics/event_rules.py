"""The rules of event sessions, one home for every question asked of event data: the session key,
which events are a visitor's actions, what a view is, the funnel's step types and the columns a
segment can use (identifiers from constants, never from a user)."""

from __future__ import annotations

from typing import Any

from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.store import schema

EVENT_STEP_TYPES = {
    "product_view": "view",
    "cart": "cart",
    "checkout": "checkout",
    "purchase": "purchase",
}
"""Funnel step -> the event type that marks it, in funnel order."""
ALL_SEGMENTS = "All"
"""The segment of a funnel or breakdown without a segment dimension."""
EVENT_SEGMENTS = ("channel", "device", "country")
EVENT_SEGMENT_COLUMNS = {name: name for name in EVENT_SEGMENTS}  # identifiers from constants
# Event names that are bookkeeping, not something the visitor did (GA4 BigQuery export).
BOOKKEEPING_EVENTS: tuple[str, ...] = ("session_start", "first_visit")
PAGE_VIEW_EVENTS: tuple[str, ...] = ("page_view", "screen_view")


# A session: its session id, else its user and day. CASE gives the same key as coalesce(...),
# but DuckDB then builds the user|day text only for events without a session id (grouping a
# year of 5M events by it: 100 ms instead of 180 ms).
def session_key(alias: str = "") -> str:
    """SQL of an event's session key (NULL without a session id and a user)."""
    p = f"{alias}." if alias else ""
    return (
        f"CASE WHEN {p}session_id IS NOT NULL THEN {p}session_id "
        f"ELSE concat({p}user_id, '|', {p}local_date) END"
    )


SESSION_KEY = session_key()
_BOOKKEEPING = ", ".join(f"'{n}'" for n in BOOKKEEPING_EVENTS)
_PAGE_VIEWS = ", ".join(f"'{n}'" for n in PAGE_VIEW_EVENTS)
ACTION_SQL = f"lower(coalesce(event_name, '')) NOT IN ({_BOOKKEEPING})"
"""An event that is a visitor action (not a bookkeeping event such as session_start)."""
# a product view, or a page view by name (lowered only for events that are not views)
IS_VIEW_SQL = (
    f"CASE WHEN event_type = 'view' THEN true "
    f"ELSE lower(coalesce(event_name, '')) IN ({_PAGE_VIEWS}) END"
)
"""An event that is a view: a product view, or a page or screen view by name."""
HAS_SESSION_SQL = "(session_id IS NOT NULL OR user_id IS NOT NULL)"
"""An event that belongs to a session (SESSION_KEY is not NULL)."""


def event_keep(filters: OrderFilters | None, period: DateRange) -> tuple[str, list[Any], str]:
    """(SQL condition on skey, params, why none) for the segment filter on event sessions."""
    if filters is None or not filters.has_segment:
        return "", [], ""
    column = filters.segment_event_dimension
    if column is None:
        return "", [], f"Events carry no {filters.segment_name}."
    return (
        f"AND {SESSION_KEY} IN (SELECT {SESSION_KEY} FROM {schema.EVENTS} "
        "WHERE local_date BETWEEN ? AND ? GROUP BY 1 HAVING lower(coalesce(CAST(arg_min("
        f"{EVENT_SEGMENT_COLUMNS[column]}, event_time) AS VARCHAR), 'unknown')) = lower(?))",
        [period.start, period.end, filters.segment_value],
        "",
    )
