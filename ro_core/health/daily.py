"""Daily aggregates for the store-health monitor, and the check itself.

One row per day (and per device or channel where the traffic splits by day): the funnel counts
of the scope's traffic source, and the orders' count, revenue and sum of squared order values.
The store totals come from what is read once per data version (the traffic inventory, the
orders' per-day sums); the device and channel splits and the duplicated orders of the period
from one statement. ro_core.health.detect and ro_core.health.tracking turn them into alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ro_core.errors import NoDataError
from ro_core.health import detect, tracking
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.order_days import order_days
from ro_core.metrics.periods import DateRange
from ro_core.metrics.sources import SOURCE_LABELS
from ro_core.metrics.traffic import default_traffic_source
from ro_core.metrics.traffic_inventory import Unit, inventory, row_sums
from ro_core.metrics.versioned import pins_version
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


def _store_daily(db: Database, source: str, first: date, last: date) -> pd.DataFrame:
    """Daily store-total traffic counts of one source (from the traffic inventory): a count is
    missing on a day where some row lacks it."""
    by_day: dict[date, list[Unit]] = {}
    for u in inventory(db).units(source, "day", ""):
        if first <= u.start <= last:
            by_day.setdefault(u.start, []).append(u)
    rows = []
    for day in sorted(by_day):
        sums = row_sums(by_day[day])
        rows.append(
            {"day": day, "segment": "", **{c: sums.complete(m) for m, c in TRAFFIC_COUNTS.items()}}
        )
    return _typed(pd.DataFrame(rows, columns=["day", "segment", *TRAFFIC_COUNTS.values()]))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Days as timestamps and counts as floats (missing: NaN), as a query's frame has them."""
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[us]")
    for column in frame.columns[2:]:
        frame[column] = frame[column].astype(float)
    return frame


def _orders_daily(db: Database, filters: OrderFilters, first: date, last: date) -> pd.DataFrame:
    """Orders, revenue and the sum of squared order values per day (the orders' day sums)."""
    rows = [
        {"day": day, "segment": "", "orders": s.orders, "revenue": s.revenue,
         "revenue_sq": s.revenue_sq}
        for day, s in order_days(db, filters).between(DateRange(first, last))
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["day", "segment", "orders", "revenue", "revenue_sq"])
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[us]")
    frame["orders"] = frame["orders"].astype("int64")
    return frame


def _splits_and_duplicates(
    db: Database, source: str | None, first: date, period: DateRange, duplicates: bool
) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """One statement: the source's daily rows split by exactly device, then channel (one frame
    each, rows 'device = x' per day, empty frames left out) and, when `duplicates`, the days of
    `period` (and the day before) with orders repeating an earlier order of the same customer
    and total within DUPLICATE_WINDOW_SECONDS (columns: day, duplicates)."""
    sums = ", ".join(
        f"CAST(CASE WHEN count(t.{m}) = count(*) THEN sum(t.{m}) END AS DOUBLE) AS {c}"
        for m, c in TRAFFIC_COUNTS.items()
    )
    parts: list[str] = []
    params: list[Any] = []
    if source is not None:
        for dimension in SEGMENT_DIMENSIONS:  # identifiers from constants, never user text
            segment = f"'{dimension} = ' || coalesce(t.{dimension}, 'unknown')"
            parts.append(
                f"""SELECT '{dimension}' AS part, t.period_start AS day, {segment} AS segment,
                       {sums}
                FROM {schema.TRAFFIC} t
                WHERE t.traffic_source = ? AND t.grain = 'day' AND t.dimensions = '{dimension}'
                  AND t.period_start BETWEEN ? AND ?
                GROUP BY t.period_start, {segment}"""
            )
            params += [source, first, period.end]
    if duplicates:
        nothing = ", ".join(
            f"CAST(NULL AS DOUBLE) AS {c}" for c in list(TRAFFIC_COUNTS.values())[1:]
        )
        parts.append(
            f"""SELECT 'duplicates' AS part, day, CAST(NULL AS VARCHAR) AS segment,
                   CAST(count(*) AS DOUBLE) AS sessions, {nothing}
            FROM (
                SELECT o.local_date AS day,
                       epoch(o.created_at) - lag(epoch(o.created_at)) OVER (
                           PARTITION BY o.customer_key, o.total ORDER BY o.created_at) AS gap
                FROM {schema.ORDERS} o
                WHERE o.customer_key IS NOT NULL AND o.created_at IS NOT NULL
                  AND o.local_date BETWEEN ? AND ?) d
            WHERE gap <= ? GROUP BY day"""
        )
        params += [period.start - timedelta(days=1), period.end, DUPLICATE_WINDOW_SECONDS]
    columns = ["part", "day", "segment", *TRAFFIC_COUNTS.values()]
    found = db.fetch_df(" UNION ALL ".join(parts), params) if parts else pd.DataFrame()
    if found.empty:
        found = pd.DataFrame(columns=columns)
    # ordered here, not in SQL (each engine orders a UNION its own way)
    found = found.sort_values(["part", "day", "segment"], kind="stable", na_position="first")
    splits = []
    for dimension in SEGMENT_DIMENSIONS:
        split = found[found["part"] == dimension].drop(columns="part").reset_index(drop=True)
        if not split.empty:
            splits.append(_typed(split))
    repeated = found[found["part"] == "duplicates"]
    dup = pd.DataFrame(
        {
            "day": pd.to_datetime(repeated["day"]).dt.date.to_numpy(),
            "duplicates": repeated["sessions"].astype("int64").to_numpy(),
        }
    )
    return splits, dup


def _daily(
    db: Database, period: DateRange, filters: OrderFilters, *, duplicates: bool
) -> tuple[pd.DataFrame, str | None, pd.DataFrame]:
    first = period.start - timedelta(weeks=detect.HISTORY_WEEKS)
    source = filters.traffic_source or default_traffic_source(db)
    orders = _orders_daily(db, filters.without_segment(), first, period.end)
    parts = [orders]
    splits, repeated = _splits_and_duplicates(db, source, first, period, duplicates)
    if source is not None:
        store = _store_daily(db, source, first, period.end)
        if not store.empty:
            merged = store.merge(orders, on=["day", "segment"], how="outer")
            if merged["conversions"].isna().all():
                merged["conversions"] = merged["orders"]
            parts = [merged]
        parts += splits
    filled = [p for p in parts if not p.empty]
    frame = pd.concat(filled, ignore_index=True) if filled else pd.DataFrame(columns=["day"])
    for column in detect.DAILY_COLUMNS:
        if column not in frame:
            frame[column] = float("nan")
    frame = frame[list(detect.DAILY_COLUMNS)]
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    for column in detect.DAILY_COLUMNS[2:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame, source, repeated


@pins_version
def daily_frame(
    db: Database, period: DateRange, filters: OrderFilters
) -> tuple[pd.DataFrame, str | None]:
    """(the daily frame of detect.DAILY_COLUMNS over the period and its history, source used).

    The history reaches HISTORY_WEEKS weeks before the period. Devices and channels come from
    the source's daily rows split by exactly that dimension; orders carry neither, so their
    columns are empty on segment rows. Where the traffic reports no converted sessions, the
    store's conversions are its orders.
    """
    frame, source, _ = _daily(db, period, filters, duplicates=False)
    return frame, source


def duplicate_orders(db: Database, period: DateRange) -> pd.DataFrame:
    """Per day, orders that repeat an earlier order of the same customer and total within
    DUPLICATE_WINDOW_SECONDS (columns: day, duplicates)."""
    return _splits_and_duplicates(db, None, period.start, period, True)[1]


def _agreement(db: Database, source: str, period: DateRange) -> list[detect.Alert]:
    first = period.start - timedelta(weeks=detect.HISTORY_WEEKS)
    chosen = _store_daily(db, source, first, period.end)
    alerts: list[detect.Alert] = []
    inv = inventory(db)
    others = sorted({src for src, grain, _dims in inv.breakdown_keys()
                     if src != source and grain == "day"})  # fmt: skip
    for other in others:
        theirs = _store_daily(db, other, first, period.end)
        if chosen.empty or theirs.empty:
            continue
        pairs = chosen[["day", "sessions"]].merge(
            theirs[["day", "sessions"]], on="day", suffixes=("_chosen", "_other")
        )
        pairs = pairs.rename(columns={"sessions_chosen": "chosen", "sessions_other": "other"})
        pairs["day"] = pd.to_datetime(pairs["day"]).dt.date
        names = (SOURCE_LABELS.get(source, source), SOURCE_LABELS.get(other, other))
        alerts += tracking.agreement_alerts(pairs, period.start, period.end, names)
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


@pins_version
def check_store(db: Database, period: DateRange, filters: OrderFilters) -> HealthCheck:
    """Judge every day of `period` against the same weekdays of the preceding weeks."""
    filters = replace(filters, segment_dimension=None, segment_value=None, segment_side=None)
    frame, source, repeated = _daily(db, period, filters, duplicates=True)
    if frame.empty:
        raise NoDataError(
            f"No orders or daily traffic from {period.start - timedelta(weeks=detect.HISTORY_WEEKS)}"
            f" to {period.end}: the health check compares each day with the same weekday of "
            f"the {detect.HISTORY_WEEKS} weeks before, so it needs daily data."
        )
    start, end = period.start, period.end
    alerts = detect.anomalies(frame, start, end)
    alerts += tracking.tracking_alerts(frame, start, end)
    for dimension in SEGMENT_DIMENSIONS:
        alerts += detect.share_anomalies(frame, dimension, start, end)
    alerts += tracking.duplicate_alerts(repeated, start, end)
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
