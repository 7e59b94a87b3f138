"""The verdict: guardrails first (sample ratio mismatch, too few conversions, under a week,
conversion up but revenue per visitor down, underpowered), then the primary metric's reading
in one plain-language headline."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis.types import (
    METRIC_LABELS,
    MetricComparison,
    SampleRatioCheck,
    Status,
    VariantData,
    VariantResult,
    Verdict,
    _p_text,
    _pct,
)
from ro_core.experiment.planning import (
    MIN_TEST_DAYS,
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDesign,
    mde_for_sample_size,
)

MIN_CONVERSIONS_PER_ARM = 100


GUARDRAIL_POWER = 0.8


def _detectable_relative_lift(
    control: VariantData, variant: VariantData, metric: str, alpha: float, variants: int
) -> float | None:
    """Relative lift this sample detects with GUARDRAIL_POWER (Bonferroni across variants)."""
    try:
        if metric == "cr":
            baseline: ConversionBaseline | ContinuousBaseline = ConversionBaseline(
                control.conversion_rate
            )
        else:
            variance = control.rpv_variance
            if variance is None or not control.revenue_per_visitor:
                return None
            baseline = ContinuousBaseline(control.revenue_per_visitor, math.sqrt(variance))
        ratio = control.visitors / variant.visitors
        design = ExperimentDesign(
            alpha=alpha,
            power=GUARDRAIL_POWER,
            variants=variants,
            correction="bonferroni",
            control_share=ratio / (variants + ratio),
        )
        return mde_for_sample_size(baseline, variant.visitors, design=design).relative
    except InvalidInputError:
        return None


def _value_text(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return _pct(value, 2, signed=False) if metric == "cr" else f"{value:,.2f}"


def _lift_text(comparison: MetricComparison, *, with_interval: bool = False) -> str:
    """'+16.7% (3.00% -> 3.50%)', optionally with the relative interval."""
    values = (
        f"{_value_text(comparison.metric, comparison.control_value)} -> "
        f"{_value_text(comparison.metric, comparison.variant_value)}"
    )
    if comparison.relative_lift is None:
        return values
    text = f"{_pct(comparison.relative_lift)} ({values}"
    low, high = comparison.relative_ci_low, comparison.relative_ci_high
    if with_interval and low is not None and high is not None:
        text += f"; {1 - comparison.alpha:.0%} CI {_pct(low)} to {_pct(high)}"
    return text + ")"


def _verdict(
    control: VariantData,
    arms: Sequence[VariantData],
    results: Sequence[VariantResult],
    srm: SampleRatioCheck,
    *,
    alpha: float,
    primary: str,
    days: float | None,
    min_conversions: int,
) -> Verdict:
    """Guardrails first (SRM, too few conversions, under a week), then the primary metric."""
    warnings: list[str] = []
    blockers: list[str] = []
    if srm.message:
        warnings.append(srm.message)
    few = [arm for arm in (control, *arms) if arm.conversions < min_conversions]
    if few:
        counts = ", ".join(f"{arm.name} has {arm.conversions}" for arm in few)
        warnings.append(
            f"Too few conversions to call: {counts}; wait for at least {min_conversions} per arm."
        )
        blockers.append(f"fewer than {min_conversions} conversions in an arm")
    if days is not None and days < MIN_TEST_DAYS:
        warnings.append(
            f"The test has run {days:g} days, less than a full week: weekday and weekend "
            "shoppers differ, so run it for at least 7 days."
        )
        blockers.append("less than a full week of data")
    revenue_drop: set[str] = set()
    for arm, result in zip(arms, results, strict=True):
        cr, rpv = result.conversion, result.revenue_per_visitor
        if rpv is not None and cr.direction > 0 and rpv.direction < 0:
            revenue_drop.add(result.name)
            warnings.append(
                f"{result.name} raises conversion rate ({_pct(cr.relative_lift or 0.0)}) but "
                f"lowers revenue per visitor ({_pct(rpv.relative_lift or 0.0)}): more orders of "
                "lower value. Revenue per visitor is what pays."
            )
        main = result.metric(primary)
        if main is None or main.relative_lift is None:
            continue
        detectable = _detectable_relative_lift(control, arm, primary, alpha, len(arms))
        if detectable is None:
            continue
        seen = abs(main.relative_lift)
        if not main.is_significant and seen < detectable:
            warnings.append(
                f"Underpowered for the effect seen: with these visitors the test reliably "
                f"detects only a lift of {_pct(detectable, signed=False)} or more in "
                f"{main.label}; {result.name}'s {_pct(main.relative_lift)} is smaller, so 'no "
                "significant difference' does not show there is no effect."
            )
        elif main.is_significant and seen < detectable:
            warnings.append(
                f"{result.name}'s {_pct(main.relative_lift)} is below the "
                f"{_pct(detectable, signed=False)} this test could reliably detect: significant "
                "results from underpowered tests usually overstate the effect."
            )

    def status(value: Status, headline: str) -> Verdict:
        return Verdict(value, headline, tuple(warnings))

    mains = [(r, r.metric(primary)) for r in results]
    mains = [(r, m) for r, m in mains if m is not None]
    label = METRIC_LABELS[primary]
    if srm.mismatch:
        return status(
            "invalid",
            f"Do not trust this test: the traffic split is off (sample ratio mismatch, "
            f"{_p_text(srm.p_value)}). Fix the assignment and restart.",
        )
    ahead = [(r, m) for r, m in mains if m.direction > 0]
    leader = max(ahead, key=lambda rm: rm[1].absolute_lift or 0.0, default=None)
    if blockers:
        headline = f"Too early to call: {' and '.join(blockers)}."
        if leader is not None:
            headline += f" {leader[0].name} is ahead on {label} so far: {_lift_text(leader[1])}."
        return status("inconclusive", headline)
    significant_up = [(r, m) for r, m in mains if m.is_significant and m.direction > 0]
    winners = [(r, m) for r, m in significant_up if r.name not in revenue_drop]
    losers = [(r, m) for r, m in mains if m.is_significant and m.direction < 0]
    if winners:
        best, metric = max(winners, key=lambda rm: rm[1].absolute_lift or 0.0)
        return status(
            "winner",
            f"{best.name} wins on {label}: {_lift_text(metric)}, "
            f"{_p_text(metric.decision_p_value)}.",
        )
    if significant_up:
        held, metric = significant_up[0]
        return status(
            "inconclusive",
            f"No winner on revenue: {held.name} converts better ({_lift_text(metric)}) but "
            "earns less per visitor.",
        )
    if losers and len(losers) == len(mains):
        worst, metric = min(losers, key=lambda rm: rm[1].absolute_lift or 0.0)
        names = " and ".join(r.name for r, _ in losers)
        return status(
            "loser",
            f"{names} {'loses' if len(losers) == 1 else 'lose'} to control on {label}: "
            f"{worst.name} {_lift_text(metric)}, {_p_text(metric.decision_p_value)}.",
        )
    if losers:
        names = " and ".join(r.name for r, _ in losers)
        return status(
            "inconclusive",
            f"No winner: {names} significantly worse than control on {label}; the rest show no "
            "clear difference.",
        )
    if not mains:
        return status("inconclusive", f"No {label} result could be computed.")
    shown = leader or max(mains, key=lambda rm: rm[1].absolute_lift or 0.0)
    return status(
        "inconclusive",
        f"No clear winner: {shown[0].name}'s {label} lift of "
        f"{_lift_text(shown[1], with_interval=True)} could be "
        f"noise ({_p_text(shown[1].decision_p_value)}).",
    )
