"""Pre-fill baselines for the planner from store totals (plain numbers in, no database).

Someone else's SQL supplies sessions, orders, the revenue sum and the sum of squared order
values (optionally with each order value capped at a percentile first; pass the capped sums and
the cap). From those:

- CR = orders / sessions, AOV = revenue / orders, RPV = revenue / sessions = CR x AOV.
- s^2, the sample variance of order value = (sum of squares - revenue^2 / orders) / (orders - 1).
- RPV variance per visitor = p (s^2 + AOV^2) - (p AOV)^2 with p = CR: a visitor's revenue is 0
  with probability 1 - p and an order value otherwise.
- For the same relative MDE the sample size is proportional to the squared coefficient of
  variation of the metric per visitor, so an RPV test needs
  ratio = (RPV variance / RPV^2) / ((1 - p) / p) = 1 + (s / AOV)^2 / (1 - p)
  times the visitors of a CR test, because order values vary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning import (
    ContinuousBaseline,
    ConversionBaseline,
    as_count,
    as_positive,
)


@dataclass(frozen=True)
class StoreBaseline:
    """Baseline CR, AOV and RPV with their spread, from store totals over a recent period."""

    sessions: int
    orders: int
    revenue_sum: float
    revenue_sum_squares: float
    cap: float | None = None

    @property
    def conversion_rate(self) -> float:
        return self.orders / self.sessions

    @property
    def average_order_value(self) -> float:
        return self.revenue_sum / self.orders

    @property
    def revenue_per_visitor(self) -> float:
        return self.revenue_sum / self.sessions

    @property
    def order_value_variance(self) -> float:
        """Sample variance of order value."""
        n = self.orders
        return max(0.0, (self.revenue_sum_squares - self.revenue_sum**2 / n) / (n - 1))

    @property
    def order_value_sd(self) -> float:
        return math.sqrt(self.order_value_variance)

    @property
    def rpv_variance(self) -> float:
        """Variance of revenue per visitor: p (s^2 + AOV^2) - (p AOV)^2."""
        p, aov = self.conversion_rate, self.average_order_value
        return max(0.0, p * (self.order_value_variance + aov**2) - (p * aov) ** 2)

    @property
    def rpv_sd(self) -> float:
        return math.sqrt(self.rpv_variance)

    @property
    def rpv_to_cr_visitor_ratio(self) -> float:
        """How many times the visitors of a CR test an RPV test needs, same relative MDE."""
        p = self.conversion_rate
        cv_squared = self.order_value_variance / self.average_order_value**2
        return 1.0 + cv_squared / (1.0 - p)

    @property
    def comparison_text(self) -> str:
        """The RPV-versus-CR sample comparison in one sentence."""
        ratio = self.rpv_to_cr_visitor_ratio
        return (
            f"An RPV test needs {ratio:.1f} times the visitors of a CR test for the same relative "
            f"MDE, because order values vary (standard deviation {self.order_value_sd:,.2f} "
            f"around an average order of {self.average_order_value:,.2f})."
        )

    def conversion_baseline(self) -> ConversionBaseline:
        return ConversionBaseline(self.conversion_rate)

    def rpv_baseline(self) -> ContinuousBaseline:
        return ContinuousBaseline(self.revenue_per_visitor, self.rpv_sd, "rpv")

    def aov_baseline(self) -> ContinuousBaseline:
        """Raises InvalidInputError when every order has the same value (no spread)."""
        return ContinuousBaseline(
            self.average_order_value, self.order_value_sd, "aov", self.conversion_rate
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "orders": self.orders,
            "revenue_sum": self.revenue_sum,
            "revenue_sum_squares": self.revenue_sum_squares,
            "cap": self.cap,
            "conversion_rate": self.conversion_rate,
            "average_order_value": self.average_order_value,
            "revenue_per_visitor": self.revenue_per_visitor,
            "order_value_sd": self.order_value_sd,
            "rpv_variance": self.rpv_variance,
            "rpv_sd": self.rpv_sd,
            "rpv_to_cr_visitor_ratio": self.rpv_to_cr_visitor_ratio,
            "comparison_text": self.comparison_text,
        }


def baseline_from_summary(
    sessions: int,
    orders: int,
    revenue_sum: float,
    revenue_sum_squares: float,
    *,
    cap: float | None = None,
) -> StoreBaseline:
    """Baselines from totals: sessions, orders, revenue and the sum of squared order values.

    Args:
        sessions: sessions (visitors) in the period.
        orders: orders (or converted sessions) in the period; at least 2, fewer than sessions.
        revenue_sum: total revenue (already capped if `cap` is given).
        revenue_sum_squares: sum of each order value squared (capped the same way).
        cap: the order-value cap used, for the record only.

    Raises:
        InvalidInputError: for missing, negative or inconsistent totals.
    """
    sessions_count = as_count(sessions, "Sessions", minimum=1)
    orders_count = as_count(orders, "Orders")
    if orders_count < 2:
        raise InvalidInputError(
            f"At least 2 orders are needed to estimate a baseline, got {orders_count}."
        )
    if orders_count >= sessions_count:
        raise InvalidInputError(
            f"Orders ({orders_count}) must be fewer than sessions ({sessions_count}) "
            "for a conversion rate below 100%."
        )
    revenue = as_positive(revenue_sum, "Revenue")
    squares = as_positive(revenue_sum_squares, "Revenue sum of squares")
    slack = 1e-9 * revenue * revenue
    if squares * orders_count < revenue * revenue - slack * orders_count:
        raise InvalidInputError(
            f"The sum of squared order values ({squares:g}) is too small for {revenue:g} revenue "
            f"over {orders_count} orders: it must be the sum of each order value squared."
        )
    if squares > revenue * revenue + slack:
        raise InvalidInputError(
            f"The sum of squared order values ({squares:g}) is larger than the revenue squared: "
            "check that it sums squared order values."
        )
    cap_value = None if cap is None else as_positive(cap, "Order value cap")
    return StoreBaseline(sessions_count, orders_count, revenue, squares, cap_value)
