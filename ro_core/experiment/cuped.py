"""CUPED: a pre-experiment covariate per visitor narrows the interval of a test's lift.

Deng, Xu, Kohavi and Walker (2013). Each visitor's metric y is adjusted by what their
pre-experiment value x predicts: y' = y - theta (x - mean x), with theta the pooled within-arm
slope sum Sxy / sum Sxx. Because x was measured before the test, it cannot depend on the variant,
so the adjustment removes noise but no effect (the tests check unbiasedness by simulating A/A
tests). The difference of adjusted means equals the ANCOVA (OLS y ~ variant + x) estimate; its
variance shrinks by about rho^2, the squared correlation of x and y.

Inputs are sums per arm (n, sum y, sum y^2, sum x, sum x^2, sum xy) that SQL produces; the
comparison is Welch's t test on the adjusted values (``welch_comparison``). A covariate with no
spread comes back with the unadjusted figures and a message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from scipy import stats

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis import MetricComparison, welch_comparison
from ro_core.experiment.planning import as_count, as_fraction, as_number
from ro_core.numbers import finite_or_none


@dataclass(frozen=True)
class CovariateSums:
    """One arm's sums of the metric y and the pre-experiment covariate x over its visitors."""

    name: str
    n: int
    sum_y: float
    sum_y2: float
    sum_x: float
    sum_x2: float
    sum_xy: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", as_count(self.n, f"Visitors of {self.name}", minimum=2))
        for field in ("sum_y", "sum_y2", "sum_x", "sum_x2", "sum_xy"):
            object.__setattr__(self, field, as_number(getattr(self, field), field))

    @property
    def mean_y(self) -> float:
        return self.sum_y / self.n

    @property
    def mean_x(self) -> float:
        return self.sum_x / self.n

    @property
    def s_yy(self) -> float:
        return max(self.sum_y2 - self.sum_y**2 / self.n, 0.0)

    @property
    def s_xx(self) -> float:
        return max(self.sum_x2 - self.sum_x**2 / self.n, 0.0)

    @property
    def s_xy(self) -> float:
        return self.sum_xy - self.sum_x * self.sum_y / self.n


def correlation_from_sums(
    n: float, sum_x: float, sum_y: float, sum_x2: float, sum_y2: float, sum_xy: float
) -> float | None:
    """Pearson correlation from sums; None when either variable has no spread."""
    s_xx = sum_x2 - sum_x**2 / n
    s_yy = sum_y2 - sum_y**2 / n
    if n < 3 or s_xx <= 0 or s_yy <= 0:
        return None
    return max(-1.0, min(1.0, (sum_xy - sum_x * sum_y / n) / math.sqrt(s_xx * s_yy)))


@dataclass(frozen=True)
class CupedResult:
    """A variant against control, unadjusted and CUPED-adjusted (relative lifts as 'lift')."""

    variant: str
    unadjusted: MetricComparison
    cuped: MetricComparison
    theta: float | None
    correlation: float | None
    variance_reduction: float | None
    message: str | None = None

    @staticmethod
    def _part(comparison: MetricComparison) -> dict[str, Any]:
        return {
            "lift": finite_or_none(comparison.relative_lift),
            "ci_low": finite_or_none(comparison.relative_ci_low),
            "ci_high": finite_or_none(comparison.relative_ci_high),
            "absolute_lift": finite_or_none(comparison.absolute_lift),
            "absolute_ci_low": finite_or_none(comparison.absolute_ci_low),
            "absolute_ci_high": finite_or_none(comparison.absolute_ci_high),
            "p_value": finite_or_none(comparison.p_value),
            "control_value": finite_or_none(comparison.control_value),
            "variant_value": finite_or_none(comparison.variant_value),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "metric": self.unadjusted.metric,
            "unadjusted": self._part(self.unadjusted),
            "cuped": self._part(self.cuped),
            "theta": finite_or_none(self.theta),
            "correlation": finite_or_none(self.correlation),
            "variance_reduction": finite_or_none(self.variance_reduction),
            "message": self.message,
        }


def _adjusted(arm: CovariateSums, theta: float, grand_mean_x: float) -> tuple[float, float, float]:
    """(n, adjusted mean, sample variance of the adjusted values) of one arm."""
    mean = arm.mean_y - theta * (arm.mean_x - grand_mean_x)
    variance = (arm.s_yy - 2 * theta * arm.s_xy + theta**2 * arm.s_xx) / (arm.n - 1)
    return arm.n, mean, max(variance, 0.0)


def cuped_compare(
    control: CovariateSums,
    variants: Sequence[CovariateSums],
    *,
    metric: str = "rpv",
    alpha: float = 0.05,
) -> tuple[CupedResult, ...]:
    """Each variant against control, without and with the CUPED adjustment.

    Args:
        control, variants: the arms' sums (theta is pooled over all of them).
        metric: "rpv" (revenue per visitor) or "cr" (y is the 0/1 converted flag).
        alpha: two-sided level of the intervals.
    """
    if metric not in ("cr", "rpv"):
        raise InvalidInputError(f"CUPED is for 'cr' or 'rpv', got {metric!r}.")
    alpha = as_fraction(alpha, "Significance level (alpha)")
    arms = [control, *variants]
    if len(arms) < 2:
        raise InvalidInputError("CUPED compares at least one variant with control.")
    s_xx = sum(arm.s_xx for arm in arms)
    s_xy = sum(arm.s_xy for arm in arms)
    s_yy = sum(arm.s_yy for arm in arms)
    message = None
    if s_xx <= 0:
        theta, correlation = 0.0, None
        message = "The covariate is the same for every visitor, so it cannot adjust anything."
    else:
        theta = s_xy / s_xx
        correlation = s_xy / math.sqrt(s_xx * s_yy) if s_yy > 0 else None
    grand_x = sum(arm.sum_x for arm in arms) / sum(arm.n for arm in arms)

    def plain(arm: CovariateSums) -> tuple[float, float, float]:
        return arm.n, arm.mean_y, arm.s_yy / (arm.n - 1)

    results = []
    for arm in variants:
        unadjusted = welch_comparison(metric, plain(control), plain(arm), alpha=alpha)
        cuped = welch_comparison(
            metric,
            _adjusted(control, theta, grand_x),
            _adjusted(arm, theta, grand_x),
            alpha=alpha,
        )
        reduction = None
        low, high = unadjusted.absolute_ci_low, unadjusted.absolute_ci_high
        c_low, c_high = cuped.absolute_ci_low, cuped.absolute_ci_high
        if None not in (low, high, c_low, c_high) and high != low:
            se_plain = (high - low) / 2  # same critical value up to the degrees of freedom
            se_cuped = (c_high - c_low) / 2
            df_plain = unadjusted.degrees_of_freedom
            df_cuped = cuped.degrees_of_freedom
            if df_plain and df_cuped:
                se_plain /= float(stats.t.isf(alpha / 2, df_plain))
                se_cuped /= float(stats.t.isf(alpha / 2, df_cuped))
            reduction = 1 - (se_cuped / se_plain) ** 2
        results.append(
            CupedResult(
                variant=arm.name,
                unadjusted=unadjusted,
                cuped=replace(cuped, message=cuped.message or message),
                theta=theta,
                correlation=correlation,
                variance_reduction=reduction,
                message=message,
            )
        )
    return tuple(results)


def cuped_visitors(visitors: float, correlation: float) -> int:
    """Visitors a test needs with CUPED: the plain figure x (1 - rho^2), rounded up."""
    rho = as_number(correlation, "Correlation")
    if not -1 < rho < 1:
        raise InvalidInputError(f"A correlation must be between -1 and 1, got {rho:g}.")
    return math.ceil(round(float(visitors) * (1 - rho**2), 6))


def covariate_sums_from_frame(frame: Any, metric: str) -> list[CovariateSums]:
    """CovariateSums per arm from the covariate table a visitor file gives (COVARIATE_COLUMNS of
    ``orders_csv``): y is revenue for "rpv", the 0/1 converted flag for "cr"."""
    if metric not in ("cr", "rpv"):
        raise InvalidInputError(f"CUPED is for 'cr' or 'rpv', got {metric!r}.")
    arms = []
    for row in frame.to_dict("records"):
        if metric == "rpv":
            y, y2, xy = row["sum_revenue"], row["sum_revenue_squares"], row["sum_x_revenue"]
        else:
            y, y2, xy = row["sum_converted"], row["sum_converted"], row["sum_x_converted"]
        arms.append(
            CovariateSums(str(row["variant"]), row["n"], y, y2, row["sum_x"], row["sum_x2"], xy)
        )
    return arms
