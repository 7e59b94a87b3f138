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

from ro_core.metrics._sql import orders_span, safe_div
from ro_core.metrics.catalog import KPI_CARD_METRICS, METRICS, metric_key
from ro_core.metrics.comparison import BOTH, ORDERS, TRAFFIC, ComparedDays, compared_days
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.order_days import covered_by, order_days
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.metrics.traffic import TrafficSelection, select_traffic
from ro_core.metrics.traffic_totals import traffic_totals
from ro_core.metrics.versioned import pins_version
from ro_core.numbers import finite_or_none
from ro_core.store.db import Database

CR_BASIS_CONVERTED = "converted sessions / sessions"
CR_BASIS_ORDERS = "orders / sessions"
CR_BASIS_REPORTED = "orders / sessions (both from the analytics export)"

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
    "rpv",
    "revenue_per_visitor",
    "engaged_sessions",
    "engagement_rate",
    "bounce_rate",
)
"""Catalogue keys (ro_core.metrics.catalog) of every figure KpiValues holds."""


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
    # Engagement of the same traffic source (ro_core.metrics.engagement): engaged sessions and
    # engagement rate where it reports engaged sessions (GA4), bounce rate where it has any.
    engaged_sessions: float | None = None
    engagement_rate: float | None = None
    bounce_rate: float | None = None
    engagement_basis: str | None = None

    @property
    def rpv(self) -> float | None:
        """Alias of revenue_per_session."""
        return self.revenue_per_session

    def value(self, metric: str) -> float | None:
        """One metric by catalogue key or alias (see KPI_METRICS)."""
        key = metric_key(metric)
        return self.revenue_per_session if key == "rpv" else getattr(self, key)

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
    """Change of one metric on the days both sides cover.

    Attributes:
        absolute: current - base; relative: absolute / |base| (None where undefined).
        current / base: the metric on the compared days of each side (equal to the period's
            own value unless the compared days were cut).
        days: the compared days used (None without a comparison).
        note: why no change is shown, or how the days were cut.
    """

    absolute: float | None
    relative: float | None
    current: float | None = None
    base: float | None = None
    days: ComparedDays | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "absolute": self.absolute,
            "relative": self.relative,
            "current": self.current,
            "base": self.base,
            "compared_days": self.days.to_dict() if self.days else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class KpiComparison:
    """KPIs of a scope's period and of its comparison, with the change of every metric.

    Attributes:
        current: the figures of the whole period (what the cards show).
        comparison: the figures of the whole comparison range asked for (None without one).
        compare: 'previous', 'year', 'custom' or None.
        changes: catalogue key -> MetricChange, each on the days both sides cover for the data
            the metric needs (orders, traffic or both).
        compared: family ('orders', 'traffic', 'both') -> the compared days.
        pairs: family -> (current, comparison) KpiValues on those days.
        cr_basis: the one CR definition both sides use.
        notes: one line each on cut days and on the CR definition, for people.
    """

    current: KpiValues
    comparison: KpiValues | None
    compare: str | None
    changes: dict[str, MetricChange] = field(default_factory=dict)
    filters: OrderFilters = DEFAULT_FILTERS
    compared: dict[str, ComparedDays] = field(default_factory=dict)
    pairs: dict[str, tuple[KpiValues, KpiValues]] = field(default_factory=dict)
    cr_basis: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: current values at the top level, then comparison and changes."""
        current = self.current.to_dict()
        data: dict[str, Any] = {key: current[key] for key in KPI_CARD_METRICS}
        data.update({k: v for k, v in current.items() if k not in data})
        data["compare"] = self.compare
        data["comparison"] = self.comparison.to_dict() if self.comparison else None
        data["changes"] = {k: v.to_dict() for k, v in self.changes.items()}
        data["compared_days"] = {k: v.to_dict() for k, v in self.compared.items()}
        data["comparison_notes"] = list(self.notes)
        data["filters"] = self.filters.to_dict()
        return data


def change(current: float | None, previous: float | None) -> MetricChange:
    """Absolute and relative change; None where undefined (never NaN or inf)."""
    cur, prev = finite_or_none(current), finite_or_none(previous)
    if cur is None or prev is None:
        return MetricChange(None, None, cur, prev)
    absolute = cur - prev
    relative = safe_div(absolute, abs(prev)) if prev != 0 else None
    return MetricChange(absolute, relative, cur, prev)


@pins_version
def kpi_values(
    db: Database,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    traffic: TrafficSelection | None | bool = True,
    cr_basis: str | None = None,
) -> KpiValues:
    """KPI values for one range.

    Args:
        db: the database.
        period: the date range (store-local dates, inclusive).
        filters: order filters and revenue basis.
        traffic: True = choose traffic rows automatically; a TrafficSelection to use those rows;
            None/False = ignore traffic.
        cr_basis: CR_BASIS_ORDERS to compute CR as online orders / sessions even where the
            traffic reports converted sessions (so two sides of a comparison agree); None = the
            source's own definition where it has one.
    """
    selection: TrafficSelection | None
    if traffic is True:
        selection = select_traffic(db, period, filters)
    else:
        selection = traffic or None

    # online orders count on the days the traffic's periods cover (all of them without traffic)
    aligned = covered_by(selection.periods) if selection is not None else None
    sums = order_days(db, filters).totals(period, aligned)
    orders, revenue = sums.orders, sums.revenue
    online_orders, online_revenue = sums.aligned_orders, sums.aligned_revenue
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
    wanted_basis = cr_basis
    sessions = visitors = converted = None
    cr = cr_basis = rps = rpvisitor = None
    online_range = period
    if selection is not None:
        totals = traffic_totals(db, selection)
        sessions, visitors = totals.sessions, totals.visitors
        converted = totals.converted_sessions
        online_range = selection.effective_range
        if converted is not None and wanted_basis != CR_BASIS_ORDERS:
            cr, cr_basis = safe_div(converted, sessions), CR_BASIS_CONVERTED
        elif online_orders is not None:
            cr, cr_basis = safe_div(online_orders, sessions), CR_BASIS_ORDERS
        elif totals.reported_orders is not None:
            # the orders cannot be split like these sessions: the analytics export's own
            # conversions, as segments do (traffic_totals.conversion_numerator)
            cr, cr_basis = safe_div(totals.reported_orders, sessions), CR_BASIS_REPORTED
        if cr is None:
            cr_basis = None
        rps = safe_div(online_revenue, sessions)
        rpvisitor = safe_div(online_revenue, visitors)
        notes.append(selection.note)
        if selection.segment_dimension is not None and not totals.rows:
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
    engaged = None
    if selection is not None:
        from ro_core.metrics.engagement import traffic_engagement  # it imports segments -> kpis

        engaged, _note = traffic_engagement(
            db, period, replace(filters, traffic_source=selection.source)
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
        engaged_sessions=engaged.engaged_sessions if engaged else None,
        engagement_rate=engaged.engagement_rate if engaged else None,
        bounce_rate=engaged.bounce_rate if engaged else None,
        engagement_basis=engaged.basis if engaged else None,
    )


def _family(metric: str, cr_basis: str | None) -> str:
    """Which compared days a metric's change uses: 'orders', 'traffic' or 'both'."""
    if metric == "conversion_rate":
        return TRAFFIC if cr_basis == CR_BASIS_CONVERTED else BOTH
    entry = METRICS[metric]
    if entry.needs_traffic and entry.needs_orders:
        return BOTH
    if metric.startswith("online_"):
        return BOTH  # counted on traffic days
    return TRAFFIC if entry.needs_traffic else ORDERS


@pins_version
def compare_kpis(db: Database, scope: Scope) -> KpiComparison:
    """KPIs of the scope's period and the change of each against its comparison.

    Both sides use the same traffic source and the same CR definition (orders / sessions on both
    when one side's traffic reports no converted sessions). Each change covers only the days both
    sides have data for (ro_core.metrics.comparison); the notes say where days were cut.
    """
    filters = scope.filters
    current = kpi_values(db, scope.period, filters)
    other = scope.comparison
    if other is None:
        return KpiComparison(current=current, comparison=None, compare=None, filters=filters,
                             cr_basis=current.conversion_rate_basis)  # fmt: skip
    if current.traffic is not None:  # one source answers the question on both sides
        filters_other = replace(filters, traffic_source=current.traffic.source)
    else:
        filters_other = filters
    comparison = kpi_values(db, other, filters_other)
    basis = current.conversion_rate_basis
    notes: list[str] = []
    if (
        basis == CR_BASIS_CONVERTED
        and comparison.traffic is not None
        and comparison.conversion_rate_basis != CR_BASIS_CONVERTED
    ):
        basis = CR_BASIS_ORDERS
        current = kpi_values(db, scope.period, filters, cr_basis=basis)
        comparison = kpi_values(db, other, filters_other, cr_basis=basis)
        notes.append(
            "CR is online orders / sessions on both sides: the comparison's traffic reports "
            "no converted sessions."
        )
    source = current.traffic.source if current.traffic else filters.traffic_source
    compared = compared_days(db, scope.period, other, traffic_source=source,
                             by_year=scope.compare == "year")  # fmt: skip
    pairs: dict[str, tuple[KpiValues, KpiValues]] = {}
    for family, days in compared.items():
        if not days.comparable:
            continue
        assert days.current is not None and days.comparison is not None
        if not days.cut:
            pairs[family] = (current, comparison)
        else:
            pairs[family] = (
                kpi_values(db, days.current, filters, cr_basis=basis),
                kpi_values(db, days.comparison, filters_other, cr_basis=basis),
            )
    changes: dict[str, MetricChange] = {}
    for metric in KPI_METRICS:
        family = _family(metric, basis)
        days = compared[family]
        pair = pairs.get(family)
        if pair is None:
            changes[metric] = MetricChange(None, None, days=days, note=days.note)
            continue
        moved = change(pair[0].value(metric), pair[1].value(metric))
        changes[metric] = replace(moved, days=days, note=days.note)
    for days in compared.values():
        if days.note and days.note not in notes and days.family != BOTH:
            has_data = days.family == ORDERS and current.orders is not None
            has_data = has_data or (days.family == TRAFFIC and current.traffic is not None)
            if has_data:
                notes.append(days.note)
    return KpiComparison(
        current=current,
        comparison=comparison,
        compare=scope.compare,
        changes=changes,
        filters=filters,
        compared=compared,
        pairs=pairs,
        cr_basis=basis,
        notes=tuple(notes),
    )


def kpis(
    db: Database,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    compare: str | None = "previous",
) -> KpiComparison:
    """KPIs of `period` against 'previous', 'year' or None (see compare_kpis)."""
    return compare_kpis(db, Scope(period, compare or "none", filters))
