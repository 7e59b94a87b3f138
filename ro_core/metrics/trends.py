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
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ro_core.dates import shift_months
from ro_core.errors import InvalidInputError
from ro_core.metrics._sql import orders_span
from ro_core.metrics.catalog import METRICS
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, CR_BASIS_ORDERS
from ro_core.metrics.order_days import order_days
from ro_core.metrics.periods import DateRange, bucket_start, calendar_buckets
from ro_core.metrics.sources import SOURCE_LABELS
from ro_core.metrics.traffic import (
    TrafficSelection,
    grain_coverage,
    no_traffic_note,
    required_dimensions,
    select_traffic,
)
from ro_core.metrics.traffic_inventory import RowSums, Unit, row_sums
from ro_core.metrics.traffic_totals import selection_units
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
_INTERVAL = {"day": "INTERVAL 1 DAY", "week": "INTERVAL 7 DAY", "month": "INTERVAL 1 MONTH"}

ORDER_COLUMNS = ["period_start", "period_end", "days", "partial", "orders", "revenue"]
TRAFFIC_COLUMNS = [
    "period_start",
    "period_end",
    "days",
    "partial",
    "sessions",
    "visitors",
    "converted_sessions",
    "orders",
    "revenue",
    "online_orders",
    "online_revenue",
]


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


def _orders_series(
    db: Database, period: DateRange, filters: OrderFilters, grain: str
) -> pd.DataFrame:
    """Orders and revenue per calendar bucket, every bucket present (zeros included).

    The orders' per-day sums (ro_core.metrics.order_days) added up per bucket; the calendar
    (every bucket, its days inside the period, whether it is partial) is Python's.
    """
    by_bucket: dict[date, list[float]] = {}
    for day, sums in order_days(db, filters).between(period):
        found = by_bucket.setdefault(bucket_start(day, grain), [0, 0.0])
        found[0] += sums.orders
        found[1] += sums.revenue
    if not by_bucket:
        return pd.DataFrame(columns=ORDER_COLUMNS)
    rows = []
    for first, last in calendar_buckets(period, grain):
        orders, revenue = by_bucket.get(first, (0, 0.0))
        end = min(last, period.end)
        rows.append(
            {
                "period_start": pd.Timestamp(first),
                "period_end": pd.Timestamp(end),
                "days": (end - max(first, period.start)).days + 1,
                "partial": first < period.start or last > period.end,
                "orders": orders,
                "revenue": float(revenue),
            }
        )
    frame = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    frame["orders"] = frame["orders"].astype("int64")
    frame["days"] = frame["days"].astype("int64")
    return frame


def _by_period(units: list[Unit]) -> dict[tuple[date, date], RowSums]:
    """The sums of the rows having sessions, per traffic period."""
    grouped: dict[tuple[date, date], list[Unit]] = {}
    for u in units:
        if "sessions" in u.measures:
            grouped.setdefault((u.start, u.end), []).append(u)
    return {key: row_sums(found) for key, found in grouped.items()}


def _sum_all(values: list[float | None]) -> float | None:
    """SQL's CASE WHEN count(x) = count(*) THEN sum(x) END."""
    known = [v for v in values if v is not None]
    return float(sum(known)) if len(known) == len(values) else None


def _traffic_series(
    db: Database,
    period: DateRange,
    filters: OrderFilters,
    selection: TrafficSelection,
    bucket_grain: str | None,
) -> pd.DataFrame:
    """Traffic and the orders dated inside each traffic period, summed per bucket.

    bucket_grain None keeps the traffic's own periods; 'week'/'month' sums daily rows. The
    periods are the breakdown's (a period without a row for the segment counts zero sessions;
    a segment without any row in the range has no traffic figures at all, as in kpis); the
    sums come from the traffic inventory and the orders' per-day sums.
    """
    periods = _by_period(selection_units(db, selection, segment=False))
    chosen = _by_period(selection_units(db, selection))
    days = order_days(db, filters)
    buckets: dict[date, dict[str, Any]] = {}
    for start, end in sorted(periods):
        p = periods[(start, end)]
        s = chosen.get((start, end))
        if s is not None:
            sessions = s.total("sessions")
            visitors = s.complete("visitors")
            converted = s.complete("converted_sessions")
        elif chosen:
            sessions = 0.0
            visitors = 0.0 if p.counts.get("visitors", 0) == p.rows else None
            converted = 0.0 if p.counts.get("converted_sessions", 0) == p.rows else None
        else:
            sessions = visitors = converted = None
        lo, hi = max(start, period.start), min(end, period.end)  # orders of the trend's days
        orders = days.totals(DateRange(lo, hi)) if lo <= hi else None
        if bucket_grain is None:
            bucket, natural_end = start, end
        else:
            bucket = bucket_start(start, bucket_grain)
            following = (
                shift_months(bucket, 1)
                if bucket_grain == "month"
                else bucket + timedelta(days=7 if bucket_grain == "week" else 1)
            )
            natural_end = following - timedelta(days=1)
        b = buckets.setdefault(bucket, {"end": end, "days": 0, "natural_end": natural_end,
                                        "sessions": [], "visitors": [], "converted": [],
                                        "orders": 0, "revenue": 0.0, "online_orders": 0,
                                        "online_revenue": 0.0})  # fmt: skip
        b["end"] = max(b["end"], end)
        b["natural_end"] = max(b["natural_end"], natural_end)
        b["days"] += (end - start).days + 1
        b["sessions"].append(sessions)
        b["visitors"].append(visitors)
        b["converted"].append(converted)
        if orders is not None:
            b["orders"] += orders.orders
            b["revenue"] += orders.revenue
            b["online_orders"] += orders.aligned_orders
            b["online_revenue"] += orders.aligned_revenue
    if not buckets:
        return pd.DataFrame(columns=TRAFFIC_COLUMNS)
    rows = []
    for bucket in sorted(buckets):
        b = buckets[bucket]
        known = [v for v in b["sessions"] if v is not None]
        rows.append(
            {
                "period_start": pd.Timestamp(bucket),
                "period_end": pd.Timestamp(b["end"]),
                "days": b["days"],
                "partial": b["days"] < (b["natural_end"] - bucket).days + 1,
                "sessions": float(sum(known)) if known else None,
                "visitors": _sum_all(b["visitors"]),
                "converted_sessions": _sum_all(b["converted"]),
                "orders": b["orders"],
                "revenue": b["revenue"],
                "online_orders": b["online_orders"],
                "online_revenue": b["online_revenue"],
            }
        )
    frame = pd.DataFrame(rows, columns=TRAFFIC_COLUMNS)
    for col in ("period_start", "period_end"):
        frame[col] = frame[col].astype("datetime64[us]")
    for col in ("days", "orders", "online_orders"):
        frame[col] = frame[col].astype("int64")
    for col in ("sessions", "visitors", "converted_sessions", "revenue", "online_revenue"):
        frame[col] = frame[col].astype(float)
    return frame[TRAFFIC_COLUMNS]


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
        frame = _mask_unknown_orders(db, _orders_series(db, period, filters, grain), filters)
        frame["value"] = _values(frame, metric, None)
        return frame, None
    assert plan is not None
    selection, bucket_grain, _reason, _used = plan
    if selection is None:
        frame = pd.DataFrame(columns=TRAFFIC_COLUMNS)
        frame["value"] = pd.Series(dtype=object)
        return frame, None
    frame = _mask_unknown_orders(
        db, _traffic_series(db, period, filters, selection, bucket_grain), filters
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
