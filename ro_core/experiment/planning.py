"""Before a test: sample size, minimum detectable effect (MDE), power and duration.

Numbers in, numbers out: nothing here reads the database (see `baseline.py` for turning store
totals into baselines).

Conventions
- "Per variant" counts the units in *each* treatment arm: visitors for conversion rate (CR) and
  revenue per visitor (RPV), orders for average order value (AOV). The control arm gets
  ``per_variant * design.allocation_ratio`` units (1 for an even split).
- With several variants each one is compared with control at ``design.comparison_alpha``
  (Bonferroni ``alpha / k`` or Sidak ``1 - (1 - alpha) ** (1 / k)``); power is per comparison.
- Two-sided power counts rejections in both tails (R's ``strict = TRUE``). The far tail adds far
  less than 1e-6 at ordinary settings, so figures agree with R's defaults to 4+ significant figures.
- The MDE is reported as an increase over the baseline.

Formulas (n = units per variant, r = control units per variant unit, z = normal quantiles)
- CR, default (R ``power.prop.test``): pooled variance under H0, unpooled under H1, no continuity
  correction: power = Phi((|d| - z_a * se0) / se1) [+ Phi((-|d| - z_a * se0) / se1) if two-sided],
  se0^2 = pbar (1 - pbar) (1/(r n) + 1/n) with pbar the n-weighted mean of p1, p2,
  se1^2 = p1 (1 - p1) / (r n) + p2 (1 - p2) / n; n is solved with Brent's method.
- CR, Evan Miller: n = (z_a sd0 + z_b sd1)^2 / d^2, sd0^2 = p1 (1 - p1) (1 + 1/r),
  sd1^2 = p1 (1 - p1) / r + p2 (1 - p2).
- CR, Cohen's h (G*Power, statsmodels NormalIndPower + proportion_effectsize):
  h = 2 asin(sqrt p2) - 2 asin(sqrt p1), power = Phi(|h| / sqrt(1/n + 1/(r n)) - z_a) [+ far tail];
  for an even split n is about 2 ((z_a + z_b) / h)^2.
- RPV / AOV, default (R ``power.t.test``, G*Power, statsmodels TTestIndPower): two-sample t test
  with df = n (1 + r) - 2 and noncentrality |delta| / (sd sqrt(1/n + 1/(r n))).
- RPV / AOV, normal approximation: n = (z_a + z_b)^2 sd^2 (1 + 1/r) / delta^2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeAlias

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ro_core.errors import InvalidInputError

Correction = Literal["bonferroni", "sidak", "none"]
CORRECTIONS: tuple[str, ...] = ("bonferroni", "sidak", "none")
MIN_TEST_DAYS = 7
MAX_RECOMMENDED_WEEKS = 8
MAX_VARIANTS = 20
MIN_UNITS_PER_ARM = 2.0
MAX_UNITS_PER_ARM = 1e12
MDE_TABLE_COLUMNS: tuple[str, ...] = (
    "weeks",
    "visitors_per_variant",
    "mde_relative",
    "mde_absolute",
)
POWER_CURVE_COLUMNS: tuple[str, ...] = ("per_variant", "power")


# --- input checks (shared by the experiment modules) ------------------------------------------


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else f"{value}"
    return text if len(text) <= 40 else text[:37] + "..."


def as_number(value: object, label: str) -> float:
    """`value` as a finite float. Numeric text is accepted; a trailing % divides by 100."""
    if value is None or isinstance(value, bool):
        raise InvalidInputError(f"{label} must be a number, got {_shown(value)}.")
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        try:
            number = float(text)
        except ValueError:
            raise InvalidInputError(f"{label} must be a number, got {_shown(value)}.") from None
        if percent:
            number /= 100.0
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise InvalidInputError(f"{label} must be a number, got {_shown(value)}.") from None
    if not math.isfinite(number):
        raise InvalidInputError(f"{label} must be a finite number, got {_shown(value)}.")
    return number


def as_fraction(value: object, label: str) -> float:
    """A number strictly between 0 and 1 (a rate, alpha, power, a share)."""
    number = as_number(value, label)
    if not 0.0 < number < 1.0:
        hint = ""
        if 1.0 < number <= 100.0:
            hint = f" For {number:g}% type {number / 100:g} or {number:g}%."
        raise InvalidInputError(
            f"{label} must be between 0 and 1 (not 0 or 1), got {_shown(value)}.{hint}"
        )
    return number


def as_positive(value: object, label: str) -> float:
    """A number above 0."""
    number = as_number(value, label)
    if number <= 0:
        raise InvalidInputError(f"{label} must be above 0, got {_shown(value)}.")
    return number


def as_count(value: object, label: str, *, minimum: int = 0) -> int:
    """A whole number of at least `minimum`."""
    number = as_number(value, label)
    if number != math.floor(number):
        raise InvalidInputError(f"{label} must be a whole number, got {_shown(value)}.")
    if number < minimum:
        if minimum == 0:
            raise InvalidInputError(f"{label} cannot be negative, got {_shown(value)}.")
        raise InvalidInputError(f"{label} must be at least {minimum}, got {_shown(value)}.")
    return int(number)


def _ceil(value: float) -> int:
    """Round up, ignoring floating-point dust (76.0000000001 is 76)."""
    return math.ceil(round(value, 6))


def _percent(value: float, digits: int = 1, *, signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{value * 100:{sign}.{digits}f}%"


# --- the design of a test ---------------------------------------------------------------------


def control_share_from_split(split: Sequence[object], variants: int) -> float | None:
    """Control's share of test traffic from weights like (50, 50) or (40, 30, 30).

    Planning assumes every variant gets the same share, so the variant weights must be equal.
    Returns None for an even split.
    """
    weights = [as_positive(weight, "Each traffic split weight") for weight in split]
    if len(weights) != variants + 1:
        raise InvalidInputError(
            f"The traffic split has {len(weights)} parts but the test has {variants + 1} arms "
            "(control plus each variant)."
        )
    variant_weights = weights[1:]
    if max(variant_weights) - min(variant_weights) > 1e-9 * max(variant_weights):
        raise InvalidInputError(
            "Planning assumes every variant gets the same share of traffic; "
            "give equal weights to the variants (control may differ)."
        )
    share = weights[0] / sum(weights)
    if abs(share - 1.0 / (variants + 1)) < 1e-12:
        return None
    return share


@dataclass(frozen=True)
class ExperimentDesign:
    """How a test is run: error rates, sides, number of variants and the traffic split.

    `control_share` is control's share of the test traffic (None: an even split); the variants
    share the rest equally. Values are checked and normalised on creation.
    """

    alpha: float = 0.05
    power: float = 0.8
    two_sided: bool = True
    variants: int = 1
    correction: Correction = "bonferroni"
    control_share: float | None = None

    def __post_init__(self) -> None:
        alpha = as_fraction(self.alpha, "Significance level (alpha)")
        power = as_fraction(self.power, "Power")
        if power <= alpha:
            raise InvalidInputError(
                f"Power ({power:g}) must be above the significance level ({alpha:g})."
            )
        variants = as_count(self.variants, "Number of variants", minimum=1)
        if variants > MAX_VARIANTS:
            raise InvalidInputError(
                f"Number of variants must be at most {MAX_VARIANTS}, got {variants}."
            )
        correction = str(self.correction).strip().lower()
        if correction not in CORRECTIONS:
            raise InvalidInputError(
                f"Correction must be one of {', '.join(CORRECTIONS)}, "
                f"got {_shown(self.correction)}."
            )
        share = self.control_share
        if share is not None:
            share = as_fraction(share, "Control's share of test traffic")
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "power", power)
        object.__setattr__(self, "two_sided", bool(self.two_sided))
        object.__setattr__(self, "variants", variants)
        object.__setattr__(self, "correction", correction)
        object.__setattr__(self, "control_share", share)

    @property
    def arms(self) -> int:
        """Control plus the variants."""
        return self.variants + 1

    @property
    def comparison_alpha(self) -> float:
        """Significance level of each variant-versus-control comparison."""
        if self.variants == 1 or self.correction == "none":
            return self.alpha
        if self.correction == "sidak":
            return 1.0 - (1.0 - self.alpha) ** (1.0 / self.variants)
        return self.alpha / self.variants

    @property
    def tail_alpha(self) -> float:
        """The probability in each rejection tail."""
        return self.comparison_alpha / 2 if self.two_sided else self.comparison_alpha

    @property
    def z_alpha(self) -> float:
        return float(special.ndtri(1.0 - self.tail_alpha))

    @property
    def z_power(self) -> float:
        return float(special.ndtri(self.power))

    @property
    def control_fraction(self) -> float:
        """Control's share of test traffic."""
        return self.control_share if self.control_share is not None else 1.0 / self.arms

    @property
    def variant_fraction(self) -> float:
        """Each variant's share of test traffic."""
        return (1.0 - self.control_fraction) / self.variants

    @property
    def allocation_ratio(self) -> float:
        """Control units per variant unit (1.0 for an even split)."""
        return self.control_fraction / self.variant_fraction


DEFAULT_DESIGN = ExperimentDesign()


# --- what is measured --------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversionBaseline:
    """A conversion-rate metric before the test: control's expected rate (0 < rate < 1)."""

    rate: float
    metric: ClassVar[str] = "cr"
    unit: ClassVar[str] = "visitors"
    label: ClassVar[str] = "conversion rate"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", as_fraction(self.rate, "Baseline conversion rate"))

    @property
    def value(self) -> float:
        return self.rate

    def units_for_visitors(self, visitors: float) -> float:
        return visitors


@dataclass(frozen=True)
class ContinuousBaseline:
    """Revenue per visitor (per visitor, zeros included) or average order value (per order).

    `conversion_rate` matters only for AOV: it turns orders into visitors for durations.
    """

    mean: float
    sd: float
    metric: Literal["rpv", "aov"] = "rpv"
    conversion_rate: float | None = None

    def __post_init__(self) -> None:
        metric = str(self.metric).strip().lower()
        if metric not in ("rpv", "aov"):
            raise InvalidInputError(f"Metric must be 'rpv' or 'aov', got {_shown(self.metric)}.")
        label = (
            "Baseline revenue per visitor" if metric == "rpv" else "Baseline average order value"
        )
        object.__setattr__(self, "metric", metric)
        object.__setattr__(self, "mean", as_positive(self.mean, label))
        object.__setattr__(self, "sd", as_positive(self.sd, "Standard deviation"))
        if self.conversion_rate is not None:
            rate = as_fraction(self.conversion_rate, "Baseline conversion rate")
            object.__setattr__(self, "conversion_rate", rate)

    @property
    def value(self) -> float:
        return self.mean

    @property
    def unit(self) -> str:
        return "visitors" if self.metric == "rpv" else "orders"

    @property
    def label(self) -> str:
        return "revenue per visitor" if self.metric == "rpv" else "average order value"

    def units_for_visitors(self, visitors: float) -> float:
        """Units (visitors or orders) that `visitors` visitors bring."""
        if self.metric == "rpv":
            return visitors
        if self.conversion_rate is None:
            raise InvalidInputError(
                "An average order value test counts orders: give the baseline conversion rate "
                "to turn visitors into orders."
            )
        return visitors * self.conversion_rate

    def visitors_for_units(self, units: float) -> float | None:
        """Visitors needed to collect `units` units; None for AOV without a conversion rate."""
        if self.metric == "rpv":
            return units
        if self.conversion_rate is None:
            return None
        return units / self.conversion_rate


Baseline: TypeAlias = ConversionBaseline | ContinuousBaseline


def _check_baseline(baseline: object) -> Baseline:
    if not isinstance(baseline, ConversionBaseline | ContinuousBaseline):
        raise InvalidInputError(
            "The baseline must be a ConversionBaseline or a ContinuousBaseline, "
            f"got {type(baseline).__name__}."
        )
    return baseline


def target_value(baseline: Baseline, mde: object, *, relative: bool = True) -> float:
    """The variant's value that an MDE (relative: 0.1 = +10%; absolute: in metric units) implies."""
    baseline = _check_baseline(baseline)
    effect = as_number(mde, "Minimum detectable effect")
    if effect == 0:
        raise InvalidInputError("The minimum detectable effect must not be zero.")
    base = baseline.value
    if relative:
        if effect <= -1:
            raise InvalidInputError(
                f"A relative MDE of {_percent(effect, signed=True)} would take the "
                f"{baseline.label} to zero or below."
            )
        target = base * (1.0 + effect)
        described = f"A relative MDE of {_percent(effect, signed=True)}"
    else:
        target = base + effect
        described = f"An absolute MDE of {effect:+g}"
    if isinstance(baseline, ConversionBaseline):
        if not 0.0 < target < 1.0:
            raise InvalidInputError(
                f"{described} on a {_percent(base, 2)} baseline asks for a conversion rate of "
                f"{_percent(target, 2)}, outside 0-100%."
            )
    elif target <= 0:
        raise InvalidInputError(f"{described} would take the {baseline.label} to zero or below.")
    if target == base:
        raise InvalidInputError("The minimum detectable effect is too small to change the metric.")
    return target


# --- power functions ---------------------------------------------------------------------------


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


# --- sample size -------------------------------------------------------------------------------


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
    """Units each arm needs to detect the MDE with `design.power` (see module docstring).

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


# --- minimum detectable effect -----------------------------------------------------------------


@dataclass(frozen=True)
class MinimumDetectableEffect:
    """The smallest increase detectable with `design.power` at a given sample.

    `absolute` is in metric units (rate points, currency); None when no increase is detectable
    (then `message` says why).
    """

    metric: str
    unit: str
    baseline_value: float
    per_variant: float
    design: ExperimentDesign
    absolute: float | None
    message: str | None = None

    @property
    def relative(self) -> float | None:
        return None if self.absolute is None else self.absolute / self.baseline_value

    @property
    def target_value(self) -> float | None:
        return None if self.absolute is None else self.baseline_value + self.absolute

    @property
    def detectable(self) -> bool:
        return self.absolute is not None


def mde_for_sample_size(
    baseline: Baseline, per_variant: float, *, design: ExperimentDesign = DEFAULT_DESIGN
) -> MinimumDetectableEffect:
    """The MDE (absolute and relative) with `per_variant` units (visitors; orders for AOV)."""
    baseline = _check_baseline(baseline)
    n = _check_per_variant(per_variant, design)
    ratio = design.allocation_ratio
    target_power = design.power
    if isinstance(baseline, ConversionBaseline):
        p1 = baseline.rate
        highest = 1.0 - 1e-12

        def gap(p2: float) -> float:
            return _proportion_power(p1, p2, n, ratio, design) - target_power

        if gap(highest) < 0:
            return MinimumDetectableEffect(
                baseline.metric,
                baseline.unit,
                p1,
                n,
                design,
                None,
                f"With {n:,.0f} {baseline.unit} per variant not even a jump to 100% conversion "
                f"would be detected with {_percent(target_power, 0)} power.",
            )
        lowest = p1 + (highest - p1) * 1e-12
        if gap(lowest) >= 0:
            target = lowest
        else:
            target = optimize.brentq(gap, lowest, highest, xtol=1e-14, maxiter=500)
        return MinimumDetectableEffect(
            baseline.metric, baseline.unit, p1, n, design, float(target - p1)
        )
    sd = baseline.sd
    scale = sd * math.sqrt(1 / n + 1 / (ratio * n))

    def delta_gap(delta: float) -> float:
        return _t_power(delta, sd, n, ratio, design) - target_power

    high = scale * (design.z_alpha + design.z_power) * 2
    while delta_gap(high) < 0:
        high *= 2
    delta = optimize.brentq(delta_gap, high * 1e-9, high, xtol=1e-12 * high, maxiter=500)
    return MinimumDetectableEffect(
        baseline.metric, baseline.unit, baseline.mean, n, design, float(delta)
    )


def _check_traffic(daily_sessions: object, traffic_share: object) -> tuple[float, float]:
    daily = as_positive(daily_sessions, "Daily sessions")
    share = as_number(traffic_share, "Share of traffic in the test")
    if not 0.0 < share <= 1.0:
        raise InvalidInputError(
            "Share of traffic in the test must be above 0 and at most 1, "
            f"got {_shown(traffic_share)}."
        )
    return daily, share


def mde_for_weeks(
    baseline: Baseline,
    weeks: float,
    *,
    daily_sessions: float,
    traffic_share: float = 1.0,
    design: ExperimentDesign = DEFAULT_DESIGN,
) -> MinimumDetectableEffect:
    """The MDE after `weeks` weeks of `daily_sessions` sessions, `traffic_share` of them tested."""
    baseline = _check_baseline(baseline)
    length = as_positive(weeks, "Number of weeks")
    daily, share = _check_traffic(daily_sessions, traffic_share)
    visitors = length * 7 * daily * share * design.variant_fraction
    return mde_for_sample_size(baseline, baseline.units_for_visitors(visitors), design=design)


def mde_by_week(
    baseline: Baseline,
    *,
    daily_sessions: float,
    traffic_share: float = 1.0,
    design: ExperimentDesign = DEFAULT_DESIGN,
    weeks: Iterable[int] = range(1, MAX_RECOMMENDED_WEEKS + 1),
) -> pd.DataFrame:
    """MDE by test length: the planning table (weeks 1..8) and the MDE-against-weeks chart data.

    Columns:
        weeks: whole weeks of running.
        visitors_per_variant: visitors each variant collects by then (rounded down).
        mde_relative: smallest detectable relative increase (0.1 = +10%); <NA> if none.
        mde_absolute: the same in metric units (rate points or currency); <NA> if none.
    """
    baseline = _check_baseline(baseline)
    daily, share = _check_traffic(daily_sessions, traffic_share)
    rows: list[dict[str, object]] = []
    for week in weeks:
        length = as_count(week, "Number of weeks", minimum=1)
        visitors = math.floor(length * 7 * daily * share * design.variant_fraction + 1e-9)
        units = baseline.units_for_visitors(visitors)
        if units < _minimum_per_variant(design):
            mde = None
        else:
            mde = mde_for_sample_size(baseline, units, design=design)
        rows.append(
            {
                "weeks": length,
                "visitors_per_variant": visitors,
                "mde_relative": None if mde is None else mde.relative,
                "mde_absolute": None if mde is None else mde.absolute,
            }
        )
    frame = pd.DataFrame(rows, columns=list(MDE_TABLE_COLUMNS))
    return frame.astype(
        {
            "weeks": "int64",
            "visitors_per_variant": "int64",
            "mde_relative": "Float64",
            "mde_absolute": "Float64",
        }
    )


def power_curve(
    baseline: Baseline,
    mde: float,
    *,
    relative: bool = True,
    design: ExperimentDesign = DEFAULT_DESIGN,
    per_variant: Sequence[float] | None = None,
    points: int = 40,
) -> pd.DataFrame:
    """Power against sample size, for a chart.

    Columns:
        per_variant: units per variant (visitors; orders for AOV).
        power: power of each variant-versus-control comparison at that size.

    Without `per_variant` the grid runs from a twentieth to twice the required sample.
    """
    baseline = _check_baseline(baseline)
    target = target_value(baseline, mde, relative=relative)
    minimum = _minimum_per_variant(design)
    if per_variant is None:
        count = as_count(points, "Number of points", minimum=2)
        needed = sample_size(baseline, mde, relative=relative, design=design).per_variant_exact
        grid = np.unique(np.ceil(np.linspace(max(minimum, needed / 20), needed * 2, count)))
        sizes = [float(size) for size in grid]
    else:
        sizes = [_check_per_variant(size, design) for size in per_variant]
    power_of_n = _power_function(baseline, target, design)
    return pd.DataFrame(
        {"per_variant": sizes, "power": [power_of_n(size) for size in sizes]},
        columns=list(POWER_CURVE_COLUMNS),
    )


# --- duration ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentDuration:
    """How long a test must run to collect `total_visitors`.

    `days` is at least one full week; `weeks` rounds up to whole weeks so every weekday is
    covered equally; `recommended_days` is `weeks * 7`.
    """

    total_visitors: int
    daily_visitors_in_test: float

    @property
    def days_exact(self) -> float:
        return self.total_visitors / self.daily_visitors_in_test

    @property
    def days(self) -> int:
        return max(MIN_TEST_DAYS, _ceil(self.days_exact))

    @property
    def weeks(self) -> int:
        return math.ceil(self.days / 7)

    @property
    def recommended_days(self) -> int:
        return self.weeks * 7

    @property
    def warning(self) -> str | None:
        if self.weeks <= MAX_RECOMMENDED_WEEKS:
            return None
        return (
            f"This test needs {self.weeks} weeks, more than {MAX_RECOMMENDED_WEEKS}: over that "
            "long cookies expire and seasons change. Test a bolder change (a larger MDE), put "
            "more traffic in the test, or use fewer variants."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_visitors": self.total_visitors,
            "daily_visitors_in_test": self.daily_visitors_in_test,
            "days_exact": self.days_exact,
            "days": self.days,
            "weeks": self.weeks,
            "recommended_days": self.recommended_days,
            "warning": self.warning,
        }


def estimate_duration(
    total_visitors: float, *, daily_sessions: float, traffic_share: float = 1.0
) -> ExperimentDuration:
    """Days and whole weeks to collect `total_visitors` (all arms) from daily sessions."""
    visitors = _ceil(as_positive(total_visitors, "Total visitors"))
    daily, share = _check_traffic(daily_sessions, traffic_share)
    return ExperimentDuration(total_visitors=visitors, daily_visitors_in_test=daily * share)


def duration_for(
    size: SampleSize, *, daily_sessions: float, traffic_share: float = 1.0
) -> ExperimentDuration:
    """The duration of a planned test (AOV needs the baseline conversion rate)."""
    visitors = size.visitors_total
    if visitors is None:
        raise InvalidInputError(
            "An average order value test counts orders: give the baseline conversion rate "
            "to turn them into visitors and days."
        )
    return estimate_duration(visitors, daily_sessions=daily_sessions, traffic_share=traffic_share)
