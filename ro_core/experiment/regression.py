"""Logistic and linear regression on grouped data (one row per combination of a test's factors).

Every visitor of a combination has the same design row, so the sufficient statistics per row are
enough: visitors n, conversions (or the revenue sum) and the sum of squared revenue. The fits are
the same as on the visitor-level rows (statsmodels' Logit and OLS give identical estimates; the
tests check it):

- Logistic (conversion): Newton-Raphson on the binomial log-likelihood, covariance = inverse
  Fisher information; Wald z tests.
- Linear (revenue per visitor): least squares weighted by n, with heteroskedasticity-robust
  (sandwich) covariance. A row's residual sum of squares is sum y^2 - 2 yhat sum y + n yhat^2,
  so HC0/HC1 and HC3 (leverage h = x'(X'WX)^-1 x is shared by a row's visitors) need no
  visitor-level data. Normal (z) p-values, as statsmodels' robust covariances by default.

Numbers in, numbers out; a fit that cannot be done comes back with a message, not an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

MAX_ITERATIONS = 100
TOLERANCE = 1e-10


@dataclass(frozen=True)
class Fit:
    """Coefficients and their covariance, or a message saying why there are none."""

    coefficients: np.ndarray | None
    covariance: np.ndarray | None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.coefficients is not None and self.covariance is not None

    def contrast(self, weights: np.ndarray) -> tuple[float, float]:
        """(estimate, standard error) of the linear combination weights . coefficients."""
        assert self.coefficients is not None and self.covariance is not None
        estimate = float(weights @ self.coefficients)
        variance = float(weights @ self.covariance @ weights)
        return estimate, float(np.sqrt(max(variance, 0.0)))


def _full_rank(design: np.ndarray, weights: np.ndarray) -> bool:
    used = design[weights > 0]
    return used.size > 0 and np.linalg.matrix_rank(used) == design.shape[1]


def logistic_fit(design: np.ndarray, trials: np.ndarray, successes: np.ndarray) -> Fit:
    """Binomial logistic regression of successes out of trials per design row.

    Args:
        design: rows x coefficients (include the intercept column).
        trials, successes: per row; successes <= trials.

    Returns:
        Fit with the maximum-likelihood coefficients and the inverse Fisher information, or a
        message when the model cannot be estimated (too few rows, or separation: a rate of 0
        or 1 that pushes a coefficient to infinity).
    """
    x = np.asarray(design, dtype=float)
    n = np.asarray(trials, dtype=float)
    y = np.asarray(successes, dtype=float)
    if not _full_rank(x, n):
        return Fit(None, None, "Some effects cannot be told apart: too few combinations ran.")
    beta = np.zeros(x.shape[1])
    pooled = y.sum() / n.sum()
    if not 0 < pooled < 1:
        return Fit(None, None, "Nobody (or everybody) converted, so there is nothing to model.")
    beta[0] = np.log(pooled / (1 - pooled)) if np.allclose(x[:, 0], 1) else 0.0
    separation = Fit(
        None,
        None,
        "A combination converted nobody (or everybody), so its effect has no finite "
        "estimate: wait for more conversions.",
    )
    converged = False
    for _ in range(MAX_ITERATIONS):
        mu = special.expit(x @ beta)
        gradient = x.T @ (y - n * mu)
        hessian = (x * (n * mu * (1 - mu))[:, None]).T @ x
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return separation
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 30:
            return separation
        if np.max(np.abs(step)) < TOLERANCE:
            converged = True
            break
    mu = special.expit(x @ beta)
    if not converged or np.min(mu[n > 0] * (1 - mu[n > 0])) < 1e-9:
        return separation
    hessian = (x * (n * mu * (1 - mu))[:, None]).T @ x
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return separation
    return Fit(beta, covariance)


def robust_linear_fit(
    design: np.ndarray,
    counts: np.ndarray,
    sums: np.ndarray,
    sums_of_squares: np.ndarray,
    *,
    cov_type: str = "HC3",
) -> Fit:
    """Least squares of a per-visitor value on the design, with robust covariance.

    Args:
        design: rows x coefficients (include the intercept column).
        counts: visitors per row; sums / sums_of_squares: sum of the value and of its square.
        cov_type: "HC0", "HC1" (HC0 x N / (N - k)) or "HC3" (residuals / (1 - leverage)).

    Returns:
        Fit with the coefficients and the sandwich covariance, or a message.
    """
    if cov_type not in ("HC0", "HC1", "HC3"):
        raise ValueError(f"cov_type must be HC0, HC1 or HC3, got {cov_type!r}")
    x = np.asarray(design, dtype=float)
    n = np.asarray(counts, dtype=float)
    s1 = np.asarray(sums, dtype=float)
    s2 = np.asarray(sums_of_squares, dtype=float)
    total, k = n.sum(), x.shape[1]
    if not _full_rank(x, n) or total <= k:
        return Fit(None, None, "Some effects cannot be told apart: too few combinations ran.")
    bread = np.linalg.inv((x * n[:, None]).T @ x)
    beta = bread @ (x.T @ s1)
    fitted = x @ beta
    residual_squares = np.maximum(s2 - 2 * fitted * s1 + n * fitted**2, 0.0)
    if cov_type == "HC3":
        leverage = np.einsum("ij,jk,ik->i", x, bread, x)
        if np.any(leverage[n > 0] >= 1 - 1e-12):
            return Fit(None, None, "A combination has a single visitor: HC3 errors need more.")
        residual_squares = residual_squares / (1 - leverage) ** 2
    meat = (x * residual_squares[:, None]).T @ x
    covariance = bread @ meat @ bread
    if cov_type == "HC1":
        covariance = covariance * total / (total - k)
    return Fit(beta, covariance)
