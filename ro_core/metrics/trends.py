"""Metrics over time by day, ISO week (Monday) or month, in the store's time zone.

Orders are bucketed by their store-local date (``orders.local_date``, or the filters' UTC offset
override). Metrics that need traffic (sessions, visitors, CR, RPV) use the traffic's own periods
and count the orders dated inside each period, so numerator and denominator cover the same days.
Daily traffic is summed into weeks or months; weekly or monthly traffic is never split into
days: the grain is raised and the reason returned. Weeks do not fit into months, so a monthly
trend over weekly-only traffic stays weekly (with the reason).

With a segment filter the traffic rows and orders are the segment's (see kpis); a period of the
breakdown without a row for the segment counts zero sessions. When the orders do not carry the
segment's dimension the order columns and order-based values (revenue, orders, AOV, RPV, CR as
orders / sessions) are missing and `reason` says why.

The two series (orders per bucket; traffic periods with their orders) are built in
ro_core.metrics.trend_series; this module picks one per metric and computes the values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.metrics._sql import orders_span
from ro_core.metrics.catalog import METRICS
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, CR_BASIS_ORDERS
from ro_core.metrics.periods import DateRange
from ro_core.metrics.sources import SOURCE_LABELS
from ro_core.metrics.traffic import (
    TrafficSelection,
    grain_coverage,
    no_traffic_note,
    required_dimensions,
    select_traffic,
)
from ro_core.metrics.trend_series import (
    TRAFFIC_SERIES_COLUMNS,
    orders_series,
    traffic_series,
)
from ro_core.metrics.versioned import pins_version
from ro_core.store.db import Database

GRAINS = ("day", "week", "month")
TREND_METRICS: dict[str, str] = {
    key: METRICS[key].label
    for key in ("revenue", "orders", "aov", "sessions", "visitors", "conversion_rate", "rpv")
}
METRIC_ALIASES = {
    "cr": "conversion_rate",
    "conversion": "conversion_rate",
    "revenue_per_session": "rpv",
    "rps": "rpv",
    "average_order_value": "aov",
}
TRAFFIC_METRICS = frozenset({"sessions", "visitors", "conversion_rate", "rpv"})


@dataclass(frozen=True)
class TrendResult:
    """A metric over time.

    Attributes:
        metric: canonical metric name (see TREND_METRICS).
        label: the metric's name for people.
        grain_requested / grain: the grain asked for and the grain used.
        reason: why the grain was raised (or why there is no trend), else None.
        frame: one row per period, columns: period_start, period_end (inclusive dates), days
            (days of the period with data inside the range), partial (the period is cut by the
            range or has days without traffic), value, comparison_period_start,
            comparison_value, then the components: orders, revenue (all filtered orders in the
            period) and for traffic metrics sessions, visitors, converted_sessions,
            online_orders, online_revenue.
        period / comparison_period: the ranges asked for.
        traffic: the traffic rows used (traffic metrics only).
        conversion_rate_basis: 'converted sessions / sessions' or 'orders / sessions'.
    """

    metric: str
    label: str
    grain_requested: str
    grain: str
    reason: str | None
    frame: pd.DataFrame
    period: DateRange
    comparison_period: DateRange | None
    traffic: TrafficSelection | None
    conversion_rate_basis: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the frame as a list of records with ISO dates)."""
        frame = self.frame.copy()
        for col in ("period_start", "period_end", "comparison_period_start"):
            if col in frame:
                frame[col] = frame[col].map(_iso_date)
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        return {
            "metric": self.metric,
            "label": self.label,
            "grain_requested": self.grain_requested,
            "grain": self.grain,
            "reason": self.reason,
            "period": self.period.to_dict(),
            "comparison_period": self.comparison_period.to_dict()
            if self.comparison_period
            else None,
            "traffic": self.traffic.to_dict() if self.traffic else None,
            "conversion_rate_basis": self.conversion_rate_basis,
            "rows": records,
        }


def _iso_date(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def normalise_metric(metric: str) -> str:
    """Canonical metric name; InvalidInputError for unknown names."""
    name = (metric or "").strip().lower()
    name = METRIC_ALIASES.get(name, name)
    if name not in TREND_METRICS:
        raise InvalidInputError(
            f"Unknown metric '{metric}': use one of cr, aov, rpv, revenue, sessions, visitors, "
            "orders."
        )
    return name


def _check_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise InvalidInputError(f"Unknown grain '{grain}': use day, week or month.")
    return grain


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den with None where den is 0 or missing (never inf or NaN from 0/0)."""
    num = num.astype(float)
    den = den.astype(float)
    out = num / den.where(den != 0)
    return out.astype(object).where(out.notna(), None)


def _values(frame: pd.DataFrame, metric: str, cr_basis: str | None) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=object)
    if metric == "revenue":
        return frame["revenue"].astype(float)
    if metric == "orders":
        return frame["orders"].astype(float)
    if metric == "aov":
        return _ratio(frame["revenue"], frame["orders"])
    if metric == "sessions":
        return frame["sessions"].astype(float)
    if metric == "visitors":
        return frame["visitors"].astype(object).where(frame["visitors"].notna(), None)
    if metric == "rpv":
        return _ratio(frame["online_revenue"], frame["sessions"])
    if cr_basis == CR_BASIS_CONVERTED:
        return _ratio(frame["converted_sessions"], frame["sessions"])
    return _ratio(frame["online_orders"], frame["sessions"])


def _traffic_plan(
    db: Database, period: DateRange, filters: OrderFilters, grain: str
) -> tuple[TrafficSelection | None, str | None, str | None, str]:
    """(selection, bucket_grain, reason, grain_used) for a traffic metric."""
    chosen = select_traffic(db, period, filters)
    if chosen is None:
        return None, None, _no_traffic_reason(db, filters), grain
    forced = replace(filters, traffic_source=chosen.source)
    wanted = required_dimensions(filters)
    coverage = {c[1]: c[3] for c in grain_coverage(db, period, wanted, chosen.source)}
    label = SOURCE_LABELS.get(chosen.source, chosen.source)

    def pick(traffic_grain: str) -> TrafficSelection:
        selection = select_traffic(db, period, forced, grain=traffic_grain)
        assert selection is not None
        return selection

    if grain == "day":
        if "day" in coverage:
            return pick("day"), None, None, "day"
        for coarser in ("week", "month"):
            if coarser in coverage:
                return (
                    pick(coarser),
                    None,
                    f"{label} traffic exists only {coarser}ly for these dates, so daily rates "
                    f"are not invented: shown by {coarser}.",
                    coarser,
                )
    else:
        native = coverage.get(grain, 0)
        daily = coverage.get("day", 0)
        if native or daily:
            if native >= daily:
                return pick(grain), None, None, grain
            return pick("day"), grain, None, grain
        if grain == "week" and "month" in coverage:
            return (
                pick("month"),
                None,
                f"{label} traffic exists only monthly for these dates: shown by month.",
                "month",
            )
        if grain == "month" and "week" in coverage:
            return (
                pick("week"),
                None,
                f"{label} traffic exists only weekly for these dates and weeks do not fit "
                "into months: shown by week.",
                "week",
            )
    if "total" in coverage:
        return (
            None,
            None,
            f"{label} traffic has only one total for the whole range: no trend over time.",
            grain,
        )
    return None, None, _no_traffic_reason(db, filters), grain


def _no_traffic_reason(db: Database, filters: OrderFilters) -> str:
    """Why a traffic metric has no trend, naming the store's traffic source."""
    if filters.has_segment and filters.segment_traffic_dimension is None:
        return f"Showing {filters.segment_scope()}."
    if filters.has_segment:
        return (
            no_traffic_note(db, filters, f" split by {filters.segment_traffic_dimension}").rstrip(
                "."
            )
            + f", so nothing can be shown for {filters.segment_label()}."
        )
    return no_traffic_note(db, filters)


def _no_orders_reason(filters: OrderFilters) -> str:
    return (
        f"Showing only {filters.segment_label()}: the orders carry no "
        f"{filters.segment_name}, so order figures (revenue, orders, AOV, RPV) are not "
        "available for this segment."
    )


def _mask_unknown_orders(
    db: Database, frame: pd.DataFrame, filters: OrderFilters = DEFAULT_FILTERS
) -> pd.DataFrame:
    """Order columns become missing (not 0) in periods without any imported orders, and
    everywhere when the segment filter cannot be applied to orders."""
    if frame.empty:
        return frame
    first, last = orders_span(db)
    if first is None or not filters.segment_applies_to_orders:
        outside = pd.Series(True, index=frame.index)
    else:
        starts = pd.to_datetime(frame["period_start"])
        ends = pd.to_datetime(frame["period_end"])
        outside = (ends < pd.Timestamp(first)) | (starts > pd.Timestamp(last))
    if outside.any():
        for col in ("orders", "revenue", "online_orders", "online_revenue"):
            if col in frame:
                frame[col] = frame[col].astype(float).where(~outside)
    return frame


def _series(
    db: Database,
    metric: str,
    grain: str,
    period: DateRange,
    filters: OrderFilters,
    plan: tuple[TrafficSelection | None, str | None, str | None, str] | None,
) -> tuple[pd.DataFrame, str | None]:
    if metric not in TRAFFIC_METRICS:
        frame = _mask_unknown_orders(db, orders_series(db, period, filters, grain), filters)
        frame["value"] = _values(frame, metric, None)
        return frame, None
    assert plan is not None
    selection, bucket_grain, _reason, _used = plan
    if selection is None:
        frame = pd.DataFrame(columns=TRAFFIC_SERIES_COLUMNS)
        frame["value"] = pd.Series(dtype=object)
        return frame, None
    frame = _mask_unknown_orders(
        db, traffic_series(db, period, filters, selection, bucket_grain), filters
    )
    has_converted = bool(len(frame)) and bool(frame["converted_sessions"].notna().all())
    if has_converted:
        basis = CR_BASIS_CONVERTED
    elif filters.segment_applies_to_orders:
        basis = CR_BASIS_ORDERS
    else:
        basis = None
    frame["value"] = _values(frame, metric, basis)
    return frame, basis


@pins_version
def trend(
    db: Database,
    metric: str,
    grain: str,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    compare: str | None = None,
) -> TrendResult:
    """One metric over time, optionally beside the previous period or the year before.

    Args:
        db: the database.
        metric: revenue, orders, aov, sessions, visitors, conversion_rate (or cr), rpv.
        grain: day, week (ISO, Monday) or month.
        period: the date range (store-local dates, inclusive).
        filters: order filters (its utc_offset_minutes overrides the store's time zone).
        compare: 'previous', 'year' or None; comparison rows are matched by position.
    """
    metric = normalise_metric(metric)
    grain = _check_grain(grain)
    if compare == "none":
        compare = None
    other = period.comparison(compare)
    plan = _traffic_plan(db, period, filters, grain) if metric in TRAFFIC_METRICS else None
    used = plan[3] if plan else grain
    reason = plan[2] if plan else None
    frame, basis = _series(db, metric, used, period, filters, plan)
    needs_orders = metric in ("revenue", "orders", "aov", "rpv") or (
        metric == "conversion_rate" and basis is None
    )
    if reason is None and needs_orders and not filters.segment_applies_to_orders:
        reason = _no_orders_reason(filters)
    frame = frame.reset_index(drop=True)
    frame["comparison_period_start"] = None
    frame["comparison_value"] = None
    if other is not None and len(frame):
        other_plan = None
        if plan is not None and plan[0] is not None:
            selection, bucket_grain, _r, _g = plan
            forced = replace(filters, traffic_source=selection.source)
            other_sel = select_traffic(db, other, forced, grain=selection.grain)
            other_plan = (other_sel, bucket_grain, None, used)
        elif plan is not None:
            other_plan = plan
        other_frame, _ = _series(db, metric, used, other, filters, other_plan)
        n = min(len(frame), len(other_frame))
        starts = list(other_frame["period_start"][:n]) + [None] * (len(frame) - n)
        values = list(other_frame["value"][:n]) + [None] * (len(frame) - n)
        frame["comparison_period_start"] = starts
        frame["comparison_value"] = values
    first = ["period_start", "period_end", "days", "partial", "value"]
    rest = [c for c in frame.columns if c not in first]
    frame = frame[[*first, *rest]]
    frame["value"] = frame["value"].astype(object).where(frame["value"].notna(), None)
    return TrendResult(
        metric=metric,
        label=TREND_METRICS[metric],
        grain_requested=grain,
        grain=used,
        reason=reason,
        frame=frame,
        period=period,
        comparison_period=other,
        traffic=plan[0] if plan else None,
        conversion_rate_basis=basis,
    )
