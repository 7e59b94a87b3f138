"""Funnel statistics from step counts: an interval for every step rate, and two funnels (periods
or segments) compared step by step with an interval for each difference and Benjamini-Hochberg
adjusted p-values across the steps.

A step's rate is its sessions over the previous step's sessions. Methods:
- one rate: Wilson score interval;
- a difference of two rates: Newcombe's hybrid score interval (Newcombe 1998, method 10;
  statsmodels ``confint_proportions_2indep(method="newcomb")``), which keeps its coverage for
  small counts and rates near 0 or 1;
- p-value: pooled two-proportion z test; adjusted across the steps by Benjamini-Hochberg, so
  "checkout completion fell" is a finding only when it survives looking at every step at once.

Counts from aggregated reports can have a step above the previous one (Buy Now skips the
cart): such a rate is not a share of the previous step's sessions, so it gets no interval.
All functions take numbers (or numpy arrays) and return numbers; no database.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from ro_core.experiment.analysis import benjamini_hochberg_adjusted

STEP_COMPARISON_COLUMNS: tuple[str, ...] = (
    "step",
    "rate",
    "rate_low",
    "rate_high",
    "rate_comparison",
    "rate_comparison_low",
    "rate_comparison_high",
    "change",
    "change_low",
    "change_high",
    "p_value",
    "p_adjusted",
)


def _z(alpha: float) -> float:
    return float(special.ndtri(1 - alpha / 2))


def wilson_interval(successes, trials, alpha: float = 0.05):
    """Wilson score interval for successes / trials (arrays allowed)."""
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = _z(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (x + z**2 / 2) / (n + z**2)
        half = z / (n + z**2) * np.sqrt(np.maximum(x * (n - x) / n, 0.0) + z**2 / 4)
    return centre - half, centre + half


def newcombe_interval(x1, n1, x2, n2, alpha: float = 0.05):
    """Newcombe's hybrid score interval for p1 - p2 (arrays allowed)."""
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, alpha)
    l2, u2 = wilson_interval(x2, n2, alpha)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def two_proportion_p_value(x1, n1, x2, n2):
    """Two-sided pooled z test of p1 = p2 (arrays allowed; NaN when nobody or everybody)."""
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (x1 / n1 - x2 / n2) / se
    return np.where(se > 0, 2 * special.ndtr(-np.abs(z)), np.nan)


def _usable(x: float | None, n: float | None) -> bool:
    return (
        x is not None
        and n is not None
        and not pd.isna(x)
        and not pd.isna(n)
        and n > 0
        and 0 <= x <= n
    )


def compare_step_counts(
    steps: Sequence[str],
    counts: Sequence[float | None],
    comparison_counts: Sequence[float | None],
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Two funnels' step rates with intervals, differences and BH-adjusted p-values.

    Args:
        steps: step names, top first.
        counts / comparison_counts: sessions at each step (None where a side lacks the step).
        alpha: two-sided level of every interval.

    Returns:
        One row per step after the first (columns STEP_COMPARISON_COLUMNS): rate and
        rate_comparison (step / previous step), their Wilson intervals, change = rate -
        rate_comparison with Newcombe's interval, the z test p-value and its BH adjustment
        across the steps. Figures are NaN where a rate is not a share (see the module note).
    """
    rows = []
    for index in range(1, len(steps)):
        x1, n1 = counts[index], counts[index - 1]
        x2, n2 = comparison_counts[index], comparison_counts[index - 1]
        row: dict[str, object] = {"step": steps[index]}
        one, two = _usable(x1, n1), _usable(x2, n2)
        if one:
            row["rate"] = x1 / n1
            row["rate_low"], row["rate_high"] = (float(v) for v in wilson_interval(x1, n1, alpha))
        if two:
            row["rate_comparison"] = x2 / n2
            low, high = wilson_interval(x2, n2, alpha)
            row["rate_comparison_low"], row["rate_comparison_high"] = float(low), float(high)
        if one and two:
            row["change"] = x1 / n1 - x2 / n2
            low, high = newcombe_interval(x1, n1, x2, n2, alpha)
            row["change_low"], row["change_high"] = float(low), float(high)
            p_value = float(two_proportion_p_value(x1, n1, x2, n2))
            row["p_value"] = p_value if np.isfinite(p_value) else np.nan
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(STEP_COMPARISON_COLUMNS))
    numeric = [c for c in STEP_COMPARISON_COLUMNS if c != "step"]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce").astype("float64")
    raw = [None if pd.isna(p) else float(p) for p in frame["p_value"]]
    adjusted = benjamini_hochberg_adjusted(raw)
    frame["p_adjusted"] = [np.nan if p is None else p for p in adjusted]
    return frame
