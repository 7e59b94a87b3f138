"""Headline KPIs for a date range, with the previous period or the same period a year earlier.

Definitions (see ``catalog.METRICS``):
- orders / revenue / aov: every order passing the filters, dated in the range asked for.
- online_orders / online_revenue / online_aov: orders from the online channels, dated on days
  the traffic covers (the traffic's effective range; the whole range when there is no traffic),
  so they line up with sessions.
- conversion_rate: converted sessions / sessions when the traffic source reports converted
  sessions (Shopify's definition), else online orders / sessions; the basis is returned.
- revenue_per_session = online_revenue / sessions; revenue_per_visitor = online_revenue /
  visitors. Where CR is orders / sessions, revenue_per_session == conversion_rate * online_aov.

With a segment filter every figure is the segment's or None: sessions from the traffic rows of
the segment, orders from the orders of the segment. When the orders do not carry the segment's
dimension (device, referrer...) the order figures (orders, revenue, AOV, RPV) are None and CR
is converted sessions / sessions of the segment when the traffic reports them; when the traffic
cannot be split by it (discount code...) sessions, CR and RPV are None. A segment's sessions are
never divided into the whole store's orders. The notes say which.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from ro_core.metrics._sql import (
    ONLINE_ON_TRAFFIC_DAYS,
    as_float,
    filtered_orders_sql,
    orders_span,
    safe_div,
)
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic import TrafficSelection, periods_values_sql, select_traffic
from ro_core.store import schema
from ro_core.store.db import Database

CR_BASIS_CONVERTED = "converted sessions / sessions"
CR_BASIS_ORDERS = "orders / sessions"

KPI_METRICS: tuple[str, ...] = (
    "sessions",
    "visitors",
    "orders",
    "online_orders",
    "revenue",
    "online_revenue",
    "conversion_rate",
    "aov",
    "online_aov",
    "revenue_per_session",
    "revenue_per_visitor",
)


@dataclass(frozen=True)
class KpiValues:
    """KPI values for one date range. None wherever the data cannot give a value.

    Money is a float in the store currency; rates are fractions (0.025 = 2.5%). Order figures
    are None when no orders were imported for any day of the range (0 would be a guess).
    """

    period: DateRange
    orders: int | None
    revenue: float | None
    aov: float | None
    online_orders: int | None
    online_revenue: float | None
    online_aov: float | None
    sessions: float | None
    visitors: float | None
    converted_sessions: float | None
    conversion_rate: float | None
    conversion_rate_basis: str | None
    revenue_per_session: float | None
    revenue_per_visitor: float | None
    online_range: DateRange  # the days online orders were counted on (traffic-aligned)
    traffic: TrafficSelection | None
    notes: tuple[str, ...] = ()

    @property
    def rpv(self) -> float | None:
        """Alias of revenue_per_session."""
        return self.revenue_per_session

    def value(self, metric: str) -> float | None:
        """One metric by name (see KPI_METRICS; 'rpv' = revenue_per_session)."""
        if metric == "rpv":
            return self.revenue_per_session
        return getattr(self, metric)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, DateRange | TrafficSelection):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = value
        data["rpv"] = self.revenue_per_session
        return data


@dataclass(frozen=True)
class MetricChange:
    """Change of one metric: absolute (current - comparison), relative (absolute / |comparison|)."""

    absolute: float | None
    relative: float | None


@dataclass(frozen=True)
class KpiComparison:
    """KPIs of a range and of its comparison range, with the change of every metric."""

    current: KpiValues
    comparison: KpiValues | None
    compare: str | None  # 'previous', 'year' or None
    changes: dict[str, MetricChange] = field(default_factory=dict)
    filters: OrderFilters = DEFAULT_FILTERS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: current values at the top level, then comparison and changes."""
        current = self.current.to_dict()
        data: dict[str, Any] = {
            "sessions": current["sessions"],
            "orders": current["orders"],
            "revenue": current["revenue"],
            "conversion_rate": current["conversion_rate"],
            "aov": current["aov"],
            "rpv": current["revenue_per_session"],
        }
        data.update({k: v for k, v in current.items() if k not in data})
        data["compare"] = self.compare
        data["comparison"] = self.comparison.to_dict() if self.comparison else None
        data["changes"] = {
            k: {"absolute": v.absolute, "relative": v.relative} for k, v in self.changes.items()
        }
        data["filters"] = self.filters.to_dict()
        return data


def change(current: float | None, previous: float | None) -> MetricChange:
    """Absolute and relative change; None where undefined (never NaN or inf)."""
    cur, prev = as_float(current), as_float(previous)
    if cur is None or prev is None:
        return MetricChange(None, None)
    absolute = cur - prev
    relative = safe_div(absolute, abs(prev)) if prev != 0 else None
    return MetricChange(absolute, relative)


def kpi_values(
    db: Database,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    traffic: TrafficSelection | None | bool = True,
) -> KpiValues:
    """KPI values for one range.

    Args:
        db: the database.
        period: the date range (store-local dates, inclusive).
        filters: order filters and revenue basis.
        traffic: True = choose traffic rows automatically; a TrafficSelection to use those rows;
            None/False = ignore traffic.
    """
    selection: TrafficSelection | None
    if traffic is True:
        selection = select_traffic(db, period, filters)
    else:
        selection = traffic or None

    orders_sql, orders_params = filtered_orders_sql(filters, period)
    if selection is not None:
        periods_sql, periods_params = periods_values_sql(selection)
        aligned = ONLINE_ON_TRAFFIC_DAYS
        with_p = f", p AS ({periods_sql})"
    else:
        periods_params, aligned, with_p = [], "online", ""
    row = db.fetch_one(
        f"""WITH f AS ({orders_sql}){with_p}
        SELECT count(*), coalesce(sum(revenue), 0),
               count(*) FILTER (WHERE {aligned}),
               coalesce(sum(revenue) FILTER (WHERE {aligned}), 0)
        FROM f""",
        [*orders_params, *periods_params],
    )
    orders, revenue, online_orders, online_revenue = (
        int(row[0]),
        float(row[1]),
        int(row[2]),
        float(row[3]),
    )
    notes: list[str] = []
    if filters.has_segment:
        notes.append("Showing " + filters.segment_scope() + ".")
    first, last = orders_span(db)
    orders_known = first is not None and first <= period.end and last >= period.start
    if not orders_known:
        orders = revenue = online_orders = online_revenue = None
        notes.append("No orders imported for these dates: order figures are not available.")
    elif not filters.segment_applies_to_orders:
        orders = revenue = online_orders = online_revenue = None
    elif first > period.start or last < period.end:
        notes.append(
            f"Orders were imported for {first} to {last} only: days outside count no orders."
        )
    sessions = visitors = converted = None
    cr = cr_basis = rps = rpvisitor = None
    online_range = period
    if selection is not None:
        where, params = selection.where_sql("t")
        t = db.fetch_one(
            f"""SELECT sum(sessions), sum(visitors), sum(converted_sessions), count(*),
                       count(visitors), count(converted_sessions)
            FROM {schema.TRAFFIC} t WHERE {where} AND t.sessions IS NOT NULL""",
            params,
        )
        sessions = as_float(t[0])
        visitors = as_float(t[1]) if t[4] == t[3] else None
        converted = as_float(t[2]) if t[5] == t[3] else None
        online_range = selection.effective_range
        if converted is not None:
            cr, cr_basis = safe_div(converted, sessions), CR_BASIS_CONVERTED
        else:
            cr, cr_basis = safe_div(online_orders, sessions), CR_BASIS_ORDERS
            if cr is None:
                cr_basis = None
        rps = safe_div(online_revenue, sessions)
        rpvisitor = safe_div(online_revenue, visitors)
        notes.append(selection.note)
        if selection.segment_dimension is not None and not t[3]:
            notes.append(
                f"The traffic has no sessions with {selection.segment_label()} for these dates."
            )
        elif cr is None and converted is None and not filters.segment_applies_to_orders:
            notes.append(
                "CR is not available: the traffic rows of this segment report no converted "
                "sessions, and the orders cannot be split the same way."
            )
        if visitors is not None and selection.grain != "total" and len(selection.periods) > 1:
            notes.append(
                "Visitors are summed over the traffic periods: someone visiting in two periods "
                "counts twice."
            )
    elif filters.has_segment and filters.segment_traffic_dimension is None:
        pass  # the segment note above says why there are no sessions
    elif filters.has_segment:
        notes.append(
            f"No traffic split by {filters.segment_traffic_dimension} for these dates: sessions, "
            "CR and RPV of this segment need an analytics export with that breakdown."
        )
    else:
        notes.append(
            "No traffic data for these dates: sessions, CR and RPV need an analytics export."
        )
    return KpiValues(
        period=period,
        orders=orders,
        revenue=revenue,
        aov=safe_div(revenue, orders),
        online_orders=online_orders,
        online_revenue=online_revenue,
        online_aov=safe_div(online_revenue, online_orders),
        sessions=sessions,
        visitors=visitors,
        converted_sessions=converted,
        conversion_rate=cr,
        conversion_rate_basis=cr_basis,
        revenue_per_session=rps,
        revenue_per_visitor=rpvisitor,
        online_range=online_range,
        traffic=selection,
        notes=tuple(notes),
    )


def kpis(
    db: Database,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    compare: str | None = "previous",
) -> KpiComparison:
    """KPIs of `period` and of its comparison range ('previous', 'year' or None).

    The comparison uses the same traffic source as the current range when it has data there.
    """
    if compare == "none":
        compare = None
    other = period.comparison(compare)
    current = kpi_values(db, period, filters)
    comparison = None
    if other is not None:
        selection: TrafficSelection | None | bool = True
        if current.traffic is not None:
            # One source answers the question: compare with the same source or not at all.
            selection = select_traffic(
                db, other, replace(filters, traffic_source=current.traffic.source)
            )
        comparison = kpi_values(db, other, filters, traffic=selection)
    changes = {
        metric: change(current.value(metric), comparison.value(metric) if comparison else None)
        for metric in KPI_METRICS
    }
    return KpiComparison(
        current=current, comparison=comparison, compare=compare, changes=changes, filters=filters
    )
