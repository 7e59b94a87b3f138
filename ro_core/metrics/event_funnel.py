"""The event funnel: sessions of event-level data through product view, cart, checkout and
purchase (the rules in ro_core.metrics.funnel's module doc: closed or open, skipped steps, the
segment filter). Over a long period the counts come from the per (session, day) sums of
ro_core.metrics.event_sessions; otherwise from one pass over the events (_event_counts_sql).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.metrics.event_days import event_days
from ro_core.metrics.event_rules import (
    EVENT_SEGMENTS,
    EVENT_STEP_TYPES,
    HAS_SESSION_SQL,
    SESSION_KEY,
    event_keep,
    session_key,
)
from ro_core.metrics.event_sessions import session_days_for
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.funnel import FUNNEL_COLUMNS, STEP_LABELS, FunnelResult, rows_for_segment
from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import pins_version
from ro_core.store import schema
from ro_core.store.db import Database


def _empty_event_funnel(
    period: DateRange, closed: bool, segment_dimension: str | None, note: str
) -> FunnelResult:
    return FunnelResult.empty(
        "events", period, note, closed=closed, segment_dimension=segment_dimension
    )


@pins_version
def event_funnel(
    db: Database,
    period: DateRange,
    *,
    closed: bool = True,
    segment_dimension: str | None = None,
    filters: OrderFilters | None = None,
) -> FunnelResult:
    """Funnel from event-level data: closed (ordered steps) or open (each step on its own).

    `filters` supplies the segment filter only (events have no orders to filter).
    """
    if segment_dimension and segment_dimension not in EVENT_SEGMENTS:
        raise InvalidInputError(
            f"Events cannot be split by '{segment_dimension}': use one of "
            + ", ".join(EVENT_SEGMENTS)
            + "."
        )
    keep_sql, keep_params, why = event_keep(filters, period)
    if why and filters is not None:
        return _empty_event_funnel(
            period,
            closed,
            segment_dimension,
            f"{why} The event funnel cannot show only {filters.segment_label()}.",
        )
    rolled = session_days_for(db, period)
    if keep_sql and rolled is not None:
        present = rolled.step_types(period, filters)
    elif keep_sql:
        present = {
            r[0]
            for r in db.fetch_all(
                f"SELECT DISTINCT event_type FROM {schema.EVENTS} "
                f"WHERE local_date BETWEEN ? AND ? {keep_sql}",
                [period.start, period.end, *keep_params],
            )
        }
    else:  # the step types of the events' day counts
        present = {t for t, n in event_days(db).totals(period).by_type.items() if n}
    steps = ["sessions", *(s for s, t in EVENT_STEP_TYPES.items() if t in present)]
    if len(steps) == 1:
        where = f" with {filters.segment_label()}" if keep_sql and filters else ""
        return _empty_event_funnel(
            period,
            closed,
            segment_dimension,
            f"No funnel events (view, cart, checkout, purchase){where} for these dates.",
        )
    event_steps = steps[1:]
    if rolled is not None:
        agg = rolled.funnel_counts(period, filters, event_steps, segment_dimension)
    else:
        sql, params = _event_counts_sql(
            event_steps, segment_dimension, keep_sql, keep_params, period
        )
        agg = db.fetch_df(sql, params)
    rows: list[dict[str, Any]] = []
    for _, r in agg.iterrows():  # one row per segment (aggregates)
        reached = [float(r["sessions"])]
        continued: list[float | None] = [None]
        skipped = [0.0]
        for k, step in enumerate(event_steps):
            if closed:
                reached.append(float(r[f"chain_{step}"]))
                continued.append(float(r[f"chain_{step}"]))
            else:
                reached.append(float(r[f"reached_{step}"]))
                continued.append(float(r[f"both_{step}"]) if k > 0 else float(r[f"reached_{step}"]))
            skipped.append(float(r[f"skipped_{step}"]) if k > 0 else 0.0)
        rows.extend(rows_for_segment(r["segment"], steps, reached, continued, skipped))
    missing = [STEP_LABELS[s].lower() for s in EVENT_STEP_TYPES if s not in steps]
    note = (
        "Closed funnel: a session counts at a step only after doing every earlier step in order."
        if closed
        else "Open funnel: each step counts the sessions that did it, whatever they did before."
    )
    note += " Sessions from event session ids (else user and day)."
    if missing:
        note += " No events for: " + ", ".join(missing) + "."
    if keep_sql and filters is not None:
        note += (
            f" Only sessions with {filters.segment_label()} (the value on a session's first event)."
        )
    return FunnelResult(
        kind="events",
        closed=closed,
        steps=tuple(steps),
        period=period,
        segment_dimension=segment_dimension,
        frame=pd.DataFrame(rows, columns=FUNNEL_COLUMNS),
        note=note,
    )


def _event_counts_sql(
    event_steps: list[str],
    segment_dimension: str | None,
    keep_sql: str,
    keep_params: list[Any],
    period: DateRange,
) -> tuple[str, list[Any]]:
    """SQL (and params) of the per-segment step counts of an event funnel.

    One row per segment: sessions, and per step reached_ (sessions with the step's event),
    chain_ (closed funnel), both_ / skipped_ (with / without the previous step's event).

    The closed chain is the earliest-first greedy match: t1 = first event of step 1, t2 = first
    event of step 2 at or after t1, and so on; a session reaches step k when t_k exists. One pass
    groups the events by session and keeps the first (mn) and last (mx) time of each step, from
    which the chain follows without joining events again:
    - step 2 is reached iff mx2 >= mn1; t2 = mn2 when mn2 >= mn1;
    - step 3 iff some step-3 event is at or after t2: t2 <= mx3;
    - step 4 iff some step-3 event lies in [t2, mx4]: t2 <= u3, u3 = the last step-3 event at or
      before mx4 (= mx3 when mx3 <= mx4).
    Only sessions where t2 or u3 is not one of those (a step-2 event before the first step-1
    event and another after it; step-3 events on both sides of the last step-4 event) are
    looked up in a second, narrow pass over their step-2/3 events. Plain aggregates, CASE and
    joins only, so the SQL carries over to other engines.
    """
    types = [EVENT_STEP_TYPES[s] for s in event_steps]
    last = len(types)
    segment_sql = (
        "coalesce(CAST(arg_min(seg_value, event_time) AS VARCHAR), 'unknown')"
        if segment_dimension
        else "'All'"
    )
    times = ", ".join(
        f"min(CASE WHEN event_type = '{t}' THEN event_time END) AS mn{k}, "
        f"max(CASE WHEN event_type = '{t}' THEN event_time END) AS mx{k}"
        for k, t in enumerate(types, 1)
    )
    sql = f"""WITH s AS (
            SELECT {SESSION_KEY} AS skey, {segment_sql} AS segment, {times}
            FROM (SELECT session_id, user_id, local_date, event_type, event_time,
                         {segment_dimension or "NULL"} AS seg_value
                  FROM {schema.EVENTS}
                  WHERE local_date BETWEEN ? AND ?
                    AND {HAS_SESSION_SQL} {keep_sql}) e
            GROUP BY 1
        )"""
    params: list[Any] = [period.start, period.end, *keep_params]
    chain = {1: "mn1 IS NOT NULL", 2: "mx2 >= mn1", 3: "t2 <= mx3", 4: "t2 <= u3"}
    if last >= 3:
        # t2 / u3 of the sessions the first and last times do not settle
        need = ["(mn2 < mn1 AND mx2 >= mn1 AND mx3 >= mn1)"]
        looked_up = [
            f"min(CASE WHEN e.event_type = '{types[1]}' AND e.event_time >= a.mn1 "
            "THEN e.event_time END) AS t2"
        ]
        if last == 4:
            need.append("(mx3 > mx4 AND mn3 <= mx4)")
            looked_up.append(
                f"max(CASE WHEN e.event_type = '{types[2]}' AND e.event_time <= a.mx4 "
                "THEN e.event_time END) AS u3"
            )
        in_types = ", ".join(f"'{t}'" for t in types[1 : last - 1])
        sql += f""",
        a AS (SELECT skey, mn1{", mx4" if last == 4 else ""} FROM s WHERE {" OR ".join(need)}),
        c AS (
            SELECT a.skey, {", ".join(looked_up)}
            FROM {schema.EVENTS} e JOIN a ON a.skey = {session_key("e")}
            WHERE e.local_date BETWEEN ? AND ? AND e.event_type IN ({in_types})
            GROUP BY a.skey
        ),
        per AS (
            SELECT s.*, CASE WHEN mn2 >= mn1 THEN mn2 ELSE c.t2 END AS t2{
            ", CASE WHEN mx3 <= mx4 THEN mx3 ELSE c.u3 END AS u3" if last == 4 else ""
        }
            FROM s LEFT JOIN c ON c.skey = s.skey
        )"""
        params += [period.start, period.end]
    else:
        sql += ", per AS (SELECT * FROM s)"
    counts = []
    for k, step in enumerate(event_steps, 1):
        counts.append(f"count(mn{k}) AS reached_{step}")
        counts.append(f"count(CASE WHEN {chain[k]} THEN 1 END) AS chain_{step}")
        if k > 1:
            counts.append(f"count(CASE WHEN mn{k - 1} IS NOT NULL THEN mn{k} END) AS both_{step}")
            counts.append(f"count(CASE WHEN mn{k - 1} IS NULL THEN mn{k} END) AS skipped_{step}")
    sql += f"""
        SELECT segment, count(*) AS sessions, {", ".join(counts)}
        FROM per GROUP BY segment ORDER BY count(*) DESC, segment"""
    return sql, params
