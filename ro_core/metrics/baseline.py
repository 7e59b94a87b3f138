"""Sufficient statistics of the store's recent traffic and orders for planning an A/B test.

The experiment engine turns these sums into CR, AOV and RPV variances; nothing here is a
statistic of a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.metrics._sql import ONLINE_ON_TRAFFIC_DAYS, as_float, filtered_orders_sql, safe_div
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, CR_BASIS_ORDERS
from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic import TrafficSelection, periods_values_sql, select_traffic
from ro_core.store import schema
from ro_core.store.db import Database


@dataclass(frozen=True)
class BaselineSums:
    """Sums over a baseline range (online orders on the days the traffic covers).

    Attributes:
        days: days the sums cover (the traffic's covered days, else the range's days).
        sessions / visitors / converted_sessions: traffic sums (None without traffic).
        orders: online orders; revenue: their revenue (capped when cap_percentile is set);
        revenue_sum_squares: sum of squared (capped) order values.
        cap_value: the cap applied to each order value (None without capping).
        daily_sessions / daily_visitors / daily_orders: averages per day over `days`.
        conversion_rate_basis: which CR the sums support ('converted sessions / sessions'
            when converted_sessions is present, else 'orders / sessions').
    """

    period: DateRange
    days: int
    sessions: float | None
    visitors: float | None
    converted_sessions: float | None
    orders: int
    revenue: float
    revenue_sum_squares: float
    cap_percentile: float | None
    cap_value: float | None
    daily_sessions: float | None
    daily_visitors: float | None
    daily_orders: float | None
    conversion_rate_basis: str | None
    traffic: TrafficSelection | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["period"] = self.period.to_dict()
        data["traffic"] = self.traffic.to_dict() if self.traffic else None
        return data


def experiment_baseline_sums(
    db: Database,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    cap_percentile: float | None = None,
) -> BaselineSums:
    """Sessions, visitors, orders, revenue and sum of squares for an experiment's baseline.

    Args:
        db: the database.
        period: the baseline range (e.g. the last 28 days with data).
        filters: order filters and revenue basis.
        cap_percentile: cap each order value at this percentile (0 < p < 1, e.g. 0.99; SQL
            quantile_cont over the same orders) before summing; None = no cap.
    """
    if cap_percentile is not None and not 0 < cap_percentile < 1:
        raise InvalidInputError(
            f"The capping percentile {cap_percentile} must be between 0 and 1 (e.g. 0.99)."
        )
    if filters.has_segment and (
        not filters.segment_applies_to_orders or filters.segment_traffic_dimension is None
    ):
        missing = "orders carry" if not filters.segment_applies_to_orders else "traffic carries"
        raise InvalidInputError(
            f"A test baseline for {filters.segment_label()} needs that segment's sessions and "
            f"orders, and the {missing} no {filters.segment_name}: use the whole store "
            "or a segment both have (e.g. country), or type the segment's figures yourself."
        )
    selection = select_traffic(db, period, filters)
    orders_sql, params = filtered_orders_sql(filters, period)
    if selection is not None:
        periods_sql, periods_params = periods_values_sql(selection)
        with_p = f", p AS ({periods_sql})"
        aligned = ONLINE_ON_TRAFFIC_DAYS
    else:
        periods_params, with_p, aligned = [], "", "online"
    row = db.fetch_one(
        f"""WITH f AS ({orders_sql}){with_p},
        g AS (SELECT revenue FROM f WHERE {aligned}),
        cap AS (SELECT CASE WHEN CAST(? AS DOUBLE) IS NULL THEN NULL
                            ELSE quantile_cont(revenue, coalesce(CAST(? AS DOUBLE), 0.5)) END AS c
                FROM g)
        SELECT count(*), coalesce(sum(v), 0), coalesce(sum(v * v), 0), any_value(c)
        FROM (SELECT CASE WHEN cap.c IS NULL THEN g.revenue ELSE least(g.revenue, cap.c) END AS v,
                     cap.c AS c
              FROM g CROSS JOIN cap)""",
        [*params, *periods_params, cap_percentile, cap_percentile],
    )
    orders, revenue, sum_sq, cap_value = int(row[0]), float(row[1]), float(row[2]), row[3]
    sessions = visitors = converted = None
    basis = None
    days = period.days
    if selection is not None:
        where, tparams = selection.where_sql("t")
        t = db.fetch_one(
            f"""SELECT sum(sessions), sum(visitors), sum(converted_sessions), count(*),
                       count(visitors), count(converted_sessions)
            FROM {schema.TRAFFIC} t WHERE {where} AND t.sessions IS NOT NULL""",
            tparams,
        )
        sessions = as_float(t[0])
        visitors = as_float(t[1]) if t[4] == t[3] else None
        converted = as_float(t[2]) if t[5] == t[3] else None
        basis = CR_BASIS_CONVERTED if converted is not None else CR_BASIS_ORDERS
        days = selection.covered_days
    return BaselineSums(
        period=period,
        days=days,
        sessions=sessions,
        visitors=visitors,
        converted_sessions=converted,
        orders=orders,
        revenue=revenue,
        revenue_sum_squares=sum_sq,
        cap_percentile=cap_percentile,
        cap_value=as_float(cap_value),
        daily_sessions=safe_div(sessions, days),
        daily_visitors=safe_div(visitors, days),
        daily_orders=safe_div(orders, days),
        conversion_rate_basis=basis,
        traffic=selection,
    )
