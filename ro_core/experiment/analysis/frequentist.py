"""Frequentist comparisons of a variant with control: the pooled two-proportion z test for
conversion rate, Welch's t test for revenue per visitor and average order value, with
absolute and delta-method relative intervals (and the Bayesian chance and loss alongside)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from scipy import special, stats

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis.bayesian import beta_chance_and_loss, normal_chance_and_loss
from ro_core.experiment.analysis.types import MetricComparison, VariantData
from ro_core.experiment.planning import as_fraction


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
