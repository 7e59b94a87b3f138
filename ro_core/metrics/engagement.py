"""Engagement and bounce: engaged sessions, engagement rate and bounce rate, per source.

Each figure comes from one source, never a mix (the scope's ``filters.traffic_source``, else
``sources.default_traffic_source``), and each source has its own definition (BASIS_*):

- GA4 (and a mapped file with engaged sessions): GA4's engaged sessions (lasted 10 seconds or
  more, had a key event or two or more page views), engagement rate = engaged sessions /
  sessions, bounce rate = 1 - engagement rate (GA4's own definition of bounce).
- Shopify: the bounce rate its landing-page and sessions reports carry (sessions that viewed a
  single page). The importer stores the sessions that did not bounce, sessions x (1 - bounce
  rate), in the traffic table's ``engaged_sessions`` column; Shopify reports no engaged sessions,
  so engaged sessions and engagement rate stay None for it.
- Events: a session (``session_id``, else user and day) bounces when it has exactly one event
  that is a page or product view and nothing else (GA4's session_start / first_visit
  bookkeeping events do not count). Bounce rate = bounced sessions / sessions. Events give no
  engaged sessions (they carry no engagement time).

The sessions of a figure are those of the rows that report engagement (store totals, else a
breakdown that partitions sessions, such as landing pages, see ``select_traffic``), so the
numerator and denominator always come from the same rows; ``share`` says what part of the
period's sessions they cover. Intervals are Wilson 95% intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from ro_core.metrics._sql import safe_div
from ro_core.metrics._stats import wilson_interval
from ro_core.metrics.event_rules import (
    ACTION_SQL,
    HAS_SESSION_SQL,
    IS_VIEW_SQL,
    SESSION_KEY,
    event_keep,
)
from ro_core.metrics.event_sessions import event_sessions
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.metrics.segments import MIN_SEGMENT_SESSIONS
from ro_core.metrics.sources import SOURCE_LABELS
from ro_core.metrics.traffic import (
    no_traffic_note,
    segment_value_sql,
    select_traffic,
    traffic_source_for,
)
from ro_core.metrics.traffic_inventory import row_sums
from ro_core.metrics.traffic_totals import selection_units
from ro_core.metrics.versioned import pins_version
from ro_core.store import schema
from ro_core.store.db import Database

ENGAGED = ("engaged_sessions",)
EVENTS = "events"
BASIS_ENGAGED = "engaged sessions / sessions; bounce rate = 1 - engagement rate"
BASIS_SHOPIFY = "bounce rate as Shopify reports it (sessions that viewed a single page)"
BASIS_EVENTS = "sessions with a single page or product view and nothing else / sessions"
SEGMENT_COLUMNS = [
    "segment",
    "sessions",
    "engaged_sessions",
    "engagement_rate",
    "engagement_low",
    "engagement_high",
    "bounced_sessions",
    "bounce_rate",
    "bounce_low",
    "bounce_high",
    "small_sample",
]


@dataclass(frozen=True)
class Engagement:
    """Engagement of one source over one period. None wherever the source cannot say.

    Attributes:
        source: 'shopify', 'ga4', 'mapped' or 'events'; source_label for people.
        basis: how the figures are defined for this source (BASIS_*).
        sessions: sessions of the rows that report engagement.
        engaged_sessions / engagement_rate: GA4 and mapped files only.
        bounced_sessions / bounce_rate: every source.
        *_low / *_high: Wilson 95% intervals.
        share: sessions / the period's sessions of the same source (None: unknown).
        note: which rows and days, for people.
    """

    source: str
    source_label: str
    basis: str
    sessions: float
    engaged_sessions: float | None
    engagement_rate: float | None
    engagement_low: float | None
    engagement_high: float | None
    bounced_sessions: float | None
    bounce_rate: float | None
    bounce_low: float | None
    bounce_high: float | None
    share: float | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _figures(
    source: str, sessions: float, kept: float | None, *, bounced: float | None = None
) -> dict[str, Any]:
    """Rates and intervals from sessions and the engaged (GA4) / not bounced (Shopify) count."""
    engaged = engagement = e_low = e_high = None
    if source == EVENTS:
        pass
    elif source == "shopify":
        bounced = sessions - kept if kept is not None else None
    else:
        engaged = kept
        engagement = safe_div(engaged, sessions)
        e_low, e_high = wilson_interval(engaged, sessions)
        bounced = sessions - engaged if engaged is not None else None
    b_low, b_high = wilson_interval(bounced, sessions)
    return {
        "engaged_sessions": engaged,
        "engagement_rate": engagement,
        "engagement_low": e_low,
        "engagement_high": e_high,
        "bounced_sessions": bounced,
        "bounce_rate": safe_div(bounced, sessions),
        "bounce_low": b_low,
        "bounce_high": b_high,
    }


def _basis(source: str) -> str:
    if source == EVENTS:
        return BASIS_EVENTS
    return BASIS_SHOPIFY if source == "shopify" else BASIS_ENGAGED


@pins_version
def traffic_engagement(
    db: Database, period: DateRange, filters: OrderFilters
) -> tuple[Engagement | None, str]:
    """(engagement of the scope's traffic source, note); (None, why) when it has none."""
    selection = select_traffic(db, period, filters, measures=ENGAGED)
    if selection is None:
        source, _why = traffic_source_for(db, filters)
        if source is None:
            return None, ""
        label = SOURCE_LABELS.get(source, source)
        note = no_traffic_note(db, filters, " with engagement or bounce figures")
        if "traffic has it" not in note:
            note = (
                f"The {label} traffic reports no engagement or bounce for these dates"
                + (" (Shopify reports bounce in its sessions by landing page report)."
                   if source == "shopify" else ".")
            )  # fmt: skip
        return None, note
    # rows with both sessions and engaged sessions (sums from the traffic inventory)
    both = row_sums(
        u for u in selection_units(db, selection) if {"sessions", ENGAGED[0]} <= u.measures
    )
    sessions = float(both.total("sessions") or 0.0)
    if sessions <= 0:
        return None, f"The {selection.source_label} traffic has no sessions with engagement."
    kept = min(float(both.total(ENGAGED[0]) or 0.0), sessions)
    total = select_traffic(db, selection.effective_range, filters)
    share = None
    if total is not None:
        all_sessions = row_sums(selection_units(db, total)).total("sessions")
        share = safe_div(sessions, float(all_sessions)) if all_sessions else None
    what = "bounce rate" if selection.source == "shopify" else "engaged sessions"
    note = f"{selection.source_label} {what}, {selection.effective_range.label()}"
    if selection.dimensions_key:
        note += f", added up over its {selection.dimensions_key.replace(',', ' and ')} breakdown"
    if selection.segment_dimension is not None:
        note += f", only sessions with {selection.segment_label()}"
    if share is not None and abs(share - 1) > 0.02:
        note += f" ({share:.1%} of the period's {selection.source_label} sessions)"
    note += "."
    result = Engagement(
        source=selection.source,
        source_label=selection.source_label,
        basis=_basis(selection.source),
        sessions=sessions,
        **_figures(selection.source, sessions, kept),
        share=share,
        note=note,
    )
    return result, note


def session_events_sql(filters: OrderFilters | None, period: DateRange) -> tuple[str, list[Any]]:
    """SQL of the events that make up the event sessions of the period, by the rules of
    ro_core.metrics.event_rules (which events count, the session key, what a view is, the
    segment filter): skey, local_date, event_time, event_type, product_id, revenue, price,
    is_view.

    Raises nothing; a segment the events cannot tell apart gives no rows.
    """
    keep, keep_params, why = event_keep(filters, period)
    if why:
        keep, keep_params = "AND false", []
    sql = f"""SELECT {SESSION_KEY} AS skey, local_date, event_time, event_type, product_id,
               revenue, price, {IS_VIEW_SQL} AS is_view
        FROM {schema.EVENTS}
        WHERE local_date BETWEEN ? AND ? AND {HAS_SESSION_SQL} AND {ACTION_SQL} {keep}"""
    return sql, [period.start, period.end, *keep_params]


def event_sessions_sql(filters: OrderFilters | None, period: DateRange) -> tuple[str, list[Any]]:
    """SQL of one row per event session of the period: skey, first_date, first_product (the
    landing page: the product of the first page or product view), events (visitor actions),
    views, bounced (exactly one action and it is a view), purchased, revenue.

    Raises nothing; a segment the events cannot tell apart gives no rows.
    """
    events_sql, params = session_events_sql(filters, period)
    sql = f"""WITH e AS ({events_sql})
    SELECT skey, min(local_date) AS first_date,
           arg_min(CAST(product_id AS VARCHAR), event_time) FILTER (WHERE is_view)
               AS first_product,
           count(*) AS events, count(*) FILTER (WHERE is_view) AS views,
           count(*) = 1 AND bool_and(is_view) AS bounced,
           bool_or(event_type = 'purchase') AS purchased,
           coalesce(sum(coalesce(revenue, price)) FILTER (WHERE event_type = 'purchase'), 0)
               AS revenue
    FROM e GROUP BY skey"""
    return sql, params


def event_engagement(
    db: Database, period: DateRange, filters: OrderFilters | None = None
) -> Engagement | None:
    """Bounce rate from event data by the rule of the module doc; None without events."""
    rolled = event_sessions(db, period, filters, read=False)  # the Overview does not wait
    if rolled is not None:
        row = (len(rolled.first_day), int(rolled.bounced.sum()), *rolled.first_dates())
    else:
        sql, params = event_sessions_sql(filters, period)
        row = db.fetch_one(
            f"""SELECT count(*), count(*) FILTER (WHERE bounced), min(first_date),
                   max(first_date)
            FROM ({sql})""",
            params,
        )
    sessions = float(row[0]) if row and row[0] else 0.0
    if sessions <= 0:
        return None
    note = f"Event data, {row[2]} to {row[3]}: a session with a single view and nothing else"
    return Engagement(
        source=EVENTS,
        source_label="Events",
        basis=BASIS_EVENTS,
        sessions=sessions,
        **_figures(EVENTS, sessions, None, bounced=float(row[1])),
        share=None,
        note=note + " bounces.",
    )


@dataclass(frozen=True)
class EngagementSummary:
    """Engagement of a scope: the traffic source's figures and, apart, the event data's."""

    traffic: Engagement | None
    events: Engagement | None
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "traffic": self.traffic.to_dict() if self.traffic else None,
            "events": self.events.to_dict() if self.events else None,
            "notes": list(self.notes),
        }


@pins_version
def engagement(db: Database, scope: Scope) -> EngagementSummary:
    """Engagement of the scope's period: traffic source and events, never mixed."""
    traffic, note = traffic_engagement(db, scope.period, scope.filters)
    events = event_engagement(db, scope.period, scope.filters)
    notes = [note] if note else []
    if events is not None:
        notes.append(events.note)
    return EngagementSummary(traffic, events, tuple(notes))


@pins_version
def engagement_by_segment(
    db: Database, period: DateRange, filters: OrderFilters, dimension: str
) -> pd.DataFrame:
    """Engagement per value of a traffic dimension (SEGMENT_COLUMNS), biggest first.

    Empty when the scope's source has no breakdown by `dimension` with engagement. The frame's
    attrs hold 'source' and 'basis'.
    """
    selection = select_traffic(db, period, filters, dimension=dimension, measures=ENGAGED)
    frame = pd.DataFrame(columns=SEGMENT_COLUMNS)
    if selection is None:
        return frame
    where, params = selection.where_sql("t")
    value = segment_value_sql(dimension, "t")
    sums = db.fetch_all(
        f"""SELECT {value} AS segment, sum(t.sessions), sum(t.engaged_sessions)
        FROM {schema.TRAFFIC} t
        WHERE {where} AND t.sessions IS NOT NULL AND t.engaged_sessions IS NOT NULL
        GROUP BY 1 HAVING sum(t.sessions) > 0 ORDER BY 2 DESC, 1""",
        params,
    )
    rows = []
    for segment, sessions, kept in sums:
        sessions = float(sessions)
        figures = _figures(selection.source, sessions, min(float(kept), sessions))
        rows.append(
            {
                "segment": segment,
                "sessions": sessions,
                **figures,
                "small_sample": sessions < MIN_SEGMENT_SESSIONS,
            }
        )
    frame = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    frame.attrs.update(source=selection.source, basis=_basis(selection.source))
    return frame


@pins_version
def engagement_trend(db: Database, scope: Scope) -> pd.DataFrame:
    """Per traffic period of the scope's source: period_start, sessions, engagement_rate,
    bounce_rate (columns None where the source cannot say). Empty without engagement rows."""
    columns = ["period_start", "period_end", "sessions", "engagement_rate", "bounce_rate"]
    selection = select_traffic(db, scope.period, scope.filters, measures=ENGAGED)
    if selection is None:
        return pd.DataFrame(columns=columns)
    where, params = selection.where_sql("t")
    rows = db.fetch_all(
        f"""SELECT t.period_start, t.period_end, sum(t.sessions), sum(t.engaged_sessions)
        FROM {schema.TRAFFIC} t
        WHERE {where} AND t.sessions IS NOT NULL AND t.engaged_sessions IS NOT NULL
        GROUP BY 1, 2 HAVING sum(t.sessions) > 0 ORDER BY 1""",
        params,
    )
    out = []
    for start, end, sessions, kept in rows:
        figures = _figures(selection.source, float(sessions), min(float(kept), float(sessions)))
        out.append(
            {
                "period_start": start,
                "period_end": end,
                "sessions": float(sessions),
                "engagement_rate": figures["engagement_rate"],
                "bounce_rate": figures["bounce_rate"],
            }
        )
    frame = pd.DataFrame(out, columns=columns)
    frame.attrs.update(source=selection.source, grain=selection.grain)
    return frame
