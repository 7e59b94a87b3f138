"""After a test: lifts with intervals, p-values, SRM, Bayesian chance to beat control, verdict.

The inputs are sufficient statistics per arm (visitors, conversions and, for revenue metrics,
the revenue sum and the sum of squared revenue), as in GrowthBook's gbstats: SQL produces them,
this module only does arithmetic. Degenerate but valid data (say no conversions at all) comes
back as a result whose numbers are None and whose `message` says why; unusable input raises
InvalidInputError.

Methods
- Conversion rate: two-proportion z test with the pooled rate (identical to a 2x2 chi-square
  test without continuity correction); absolute lift with an unpooled Wald interval; relative
  lift p2/p1 - 1 with a delta-method interval, Var = v2/p1^2 + p2^2 v1/p1^4 (vi = pi(1-pi)/ni).
- Revenue per visitor (every visitor, zeros included) and average order value (per order):
  Welch's t test with Welch-Satterthwaite degrees of freedom; relative interval by the delta
  method with the same t quantile.
- Sample ratio mismatch: chi-square goodness of fit of visitors against the planned split,
  flagged below p = 0.001.
- Bayesian, conversion rate: Beta(1, 1) prior, Beta(1 + c, 1 + n - c) posteriors. P(B > A) is
  Evan Miller's exact closed-form sum (summed over the shortest of four equivalent series);
  the expected loss of shipping B, E[max(pA - pB, 0)], uses Chris Stucchio's identity
  E[A] P(A+ > B) - E[B] P(A > B+) with A+ ~ Beta(aA + 1, bA). Past EXACT_SUM_LIMIT terms the
  same integrals are done with scipy.integrate.quad. No simulation is involved.
- Bayesian, revenue: normal approximation with a flat prior, D = B - A ~ N(d, se^2):
  P(B > A) = Phi(d / se), expected loss = se phi(d / se) - d Phi(-d / se).
- Multiple variants: Holm (used by the verdict) and Benjamini-Hochberg adjusted p-values.
- Optional always-valid interval: the normal-mixture confidence sequence of Howard, Ramdas,
  McAuliffe and Sekhon (2021), in the asymptotic form of Waudby-Smith et al. (2023) that Eppo
  uses: estimate +/- se * sqrt((n rho^2 + 1) / (n rho^2) * log((n rho^2 + 1) / alpha^2)),
  where n is the visitors in the comparison and the tuning parameter
  rho^2 = (-2 log alpha + log(-2 log alpha + 1)) / n_planned makes the sequence narrowest at the
  planned sample size. It stays valid however often the results are looked at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import integrate, special, stats

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning import (
    MIN_TEST_DAYS,
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDesign,
    as_count,
    as_fraction,
    as_number,
    as_positive,
    mde_for_sample_size,
)

Status = Literal["winner", "loser", "inconclusive", "invalid"]
MetricName = Literal["cr", "rpv", "aov"]

MIN_CONVERSIONS_PER_ARM = 100
SRM_P_VALUE_THRESHOLD = 0.001
GUARDRAIL_POWER = 0.8
EXACT_SUM_LIMIT = 2_000_000

VARIANT_COLUMN = "variant"
VISITORS_COLUMN = "visitors"
CONVERSIONS_COLUMN = "conversions"
REVENUE_SUM_COLUMN = "revenue_sum"
REVENUE_SUM_SQUARES_COLUMN = "revenue_sum_squares"
SUMMARY_COLUMNS: tuple[str, ...] = (
    VARIANT_COLUMN,
    VISITORS_COLUMN,
    CONVERSIONS_COLUMN,
    REVENUE_SUM_COLUMN,
    REVENUE_SUM_SQUARES_COLUMN,
)
METRIC_LABELS = {
    "cr": "conversion rate",
    "rpv": "revenue per visitor",
    "aov": "average order value",
}


def _pct(value: float, digits: int = 1, *, signed: bool = True) -> str:
    sign = "+" if signed else ""
    return f"{value * 100:{sign}.{digits}f}%"


def _p_text(p_value: float | None) -> str:
    if p_value is None:
        return "p not available"
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}"


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantData:
    """Sufficient statistics of one arm.

    `revenue_sum_squares` is the sum over converting visitors of their revenue squared; with one
    order per converting visitor that is the sum of squared order values. Conversions count
    orders for average order value. Give both revenue fields or neither.
    """

    name: str
    visitors: int
    conversions: int
    revenue_sum: float | None = None
    revenue_sum_squares: float | None = None

    def __post_init__(self) -> None:
        name = str(self.name).strip() if self.name is not None else ""
        if not name:
            raise InvalidInputError("Every variant needs a name.")
        visitors = as_count(self.visitors, f"Visitors for variant {name}")
        if visitors == 0:
            raise InvalidInputError(f"Variant {name} has no visitors: visitors must be above 0.")
        conversions = as_count(self.conversions, f"Conversions for variant {name}")
        if conversions > visitors:
            raise InvalidInputError(
                f"Conversions ({conversions}) cannot exceed visitors ({visitors}) "
                f"for variant {name}."
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "visitors", visitors)
        object.__setattr__(self, "conversions", conversions)
        if self.revenue_sum is None and self.revenue_sum_squares is None:
            return
        if self.revenue_sum is None or self.revenue_sum_squares is None:
            raise InvalidInputError(
                f"Give both the revenue sum and the sum of squares for variant {name}, or neither."
            )
        revenue = as_number(self.revenue_sum, f"Revenue for variant {name}")
        squares = as_number(self.revenue_sum_squares, f"Revenue sum of squares for variant {name}")
        if revenue < 0:
            raise InvalidInputError(
                f"Revenue for variant {name} cannot be negative, got {revenue:g}."
            )
        if squares < 0:
            raise InvalidInputError(
                f"Revenue sum of squares for variant {name} cannot be negative, got {squares:g}."
            )
        if conversions == 0 and (revenue > 0 or squares > 0):
            raise InvalidInputError(f"Variant {name} has revenue ({revenue:g}) but no conversions.")
        slack = 1e-9 * max(1.0, revenue * revenue)
        if conversions > 0 and squares * conversions < revenue * revenue - slack * conversions:
            raise InvalidInputError(
                f"The revenue sum of squares for variant {name} ({squares:g}) is too small for "
                f"{revenue:g} revenue over {conversions} orders: it must be the sum of each "
                "order value squared."
            )
        if squares > revenue * revenue + slack:
            raise InvalidInputError(
                f"The revenue sum of squares for variant {name} ({squares:g}) is larger than the "
                f"revenue squared ({revenue * revenue:g}): check that it sums squared order values."
            )
        object.__setattr__(self, "revenue_sum", revenue)
        object.__setattr__(self, "revenue_sum_squares", squares)

    @property
    def conversion_rate(self) -> float:
        return self.conversions / self.visitors

    @property
    def has_revenue(self) -> bool:
        return self.revenue_sum is not None

    @property
    def revenue_per_visitor(self) -> float | None:
        return None if self.revenue_sum is None else self.revenue_sum / self.visitors

    @property
    def rpv_variance(self) -> float | None:
        """Sample variance of revenue per visitor (non-buyers count as 0); None below 2 visitors."""
        if self.revenue_sum is None or self.revenue_sum_squares is None or self.visitors < 2:
            return None
        n = self.visitors
        return max(0.0, (self.revenue_sum_squares - self.revenue_sum**2 / n) / (n - 1))

    @property
    def average_order_value(self) -> float | None:
        if self.revenue_sum is None or self.conversions == 0:
            return None
        return self.revenue_sum / self.conversions

    @property
    def aov_variance(self) -> float | None:
        """Sample variance of order value; None below 2 orders."""
        if self.revenue_sum is None or self.revenue_sum_squares is None or self.conversions < 2:
            return None
        c = self.conversions
        return max(0.0, (self.revenue_sum_squares - self.revenue_sum**2 / c) / (c - 1))


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricComparison:
    """One metric of one variant against control.

    Lifts are variant minus control (absolute, in metric units) and variant / control - 1
    (relative). Intervals are two-sided at 1 - alpha and not adjusted for several variants;
    `p_value_holm` and `p_value_bh` are. `expected_loss` is in metric units: what shipping the
    variant costs on average in the cases where it is actually worse. Numbers are None (never
    NaN) when the data cannot support them; `message` then says why.
    """

    metric: str
    alpha: float
    control_value: float | None
    variant_value: float | None
    absolute_lift: float | None = None
    absolute_ci_low: float | None = None
    absolute_ci_high: float | None = None
    relative_lift: float | None = None
    relative_ci_low: float | None = None
    relative_ci_high: float | None = None
    statistic: float | None = None
    degrees_of_freedom: float | None = None
    p_value: float | None = None
    p_value_holm: float | None = None
    p_value_bh: float | None = None
    chance_to_beat_control: float | None = None
    expected_loss: float | None = None
    sequential_ci_low: float | None = None
    sequential_ci_high: float | None = None
    message: str | None = None

    @property
    def label(self) -> str:
        return METRIC_LABELS.get(self.metric, self.metric)

    @property
    def decision_p_value(self) -> float | None:
        """The Holm-adjusted p-value when there is one, else the raw p-value."""
        return self.p_value_holm if self.p_value_holm is not None else self.p_value

    @property
    def is_significant(self) -> bool:
        p_value = self.decision_p_value
        return p_value is not None and p_value < self.alpha

    @property
    def direction(self) -> int:
        """+1 if the variant is ahead, -1 if behind, 0 if level or unknown."""
        if self.absolute_lift is None or self.absolute_lift == 0:
            return 0
        return 1 if self.absolute_lift > 0 else -1

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "control_value": _finite(self.control_value),
            "variant_value": _finite(self.variant_value),
            "absolute_lift": _finite(self.absolute_lift),
            "absolute_ci_low": _finite(self.absolute_ci_low),
            "absolute_ci_high": _finite(self.absolute_ci_high),
            "relative_lift": _finite(self.relative_lift),
            "ci_low": _finite(self.relative_ci_low),
            "ci_high": _finite(self.relative_ci_high),
            "statistic": _finite(self.statistic),
            "degrees_of_freedom": _finite(self.degrees_of_freedom),
            "p_value": _finite(self.p_value),
            "p_value_holm": _finite(self.p_value_holm),
            "p_value_bh": _finite(self.p_value_bh),
            "chance_to_beat_control": _finite(self.chance_to_beat_control),
            "expected_loss": _finite(self.expected_loss),
            "sequential_ci_low": _finite(self.sequential_ci_low),
            "sequential_ci_high": _finite(self.sequential_ci_high),
            "message": self.message,
        }


@dataclass(frozen=True)
class VariantResult:
    """Every metric of one variant against control (revenue metrics need revenue sums)."""

    name: str
    visitors: int
    conversions: int
    conversion: MetricComparison
    revenue_per_visitor: MetricComparison | None = None
    average_order_value: MetricComparison | None = None

    def metric(self, name: str) -> MetricComparison | None:
        return {
            "cr": self.conversion,
            "rpv": self.revenue_per_visitor,
            "aov": self.average_order_value,
        }.get(name)

    def to_dict(self) -> dict[str, Any]:
        """Conversion-rate figures at the top level, revenue metrics nested."""
        data: dict[str, Any] = {
            "name": self.name,
            "visitors": self.visitors,
            "conversions": self.conversions,
            "conversion_rate": self.conversion.variant_value,
        }
        data.update({k: v for k, v in self.conversion.to_dict().items() if k != "metric"})
        data["revenue_per_visitor"] = (
            None if self.revenue_per_visitor is None else self.revenue_per_visitor.to_dict()
        )
        data["average_order_value"] = (
            None if self.average_order_value is None else self.average_order_value.to_dict()
        )
        return data


@dataclass(frozen=True)
class SampleRatioCheck:
    """Chi-square goodness of fit of visitors per arm against the planned split."""

    names: tuple[str, ...]
    visitors: tuple[int, ...]
    expected_shares: tuple[float, ...]
    chi_square: float
    p_value: float
    threshold: float = SRM_P_VALUE_THRESHOLD

    @property
    def observed_shares(self) -> tuple[float, ...]:
        total = sum(self.visitors)
        return tuple(v / total for v in self.visitors)

    @property
    def mismatch(self) -> bool:
        return self.p_value < self.threshold

    @property
    def message(self) -> str | None:
        if not self.mismatch:
            return None
        observed = " / ".join(_pct(s, signed=False) for s in self.observed_shares)
        planned = " / ".join(_pct(s, signed=False) for s in self.expected_shares)
        return (
            f"Sample ratio mismatch: visitors split {observed} against a planned {planned} "
            f"({_p_text(self.p_value)}). Assignment or tracking is broken, so the results "
            "cannot be trusted."
        )


@dataclass(frozen=True)
class Verdict:
    """Plain-language reading of a test: a status, one headline and the warnings behind it."""

    status: Status
    headline: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "headline": self.headline, "warnings": list(self.warnings)}


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Everything known about a finished (or running) test."""

    control: VariantData
    variants: tuple[VariantResult, ...]
    srm: SampleRatioCheck
    verdict: Verdict
    alpha: float
    primary_metric: str
    days: float | None = None

    @property
    def srm_p_value(self) -> float:
        return self.srm.p_value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; every number is finite or None."""
        control = self.control
        return {
            "alpha": self.alpha,
            "primary_metric": self.primary_metric,
            "days": self.days,
            "control": {
                "name": control.name,
                "visitors": control.visitors,
                "conversions": control.conversions,
                "conversion_rate": control.conversion_rate,
                "revenue_per_visitor": _finite(control.revenue_per_visitor),
                "average_order_value": _finite(control.average_order_value),
            },
            "variants": [variant.to_dict() for variant in self.variants],
            "srm_p_value": _finite(self.srm.p_value),
            "srm_chi_square": _finite(self.srm.chi_square),
            "srm_mismatch": self.srm.mismatch,
            "planned_split": list(self.srm.expected_shares),
            "verdict": self.verdict.to_dict(),
        }


# --- Bayesian helpers --------------------------------------------------------------------------


def _miller_sum(y_alpha: float, y_beta: float, x_alpha: int, x_beta: float) -> float:
    """P(X > Y) for X ~ Beta(x_alpha, x_beta), Y ~ Beta(y_alpha, y_beta); x_alpha a whole number.

    Evan Miller, "Formulas for Bayesian A/B testing": sum over i < x_alpha of
    B(y_alpha + i, y_beta + x_beta) / ((x_beta + i) B(1 + i, x_beta) B(y_alpha, y_beta)).
    """
    i = np.arange(int(x_alpha), dtype=float)
    log_terms = (
        special.betaln(y_alpha + i, y_beta + x_beta)
        - np.log(x_beta + i)
        - special.betaln(1.0 + i, x_beta)
        - special.betaln(y_alpha, y_beta)
    )
    return float(np.exp(log_terms).sum())


def _integrated_probability(x: tuple[float, float], y: tuple[float, float]) -> float:
    """P(X > Y) = integral of f_X(t) F_Y(t) dt over the bulk of X, by adaptive quadrature."""
    low, high = (float(v) for v in stats.beta.ppf([1e-15, 1 - 1e-15], *x))
    means = {float(stats.beta.mean(*x)), float(stats.beta.mean(*y))}
    breaks = sorted(m for m in means if low < m < high)
    value, _ = integrate.quad(
        lambda t: stats.beta.pdf(t, *x) * stats.beta.cdf(t, *y),
        low,
        high,
        points=breaks or None,
        limit=500,
        epsabs=1e-13,
        epsrel=1e-11,
    )
    return float(value)


def beta_probability_greater(x: tuple[float, float], y: tuple[float, float]) -> float:
    """P(X > Y) for independent X ~ Beta(*x), Y ~ Beta(*y) with whole-number parameters.

    Uses whichever of four equivalent closed-form series is shortest (by symmetry
    P(X > Y) = 1 - P(Y > X) and, mirroring t -> 1 - t, = P(1 - Y > 1 - X)); falls back to
    numerical integration when every series is longer than EXACT_SUM_LIMIT terms.
    """
    (xa, xb), (ya, yb) = x, y
    if (xa, xb) == (ya, yb):
        return 0.5
    options = {
        "x_alpha": xa,
        "y_alpha": ya,
        "y_beta": yb,
        "x_beta": xb,
    }
    shortest = min(options, key=options.__getitem__)
    if options[shortest] > EXACT_SUM_LIMIT or any(v != int(v) for v in (xa, xb, ya, yb)):
        value = _integrated_probability(x, y)
    elif shortest == "x_alpha":
        value = _miller_sum(ya, yb, int(xa), xb)
    elif shortest == "y_alpha":
        value = 1.0 - _miller_sum(xa, xb, int(ya), yb)
    elif shortest == "y_beta":
        value = _miller_sum(xb, xa, int(yb), ya)
    else:
        value = 1.0 - _miller_sum(yb, ya, int(xb), xa)
    return min(1.0, max(0.0, value))


def beta_chance_and_loss(control: VariantData, variant: VariantData) -> tuple[float, float]:
    """Chance the variant's true rate beats control's, and the expected loss of shipping it.

    Beta(1, 1) priors. The loss E[max(pA - pB, 0)] is in rate units (0.001 = 0.1 points).
    """
    a = (1.0 + control.conversions, 1.0 + control.visitors - control.conversions)
    b = (1.0 + variant.conversions, 1.0 + variant.visitors - variant.conversions)
    chance = beta_probability_greater(b, a)
    a_plus = (a[0] + 1.0, a[1])
    b_plus = (b[0] + 1.0, b[1])
    mean_a = a[0] / (a[0] + a[1])
    mean_b = b[0] / (b[0] + b[1])
    loss = mean_a * beta_probability_greater(a_plus, b) - mean_b * beta_probability_greater(
        a, b_plus
    )
    return chance, max(0.0, loss)


def normal_chance_and_loss(difference: float, standard_error: float) -> tuple[float, float]:
    """P(D > 0) and E[max(-D, 0)] for D ~ N(difference, standard_error^2)."""
    ratio = difference / standard_error
    chance = float(special.ndtr(ratio))
    loss = standard_error * float(stats.norm.pdf(ratio)) - difference * float(special.ndtr(-ratio))
    return chance, max(0.0, loss)


# --- multiple testing, SRM, sequential ---------------------------------------------------------


def _adjust(p_values: Sequence[float | None], method: str) -> list[float | None]:
    present = [(i, float(p)) for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    m = len(present)
    if m == 0:
        return adjusted
    order = sorted(present, key=lambda item: item[1])
    if method == "holm":
        running = 0.0
        for rank, (index, p) in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p))
            adjusted[index] = running
    else:
        running = 1.0
        for rank in range(m - 1, -1, -1):
            index, p = order[rank]
            running = min(running, m * p / (rank + 1))
            adjusted[index] = min(1.0, running)
    return adjusted


def holm_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (family-wise error); None entries stay None."""
    return _adjust(p_values, "holm")


def benjamini_hochberg_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate); None entries stay None."""
    return _adjust(p_values, "bh")


def _split_shares(planned_split: Sequence[object] | None, arms: int) -> tuple[float, ...]:
    if planned_split is None:
        return tuple([1.0 / arms] * arms)
    weights = [as_positive(w, "Each traffic split weight") for w in planned_split]
    if len(weights) != arms:
        raise InvalidInputError(
            f"The planned split has {len(weights)} parts but there are {arms} arms "
            "(control plus each variant)."
        )
    total = sum(weights)
    return tuple(w / total for w in weights)


def sample_ratio_check(
    visitors: Sequence[int],
    planned_split: Sequence[float] | None = None,
    *,
    names: Sequence[str] | None = None,
    threshold: float = SRM_P_VALUE_THRESHOLD,
) -> SampleRatioCheck:
    """Chi-square goodness of fit of visitors per arm (control first) against the split."""
    counts = [as_count(v, "Visitors", minimum=1) for v in visitors]
    if len(counts) < 2:
        raise InvalidInputError("A sample ratio check needs at least two arms.")
    shares = _split_shares(planned_split, len(counts))
    total = sum(counts)
    chi_square = sum(
        (o - total * s) ** 2 / (total * s) for o, s in zip(counts, shares, strict=True)
    )
    p_value = float(stats.chi2.sf(chi_square, len(counts) - 1))
    labels = tuple(names) if names is not None else tuple(f"arm {i}" for i in range(len(counts)))
    return SampleRatioCheck(labels, tuple(counts), shares, float(chi_square), p_value, threshold)


def confidence_sequence_multiplier(
    visitors: float | np.ndarray, planned_visitors: float, alpha: float = 0.05
) -> float | np.ndarray:
    """Standard errors on each side of an always-valid normal-mixture confidence sequence.

    sqrt((n rho^2 + 1) / (n rho^2) * log((n rho^2 + 1) / alpha^2)) with
    rho^2 = (-2 log alpha + log(-2 log alpha + 1)) / planned_visitors (Howard et al. 2021).
    At n = planned_visitors and alpha = 0.05 it is about 3.04 (against 1.96 for one look).
    """
    minus_two_log_alpha = -2.0 * math.log(alpha)
    rho_squared = (minus_two_log_alpha + math.log(minus_two_log_alpha + 1.0)) / planned_visitors
    scaled = np.asarray(visitors, dtype=float) * rho_squared
    result = np.sqrt((scaled + 1.0) / scaled * (np.log(scaled + 1.0) + minus_two_log_alpha))
    return float(result) if result.ndim == 0 else result


# --- comparisons -------------------------------------------------------------------------------


def compare_conversion(
    control: VariantData, variant: VariantData, *, alpha: float = 0.05
) -> MetricComparison:
    """Conversion rate: pooled two-proportion z test, Wald and delta-method intervals, Bayes."""
    alpha = as_fraction(alpha, "Significance level (alpha)")
    n1, n2 = control.visitors, variant.visitors
    p1, p2 = control.conversion_rate, variant.conversion_rate
    z_crit = float(special.ndtri(1 - alpha / 2))
    diff = p2 - p1
    chance, loss = beta_chance_and_loss(control, variant)
    fields: dict[str, Any] = {
        "absolute_lift": diff,
        "chance_to_beat_control": chance,
        "expected_loss": loss,
    }
    messages: list[str] = []
    pooled = (control.conversions + variant.conversions) / (n1 + n2)
    se_null = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se_null > 0:
        z = diff / se_null
        fields["statistic"] = z
        fields["p_value"] = float(2 * special.ndtr(-abs(z)))
    else:
        state = "no conversions" if pooled == 0 else "every visitor converting"
        messages.append(f"Both arms have {state}, so there is no difference to test.")
    se_alt = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    if se_alt > 0:
        fields["absolute_ci_low"] = diff - z_crit * se_alt
        fields["absolute_ci_high"] = diff + z_crit * se_alt
    if p1 > 0:
        relative = p2 / p1 - 1
        variance = (p2 * (1 - p2) / n2) / p1**2 + p2**2 * (p1 * (1 - p1) / n1) / p1**4
        fields["relative_lift"] = relative
        if variance > 0:
            fields["relative_ci_low"] = relative - z_crit * math.sqrt(variance)
            fields["relative_ci_high"] = relative + z_crit * math.sqrt(variance)
    else:
        messages.append("Control has no conversions, so a relative lift is undefined.")
    return MetricComparison(
        metric="cr",
        alpha=alpha,
        control_value=p1,
        variant_value=p2,
        message=" ".join(messages) or None,
        **fields,
    )


def welch_comparison(
    metric: str,
    control: tuple[float, float, float],
    variant: tuple[float, float, float],
    *,
    alpha: float = 0.05,
) -> MetricComparison:
    """Welch's t test from (n, mean, sample variance) per arm, with delta-method relative CI."""
    alpha = as_fraction(alpha, "Significance level (alpha)")
    (n1, m1, v1), (n2, m2, v2) = control, variant
    diff = m2 - m1
    base = MetricComparison(metric=metric, alpha=alpha, control_value=m1, variant_value=m2)
    s1, s2 = v1 / n1, v2 / n2
    se = math.sqrt(s1 + s2)
    if se == 0:
        return replace(
            base,
            absolute_lift=diff,
            relative_lift=(m2 / m1 - 1) if m1 > 0 else None,
            message="Both arms have no spread in this metric, so it cannot be tested.",
        )
    df = (s1 + s2) ** 2 / ((s1**2 / (n1 - 1) if s1 else 0.0) + (s2**2 / (n2 - 1) if s2 else 0.0))
    t_stat = diff / se
    t_crit = float(stats.t.isf(alpha / 2, df))
    chance, loss = normal_chance_and_loss(diff, se)
    fields: dict[str, Any] = {
        "absolute_lift": diff,
        "absolute_ci_low": diff - t_crit * se,
        "absolute_ci_high": diff + t_crit * se,
        "statistic": t_stat,
        "degrees_of_freedom": df,
        "p_value": float(2 * stats.t.sf(abs(t_stat), df)),
        "chance_to_beat_control": chance,
        "expected_loss": loss,
    }
    message = None
    if m1 > 0:
        relative = m2 / m1 - 1
        relative_se = math.sqrt(s2 / m1**2 + m2**2 * s1 / m1**4)
        fields["relative_lift"] = relative
        fields["relative_ci_low"] = relative - t_crit * relative_se
        fields["relative_ci_high"] = relative + t_crit * relative_se
    else:
        message = "Control's value is zero, so a relative lift is undefined."
    return replace(base, message=message, **fields)


def compare_revenue_per_visitor(
    control: VariantData, variant: VariantData, *, alpha: float = 0.05
) -> MetricComparison:
    """Revenue per visitor (all visitors, zeros included): Welch's t test."""
    for arm in (control, variant):
        if not arm.has_revenue:
            raise InvalidInputError(f"Variant {arm.name} has no revenue figures.")
    v1, v2 = control.rpv_variance, variant.rpv_variance
    m1, m2 = control.revenue_per_visitor, variant.revenue_per_visitor
    assert m1 is not None and m2 is not None
    if v1 is None or v2 is None:
        return MetricComparison(
            "rpv",
            as_fraction(alpha, "Significance level (alpha)"),
            m1,
            m2,
            absolute_lift=m2 - m1,
            message="Revenue per visitor needs at least 2 visitors per arm.",
        )
    return welch_comparison(
        "rpv", (control.visitors, m1, v1), (variant.visitors, m2, v2), alpha=alpha
    )


def compare_average_order_value(
    control: VariantData, variant: VariantData, *, alpha: float = 0.05
) -> MetricComparison:
    """Average order value (per order; conversions count orders): Welch's t test."""
    for arm in (control, variant):
        if not arm.has_revenue:
            raise InvalidInputError(f"Variant {arm.name} has no revenue figures.")
    v1, v2 = control.aov_variance, variant.aov_variance
    m1, m2 = control.average_order_value, variant.average_order_value
    if v1 is None or v2 is None or m1 is None or m2 is None:
        return MetricComparison(
            "aov",
            as_fraction(alpha, "Significance level (alpha)"),
            m1,
            m2,
            absolute_lift=None if m1 is None or m2 is None else m2 - m1,
            message="Average order value needs at least 2 orders per arm.",
        )
    return welch_comparison(
        "aov", (control.conversions, m1, v1), (variant.conversions, m2, v2), alpha=alpha
    )


def _with_sequential(
    comparison: MetricComparison, visitors: float, planned: float, alpha: float
) -> MetricComparison:
    """Add the always-valid interval for the relative lift (same standard error as the CI)."""
    lift = comparison.relative_lift
    low, high = comparison.relative_ci_low, comparison.relative_ci_high
    if lift is None or low is None or high is None:
        return comparison
    if comparison.degrees_of_freedom is not None:
        critical = float(stats.t.isf(alpha / 2, comparison.degrees_of_freedom))
    else:
        critical = float(special.ndtri(1 - alpha / 2))
    standard_error = (high - low) / (2 * critical)
    half_width = standard_error * float(confidence_sequence_multiplier(visitors, planned, alpha))
    return replace(
        comparison, sequential_ci_low=lift - half_width, sequential_ci_high=lift + half_width
    )


# --- verdict -----------------------------------------------------------------------------------


def _detectable_relative_lift(
    control: VariantData, variant: VariantData, metric: str, alpha: float, variants: int
) -> float | None:
    """Relative lift this sample detects with GUARDRAIL_POWER (Bonferroni across variants)."""
    try:
        if metric == "cr":
            baseline: ConversionBaseline | ContinuousBaseline = ConversionBaseline(
                control.conversion_rate
            )
        else:
            variance = control.rpv_variance
            if variance is None or not control.revenue_per_visitor:
                return None
            baseline = ContinuousBaseline(control.revenue_per_visitor, math.sqrt(variance))
        ratio = control.visitors / variant.visitors
        design = ExperimentDesign(
            alpha=alpha,
            power=GUARDRAIL_POWER,
            variants=variants,
            correction="bonferroni",
            control_share=ratio / (variants + ratio),
        )
        return mde_for_sample_size(baseline, variant.visitors, design=design).relative
    except InvalidInputError:
        return None


def _value_text(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return _pct(value, 2, signed=False) if metric == "cr" else f"{value:,.2f}"


def _lift_text(comparison: MetricComparison, *, with_interval: bool = False) -> str:
    """'+16.7% (3.00% -> 3.50%)', optionally with the relative interval."""
    values = (
        f"{_value_text(comparison.metric, comparison.control_value)} -> "
        f"{_value_text(comparison.metric, comparison.variant_value)}"
    )
    if comparison.relative_lift is None:
        return values
    text = f"{_pct(comparison.relative_lift)} ({values}"
    low, high = comparison.relative_ci_low, comparison.relative_ci_high
    if with_interval and low is not None and high is not None:
        text += f"; {1 - comparison.alpha:.0%} CI {_pct(low)} to {_pct(high)}"
    return text + ")"


def _verdict(
    control: VariantData,
    arms: Sequence[VariantData],
    results: Sequence[VariantResult],
    srm: SampleRatioCheck,
    *,
    alpha: float,
    primary: str,
    days: float | None,
    min_conversions: int,
) -> Verdict:
    """Guardrails first (SRM, too few conversions, under a week), then the primary metric."""
    warnings: list[str] = []
    blockers: list[str] = []
    if srm.message:
        warnings.append(srm.message)
    few = [arm for arm in (control, *arms) if arm.conversions < min_conversions]
    if few:
        counts = ", ".join(f"{arm.name} has {arm.conversions}" for arm in few)
        warnings.append(
            f"Too few conversions to call: {counts}; wait for at least {min_conversions} per arm."
        )
        blockers.append(f"fewer than {min_conversions} conversions in an arm")
    if days is not None and days < MIN_TEST_DAYS:
        warnings.append(
            f"The test has run {days:g} days, less than a full week: weekday and weekend "
            "shoppers differ, so run it for at least 7 days."
        )
        blockers.append("less than a full week of data")
    revenue_drop: set[str] = set()
    for arm, result in zip(arms, results, strict=True):
        cr, rpv = result.conversion, result.revenue_per_visitor
        if rpv is not None and cr.direction > 0 and rpv.direction < 0:
            revenue_drop.add(result.name)
            warnings.append(
                f"{result.name} raises conversion rate ({_pct(cr.relative_lift or 0.0)}) but "
                f"lowers revenue per visitor ({_pct(rpv.relative_lift or 0.0)}): more orders of "
                "lower value. Revenue per visitor is what pays."
            )
        main = result.metric(primary)
        if main is None or main.relative_lift is None:
            continue
        detectable = _detectable_relative_lift(control, arm, primary, alpha, len(arms))
        if detectable is None:
            continue
        seen = abs(main.relative_lift)
        if not main.is_significant and seen < detectable:
            warnings.append(
                f"Underpowered for the effect seen: with these visitors the test reliably "
                f"detects only a lift of {_pct(detectable, signed=False)} or more in "
                f"{main.label}; {result.name}'s {_pct(main.relative_lift)} is smaller, so 'no "
                "significant difference' does not show there is no effect."
            )
        elif main.is_significant and seen < detectable:
            warnings.append(
                f"{result.name}'s {_pct(main.relative_lift)} is below the "
                f"{_pct(detectable, signed=False)} this test could reliably detect: significant "
                "results from underpowered tests usually overstate the effect."
            )

    def status(value: Status, headline: str) -> Verdict:
        return Verdict(value, headline, tuple(warnings))

    mains = [(r, r.metric(primary)) for r in results]
    mains = [(r, m) for r, m in mains if m is not None]
    label = METRIC_LABELS[primary]
    if srm.mismatch:
        return status(
            "invalid",
            f"Do not trust this test: the traffic split is off (sample ratio mismatch, "
            f"{_p_text(srm.p_value)}). Fix the assignment and restart.",
        )
    ahead = [(r, m) for r, m in mains if m.direction > 0]
    leader = max(ahead, key=lambda rm: rm[1].absolute_lift or 0.0, default=None)
    if blockers:
        headline = f"Too early to call: {' and '.join(blockers)}."
        if leader is not None:
            headline += f" {leader[0].name} is ahead on {label} so far: {_lift_text(leader[1])}."
        return status("inconclusive", headline)
    significant_up = [(r, m) for r, m in mains if m.is_significant and m.direction > 0]
    winners = [(r, m) for r, m in significant_up if r.name not in revenue_drop]
    losers = [(r, m) for r, m in mains if m.is_significant and m.direction < 0]
    if winners:
        best, metric = max(winners, key=lambda rm: rm[1].absolute_lift or 0.0)
        return status(
            "winner",
            f"{best.name} wins on {label}: {_lift_text(metric)}, "
            f"{_p_text(metric.decision_p_value)}.",
        )
    if significant_up:
        held, metric = significant_up[0]
        return status(
            "inconclusive",
            f"No winner on revenue: {held.name} converts better ({_lift_text(metric)}) but "
            "earns less per visitor.",
        )
    if losers and len(losers) == len(mains):
        worst, metric = min(losers, key=lambda rm: rm[1].absolute_lift or 0.0)
        names = " and ".join(r.name for r, _ in losers)
        return status(
            "loser",
            f"{names} {'loses' if len(losers) == 1 else 'lose'} to control on {label}: "
            f"{worst.name} {_lift_text(metric)}, {_p_text(metric.decision_p_value)}.",
        )
    if losers:
        names = " and ".join(r.name for r, _ in losers)
        return status(
            "inconclusive",
            f"No winner: {names} significantly worse than control on {label}; the rest show no "
            "clear difference.",
        )
    if not mains:
        return status("inconclusive", f"No {label} result could be computed.")
    shown = leader or max(mains, key=lambda rm: rm[1].absolute_lift or 0.0)
    return status(
        "inconclusive",
        f"No clear winner: {shown[0].name}'s {label} lift of "
        f"{_lift_text(shown[1], with_interval=True)} could be "
        f"noise ({_p_text(shown[1].decision_p_value)}).",
    )


# --- entry points ------------------------------------------------------------------------------


def analyze_experiment(
    control: VariantData,
    variants: Sequence[VariantData],
    *,
    alpha: float = 0.05,
    planned_split: Sequence[float] | None = None,
    days: float | None = None,
    primary_metric: MetricName | None = None,
    sequential: bool = False,
    planned_visitors: float | None = None,
    min_conversions: int = MIN_CONVERSIONS_PER_ARM,
) -> ExperimentAnalysis:
    """Analyse a test from per-arm sufficient statistics.

    Args:
        control: the control arm.
        variants: one or more variants, each compared with control.
        alpha: significance level of each interval and of the (Holm-adjusted) verdict.
        planned_split: planned traffic weights, control first (default: even).
        days: days the test has run, if known (below 7 is flagged).
        primary_metric: "cr" or "rpv" for the verdict (default: "rpv" when revenue is given,
            since RPV = CR x AOV is what pays; otherwise "cr").
        sequential: add always-valid confidence sequences for the relative lift.
        planned_visitors: total planned visitors (all arms), which tunes the sequence; without
            it the sequence is tuned to the current sample, which is right for a single look.
        min_conversions: conversions each arm needs before the verdict calls a result.

    Returns:
        An ExperimentAnalysis with per-variant results, the SRM check and a Verdict.
    """
    if not isinstance(control, VariantData):
        raise InvalidInputError("The control must be a VariantData.")
    arms = list(variants)
    if not arms:
        raise InvalidInputError("Give at least one variant to compare with control.")
    if not all(isinstance(arm, VariantData) for arm in arms):
        raise InvalidInputError("Every variant must be a VariantData.")
    names = [control.name, *(arm.name for arm in arms)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInputError(f"Variant names must be unique; repeated: {', '.join(duplicates)}.")
    alpha = as_fraction(alpha, "Significance level (alpha)")
    min_conversions = as_count(min_conversions, "Minimum conversions per arm")
    if days is not None:
        days = as_number(days, "Days the test has run")
        if days < 0:
            raise InvalidInputError(f"Days the test has run cannot be negative, got {days:g}.")
    with_revenue = [arm.has_revenue for arm in (control, *arms)]
    if any(with_revenue) and not all(with_revenue):
        missing = ", ".join(a.name for a in (control, *arms) if not a.has_revenue)
        raise InvalidInputError(
            f"Revenue figures are missing for {missing}: give them for every arm."
        )
    has_revenue = all(with_revenue)
    primary = primary_metric or ("rpv" if has_revenue else "cr")
    if primary not in ("cr", "rpv"):
        raise InvalidInputError(f"The primary metric must be 'cr' or 'rpv', got {primary!r}.")
    if primary == "rpv" and not has_revenue:
        raise InvalidInputError("Revenue per visitor as primary metric needs revenue figures.")
    srm = sample_ratio_check(
        [control.visitors, *(arm.visitors for arm in arms)], planned_split, names=names
    )
    shares = srm.expected_shares
    planned = None
    if sequential and planned_visitors is not None:
        planned = as_positive(planned_visitors, "Planned visitors")

    per_metric: dict[str, list[MetricComparison | None]] = {"cr": [], "rpv": [], "aov": []}
    for index, arm in enumerate(arms, start=1):
        per_metric["cr"].append(compare_conversion(control, arm, alpha=alpha))
        per_metric["rpv"].append(
            compare_revenue_per_visitor(control, arm, alpha=alpha) if has_revenue else None
        )
        per_metric["aov"].append(
            compare_average_order_value(control, arm, alpha=alpha) if has_revenue else None
        )
        if sequential:
            in_pair = control.visitors + arm.visitors
            pair_plan = in_pair if planned is None else planned * (shares[0] + shares[index])
            for key in ("cr", "rpv"):
                comparison = per_metric[key][-1]
                if comparison is not None:
                    per_metric[key][-1] = _with_sequential(comparison, in_pair, pair_plan, alpha)
    for key, comparisons in per_metric.items():
        raw = [None if c is None else c.p_value for c in comparisons]
        holm, bh = holm_adjusted(raw), benjamini_hochberg_adjusted(raw)
        per_metric[key] = [
            None if c is None else replace(c, p_value_holm=h, p_value_bh=b)
            for c, h, b in zip(comparisons, holm, bh, strict=True)
        ]
    results = []
    for index, arm in enumerate(arms):
        conversion = per_metric["cr"][index]
        assert conversion is not None
        results.append(
            VariantResult(
                name=arm.name,
                visitors=arm.visitors,
                conversions=arm.conversions,
                conversion=conversion,
                revenue_per_visitor=per_metric["rpv"][index],
                average_order_value=per_metric["aov"][index],
            )
        )
    verdict = _verdict(
        control,
        arms,
        results,
        srm,
        alpha=alpha,
        primary=primary,
        days=days,
        min_conversions=min_conversions,
    )
    return ExperimentAnalysis(
        control=control,
        variants=tuple(results),
        srm=srm,
        verdict=verdict,
        alpha=alpha,
        primary_metric=primary,
        days=days,
    )


def variants_from_frame(frame: pd.DataFrame) -> list[VariantData]:
    """VariantData per row of a summary frame with SUMMARY_COLUMNS (revenue columns optional)."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError("The variant summary must be a table (DataFrame).")
    required = (VARIANT_COLUMN, VISITORS_COLUMN, CONVERSIONS_COLUMN)
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"The variant summary is missing column(s): {', '.join(missing)}; expected "
            f"{', '.join(SUMMARY_COLUMNS)}."
        )
    if len(frame) < 2:
        raise InvalidInputError("The variant summary needs a control row and at least one variant.")
    revenue_columns = [
        c for c in (REVENUE_SUM_COLUMN, REVENUE_SUM_SQUARES_COLUMN) if c in frame.columns
    ]
    use_revenue = len(revenue_columns) == 2 and not frame[revenue_columns].isna().all().all()
    arms = []
    for record in frame.to_dict("records"):
        revenue = squares = None
        if use_revenue:
            revenue, squares = record[REVENUE_SUM_COLUMN], record[REVENUE_SUM_SQUARES_COLUMN]
            revenue = None if pd.isna(revenue) else revenue
            squares = None if pd.isna(squares) else squares
        arms.append(
            VariantData(
                name=str(record[VARIANT_COLUMN]),
                visitors=record[VISITORS_COLUMN],
                conversions=record[CONVERSIONS_COLUMN],
                revenue_sum=revenue,
                revenue_sum_squares=squares,
            )
        )
    return arms


def analyze_summary_frame(
    frame: pd.DataFrame, *, control: str | None = None, **options: Any
) -> ExperimentAnalysis:
    """Analyse a per-variant summary frame (columns SUMMARY_COLUMNS, one row per arm).

    `control` names the control row (default: the first row); `options` go to
    analyze_experiment.
    """
    arms = variants_from_frame(frame)
    if control is None:
        control_arm = arms[0]
    else:
        matches = [arm for arm in arms if arm.name == str(control)]
        if not matches:
            raise InvalidInputError(f"No row for control {control!r} in the variant summary.")
        control_arm = matches[0]
    others = [arm for arm in arms if arm is not control_arm]
    return analyze_experiment(control_arm, others, **options)
