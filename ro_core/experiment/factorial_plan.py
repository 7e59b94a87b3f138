"""Planning a multivariate (full factorial) test: combinations, visitors and weeks it needs.

Each visitor sees one level of every factor (headline A/B x button colour A/B/C = 6
combinations). A factor's main effect compares one of its levels with its first level, averaged
over the other factors; a two-way interaction is the difference of differences between two
factors' levels (does the headline's effect change with the button colour?). With N visitors
split evenly over the combinations and a per-visitor variance s^2, the effects' variances are

- main effect of a factor with L levels (N / L visitors on each side): 2 L s^2 / N;
- interaction of factors with L1 and L2 levels (four cells of N / (L1 L2)): 4 L1 L2 s^2 / N,

so N = variance factor x s^2 x (z_alpha + z_power)^2 / delta^2 (normal approximation, on the
difference scale). For two 2-level factors an interaction of the same size as a main effect needs
4 times the visitors. Alpha is split (Bonferroni) across every effect the analysis reports, since
the analysis adjusts their p-values (Holm). s^2 is p(1 - p) at the average of the baseline and
target rates for conversion, the per-visitor standard deviation squared for revenue per visitor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from scipy import special

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning import (
    MAX_RECOMMENDED_WEEKS,
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDuration,
    as_fraction,
    as_number,
    estimate_duration,
)

MAX_FACTORS = 6
MAX_LEVELS = 10
MAX_COMBINATIONS_ADVISED = 8


@dataclass(frozen=True)
class Factor:
    """One thing being varied and its levels; the first level is the reference (control)."""

    name: str
    levels: tuple[str, ...]

    def __post_init__(self) -> None:
        name = str(self.name).strip()
        levels = tuple(str(level).strip() for level in self.levels if str(level).strip())
        if not name:
            raise InvalidInputError("Every factor needs a name (e.g. headline).")
        if len(levels) < 2:
            raise InvalidInputError(f"Factor '{name}' needs at least two levels (e.g. A, B).")
        if len(set(levels)) != len(levels):
            raise InvalidInputError(f"Factor '{name}' repeats a level: {', '.join(levels)}.")
        if len(levels) > MAX_LEVELS:
            raise InvalidInputError(f"Factor '{name}' has {len(levels)} levels; at most 10.")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "levels", levels)


def parse_factors(text: str) -> tuple[Factor, ...]:
    """Factors from text: one per line or ';'-separated, 'name: level, level' (e.g.
    'headline: A, B; button: green, blue, red'). A bare number of levels ('button: 3') names
    them A, B, C."""
    factors = []
    for position, chunk in enumerate(text.replace(";", "\n").splitlines()):
        chunk = chunk.strip()
        if not chunk:
            continue
        name, _, levels_text = chunk.partition(":")
        if not levels_text.strip():
            raise InvalidInputError(
                f"Write each factor as 'name: level, level', got '{chunk[:60]}'."
            )
        levels_text = levels_text.strip()
        if levels_text.isdigit():
            count = int(levels_text)
            if not 2 <= count <= MAX_LEVELS:
                raise InvalidInputError(f"Factor '{name.strip()}' needs 2 to 10 levels.")
            levels = tuple(chr(ord("A") + i) for i in range(count))
        else:
            levels = tuple(level.strip() for level in levels_text.split(","))
        factors.append(Factor(name.strip() or f"factor {position + 1}", levels))
    return check_factors(factors)


def check_factors(factors: Sequence[Factor]) -> tuple[Factor, ...]:
    """At least one and at most MAX_FACTORS factors with distinct names."""
    result = tuple(factors)
    if not result:
        raise InvalidInputError("Give at least one factor with its levels (e.g. headline: A, B).")
    if len(result) > MAX_FACTORS:
        raise InvalidInputError(f"At most {MAX_FACTORS} factors, got {len(result)}.")
    names = [factor.name.casefold() for factor in result]
    if len(set(names)) != len(names):
        raise InvalidInputError("Two factors have the same name: give each its own.")
    return result


def effect_count(factors: Sequence[Factor]) -> int:
    """Effects the analysis reports: each non-reference level, each pair of them."""
    mains = sum(len(f.levels) - 1 for f in factors)
    pairs = sum((len(a.levels) - 1) * (len(b.levels) - 1) for a, b in combinations(factors, 2))
    return mains + pairs


@dataclass(frozen=True)
class EffectNeed:
    """Visitors (all combinations together) to detect one effect."""

    term: str
    kind: str  # "main" or "interaction"
    visitors: int

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "kind": self.kind, "visitors": self.visitors}


@dataclass(frozen=True)
class FactorialPlan:
    """What a full factorial test needs. `visitors_total` is the largest need among the effects
    planned for (interactions only when an interaction MDE was given)."""

    factors: tuple[Factor, ...]
    metric: str
    baseline_value: float
    main_mde: float
    interaction_mde: float | None
    alpha: float
    power: float
    alpha_per_effect: float
    needs: tuple[EffectNeed, ...]
    duration: ExperimentDuration | None
    advice: tuple[str, ...]

    @property
    def combinations(self) -> int:
        return math.prod(len(f.levels) for f in self.factors)

    @property
    def visitors_main(self) -> int:
        return max(n.visitors for n in self.needs if n.kind == "main")

    @property
    def visitors_interaction(self) -> int | None:
        values = [n.visitors for n in self.needs if n.kind == "interaction"]
        return max(values) if values else None

    @property
    def visitors_total(self) -> int:
        planned = [n.visitors for n in self.needs if n.kind == "main"]
        if self.interaction_mde is not None and self.visitors_interaction is not None:
            planned.append(self.visitors_interaction)
        return max(planned)

    @property
    def visitors_per_combination(self) -> int:
        return math.ceil(self.visitors_total / self.combinations)

    @property
    def too_many(self) -> bool:
        weeks = self.duration.weeks if self.duration is not None else 0
        return self.combinations > MAX_COMBINATIONS_ADVISED or weeks > MAX_RECOMMENDED_WEEKS

    def to_dict(self) -> dict[str, Any]:
        return {
            "factors": [{"name": f.name, "levels": list(f.levels)} for f in self.factors],
            "metric": self.metric,
            "baseline_value": self.baseline_value,
            "main_mde": self.main_mde,
            "interaction_mde": self.interaction_mde,
            "alpha": self.alpha,
            "power": self.power,
            "alpha_per_effect": self.alpha_per_effect,
            "combinations": self.combinations,
            "visitors_main": self.visitors_main,
            "visitors_interaction": self.visitors_interaction,
            "visitors_total": self.visitors_total,
            "visitors_per_combination": self.visitors_per_combination,
            "needs": [n.to_dict() for n in self.needs],
            "duration": None if self.duration is None else self.duration.to_dict(),
            "too_many": self.too_many,
            "advice": list(self.advice),
        }


def _variance_and_delta(
    baseline: ConversionBaseline | ContinuousBaseline, relative_mde: float
) -> tuple[float, float]:
    if isinstance(baseline, ConversionBaseline):
        p1 = baseline.rate
        p2 = p1 * (1 + relative_mde)
        if not 0 < p2 < 1:
            raise InvalidInputError(
                f"A {relative_mde:+.0%} change of a {p1:.2%} conversion rate is not a rate."
            )
        return (p1 * (1 - p1) + p2 * (1 - p2)) / 2, abs(p2 - p1)
    if not isinstance(baseline, ContinuousBaseline):
        raise InvalidInputError("The baseline must be a conversion rate or a mean with its sd.")
    return baseline.sd**2, abs(baseline.mean * relative_mde)


def _visitors(variance_factor: float, variance: float, z: float, delta: float) -> int:
    return math.ceil(round(variance_factor * variance * z**2 / delta**2, 6))


def plan_factorial(
    factors: Sequence[Factor],
    baseline: ConversionBaseline | ContinuousBaseline,
    main_mde: object,
    *,
    interaction_mde: object | None = None,
    alpha: object = 0.05,
    power: object = 0.8,
    correct_for_effects: bool = True,
    daily_sessions: object | None = None,
    traffic_share: object = 1.0,
) -> FactorialPlan:
    """Visitors and weeks a full factorial test needs.

    Args:
        factors: the factors and their levels (first level = reference).
        baseline: the store's conversion rate, or RPV mean and per-visitor sd.
        main_mde: smallest main effect worth detecting, relative (0.1 = +10%).
        interaction_mde: smallest interaction (difference of relative lifts) worth detecting;
            None plans for main effects only (interactions are still reported).
        alpha, power: two-sided significance level and power.
        correct_for_effects: split alpha across the reported effects (Bonferroni).
        daily_sessions, traffic_share: the store's traffic, for the duration.
    """
    factors = check_factors(factors)
    main = abs(float(as_number(main_mde, "Main-effect MDE")))
    if main == 0:
        raise InvalidInputError("The main-effect MDE must not be 0.")
    inter = None
    if interaction_mde is not None:
        inter = abs(float(as_number(interaction_mde, "Interaction MDE")))
        if inter == 0:
            raise InvalidInputError("The interaction MDE must not be 0.")
    alpha_value = as_fraction(alpha, "Significance level (alpha)")
    power_value = as_fraction(power, "Power")
    m = effect_count(factors) if correct_for_effects else 1
    per_effect = alpha_value / m
    z = float(special.ndtri(1 - per_effect / 2) + special.ndtri(power_value))
    variance, delta = _variance_and_delta(baseline, main)
    needs = [
        EffectNeed(f.name, "main", _visitors(2 * len(f.levels), variance, z, delta))
        for f in factors
    ]
    inter_variance, inter_delta = _variance_and_delta(baseline, inter if inter else main)
    for a, b in combinations(factors, 2):
        needs.append(
            EffectNeed(
                f"{a.name}:{b.name}",
                "interaction",
                _visitors(4 * len(a.levels) * len(b.levels), inter_variance, z, inter_delta),
            )
        )
    partial = FactorialPlan(
        factors,
        baseline.metric,
        baseline.value,
        main,
        inter,
        alpha_value,
        power_value,
        per_effect,
        tuple(needs),
        None,
        (),
    )
    duration = None
    if daily_sessions is not None:
        duration = estimate_duration(
            partial.visitors_total, daily_sessions=daily_sessions, traffic_share=traffic_share
        )
    plan = replace(partial, duration=duration)
    return replace(plan, advice=_advice(plan, baseline, daily_sessions, traffic_share))


def _weeks(visitors: int, daily_sessions: object | None, traffic_share: object) -> int | None:
    if daily_sessions is None:
        return None
    return estimate_duration(
        visitors, daily_sessions=daily_sessions, traffic_share=traffic_share
    ).weeks


def _advice(
    plan: FactorialPlan,
    baseline: ConversionBaseline | ContinuousBaseline,
    daily_sessions: object | None,
    traffic_share: object,
) -> tuple[str, ...]:
    """What to do when the test is too big: fewer levels, a fractional design, main effects."""
    advice: list[str] = []
    weeks = plan.duration.weeks if plan.duration is not None else None
    if plan.interaction_mde is not None and plan.visitors_interaction is not None:
        ratio = plan.visitors_interaction / plan.visitors_main
        advice.append(
            f"Interactions need {ratio:.1f} times the visitors of a main effect: "
            f"{plan.visitors_main:,} visitors detect the main effects, "
            f"{plan.visitors_interaction:,} the interactions."
        )
    if not plan.too_many:
        return tuple(advice)
    reason = (
        f"{plan.combinations} combinations"
        + (f" and {weeks} weeks" if weeks is not None else "")
        + " is a lot for one test."
    )
    advice.append(reason)
    for factor in plan.factors:
        if len(factor.levels) > 2:
            fewer = [Factor(f.name, f.levels[:2]) if f is factor else f for f in plan.factors]
            smaller = plan_factorial(
                fewer,
                baseline,
                plan.main_mde,
                interaction_mde=plan.interaction_mde,
                alpha=plan.alpha,
                power=plan.power,
                correct_for_effects=plan.alpha_per_effect < plan.alpha,
            )
            shorter = _weeks(smaller.visitors_total, daily_sessions, traffic_share)
            advice.append(
                f"Fewer levels: keep two levels of {factor.name} "
                f"({smaller.combinations} combinations, {smaller.visitors_total:,} visitors"
                + (f", {shorter} weeks" if shorter is not None else "")
                + ")."
            )
    two_level = [f for f in plan.factors if len(f.levels) == 2]
    if len(two_level) >= 3:
        advice.append(
            f"A half-fraction design runs {plan.combinations // 2} of the combinations: main "
            "effects stay clear, but each two-way interaction is mixed up (aliased) with another "
            "effect, so use it only when you expect the factors not to interact."
        )
    if plan.interaction_mde is not None:
        main_weeks = _weeks(plan.visitors_main, daily_sessions, traffic_share)
        advice.append(
            f"Plan for main effects only: {plan.visitors_main:,} visitors"
            + (f" ({main_weeks} weeks)" if main_weeks is not None else "")
            + "; interactions are then reported but only large ones will show."
        )
    advice.append("Or test the factors one after the other as plain A/B tests.")
    return tuple(advice)
