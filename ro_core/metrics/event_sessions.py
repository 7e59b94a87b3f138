"""The event sessions' sums per session and store-local day, read once per data version.

A question about event sessions over a long period (landing pages over a year: 5M events in
500,000 sessions) groups every event by its 32-character session key, which costs by events.
The sums here are read once per data version, one row per session and day with events (about
one per session), and a period adds up its days per session in NumPy: it costs by sessions, and
a new period costs no statement. The local DuckDB file only, as the product rollup (with a store
engine the rows would travel): callers keep their direct query for that case.

The rules are those of ro_core.metrics.engagement.session_events_sql (the session key, which
events are actions, what a view is) and event_keep (a session's segment is the first value its
events in the period have, 'unknown' when none has one, compared without case). A session over
a period is its days inside the period: per day the first viewed product (a product view or a
page view naming a product), the actions, views and purchases and the purchase revenue
(purchase value, else price, else 0), and per segment column the first value of its events
(bookkeeping events too, as event_keep reads them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ro_core.metrics.event_rules import (
    ACTION_SQL,
    EVENT_SEGMENT_COLUMNS,
    HAS_SESSION_SQL,
    IS_VIEW_SQL,
    SESSION_KEY,
)
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.product_rollup import EPOCH, uses_rollup
from ro_core.metrics.versioned import is_remembered, remember
from ro_core.store import schema
from ro_core.store.db import Database

ROLLUP_FROM_DAYS = 45
"""Periods longer than this read the sums (read once per data version, in about a second at 5M
events); shorter ones keep their direct query (under 100 ms) unless the sums are already read."""
UNKNOWN = "unknown"
"""The segment of a session none of whose events has a value (as event_keep)."""
_KEY = "event session days"
_SEGMENT_COLUMNS_SQL = ", ".join(EVENT_SEGMENT_COLUMNS.values())


@dataclass(frozen=True)
class EventSessions:
    """The event sessions of one period, one entry per session (arrays of equal length).

    first_day: days since 1970-01-01 of its first day with actions in the period; product:
    index into ``products`` of its first viewed product, -1 when it viewed none; actions,
    views and purchases: its counts; cents: its purchase revenue in cents.
    """

    first_day: np.ndarray
    product: np.ndarray
    actions: np.ndarray
    views: np.ndarray
    purchases: np.ndarray
    cents: np.ndarray
    products: np.ndarray

    def first_dates(self) -> tuple[date, date] | tuple[None, None]:
        """The earliest and latest first day of the sessions (None, None without sessions)."""
        if not len(self.first_day):
            return None, None
        return (EPOCH + timedelta(days=int(self.first_day.min())),
                EPOCH + timedelta(days=int(self.first_day.max())))  # fmt: skip

    @property
    def bounced(self) -> np.ndarray:
        """Sessions of exactly one action, a view."""
        return (self.actions == 1) & (self.views == 1)


class SessionDays:
    """Per (session, day) sums in session then day order (the module doc)."""

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        self.day = columns["day"]
        self.session = np.cumsum(columns["new_session"], dtype=np.int64) - 1
        self.actions = columns["actions"]
        self.views = columns["views"]
        self.purchases = columns["purchases"]
        self.cents = columns["cents"]
        self.product, self.products = _codes(columns["first_product"])
        self.segments = {c: _codes(columns[c]) for c in EVENT_SEGMENT_COLUMNS}
        for array in (self.day, self.session, self.actions, self.views, self.purchases,
                      self.cents, self.product):  # fmt: skip
            array.flags.writeable = False

    def sessions(self, period: DateRange, filters: OrderFilters | None = None) -> EventSessions:
        """The sessions with actions in `period`, in the segment of `filters` if it has one."""
        rows = np.flatnonzero(
            (self.day >= (period.start - EPOCH).days) & (self.day <= (period.end - EPOCH).days)
        )
        column = filters.segment_event_dimension if filters and filters.has_segment else None
        if filters is not None and filters.has_segment:
            if column is None:
                rows = rows[:0]  # events carry no such segment
            else:
                rows = self._in_segment(rows, column, str(filters.segment_value or ""))
        rows = rows[self.actions[rows] > 0]
        starts = _starts(self.session[rows])

        def per_session(values: np.ndarray) -> np.ndarray:
            picked = values[rows]
            if not len(rows):
                return picked
            return np.add.reduceat(picked, starts)

        return EventSessions(
            first_day=self.day[rows][starts],
            product=_first_valid(self.product[rows], starts),
            actions=per_session(self.actions),
            views=per_session(self.views),
            purchases=per_session(self.purchases),
            cents=per_session(self.cents),
            products=self.products,
        )

    def _in_segment(self, rows: np.ndarray, column: str, value: str) -> np.ndarray:
        codes, texts = self.segments[column]
        starts = _starts(self.session[rows])
        first = _first_valid(codes[rows], starts)
        wanted = value.lower()
        matches = np.array([str(t).lower() == wanted for t in texts] + [wanted == UNKNOWN])
        keep = matches[first]  # code -1 reads the last entry: no value, 'unknown'
        return rows[np.repeat(keep, np.diff(np.append(starts, len(rows))))]


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values)
    codes = codes.astype(np.int32)
    codes.flags.writeable = False
    return codes, np.asarray(uniques, dtype=object)


def _starts(session: np.ndarray) -> np.ndarray:
    """Where each session's run of rows starts."""
    if not len(session):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], session[1:] != session[:-1])))


def _first_valid(codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run of rows, its first code that is not -1 (-1 when none is)."""
    if not len(codes):
        return codes[:0]
    positions = np.where(codes >= 0, np.arange(len(codes)), len(codes))
    first = np.minimum.reduceat(positions, starts)
    return np.where(first < len(codes), codes[np.minimum(first, len(codes) - 1)], -1)


def _read(db: Database) -> SessionDays:
    segments = ", ".join(
        f"CAST(arg_min({c}, event_time) AS VARCHAR) AS {name}"
        for name, c in EVENT_SEGMENT_COLUMNS.items()
    )
    acts = "is_action AND event_type = 'purchase'"
    # sessions in order of their key's hash (sorting numbers is faster than 32-character texts),
    # the key itself only where two keys share a hash
    with db.cursor() as cur:
        columns = cur.execute(
            f"""WITH e AS (
            SELECT {SESSION_KEY} AS skey, local_date, event_time, event_type, product_id,
                   revenue, price, {_SEGMENT_COLUMNS_SQL}, {ACTION_SQL} AS is_action,
                   {IS_VIEW_SQL} AS is_view
            FROM {schema.EVENTS} WHERE local_date IS NOT NULL AND {HAS_SESSION_SQL}),
        d AS (
            SELECT skey, local_date,
                   count(*) FILTER (WHERE is_action) AS actions,
                   count(*) FILTER (WHERE is_action AND is_view) AS views,
                   CAST(arg_min(product_id, event_time) FILTER (WHERE is_action AND is_view)
                        AS VARCHAR) AS first_product,
                   count(*) FILTER (WHERE {acts}) AS purchases,
                   sum(coalesce(revenue, price, 0)) FILTER (WHERE {acts}) AS revenue,
                   {segments}
            FROM e GROUP BY skey, local_date)
        SELECT CAST(local_date - DATE '1970-01-01' AS INTEGER) AS day,
               skey IS DISTINCT FROM lag(skey) OVER (ORDER BY hash(skey), skey, local_date)
                   AS new_session,
               CAST(actions AS INTEGER) AS actions, CAST(views AS INTEGER) AS views,
               CAST(purchases AS INTEGER) AS purchases,
               CAST(coalesce(revenue, 0) * 100 AS BIGINT) AS cents,
               first_product, {", ".join(EVENT_SEGMENT_COLUMNS)}
        FROM d ORDER BY hash(skey), skey, local_date"""
        ).fetchnumpy()
    return SessionDays(columns)


def session_days(db: Database) -> SessionDays:
    """The per (session, day) sums (one statement per data version)."""
    return remember(db, _KEY, lambda: _read(db))


def event_sessions(
    db: Database, period: DateRange, filters: OrderFilters | None = None
) -> EventSessions | None:
    """The event sessions of `period` from the per-day sums, or None where the caller's direct
    query is the better plan: a store engine, or a short period while the sums are not read."""
    if not uses_rollup(db):
        return None
    if period.days <= ROLLUP_FROM_DAYS and not is_remembered(db, _KEY):
        return None
    return session_days(db).sessions(period, filters)
