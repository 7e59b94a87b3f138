"""The breakdown by one dimension (SegmentBreakdown): from the traffic side or the orders side,
with what its numbers are based on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ro_core.metrics._sql import ORDER_DIMENSIONS
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, CR_BASIS_ORDERS, CR_BASIS_REPORTED
from ro_core.metrics.periods import DateRange
from ro_core.metrics.segments.dimensions import (
    ORDER_SEGMENT_LABELS,
    SHARED_DIMENSIONS,
    _resolve_side,
)
from ro_core.metrics.segments.figures import FRAME_COLUMNS, _finish, _num, _row
from ro_core.metrics.segments.sums import _order_sums, _traffic_sums
from ro_core.metrics.traffic import (
    TrafficSelection,
    no_traffic_note,
    required_dimensions,
    select_traffic,
)
from ro_core.metrics.traffic_totals import conversion_numerator
from ro_core.metrics.versioned import pins_version
from ro_core.store.db import Database

CR_BASIS_TRAFFIC_ORDERS = CR_BASIS_REPORTED


@dataclass(frozen=True)
class SegmentBreakdown:
    """Metrics per segment of one dimension.

    Attributes:
        dimension: the dimension's name; side: 'traffic' or 'orders'.
        cr_available: whether CR (and RPV) could be computed; cr_basis: how.
        note: what the numbers are based on, and why anything is missing.
        frame: one row per segment, columns FRAME_COLUMNS (see module doc), sorted by rank
            (by RPV, else CR, else revenue, else sessions; small segments unranked and last).
        traffic: the traffic rows used, if any.
    """

    dimension: str
    side: str
    period: DateRange
    cr_available: bool
    cr_basis: str | None
    note: str
    frame: pd.DataFrame
    traffic: TrafficSelection | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return {
            "dimension": self.dimension,
            "side": self.side,
            "period": self.period.to_dict(),
            "cr_available": self.cr_available,
            "cr_basis": self.cr_basis,
            "note": self.note,
            "traffic": self.traffic.to_dict() if self.traffic else None,
            "rows": frame.to_dict(orient="records"),
        }


@pins_version
def segments(
    db: Database,
    dimension: str,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    side: str | None = None,
) -> SegmentBreakdown:
    """CR, AOV, RPV and revenue share per segment of `dimension`, with 95% intervals.

    Args:
        db: the database.
        dimension: e.g. 'channel', 'device', 'country', 'customer_type', 'landing_page',
            'discount_code'.
        period: the date range.
        filters: order filters.
        side: 'traffic' or 'orders' to choose where the dimension comes from; None prefers the
            traffic when it has this breakdown.
    """
    dimension = (dimension or "").strip().lower()
    side = _resolve_side(db, dimension, side)
    if side == "traffic":
        return _traffic_side(db, dimension, period, filters)
    return _orders_side(db, dimension, period, filters)


def _traffic_side(
    db: Database, dimension: str, period: DateRange, filters: OrderFilters
) -> SegmentBreakdown:
    selection = select_traffic(db, period, filters, dimension=dimension)
    if selection is None:
        if filters.has_segment:
            what = " and ".join(required_dimensions(filters, dimension))
            if filters.segment_traffic_dimension is None:
                note = f"Showing {filters.segment_scope()}."
            else:
                note = (
                    no_traffic_note(db, filters, f" split by {what}").rstrip(".")
                    + f": no breakdown by {dimension} within {filters.segment_label()}."
                )
        else:
            note = no_traffic_note(db, filters, f" split by {dimension}")
        return SegmentBreakdown(
            dimension=dimension,
            side="traffic",
            period=period,
            cr_available=False,
            cr_basis=None,
            note=note,
            frame=pd.DataFrame(columns=FRAME_COLUMNS),
            traffic=None,
        )
    traffic = _traffic_sums(db, selection, dimension)
    has_converted = bool(len(traffic)) and traffic["converted_sessions"].notna().all()
    has_traffic_orders = bool(len(traffic)) and traffic["traffic_orders"].notna().all()
    has_traffic_revenue = bool(len(traffic)) and traffic["traffic_revenue"].notna().all()
    order_field = SHARED_DIMENSIONS.get(dimension)
    if not filters.segment_applies_to_orders:
        order_field = None  # the orders cannot be narrowed to the filter's segment
    orders = None
    if order_field is not None and not (has_traffic_orders and has_traffic_revenue):
        segment_sql = (
            "lower(o.customer_type)" if order_field == "customer_type" else f"o.{order_field}"
        )
        orders = _order_sums(db, period, filters, f"coalesce({segment_sql}, 'unknown')", selection)
        if dimension == "customer_type":
            traffic["segment"] = traffic["segment"].str.lower()
            traffic = traffic.groupby("segment", as_index=False).sum(min_count=1)
        orders = orders.set_index("segment")
        matched = orders.index.intersection(traffic["segment"])
        if len(matched) == 0:
            orders = None
    rows = []
    for _, t in traffic.iterrows():  # one row per segment (aggregates), not raw rows
        seg = t["segment"]
        sessions = _num(t["sessions"])
        converted = _num(t["converted_sessions"])
        if orders is not None and seg in orders.index:
            o = orders.loc[seg]
            n_orders, revenue, revenue_sq = (
                _num(o["online_orders"]),
                _num(o["online_revenue"]),
                _num(o["online_revenue_sq"]),
            )
        elif orders is not None:
            n_orders, revenue, revenue_sq = 0.0, 0.0, 0.0
        else:
            n_orders = _num(t["traffic_orders"])
            revenue = _num(t["traffic_revenue"])
            revenue_sq = None
        numerator, _kind = conversion_numerator(
            converted if has_converted else None,
            n_orders if orders is not None else None,
            _num(t["traffic_orders"]) if has_traffic_orders else None,
        )
        rows.append(
            _row(
                seg,
                sessions=sessions,
                converted=converted,
                cr_numerator=numerator,
                orders=n_orders,
                revenue=revenue,
                revenue_sq=revenue_sq,
                online_revenue=revenue,
                online_revenue_sq=revenue_sq,
            )
        )
    if has_converted:
        basis = CR_BASIS_CONVERTED
    elif orders is not None:
        basis = CR_BASIS_ORDERS
    elif has_traffic_orders:
        basis = CR_BASIS_TRAFFIC_ORDERS
    else:
        basis = None
    note = selection.note
    if orders is not None:
        note += f"; orders matched to sessions on {dimension}"
    elif basis is None:
        note += (
            f". CR cannot be computed by {dimension}: the traffic export has no conversions "
            "for this breakdown and the orders do not carry the same dimension."
        )
    if orders is None and has_traffic_revenue:
        note += "; revenue as reported by the analytics export (no AOV/RPV intervals)"
    if filters.has_segment:
        note = f"Showing {filters.segment_scope()}. " + note
    return SegmentBreakdown(
        dimension=dimension,
        side="traffic",
        period=period,
        cr_available=basis is not None,
        cr_basis=basis,
        note=note,
        frame=_finish(rows),
        traffic=selection,
    )


def _orders_side(
    db: Database, dimension: str, period: DateRange, filters: OrderFilters
) -> SegmentBreakdown:
    if not filters.segment_applies_to_orders:
        return SegmentBreakdown(
            dimension=dimension,
            side="orders",
            period=period,
            cr_available=False,
            cr_basis=None,
            note=f"Showing {filters.segment_scope()}: orders cannot be broken down by "
            f"{ORDER_SEGMENT_LABELS[dimension].lower()} within this segment.",
            frame=pd.DataFrame(columns=FRAME_COLUMNS),
            traffic=None,
        )
    traffic_dim = next((t for t, o in SHARED_DIMENSIONS.items() if o == dimension), None)
    selection = select_traffic(db, period, filters, dimension=traffic_dim) if traffic_dim else None
    orders = _order_sums(db, period, filters, ORDER_DIMENSIONS[dimension], selection)
    traffic = None
    if selection is not None:
        traffic = _traffic_sums(db, selection, traffic_dim).set_index("segment")
        if dimension == "customer_type":
            traffic.index = traffic.index.str.lower()
            traffic = traffic.groupby(level=0).sum(min_count=1)
        if len(orders.set_index("segment").index.intersection(traffic.index)) == 0:
            traffic = None
    rows = []
    for _, o in orders.iterrows():  # one row per segment (aggregates)
        seg = o["segment"]
        sessions = converted = None
        if traffic is not None:
            t = traffic.loc[seg] if seg in traffic.index else None
            sessions = _num(t["sessions"]) if t is not None else None
            converted = _num(t["converted_sessions"]) if t is not None else None
        numerator = converted if converted is not None else _num(o["online_orders"])
        rows.append(
            _row(
                seg,
                sessions=sessions,
                converted=converted,
                cr_numerator=numerator if sessions is not None else None,
                orders=_num(o["orders"]),
                revenue=_num(o["revenue"]),
                revenue_sq=_num(o["revenue_sq"]),
                online_revenue=_num(o["online_revenue"]) if sessions is not None else None,
                online_revenue_sq=_num(o["online_revenue_sq"]),
            )
        )
    if traffic is not None:
        basis = (
            CR_BASIS_CONVERTED if traffic["converted_sessions"].notna().all() else CR_BASIS_ORDERS
        )
        note = f"Orders by {dimension}; sessions from {selection.note}"
    else:
        basis = None
        note = (
            f"Orders by {ORDER_SEGMENT_LABELS[dimension].lower()}. CR and RPV cannot be "
            f"computed by {dimension}: the traffic has no sessions split by the same dimension."
        )
    if filters.has_segment:
        note = f"Showing {filters.segment_scope()}. " + note
    return SegmentBreakdown(
        dimension=dimension,
        side="orders",
        period=period,
        cr_available=basis is not None,
        cr_basis=basis,
        note=note,
        frame=_finish(rows),
        traffic=selection if traffic is not None else None,
    )
