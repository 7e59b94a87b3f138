"""The store's own estimate of what CUPED would gain: how well a customer's revenue in one period
predicts it in the next, from the orders export.

SQL adds up each customer's revenue in two consecutive periods of equal length (the chosen period
and the one before it; a customer with orders in either counts, with 0 in the other) and returns
six sums (n, sum x, sum y, sum x^2, sum y^2, sum xy); Python turns them into a correlation rho.
CUPED with last period's revenue as covariate shrinks a revenue test's variance by about rho^2.
It is an estimate: a test's visitors include people who never bought (whose covariate and
outcome are both mostly 0), so the reduction on a real test can differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ro_core.experiment.cuped import correlation_from_sums
from ro_core.metrics._sql import filtered_orders_sql
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.store.db import Database

MIN_CUSTOMERS = 30


@dataclass(frozen=True)
class RevenueCorrelation:
    """Correlation of customers' revenue between two consecutive periods (None: not enough)."""

    current: DateRange
    previous: DateRange
    customers: int
    rho: float | None
    message: str | None = None

    @property
    def variance_reduction(self) -> float | None:
        return None if self.rho is None else self.rho**2

    def to_dict(self) -> dict[str, Any]:
        return {
            "current": self.current.to_dict(),
            "previous": self.previous.to_dict(),
            "customers": self.customers,
            "rho": self.rho,
            "variance_reduction": self.variance_reduction,
            "message": self.message,
        }


def customer_revenue_correlation(
    db: Database, period: DateRange, filters: OrderFilters = DEFAULT_FILTERS
) -> RevenueCorrelation:
    """Correlation between each customer's revenue in `period` and in the period before it."""
    previous = period.days_before()
    orders_sql, params = filtered_orders_sql(
        filters, None, extra_columns={"customer_key": "o.customer_key"}
    )
    row = db.fetch_one(
        f"""WITH f AS ({orders_sql}),
        per AS (
            SELECT customer_key,
                   sum(CASE WHEN day BETWEEN ? AND ? THEN revenue ELSE 0 END) AS x,
                   sum(CASE WHEN day BETWEEN ? AND ? THEN revenue ELSE 0 END) AS y
            FROM f
            WHERE customer_key IS NOT NULL AND customer_key <> '' AND day BETWEEN ? AND ?
            GROUP BY customer_key)
        SELECT count(*), sum(x), sum(y), sum(x * x), sum(y * y), sum(x * y) FROM per""",
        [
            *params,
            previous.start,
            previous.end,
            period.start,
            period.end,
            previous.start,
            period.end,
        ],
    )
    n = int(row[0] or 0) if row else 0
    if n < MIN_CUSTOMERS:
        return RevenueCorrelation(
            period,
            previous,
            n,
            None,
            f"Only {n} customers with a customer id ordered in these two periods; at least "
            f"{MIN_CUSTOMERS} are needed to estimate what CUPED would gain.",
        )
    rho = correlation_from_sums(n, *(float(v or 0.0) for v in row[1:]))
    message = None
    if rho is None:
        message = "Customers' revenue does not vary, so the correlation is undefined."
    return RevenueCorrelation(period, previous, n, rho, message)
