"""Daily aggregates for the store-health monitor, and the check itself.

SQL returns one row per day (and per device or channel where the traffic splits by day): the
funnel counts of the scope's traffic source, and the orders' count, revenue and sum of squared
order values. ro_core.health.detect turns them into alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ro_core.errors import NoDataError
from ro_core.health import detect
from ro_core.metrics._sql import filtered_orders_sql
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.sources import SOURCE_LABELS, default_traffic_source
from ro_core.store import schema
from ro_core.store.db import Database

SEGMENT_DIMENSIONS = ("device", "channel")
DUPLICATE_WINDOW_SECONDS = 120
# traffic measure -> daily frame column
TRAFFIC_COUNTS = {
    "sessions": "sessions",
    "cart_sessions": "cart",
    "checkout_sessions": "checkout",
    "converted_sessions": "conversions",
}


def _traffic_daily(
    db: Database, source: str, first: date, last: date, dimension: str | None
) -> pd.DataFrame:
    """Daily traffic counts of one source: store totals, or one row per value of `dimension`."""
    sums = ", ".join(
        f"CASE WHEN count({m}) = count(*) THEN sum({m}) END AS {c}"
        for m, c in TRAFFIC_COUNTS.items()
    )
    if dimension is not None and dimension not in schema.TRAFFIC_DIMENSIONS:
        raise ValueError(f"{dimension} is not a traffic dimension")
    # the dimension is an identifier from schema constants, never user text
    segment = (
        "''" if dimension is None else f"'{dimension} = ' || coalesce(t.{dimension}, 'unknown')"
    )
    dimensions = "" if dimension is None else dimension
    return db.fetch_df(
        f"""SELECT t.period_start AS day, {segment} AS segment, {sums}
        FROM {schema.TRAFFIC} t
        WHERE t.traffic_source = ? AND t.grain = 'day' AND t.dimensions = ?
          AND t.period_start BETWEEN ? AND ?
        GROUP BY ALL ORDER BY 1""",
        [source, dimensions, first, last],
    )


def _orders_daily(db: Database, filters: OrderFilters, first: date, last: date) -> pd.DataFrame:
    sql, params = filtered_orders_sql(filters, DateRange(first, last))
    return db.fetch_df(
        f"""SELECT day, '' AS segment, count(*) AS orders, sum(revenue) AS revenue,
                   sum(revenue * revenue) AS revenue_sq
        FROM ({sql}) GROUP BY ALL ORDER BY 1""",
        params,
    )


def daily_frame(
    db: Database, period: DateRange, filters: OrderFilters
) -> tuple[pd.DataFrame, str | None]:
    """(the daily frame of detect.DAILY_COLUMNS over the period and its history, source used).

    The history reaches HISTORY_WEEKS weeks before the period. Devices and channels come from
    the source's daily rows split by exactly that dimension; orders carry neither, so their
    columns are empty on segment rows. Where the traffic reports no converted sessions, the
    store's conversions are its orders.
    """
    first = period.start - timedelta(weeks=detect.HISTORY_WEEKS)
    source = filters.traffic_source or default_traffic_source(db)
    orders = _orders_daily(db, filters.without_segment(), first, period.end)
    parts = [orders]
    if source is not None:
        store = _traffic_daily(db, source, first, period.end, None)
        if not store.empty:
            merged = store.merge(orders, on=["day", "segment"], how="outer")
            if merged["conversions"].isna().all():
                merged["conversions"] = merged["orders"]
            parts = [merged]
        for dimension in SEGMENT_DIMENSIONS:
            split = _traffic_daily(db, source, first, period.end, dimension)
            if not split.empty:
                parts.append(split)
    filled = [p for p in parts if not p.empty]
    frame = pd.concat(filled, ignore_index=True) if filled else pd.DataFrame(columns=["day"])
    for column in detect.DAILY_COLUMNS:
        if column not in frame:
            frame[column] = float("nan")
    frame = frame[list(detect.DAILY_COLUMNS)]
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    for column in detect.DAILY_COLUMNS[2:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame, source


def duplicate_orders(db: Database, period: DateRange) -> pd.DataFrame:
    """Per day, orders that repeat an earlier order of the same customer and total within
    DUPLICATE_WINDOW_SECONDS (columns: day, duplicates)."""
    return db.fetch_df(
        f"""SELECT day, count(*) AS duplicates FROM (
            SELECT o.local_date AS day,
                   epoch(o.created_at) - lag(epoch(o.created_at)) OVER (
                       PARTITION BY o.customer_key, o.total ORDER BY o.created_at) AS gap
            FROM {schema.ORDERS} o
            WHERE o.customer_key IS NOT NULL AND o.created_at IS NOT NULL
              AND o.local_date BETWEEN ? AND ?)
        WHERE gap <= ? GROUP BY ALL ORDER BY 1""",
        [period.start - timedelta(days=1), period.end, DUPLICATE_WINDOW_SECONDS],
    ).assign(day=lambda f: pd.to_datetime(f["day"]).dt.date)


def _agreement(db: Database, source: str, period: DateRange) -> list[detect.Alert]:
    first = period.start - timedelta(weeks=detect.HISTORY_WEEKS)
    chosen = _traffic_daily(db, source, first, period.end, None)
    alerts: list[detect.Alert] = []
    others = db.fetch_all(
        f"SELECT DISTINCT traffic_source FROM {schema.TRAFFIC} WHERE traffic_source <> ? "
        "AND grain = 'day'",
        [source],
    )
    for (other,) in others:
        theirs = _traffic_daily(db, other, first, period.end, None)
        if chosen.empty or theirs.empty:
            continue
        pairs = chosen[["day", "sessions"]].merge(
            theirs[["day", "sessions"]], on="day", suffixes=("_chosen", "_other")
        )
        pairs = pairs.rename(columns={"sessions_chosen": "chosen", "sessions_other": "other"})
        pairs["day"] = pd.to_datetime(pairs["day"]).dt.date
        names = (SOURCE_LABELS.get(source, source), SOURCE_LABELS.get(other, other))
        alerts += detect.agreement_alerts(pairs, period.start, period.end, names)
    return alerts


@dataclass(frozen=True)
class HealthCheck:
    """The alerts of a period, most severe first, and what was checked.

    Attributes:
        period: the days judged; source: the traffic source used (None without traffic).
        alerts: anomalies and tracking problems (tracking first, then by size).
        checked: what the check covered, for people (metrics, segments, history).
    """

    period: DateRange
    source: str | None
    alerts: tuple[detect.Alert, ...]
    checked: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what `ro check --json` prints)."""
        return {
            "period": self.period.to_dict(),
            "traffic_source": self.source,
            "alerts": [a.to_dict() for a in self.alerts],
            "checked": list(self.checked),
        }


def check_store(db: Database, period: DateRange, filters: OrderFilters) -> HealthCheck:
    """Judge every day of `period` against the same weekdays of the preceding weeks."""
    filters = replace(filters, segment_dimension=None, segment_value=None, segment_side=None)
    frame, source = daily_frame(db, period, filters)
    if frame.empty:
        raise NoDataError(
            f"No orders or daily traffic from {period.start - timedelta(weeks=detect.HISTORY_WEEKS)}"
            f" to {period.end}: the health check compares each day with the same weekday of "
            f"the {detect.HISTORY_WEEKS} weeks before, so it needs daily data."
        )
    start, end = period.start, period.end
    alerts = detect.anomalies(frame, start, end)
    alerts += detect.tracking_alerts(frame, start, end)
    for dimension in SEGMENT_DIMENSIONS:
        alerts += detect.share_anomalies(frame, dimension, start, end)
    alerts += detect.duplicate_alerts(duplicate_orders(db, period), start, end)
    if source is not None:
        alerts += _agreement(db, source, period)
    alerts.sort(key=lambda a: (a.kind != detect.TRACKING, -a.size, a.date, a.metric))
    segments = sorted(s for s in frame["segment"].unique() if s)
    has_sessions = frame["sessions"].notna().any()
    checked = [
        f"each day of {period.label()} against the same weekday of the "
        f"{detect.HISTORY_WEEKS} weeks before",
        "revenue, orders and AOV from the orders"
        + (
            f"; sessions, conversion rate and funnel steps from {SOURCE_LABELS.get(source or '', source)} daily traffic"
            if has_sessions
            else "; no daily traffic: sessions and rates not checked"
        ),
    ]
    if segments:
        checked.append("also per " + ", ".join(segments))
    return HealthCheck(period, source, tuple(alerts), tuple(checked))
