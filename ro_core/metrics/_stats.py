"""Confidence intervals from sufficient statistics (counts, sums, sums of squares)."""

from __future__ import annotations

import math
from statistics import NormalDist

CONFIDENCE = 0.95


def wilson_interval(
    successes: float | None, trials: float | None, confidence: float = CONFIDENCE
) -> tuple[float | None, float | None]:
    """Wilson score interval for a proportion; (None, None) without trials."""
    if successes is None or trials is None or trials <= 0:
        return None, None
    n = float(trials)
    p = min(max(float(successes) / n, 0.0), 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(centre - half, 0.0), min(centre + half, 1.0)


def mean_interval(
    n: float | None,
    total: float | None,
    sum_squares: float | None,
    confidence: float = CONFIDENCE,
) -> tuple[float | None, float | None]:
    """t interval for the mean of n values given their sum and sum of squares.

    Values not listed (e.g. sessions without an order) count as zeros when n includes them.
    (None, None) when n < 2 or the inputs are missing.
    """
    if n is None or total is None or sum_squares is None or n < 2:
        return None, None
    n = float(n)
    mean = float(total) / n
    variance = max((float(sum_squares) - n * mean * mean) / (n - 1), 0.0)
    se = math.sqrt(variance / n)
    # imported here: scipy takes a second to import and the first page does not need it
    from scipy.special import stdtrit

    t = float(stdtrit(n - 1, 0.5 + confidence / 2))
    return mean - t * se, mean + t * se
