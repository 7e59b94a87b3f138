"""Pre-fill baselines for the planner from store totals (plain numbers in, no database).

Someone else's SQL supplies sessions, orders, the revenue sum and the sum of squared order
values (optionally with each order value capped at a percentile first; pass the capped sums and
the cap). From those:

- CR = orders / sessions, AOV = revenue / orders, RPV = revenue / sessions = CR x AOV.
- s^2, the sample variance of order value = (sum of squares - revenue^2 / orders) / (orders - 1).
- RPV variance per visitor = p (s^2 + AOV^2) - (p AOV)^2 with p = orders / sessions: a visitor's
  revenue is 0 with probability 1 - p and an order value otherwise.
- For the same relative MDE the sample size is proportional to the squared coefficient of
  variation of the metric per visitor, so an RPV test needs
  ratio = (RPV variance / RPV^2) / ((1 - CR) / CR) (= 1 + (s / AOV)^2 / (1 - p) when CR = p)
  times the visitors of a CR test, because order values vary.

To show the KPI cards' figures, two optional inputs follow the cards' definitions: converted
sessions (CR = converted sessions / sessions, Shopify's definition, when the traffic reports
them) and the AOV orders (AOV and its spread over every order of the period, as on the AOV
card). RPV and its spread always come from the online orders (the revenue sessions earn). Then
RPV = CR x AOV holds only approximately, and :attr:`StoreBaseline.identity_note` says why.
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
    converted_sessions: int | None = None
    aov_orders: int | None = None
    aov_revenue_sum: float | None = None
    aov_revenue_sum_squares: float | None = None

    @property
    def conversion_rate(self) -> float:
        """Converted sessions / sessions when given, else orders / sessions."""
        if self.converted_sessions is not None:
            return self.converted_sessions / self.sessions
        return self.orders / self.sessions

    @property
    def conversion_rate_basis(self) -> str:
        """Which CR: 'converted sessions / sessions' or 'orders / sessions'."""
        if self.converted_sessions is not None:
            return "converted sessions / sessions"
        return "orders / sessions"

    @property
    def _aov_sums(self) -> tuple[int, float, float]:
        if self.aov_orders is None:
            return self.orders, self.revenue_sum, self.revenue_sum_squares
        return self.aov_orders, float(self.aov_revenue_sum), float(self.aov_revenue_sum_squares)

    @property
    def average_order_value(self) -> float:
        orders, revenue, _ = self._aov_sums
        return revenue / orders

    @property
    def revenue_per_visitor(self) -> float:
        return self.revenue_sum / self.sessions

    @property
    def order_value_variance(self) -> float:
        """Sample variance of order value (over the AOV orders)."""
        return _sample_variance(*self._aov_sums)

    @property
    def order_value_sd(self) -> float:
        return math.sqrt(self.order_value_variance)

    @property
    def rpv_variance(self) -> float:
        """Variance of revenue per visitor: p (s^2 + AOV^2) - (p AOV)^2, online orders."""
        p = self.orders / self.sessions
        aov = self.revenue_sum / self.orders
        variance = _sample_variance(self.orders, self.revenue_sum, self.revenue_sum_squares)
        return max(0.0, p * (variance + aov**2) - (p * aov) ** 2)

    @property
    def rpv_sd(self) -> float:
        return math.sqrt(self.rpv_variance)

    @property
    def rpv_to_cr_visitor_ratio(self) -> float:
        """How many times the visitors of a CR test an RPV test needs, same relative MDE."""
        cr = self.conversion_rate
        return (self.rpv_variance / self.revenue_per_visitor**2) / ((1.0 - cr) / cr)

    @property
    def identity_note(self) -> str | None:
        """Why RPV differs from CR x AOV here, in one line (None when they agree)."""
        product = self.conversion_rate * self.average_order_value
        if math.isclose(product, self.revenue_per_visitor, rel_tol=1e-9):
            return None
        reasons = []
        if self.converted_sessions is not None:
            reasons.append("CR counts converted sessions, not orders")
        if self.aov_orders is not None and self.aov_orders != self.orders:
            reasons.append(
                f"AOV covers all {self.aov_orders:,} orders of the period, RPV only the "
                f"{self.orders:,} online orders on days with traffic"
            )
        why = "; ".join(reasons) or "the figures come from different orders"
        return (
            f"CR x AOV = {product:,.2f}, not quite RPV {self.revenue_per_visitor:,.2f}, because "
            f"{why} (as on the KPI cards)."
        )

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
            "converted_sessions": self.converted_sessions,
            "aov_orders": self.aov_orders,
            "aov_revenue_sum": self.aov_revenue_sum,
            "aov_revenue_sum_squares": self.aov_revenue_sum_squares,
            "conversion_rate": self.conversion_rate,
            "conversion_rate_basis": self.conversion_rate_basis,
            "average_order_value": self.average_order_value,
            "revenue_per_visitor": self.revenue_per_visitor,
            "order_value_sd": self.order_value_sd,
            "rpv_variance": self.rpv_variance,
            "rpv_sd": self.rpv_sd,
            "rpv_to_cr_visitor_ratio": self.rpv_to_cr_visitor_ratio,
            "comparison_text": self.comparison_text,
        }


def _sample_variance(orders: int, revenue: float, squares: float) -> float:
    return max(0.0, (squares - revenue**2 / orders) / (orders - 1))


def _check_order_sums(orders: object, revenue_sum: object, squares_sum: object, what: str):
    """Validated (orders, revenue, sum of squares) of one set of orders."""
    orders_count = as_count(orders, f"{what}orders" if what else "Orders")
    if orders_count < 2:
        raise InvalidInputError(
            f"At least 2 {what}orders are needed to estimate a baseline, got {orders_count}."
        )
    revenue = as_positive(revenue_sum, f"{what}revenue" if what else "Revenue")
    squares = as_positive(
        squares_sum, f"{what}revenue sum of squares" if what else "Revenue sum of squares"
    )
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
    return orders_count, revenue, squares


def baseline_from_summary(
    sessions: int,
    orders: int,
    revenue_sum: float,
    revenue_sum_squares: float,
    *,
    cap: float | None = None,
    converted_sessions: float | None = None,
    aov_orders: int | None = None,
    aov_revenue_sum: float | None = None,
    aov_revenue_sum_squares: float | None = None,
) -> StoreBaseline:
    """Baselines from totals: sessions, orders, revenue and the sum of squared order values.

    Args:
        sessions: sessions (visitors) in the period.
        orders: orders (or converted sessions) in the period; at least 2, fewer than sessions.
        revenue_sum: total revenue (already capped if `cap` is given).
        revenue_sum_squares: sum of each order value squared (capped the same way).
        cap: the order-value cap used, for the record only.
        converted_sessions: sessions that converted, when the traffic reports them: CR is then
            converted sessions / sessions (the CR card's definition).
        aov_orders / aov_revenue_sum / aov_revenue_sum_squares: the orders AOV is measured on
            (the AOV card's: every order of the period), when they differ from `orders`.

    Raises:
        InvalidInputError: for missing, negative or inconsistent totals.
    """
    sessions_count = as_count(sessions, "Sessions", minimum=1)
    orders_count, revenue, squares = _check_order_sums(orders, revenue_sum, revenue_sum_squares, "")
    if orders_count >= sessions_count:
        raise InvalidInputError(
            f"Orders ({orders_count}) must be fewer than sessions ({sessions_count}) "
            "for a conversion rate below 100%."
        )
    converted = None
    if converted_sessions is not None:
        converted = as_count(converted_sessions, "Converted sessions")
        if not 0 < converted < sessions_count:
            raise InvalidInputError(
                f"Converted sessions ({converted}) must be above 0 and fewer than sessions "
                f"({sessions_count}) for a conversion rate between 0% and 100%."
            )
    aov: tuple[int | None, float | None, float | None] = (None, None, None)
    if aov_orders is not None:
        aov = _check_order_sums(aov_orders, aov_revenue_sum, aov_revenue_sum_squares, "AOV ")
    cap_value = None if cap is None else as_positive(cap, "Order value cap")
    return StoreBaseline(sessions_count, orders_count, revenue, squares, cap_value, converted, *aov)
