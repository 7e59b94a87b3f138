"""Sums of a traffic selection's rows and the one rule for a conversion rate's numerator, shared
by the KPIs, segments, trends and funnels (ro_core.metrics.traffic chooses the rows)."""

from __future__ import annotations

from dataclasses import dataclass

from ro_core.metrics.traffic import TrafficSelection
from ro_core.metrics.traffic_inventory import Unit, inventory, row_sums, segment_inventory
from ro_core.store.db import Database

# What a CR numerator is (see conversion_numerator).
CR_FROM_CONVERTED = "converted_sessions"  # sessions that completed checkout (Shopify)
CR_FROM_ORDERS = "orders"  # the store's own orders on the same days, split like the sessions
CR_FROM_REPORTED = "reported_orders"  # the analytics export's conversions (GA4 transactions)


def conversion_numerator(
    converted: float | None, store_orders: float | None, reported_orders: float | None
) -> tuple[float | None, str | None]:
    """(CR numerator, CR_FROM_* kind): one rule for KPIs and segments.

    Converted sessions when the traffic reports them for every row; else the store's orders
    when they can be split like the sessions (None when they cannot); else the conversions the
    analytics export reports; else (None, None).
    """
    if converted is not None:
        return converted, CR_FROM_CONVERTED
    if store_orders is not None:
        return store_orders, CR_FROM_ORDERS
    if reported_orders is not None:
        return reported_orders, CR_FROM_REPORTED
    return None, None


@dataclass(frozen=True)
class TrafficTotals:
    """Sums of a selection's rows; a measure is None unless every row has it.

    Attributes:
        rows: rows summed (0: the segment has no rows in the breakdown).
        sessions, visitors, converted_sessions: as exported.
        reported_orders, reported_revenue: the analytics export's own conversions and revenue
            (GA4 transactions or key events, and revenue).
    """

    rows: int
    sessions: float | None
    visitors: float | None
    converted_sessions: float | None
    reported_orders: float | None
    reported_revenue: float | None

    def conversions(self, store_orders: float | None) -> tuple[float | None, str | None]:
        """(CR numerator, kind) by ``conversion_numerator``; `store_orders` None when the
        orders cannot be split like these sessions."""
        return conversion_numerator(self.converted_sessions, store_orders, self.reported_orders)


def traffic_totals(
    db: Database, selection: TrafficSelection, *, segment: bool = True
) -> TrafficTotals:
    """Session, visitor and conversion sums of the selection's rows (from the traffic
    inventory: no statement once it is read)."""
    sums = row_sums(u for u in selection_units(db, selection, segment=segment)
                    if "sessions" in u.measures)  # fmt: skip
    if not sums.rows:
        return TrafficTotals(0, None, None, None, None, None)
    return TrafficTotals(
        sums.rows,
        sums.total("sessions"),
        sums.complete("visitors"),
        sums.complete("converted_sessions"),
        sums.complete("orders"),
        sums.complete("revenue"),
    )


def selection_units(
    db: Database, selection: TrafficSelection, *, segment: bool = True
) -> list[Unit]:
    """The traffic inventory's units of a selection's rows (its breakdown, periods inside its
    effective range; with `segment`, only the segment's rows)."""
    if segment and selection.segment_dimension is not None:
        inv = segment_inventory(db, selection.segment_dimension, selection.segment_value or "")
    else:
        inv = inventory(db)
    return inv.units(
        selection.source, selection.grain, selection.dimensions_key, selection.effective_range
    )
