"""Sample size: the units each arm needs to detect a minimum detectable effect, with the
default calculator's figure and what other common calculators give for the same inputs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ro_core.experiment.planning.design import DEFAULT_DESIGN, ExperimentDesign
from ro_core.experiment.planning.inputs import _ceil, _percent
from ro_core.experiment.planning.metric import (
    Baseline,
    ConversionBaseline,
    _check_baseline,
    target_value,
)
from ro_core.experiment.planning.power import (
    MAX_UNITS_PER_ARM,
    _cohens_h_power,
    _minimum_per_variant,
    _normal_power,
    _proportion_power,
    _solve_per_variant,
    _t_power,
    _too_many,
)


@dataclass(frozen=True)
class CalculatorFigure:
    """One calculator's answer for the same inputs."""

    name: str
    per_variant_exact: float
    description: str
    is_default: bool = False

    @property
    def per_variant(self) -> int:
        """Units per variant, rounded up."""
        return _ceil(self.per_variant_exact)


@dataclass(frozen=True)
class SampleSize:
    """Units each arm needs to detect the MDE with `design.power` (see the package docstring).

    `per_variant_exact` is the unrounded default figure (what R prints); `calculators` lists the
    default first, then what other common calculators give, and `explanation` says why they differ.
    """

    metric: str
    unit: str
    baseline_value: float
    target_value: float
    sd: float | None
    design: ExperimentDesign
    per_variant_exact: float
    calculators: tuple[CalculatorFigure, ...]
    explanation: str
    conversion_rate: float | None = None

    @property
    def absolute_mde(self) -> float:
        return self.target_value - self.baseline_value

    @property
    def relative_mde(self) -> float:
        return self.absolute_mde / self.baseline_value

    @property
    def per_variant(self) -> int:
        """Units (visitors; orders for AOV) in each variant, rounded up."""
        return _ceil(self.per_variant_exact)

    @property
    def control(self) -> int:
        """Units in the control arm, rounded up."""
        return _ceil(self.per_variant_exact * self.design.allocation_ratio)

    @property
    def total(self) -> int:
        """Units across control and every variant."""
        return self.control + self.design.variants * self.per_variant

    @property
    def visitors_per_variant(self) -> int | None:
        """Visitors in each variant; None for AOV without a baseline conversion rate."""
        if self.unit == "visitors":
            return self.per_variant
        if self.conversion_rate is None:
            return None
        return _ceil(self.per_variant_exact / self.conversion_rate)

    @property
    def visitors_total(self) -> int | None:
        """Visitors across all arms; None for AOV without a baseline conversion rate."""
        if self.unit == "visitors":
            return self.total
        if self.conversion_rate is None:
            return None
        control = _ceil(
            self.per_variant_exact * self.design.allocation_ratio / self.conversion_rate
        )
        return control + self.design.variants * (self.visitors_per_variant or 0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (all numbers finite)."""
        return {
            "metric": self.metric,
            "unit": self.unit,
            "baseline_value": self.baseline_value,
            "target_value": self.target_value,
            "sd": self.sd,
            "absolute_mde": self.absolute_mde,
            "relative_mde": self.relative_mde,
            "alpha": self.design.alpha,
            "alpha_per_comparison": self.design.comparison_alpha,
            "power": self.design.power,
            "two_sided": self.design.two_sided,
            "variants": self.design.variants,
            "correction": self.design.correction,
            "control_share": self.design.control_fraction,
            "per_variant": self.per_variant,
            "per_variant_exact": self.per_variant_exact,
            "control": self.control,
            "total": self.total,
            "visitors_per_variant": self.visitors_per_variant,
            "visitors_total": self.visitors_total,
            "alternatives": [
                {
                    "name": figure.name,
                    "per_variant": figure.per_variant,
                    "per_variant_exact": figure.per_variant_exact,
                    "default": figure.is_default,
                    "description": figure.description,
                }
                for figure in self.calculators
            ],
            "explanation": self.explanation,
        }


def _spread(figures: Sequence[CalculatorFigure]) -> float:
    values = [figure.per_variant_exact for figure in figures]
    return max(values) / min(values) - 1.0


def _conversion_calculators(
    p1: float, p2: float, design: ExperimentDesign
) -> tuple[CalculatorFigure, ...]:
    ratio = design.allocation_ratio
    z_a, z_b = design.z_alpha, design.z_power
    diff = p2 - p1
    minimum = _minimum_per_variant(design)
    pooled = (ratio * p1 + p2) / (ratio + 1)
    guess = (
        z_a * math.sqrt(pooled * (1 - pooled) * (1 + 1 / ratio))
        + z_b * math.sqrt(p1 * (1 - p1) / ratio + p2 * (1 - p2))
    ) ** 2 / diff**2
    pooled_n = _solve_per_variant(
        lambda n: _proportion_power(p1, p2, n, ratio, design), design.power, guess, minimum
    )
    sd_null = math.sqrt(p1 * (1 - p1) * (1 + 1 / ratio))
    sd_alt = math.sqrt(p1 * (1 - p1) / ratio + p2 * (1 - p2))
    miller_n = (z_a * sd_null + z_b * sd_alt) ** 2 / diff**2
    if not math.isfinite(miller_n) or miller_n > MAX_UNITS_PER_ARM:
        raise _too_many()
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    h_guess = ((z_a + z_b) / h) ** 2 * (1 + 1 / ratio) if h else math.inf
    cohen_n = _solve_per_variant(
        lambda n: _cohens_h_power(p1, p2, n, ratio, design), design.power, h_guess, minimum
    )
    return (
        CalculatorFigure(
            "R power.prop.test",
            pooled_n,
            "Normal approximation, pooled rate under 'no difference', each arm's own variance "
            "under the effect, no continuity correction (also Optimizely-style calculators).",
            is_default=True,
        ),
        CalculatorFigure(
            "Evan Miller",
            max(miller_n, minimum),
            "Both arms get the baseline rate's variance under 'no difference' "
            "(evanmiller.org sample size calculator).",
        ),
        CalculatorFigure(
            "Cohen's h (G*Power, statsmodels)",
            cohen_n,
            "Arcsine-transformed effect size h = 2 asin(sqrt p2) - 2 asin(sqrt p1) "
            "(statsmodels NormalIndPower with proportion_effectsize).",
        ),
    )


def _continuous_calculators(
    delta: float, sd: float, design: ExperimentDesign, unit: str
) -> tuple[CalculatorFigure, ...]:
    ratio = design.allocation_ratio
    z_a, z_b = design.z_alpha, design.z_power
    minimum = _minimum_per_variant(design)
    normal_guess = (z_a + z_b) ** 2 * sd**2 * (1 + 1 / ratio) / delta**2
    t_n = _solve_per_variant(
        lambda n: _t_power(delta, sd, n, ratio, design), design.power, normal_guess + 2, minimum
    )
    normal_n = _solve_per_variant(
        lambda n: _normal_power(delta, sd, n, ratio, design), design.power, normal_guess, minimum
    )
    return (
        CalculatorFigure(
            "Two-sample t test (R power.t.test, G*Power)",
            t_n,
            f"Student's t with {unit} from both arms; matches statsmodels TTestIndPower.",
            is_default=True,
        ),
        CalculatorFigure(
            "Normal approximation",
            normal_n,
            "z test with a known standard deviation, as most online calculators use.",
        ),
    )


def sample_size(
    baseline: Baseline,
    mde: float,
    *,
    relative: bool = True,
    design: ExperimentDesign = DEFAULT_DESIGN,
) -> SampleSize:
    """Units per variant to detect an MDE (relative: 0.10 = +10%; absolute: in metric units).

    Args:
        baseline: a ConversionBaseline (rate) or ContinuousBaseline (mean and sd; RPV or AOV).
        mde: the smallest effect worth detecting; may be negative (a drop).
        relative: whether `mde` is relative to the baseline or in the metric's own units.
        design: alpha, power, sides, number of variants, correction and traffic split.

    Returns:
        A SampleSize with the default figure and the other calculators' figures.
    """
    baseline = _check_baseline(baseline)
    target = target_value(baseline, mde, relative=relative)
    if isinstance(baseline, ConversionBaseline):
        calculators = _conversion_calculators(baseline.rate, target, design)
        explanation = (
            "They differ only in the variance assumed: power.prop.test pools the two rates "
            "under 'no difference', Evan Miller gives both arms the baseline's variance, and "
            "Cohen's h uses an arcsine scale whose variance does not depend on the rate "
            f"(spread here {_percent(_spread(calculators))})."
        )
        sd = None
        conversion_rate = baseline.rate
    else:
        calculators = _continuous_calculators(
            target - baseline.mean, baseline.sd, design, baseline.unit
        )
        explanation = (
            "The t test uses Student's t critical values, which ask for a few more "
            f"{baseline.unit} than the normal approximation most online calculators use "
            f"(spread here {_percent(_spread(calculators))}); the gap vanishes as samples grow."
        )
        sd = baseline.sd
        conversion_rate = baseline.conversion_rate
    return SampleSize(
        metric=baseline.metric,
        unit=baseline.unit,
        baseline_value=baseline.value,
        target_value=target,
        sd=sd,
        design=design,
        per_variant_exact=calculators[0].per_variant_exact,
        calculators=calculators,
        explanation=explanation,
        conversion_rate=conversion_rate,
    )
