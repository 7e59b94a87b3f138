"""What a test measures: a conversion-rate or a continuous (revenue per visitor, average order
value) baseline, and the variant's value that a minimum detectable effect implies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, TypeAlias

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning.inputs import _percent, _shown, as_fraction, as_number, as_positive


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
