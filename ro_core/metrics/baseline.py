"""Sufficient statistics of the store's recent traffic and orders for planning an A/B test.

The experiment engine turns these sums into CR, AOV and RPV variances; nothing here is a
statistic of a test. The sums use the KPI cards' definitions for the same period and filters
(``ro_core.metrics.kpis.kpi_values``, which supplies the traffic figures and the CR): CR is
converted sessions / sessions where the traffic reports them, else online orders / sessions; AOV
is over every filtered order of the period (``aov_*`` sums); RPV is online revenue / sessions
(online orders on traffic days). Uncapped, the baseline's CR, AOV and RPV equal the cards'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.experiment.baseline import StoreBaseline, baseline_from_summary
from ro_core.metrics._sql import (
    ONLINE_ON_TRAFFIC_DAYS,
    ONLINE_ORDERS,
    filtered_orders_sql,
    safe_div,
)
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic import TrafficSelection, periods_values_sql, select_traffic
from ro_core.numbers import finite_or_none
from ro_core.store.db import Database


@dataclass(frozen=True)
class BaselineSums:
    """Sums over a baseline range (online orders on the days the traffic covers).

    Attributes:
        days: days the sums cover (the traffic's covered days, else the range's days).
        sessions / visitors / converted_sessions: traffic sums (None without traffic).
        orders: online orders on traffic days; revenue: their revenue (capped when
            cap_percentile is set); revenue_sum_squares: sum of squared (capped) order values.
            These give RPV (the card's online revenue / sessions) and its spread.
        aov_orders / aov_revenue / aov_revenue_sum_squares: the same sums over every filtered
            order of the period (capped alike): the AOV card's orders, for AOV and its spread.
        cap_value: the cap applied to each order value (None without capping).
        daily_sessions / daily_visitors / daily_orders: averages per day over `days`.
        conversion_rate: the CR card's figure (None without traffic);
        conversion_rate_basis: its definition ('converted sessions / sessions' when the
            traffic reports converted sessions, else 'orders / sessions').
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
    conversion_rate: float | None = None
    aov_orders: int = 0
    aov_revenue: float = 0.0
    aov_revenue_sum_squares: float = 0.0

    def store_baseline(self) -> StoreBaseline:
        """The planning baseline with the KPI cards' CR and AOV definitions (CR from converted
        sessions where reported, AOV over every order); InvalidInputError when the sums cannot
        give one (no traffic, fewer than 2 orders...)."""
        if self.sessions is None:
            raise InvalidInputError(
                "No traffic for these dates: a test baseline needs sessions from an analytics "
                "export."
            )
        return baseline_from_summary(
            self.sessions,
            self.orders,
            self.revenue,
            self.revenue_sum_squares,
            cap=self.cap_value,
            converted_sessions=self.converted_sessions,
            aov_orders=self.aov_orders,
            aov_revenue_sum=self.aov_revenue,
            aov_revenue_sum_squares=self.aov_revenue_sum_squares,
        )

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
    cards = kpi_values(db, period, filters, traffic=selection)  # the cards' own computation
    orders_sql, params = filtered_orders_sql(filters, period)
    if selection is not None:
        periods_sql, periods_params = periods_values_sql(selection)
        with_p = f", p AS ({periods_sql}), {ONLINE_ON_TRAFFIC_DAYS}"
    else:
        periods_params, with_p = [], f", {ONLINE_ORDERS}"
    row = db.fetch_one(
        f"""WITH f AS ({orders_sql}){with_p},
        g AS (SELECT revenue, aligned FROM fa),
        cap AS (SELECT CASE WHEN CAST(? AS DOUBLE) IS NULL THEN NULL
                            ELSE quantile_cont(revenue, coalesce(CAST(? AS DOUBLE), 0.5))
                                 FILTER (WHERE aligned) END AS c
                FROM g),
        v AS (SELECT CASE WHEN cap.c IS NULL THEN g.revenue ELSE least(g.revenue, cap.c) END AS v,
                     g.aligned, cap.c AS c
              FROM g CROSS JOIN cap)
        SELECT count(*) FILTER (WHERE aligned), coalesce(sum(v) FILTER (WHERE aligned), 0),
               coalesce(sum(v * v) FILTER (WHERE aligned), 0), any_value(c),
               count(*), coalesce(sum(v), 0), coalesce(sum(v * v), 0)
        FROM v""",
        [*params, *periods_params, cap_percentile, cap_percentile],
    )
    orders, revenue, sum_sq, cap_value = int(row[0]), float(row[1]), float(row[2]), row[3]
    days = selection.covered_days if selection is not None else period.days
    sessions, visitors = cards.sessions, cards.visitors
    return BaselineSums(
        period=period,
        days=days,
        sessions=sessions,
        visitors=visitors,
        converted_sessions=cards.converted_sessions,
        orders=orders,
        revenue=revenue,
        revenue_sum_squares=sum_sq,
        cap_percentile=cap_percentile,
        cap_value=finite_or_none(cap_value),
        daily_sessions=safe_div(sessions, days),
        daily_visitors=safe_div(visitors, days),
        daily_orders=safe_div(orders, days),
        conversion_rate_basis=cards.conversion_rate_basis,
        traffic=selection,
        conversion_rate=cards.conversion_rate,
        aov_orders=int(row[4]),
        aov_revenue=float(row[5]),
        aov_revenue_sum_squares=float(row[6]),
    )
