"""Power of a variant-versus-control comparison: the power functions behind each calculator,
solving for the sample that reaches a target power, and power at a given sample (power_at)."""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy import optimize, special, stats

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning.design import DEFAULT_DESIGN, ExperimentDesign
from ro_core.experiment.planning.inputs import as_positive
from ro_core.experiment.planning.metric import (
    Baseline,
    ConversionBaseline,
    _check_baseline,
    target_value,
)

MIN_UNITS_PER_ARM = 2.0
MAX_UNITS_PER_ARM = 1e12


def _proportion_power(
    p1: float, p2: float, n_variant: float, ratio: float, design: ExperimentDesign
) -> float:
    n_control = ratio * n_variant
    pooled = (n_control * p1 + n_variant * p2) / (n_control + n_variant)
    se_null = math.sqrt(pooled * (1 - pooled) * (1 / n_control + 1 / n_variant))
    se_alt = math.sqrt(p1 * (1 - p1) / n_control + p2 * (1 - p2) / n_variant)
    diff = abs(p2 - p1)
    z = design.z_alpha
    power = special.ndtr((diff - z * se_null) / se_alt)
    if design.two_sided:
        power += special.ndtr((-diff - z * se_null) / se_alt)
    return float(min(power, 1.0))


def _cohens_h_power(
    p1: float, p2: float, n_variant: float, ratio: float, design: ExperimentDesign
) -> float:
    h = abs(2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)))
    shift = h / math.sqrt(1 / n_variant + 1 / (ratio * n_variant))
    power = special.ndtr(shift - design.z_alpha)
    if design.two_sided:
        power += special.ndtr(-shift - design.z_alpha)
    return float(min(power, 1.0))


def _t_power(
    delta: float, sd: float, n_variant: float, ratio: float, design: ExperimentDesign
) -> float:
    n_control = ratio * n_variant
    df = n_control + n_variant - 2
    ncp = abs(delta) / (sd * math.sqrt(1 / n_control + 1 / n_variant))
    critical = float(stats.t.isf(design.tail_alpha, df))
    power = float(stats.nct.sf(critical, df, ncp))
    if not math.isfinite(power):  # scipy's noncentral t can fail far in a tail
        power = float(special.ndtr(ncp - critical))
    if design.two_sided:
        far_tail = float(stats.nct.cdf(-critical, df, ncp))
        power += far_tail if math.isfinite(far_tail) else 0.0
    return min(power, 1.0)


def _normal_power(
    delta: float, sd: float, n_variant: float, ratio: float, design: ExperimentDesign
) -> float:
    shift = abs(delta) / (sd * math.sqrt(1 / n_variant + 1 / (ratio * n_variant)))
    power = special.ndtr(shift - design.z_alpha)
    if design.two_sided:
        power += special.ndtr(-shift - design.z_alpha)
    return float(min(power, 1.0))


def _minimum_per_variant(design: ExperimentDesign) -> float:
    """Smallest variant arm for which both arms hold at least MIN_UNITS_PER_ARM units."""
    return max(MIN_UNITS_PER_ARM, MIN_UNITS_PER_ARM / design.allocation_ratio)


def _too_many() -> InvalidInputError:
    return InvalidInputError(
        "The effect is too small to detect: the test would need more than a trillion visitors "
        "per variant. Choose a larger minimum detectable effect."
    )


def _solve_per_variant(
    power_of_n: Callable[[float], float], target: float, guess: float, minimum: float
) -> float:
    """Smallest n at which the (increasing) power function reaches `target`."""
    if not math.isfinite(guess) or guess > MAX_UNITS_PER_ARM:
        raise _too_many()
    low = max(minimum, guess / 2)
    while low > minimum and power_of_n(low) >= target:
        low = max(minimum, low / 4)
    if power_of_n(low) >= target:
        return low
    high = max(low * 2, guess * 1.5)
    while power_of_n(high) < target:
        high *= 4
        if high > 4 * MAX_UNITS_PER_ARM:
            raise _too_many()
    return float(
        optimize.brentq(lambda n: power_of_n(n) - target, low, high, xtol=1e-10, maxiter=500)
    )


def _power_function(
    baseline: Baseline, target: float, design: ExperimentDesign
) -> Callable[[float], float]:
    ratio = design.allocation_ratio
    if isinstance(baseline, ConversionBaseline):
        return lambda n: _proportion_power(baseline.rate, target, n, ratio, design)
    delta = target - baseline.mean
    return lambda n: _t_power(delta, baseline.sd, n, ratio, design)


def power_at(
    baseline: Baseline,
    mde: float,
    per_variant: float,
    *,
    relative: bool = True,
    design: ExperimentDesign = DEFAULT_DESIGN,
) -> float:
    """Power of each variant-versus-control comparison with `per_variant` units per variant."""
    baseline = _check_baseline(baseline)
    target = target_value(baseline, mde, relative=relative)
    n = _check_per_variant(per_variant, design)
    return _power_function(baseline, target, design)(n)


def _check_per_variant(per_variant: object, design: ExperimentDesign) -> float:
    n = as_positive(per_variant, "Sample size per variant")
    if n > MAX_UNITS_PER_ARM:
        raise InvalidInputError(
            f"Sample size per variant must be at most {MAX_UNITS_PER_ARM:.0e}, got {n:g}."
        )
    minimum = _minimum_per_variant(design)
    if n < minimum - 1e-9:
        raise InvalidInputError(
            f"Each arm needs at least {MIN_UNITS_PER_ARM:g} units; with this split that means at "
            f"least {minimum:g} per variant, got {n:g}."
        )
    return n
