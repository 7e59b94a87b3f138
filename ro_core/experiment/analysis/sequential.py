"""Always-valid intervals: the normal-mixture confidence sequence (Howard, Ramdas, McAuliffe
and Sekhon 2021, in the asymptotic form of Waudby-Smith et al. 2023), tuned to the planned
sample size, and adding it to a comparison's relative lift."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import special, stats

from ro_core.experiment.analysis.types import MetricComparison


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
