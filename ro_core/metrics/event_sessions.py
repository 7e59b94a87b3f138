"""The event sessions' sums per session and store-local day, read once per data version.

A question about event sessions over a long period (landing pages over a year: 5M events in
500,000 sessions) groups every event by its 32-character session key, which costs by events.
The sums here are read once per data version, one row per session and day with events (about
one per session), and a period adds up its days per session in NumPy: it costs by sessions, and
a new period costs no statement. The local DuckDB file only, as the product rollup (with a store
engine the rows would travel): callers keep their direct query for that case.

The rules are those of ro_core.metrics.event_rules (the session key, which events are actions,
what a view is, the segment filter: a session's segment is the first value its events in the
period have, 'unknown' when none has one, compared without case). A session over a period is
its days inside the period: per day the first viewed product (a product view or a page view
naming a product), the actions, views and purchases and the purchase revenue (purchase value,
else price, else 0), per segment column the first value of its events (bookkeeping events too,
as event_keep reads them), and for the event funnel the times its closed chain needs (see
``SessionDays.funnel_counts``). Landing pages, the event funnel and the events' bounce rate read
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ro_core.metrics.event_days import EventTotals, event_days
from ro_core.metrics.event_rules import (
    ACTION_SQL,
    ALL_SEGMENTS,
    EVENT_SEGMENT_COLUMNS,
    EVENT_STEP_TYPES,
    HAS_SESSION_SQL,
    IS_VIEW_SQL,
    SESSION_KEY,
    session_key,
)
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.month_rollup import EPOCH, day_number
from ro_core.metrics.periods import DateRange
from ro_core.metrics.product_rollup import uses_rollup
from ro_core.metrics.versioned import is_remembered, remember
from ro_core.store import schema
from ro_core.store.db import Database

ROLLUP_FROM_DAYS = 120
"""Periods longer than this (a year, year to date) read the sums: once per data version, in
1.3-2 s at 5M events, then under 200 ms for any period. Shorter ones (up to a quarter) keep
their direct query (under 100 ms warm at 5M events) unless the sums are already read."""
MAX_EVENTS = 20_000_000
"""Stores with more events keep the direct queries: the sums hold about 16 bytes per event
(80 MB at 5M events, two data versions kept), so memory, not time, bounds them."""
UNKNOWN = "unknown"
"""The segment of a session none of whose events has a value (as event_keep)."""
_KEY = "event session days"
STEP_TYPES: tuple[str, ...] = tuple(EVENT_STEP_TYPES.values())
"""The funnel's event types in funnel order (view, cart, checkout, purchase)."""
LATEST = 2**62
"""Microseconds standing for 'no such event' where the first time is kept."""
EARLIEST = -(2**62)
"""Microseconds standing for 'no such event' where the last time is kept."""
# t2 of the closed funnel pairs its first two step types, whichever they are; u3 its last two,
# which are checkout and purchase whenever there are four
_AFTER_PAIRS = tuple((a, b) for i, a in enumerate(STEP_TYPES) for b in STEP_TYPES[i + 1 :])
_BEFORE_PAIR = (STEP_TYPES[2], STEP_TYPES[3])
_TIME_COLUMNS = (
    *(f"{end}_{t}" for t in STEP_TYPES for end in ("mn", "mx")),
    *(f"after_{a}_{b}" for a, b in _AFTER_PAIRS),
    f"before_{_BEFORE_PAIR[0]}_{_BEFORE_PAIR[1]}",
)
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
        self.times = {name: columns[name] for name in _TIME_COLUMNS}
        for array in (self.day, self.session, self.actions, self.views, self.purchases,
                      self.cents, self.product, *self.times.values()):  # fmt: skip
            array.flags.writeable = False

    def _rows(self, period: DateRange, filters: OrderFilters | None) -> np.ndarray:
        """The rows of `period`'s days, of the sessions in the segment of `filters`."""
        rows = np.flatnonzero(
            (self.day >= day_number(period.start)) & (self.day <= day_number(period.end))
        )
        if filters is None or not filters.has_segment:
            return rows
        column = filters.segment_event_dimension
        if column is None:
            return rows[:0]  # events carry no such segment
        return self._in_segment(rows, column, str(filters.segment_value or ""))

    def sessions(self, period: DateRange, filters: OrderFilters | None = None) -> EventSessions:
        """The sessions with actions in `period`, in the segment of `filters` if it has one."""
        rows = self._rows(period, filters)
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
        return rows[np.repeat(keep, _lengths(starts, len(rows)))]

    def step_types(self, period: DateRange, filters: OrderFilters | None = None) -> set[str]:
        """The funnel's event types some session of the period (in the segment) has."""
        rows = self._rows(period, filters)
        return {t for t in STEP_TYPES if (self.times[f"mn_{t}"][rows] < LATEST).any()}

    def funnel_counts(
        self,
        period: DateRange,
        filters: OrderFilters | None,
        steps: list[str],
        segment_dimension: str | None,
    ) -> pd.DataFrame:
        """Per segment of `segment_dimension` ('All' without one), biggest first: sessions and per
        funnel step of `steps` (EVENT_STEP_TYPES keys, in funnel order) reached_, chain_ (closed
        funnel), both_ and skipped_ (with / without the previous step), by the rules of
        ro_core.metrics.event_funnel._event_counts_sql."""
        types = [EVENT_STEP_TYPES[step] for step in steps]
        rows = self._rows(period, filters)
        starts = _starts(self.session[rows])
        n = len(rows)
        first_time = {}
        last_time = {}
        for t in types:
            first_time[t] = _per_run(np.minimum, self.times[f"mn_{t}"][rows], starts)
        for t in types[1:3]:  # the chain's second and third steps
            last_time[t] = _per_run(np.maximum, self.times[f"mx_{t}"][rows], starts)
        counts: dict[str, np.ndarray] = {}
        chain = first_time[types[0]] < LATEST
        if len(types) >= 2:
            chain2 = last_time[types[1]] >= first_time[types[0]]
        if len(types) >= 3:
            # t2: the first types[1] event at or after the first types[0] event: on the day of
            # that first event, the day's own (a column), then the later days' first ones
            a, b = types[0], types[1]
            day_of_a = np.repeat(
                _first_position(self.times[f"mn_{a}"][rows] < LATEST, starts), _lengths(starts, n)
            )
            position = np.arange(n)
            candidate = np.where(position > day_of_a, self.times[f"mn_{b}"][rows], LATEST)
            candidate = np.where(position == day_of_a, self.times[f"after_{a}_{b}"][rows],
                                 candidate)  # fmt: skip
            t2 = _per_run(np.minimum, candidate, starts)
        if len(types) == 4:
            # u3: the last checkout at or before the last purchase, the mirror image of t2
            c, d = types[2], types[3]
            day_of_d = np.repeat(
                _last_position(self.times[f"mx_{d}"][rows] > EARLIEST, starts),
                _lengths(starts, n),
            )
            candidate = np.where(position < day_of_d, self.times[f"mx_{c}"][rows], EARLIEST)
            candidate = np.where(position == day_of_d, self.times[f"before_{c}_{d}"][rows],
                                 candidate)  # fmt: skip
            u3 = _per_run(np.maximum, candidate, starts)
        chains = [chain]
        if len(types) >= 2:
            chains.append(chain2)
        if len(types) >= 3:
            chains.append(t2 <= last_time[types[2]])
        if len(types) == 4:
            chains.append(t2 <= u3)
        for k, (step, t) in enumerate(zip(steps, types, strict=True)):
            reached = first_time[t] < LATEST
            counts[f"reached_{step}"] = reached
            counts[f"chain_{step}"] = chains[k]
            if k:
                before = first_time[types[k - 1]] < LATEST
                counts[f"both_{step}"] = reached & before
                counts[f"skipped_{step}"] = reached & ~before
        segment, names = self._segments(rows, starts, segment_dimension)
        sums = {"sessions": np.bincount(segment, minlength=len(names))}
        for name, values in counts.items():
            sums[name] = np.bincount(segment, weights=values, minlength=len(names))
        frame = pd.DataFrame({"segment": names, **{k: v.astype(np.int64) for k, v in sums.items()}})
        frame = frame[frame["sessions"] > 0]
        return frame.sort_values(["sessions", "segment"], ascending=[False, True],
                                 ignore_index=True)  # fmt: skip

    def _segments(
        self, rows: np.ndarray, starts: np.ndarray, dimension: str | None
    ) -> tuple[np.ndarray, list[str]]:
        """Per session the index of its segment in the returned texts: the first value its
        events have, 'unknown' without one ('All' without a dimension)."""
        if dimension is None:
            return np.zeros(len(starts), dtype=np.int64), [ALL_SEGMENTS]
        codes, texts = self.segments[EVENT_SEGMENT_COLUMNS[dimension]]
        first = _first_valid(codes[rows], starts)
        # a value 'unknown' and no value are one segment, as the SQL's coalesce makes them
        index: dict[str, int] = {}
        merged = np.array([index.setdefault(str(t), len(index)) for t in [*texts, UNKNOWN]])
        return merged[first], list(index)  # code -1 reads the last entry: no value


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


def _lengths(starts: np.ndarray, n: int) -> np.ndarray:
    return np.diff(np.append(starts, n))


def _per_run(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if not len(values):
        return values[:0]
    return ufunc.reduceat(values, starts)


def _first_position(valid: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run of rows, the position of its first valid row (len(valid) when none is)."""
    positions = np.where(valid, np.arange(len(valid)), len(valid))
    return _per_run(np.minimum, positions, starts)


def _last_position(valid: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run of rows, the position of its last valid row (-1 when none is)."""
    positions = np.where(valid, np.arange(len(valid)), -1)
    return _per_run(np.maximum, positions, starts)


def _first_valid(codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run of rows, its first code that is not -1 (-1 when none is)."""
    if not len(codes):
        return codes[:0]
    first = _first_position(codes >= 0, starts)
    return np.where(first < len(codes), codes[np.minimum(first, len(codes) - 1)], -1)


def _step_columns_sql(present: set[str]) -> tuple[str, str, str, str]:
    """SQL pieces of the funnel's per-day times: the first and last time of each step type, and
    per pair of types the first later one at or after the day's first earlier one (after_a_b)
    and the last checkout at or before the day's last purchase (before_checkout_purchase).
    Most days settle these from the first and last times; the others (a cart before the day's
    first view and another after it) are looked up in a narrow second pass, as the funnel does.
    Types the store has no event of (`present` lacks them) are constants, not aggregates.
    Returns (aggregates, ambiguous days condition, lookups with a leading comma, final columns).
    """
    micros = "epoch_us(event_time)"
    aggregates = ", ".join(
        f"min({micros}) FILTER (WHERE event_type = '{t}') AS mn_{t}, "
        f"max({micros}) FILTER (WHERE event_type = '{t}') AS mx_{t}"
        if t in present
        else f"CAST(NULL AS BIGINT) AS mn_{t}, CAST(NULL AS BIGINT) AS mx_{t}"
        for t in STEP_TYPES
    )
    ambiguous, lookups, finals = ["false"], [""], []
    for a, b in _AFTER_PAIRS:
        if not {a, b} <= present:
            finals.append(f"{LATEST} AS after_{a}_{b}")
            continue
        ambiguous.append(f"(mn_{b} < mn_{a} AND mx_{b} >= mn_{a})")
        lookups.append(
            f"min(CASE WHEN ev.event_type = '{b}' AND epoch_us(ev.event_time) >= amb.mn_{a} "
            f"THEN epoch_us(ev.event_time) END) AS after_{a}_{b}"
        )
        finals.append(
            f"coalesce(CASE WHEN mn_{b} >= mn_{a} THEN mn_{b} WHEN mx_{b} >= mn_{a} "
            f"THEN look.after_{a}_{b} END, {LATEST}) AS after_{a}_{b}"
        )
    c, d = _BEFORE_PAIR
    if {c, d} <= present:
        ambiguous.append(f"(mx_{c} > mx_{d} AND mn_{c} <= mx_{d})")
        lookups.append(
            f"max(CASE WHEN ev.event_type = '{c}' AND epoch_us(ev.event_time) <= amb.mx_{d} "
            f"THEN epoch_us(ev.event_time) END) AS before_{c}_{d}"
        )
        finals.append(
            f"coalesce(CASE WHEN mx_{c} <= mx_{d} THEN mx_{c} WHEN mn_{c} <= mx_{d} "
            f"THEN look.before_{c}_{d} END, {EARLIEST}) AS before_{c}_{d}"
        )
    else:
        finals.append(f"{EARLIEST} AS before_{c}_{d}")
    finals += [f"coalesce(mn_{t}, {LATEST}) AS mn_{t}, coalesce(mx_{t}, {EARLIEST}) AS mx_{t}"
               for t in STEP_TYPES]  # fmt: skip
    return aggregates, " OR ".join(ambiguous), ", ".join(lookups), ", ".join(finals)


def _read(db: Database) -> SessionDays:
    # what the store has no value or event of at all is a constant (REES46 logs have no
    # channel, device, country or checkout): each aggregate over 5M events costs ~0.1 s
    totals = _store_totals(db)
    filled = {c for c in EVENT_SEGMENT_COLUMNS.values() if totals and totals.filled.get(c)}
    present = {t for t in STEP_TYPES if totals and totals.by_type.get(t)}
    segments = ", ".join(
        f"CAST(arg_min({c}, event_time) AS VARCHAR) AS {name}"
        if c in filled
        else f"CAST(NULL AS VARCHAR) AS {name}"
        for name, c in EVENT_SEGMENT_COLUMNS.items()
    )
    acts = "is_action AND event_type = 'purchase'"
    aggregates, ambiguous, lookups, finals = _step_columns_sql(present)
    later_types = ", ".join(f"'{t}'" for t in STEP_TYPES[1:])
    # sessions in order of their key's hash (sorting numbers is faster than 32-character texts):
    # a session is a run of rows with one key. Two keys would need the same 64-bit hash and
    # days that interleave (about 1 in 10^8 at 500,000 sessions) for one to count as two.
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
                   {segments}, {aggregates}
            FROM e GROUP BY skey, local_date),
        amb AS (SELECT * FROM d WHERE {ambiguous}),
        look AS (
            SELECT amb.skey, amb.local_date{lookups}
            FROM {schema.EVENTS} ev
            JOIN amb ON amb.skey = {session_key("ev")} AND amb.local_date = ev.local_date
            WHERE ev.event_type IN ({later_types})
            GROUP BY amb.skey, amb.local_date)
        SELECT CAST(d.local_date - DATE '1970-01-01' AS INTEGER) AS day,
               d.skey IS DISTINCT FROM lag(d.skey) OVER (
                   ORDER BY hash(d.skey), d.local_date) AS new_session,
               CAST(actions AS INTEGER) AS actions, CAST(views AS INTEGER) AS views,
               CAST(purchases AS INTEGER) AS purchases,
               CAST(coalesce(revenue, 0) * 100 AS BIGINT) AS cents,
               first_product, {", ".join(EVENT_SEGMENT_COLUMNS)}, {finals}
        FROM d LEFT JOIN look ON look.skey = d.skey AND look.local_date = d.local_date
        ORDER BY hash(d.skey), d.local_date"""
        ).fetchnumpy()
    return SessionDays(columns)


def session_days(db: Database) -> SessionDays:
    """The per (session, day) sums (one statement per data version)."""
    return remember(db, _KEY, lambda: _read(db))


def session_days_for(db: Database, period: DateRange, *, read: bool = True) -> SessionDays | None:
    """The per-day session sums for a question about `period`, or None where the caller's direct
    query is the better plan: a store engine, or while the sums are not read, a short period, a
    store of more than MAX_EVENTS events, or any period when `read` is False (the Overview,
    which should not wait for them)."""
    if not uses_rollup(db):
        return None
    if is_remembered(db, _KEY):
        return session_days(db)
    if not read or period.days <= ROLLUP_FROM_DAYS:
        return None
    totals = _store_totals(db)
    if totals is not None and totals.events > MAX_EVENTS:
        return None
    return session_days(db)


def _store_totals(db: Database) -> EventTotals | None:
    """The counts of every event of the store (None without events)."""
    days = event_days(db).days
    return event_days(db).totals(DateRange(days[0], days[-1])) if days else None


def event_sessions(
    db: Database, period: DateRange, filters: OrderFilters | None = None, *, read: bool = True
) -> EventSessions | None:
    """The event sessions of `period` from the per-day sums, or None (see session_days_for)."""
    days = session_days_for(db, period, read=read)
    return None if days is None else days.sessions(period, filters)
