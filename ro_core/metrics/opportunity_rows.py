"""The rows opportunities are found among: one per funnel step x segment the data supports.

Measured in the scope's one traffic source, plus event funnels for the dimensions the traffic
does not break down (see ro_core.metrics.opportunities for the rules and what is done with
the rows). Each row: segment_dimension, segment, from_step, step, label, source, sessions
(entering the step), conversions, current_rate, downstream_rate (share going on to purchase)
and aov (the order value its money is counted at).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ro_core.metrics._sql import safe_div
from ro_core.metrics.event_days import event_days
from ro_core.metrics.event_rules import EVENT_SEGMENT_COLUMNS, event_keep
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.segments import segments
from ro_core.metrics.sources import SOURCE_LABELS
from ro_core.metrics.traffic_inventory import inventory
from ro_core.store import schema
from ro_core.store.db import Database

STORE = "store"
EVENTS_SOURCE = "Events"


def _step_rows(
    frame: pd.DataFrame, dimension: str, source: str, aov_by_segment: dict[str, float | None]
) -> list[dict[str, Any]]:
    """One row per (segment, step) below the top: entering sessions, rate, downstream rate."""
    from ro_core.metrics.funnel import STEP_LABELS  # ro_core.metrics.funnel imports this package

    rows: list[dict[str, Any]] = []
    for segment, part in frame.groupby("segment", sort=False):
        part = part.reset_index(drop=True)
        if len(part) < 2:
            continue
        purchases = (
            float(part["sessions"].iloc[-1]) if part["step"].iloc[-1] == "purchase" else None
        )
        for k in range(1, len(part)):
            entering = float(part.at[k - 1, "sessions"])
            reached = float(part.at[k, "sessions"])
            rate = part.at[k, "step_conversion"]
            if rate is None or pd.isna(rate):
                continue
            downstream = safe_div(purchases, reached) if purchases is not None else None
            if part.at[k, "step"] == "purchase":
                downstream = 1.0
            rows.append(
                {
                    "segment_dimension": dimension,
                    "segment": str(segment),
                    "from_step": part.at[k - 1, "step"],
                    "step": part.at[k, "step"],
                    "label": STEP_LABELS.get(part.at[k, "step"], part.at[k, "step"]),
                    "source": source,
                    "sessions": entering,
                    "conversions": min(reached, entering),
                    "current_rate": float(rate),
                    "downstream_rate": downstream,
                    "aov": aov_by_segment.get(str(segment), aov_by_segment.get("*")),
                }
            )
    return rows


def traffic_dimensions(db: Database, source: str | None) -> list[str]:
    """Traffic dimensions the source has breakdowns for."""
    if source is None:
        return []
    keys = inventory(db).breakdown_keys(source)
    return sorted({d for _src, _grain, value in keys if value for d in value.split(",") if d})


def collect_rows(
    db: Database, period: DateRange, filters: OrderFilters, store_aov: float | None
) -> list[dict[str, Any]]:
    """Rows of `period` in the traffic source of `filters` (already the scope's), and events."""
    from ro_core.metrics.event_funnel import event_funnel
    from ro_core.metrics.funnel import STEP_LABELS, traffic_funnel

    label = SOURCE_LABELS.get(filters.traffic_source or "", filters.traffic_source or "")
    rows: list[dict[str, Any]] = []
    default_aov = {"*": store_aov}
    store_funnel = traffic_funnel(db, period, filters)
    if len(store_funnel.steps) >= 2:
        rows += _step_rows(store_funnel.frame, STORE, label, default_aov)
    covered: set[str] = set()  # dimensions the traffic breaks down with conversions
    for dims in traffic_dimensions(db, filters.traffic_source):
        if dims == filters.segment_traffic_dimension:
            continue  # one segment only: nothing to compare within it
        breakdown = segments(db, dims, period, filters, side="traffic")
        if not breakdown.cr_available:
            continue
        covered.add(dims)
        for _, r in breakdown.frame.iterrows():  # one row per segment (aggregates)
            if r["sessions"] is None or pd.isna(r["sessions"]) or pd.isna(r["conversion_rate"]):
                continue
            aov = r["aov"] if pd.notna(r["aov"]) else store_aov
            rows.append(
                {
                    "segment_dimension": dims,
                    "segment": str(r["segment"]),
                    "from_step": "sessions",
                    "step": "purchase",
                    "label": STEP_LABELS["purchase"],
                    "source": label,
                    "sessions": float(r["sessions"]),
                    "conversions": float(r["conversion_rate"]) * float(r["sessions"]),
                    "current_rate": float(r["conversion_rate"]),
                    "downstream_rate": 1.0,
                    "aov": aov,
                }
            )
    has_events = event_days(db).totals(period).events > 0
    if filters.has_segment and filters.segment_event_dimension is None:
        has_events = False  # events cannot be narrowed to this segment
    if has_events:
        aov = event_aov(db, period, None, filters) or default_aov
        if len(store_funnel.steps) < 2:
            funnel = event_funnel(db, period, filters=filters)
            rows += _step_rows(funnel.frame, STORE, EVENTS_SOURCE, aov)
        for dim in _event_dimensions(db, period):
            if dim == filters.segment_event_dimension or dim in covered:
                continue  # one segment only, or the traffic already gives this dimension
            funnel = event_funnel(db, period, segment_dimension=dim, filters=filters)
            rows += _step_rows(
                funnel.frame, dim, EVENTS_SOURCE, event_aov(db, period, dim, filters) or aov
            )
    return rows


def _event_dimensions(db: Database, period: DateRange) -> list[str]:
    """Event segment columns that some event of the period fills."""
    filled = event_days(db).totals(period).filled
    return [d for d in ("channel", "device", "country") if filled[d]]


def event_aov(
    db: Database,
    period: DateRange,
    dimension: str | None,
    filters: OrderFilters = DEFAULT_FILTERS,
) -> dict[str, float | None]:
    """Purchase revenue per purchase event from the events' revenue: {segment value: AOV} by the
    event's own `dimension` value ('unknown' without one), or {'All': AOV} without a dimension.

    A segment filter keeps the purchases of the sessions the event funnel keeps (a session is
    in the segment by its first value, event_rules.event_keep), so the AOV and the funnel it
    values are of the same sessions.
    """
    keep, keep_params, why = event_keep(filters, period)
    if why:
        return {}
    if dimension is None and not keep:  # the store's: from the events' day counts
        found = event_days(db).totals(period)
        if not found.purchase_revenue_n:
            return {}
        return {"All": safe_div(found.purchase_revenue, found.purchase_revenue_n)}
    seg = (
        f"coalesce(CAST({EVENT_SEGMENT_COLUMNS[dimension]} AS VARCHAR), 'unknown')"
        if dimension
        else "'All'"
    )
    rows = db.fetch_all(
        f"""SELECT {seg}, sum(revenue), count(revenue) FROM {schema.EVENTS}
        WHERE local_date BETWEEN ? AND ? AND event_type = 'purchase' {keep} GROUP BY 1""",
        [period.start, period.end, *keep_params],
    )
    return {str(r[0]): safe_div(r[1], r[2]) for r in rows if r[2]}
