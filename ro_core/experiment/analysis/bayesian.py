"""Bayesian chance to beat control and expected loss.

Conversion rate: Beta(1, 1) priors, P(B > A) by Evan Miller's exact closed-form sum (the
shortest of four equivalent series), the loss by Chris Stucchio's identity; past
EXACT_SUM_LIMIT terms the same integrals by adaptive quadrature. Revenue: a normal
approximation with a flat prior. No simulation is involved.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special, stats

from ro_core.experiment.analysis.types import VariantData

EXACT_SUM_LIMIT = 2_000_000


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
