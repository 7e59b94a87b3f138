"""'What now?' after reading a test: more visitors needed, days remaining, segments, outlier cap,
and why a high chance to beat control and 'no clear winner' can both be true.

Numbers in, numbers out (per-arm sufficient statistics from ``analysis``); no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis import (
    ExperimentAnalysis,
    MetricComparison,
    VariantData,
    benjamini_hochberg_adjusted,
    compare_conversion,
    compare_revenue_per_visitor,
    variants_from_frame,
)
from ro_core.experiment.planning import (
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDesign,
    as_count,
    as_number,
    as_positive,
    sample_size,
)
from ro_core.numbers import finite_or_none

SEGMENT_RESULT_COLUMNS: tuple[str, ...] = (
    "segment",
    "variant",
    "visitors",
    "control_value",
    "variant_value",
    "relative_lift",
    "ci_low",
    "ci_high",
    "p_value",
    "p_bh",
)
SEGMENT_WARNING = (
    "Segments are one test cut into pieces, not separate tests: with {count} segments, one "
    "can look like a win by luck alone. p (BH) adjusts for looking at all of them; even a "
    "segment that survives it is a hypothesis for a new test aimed at that segment, not a "
    "result to ship on."
)


def _pct(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:{'+' if signed else ''}.1f}%"


# --- more visitors for an inconclusive result -------------------------------------------------


@dataclass(frozen=True)
class MoreVisitors:
    """Visitors (and days) still needed to confirm the observed lift at the planned power."""

    variant: str
    metric: str
    observed_lift: float | None
    needed_per_variant: int | None
    have_per_variant: int
    more_per_variant: int | None
    more_total: int | None
    days_more: int | None
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "metric": self.metric,
            "observed_lift": finite_or_none(self.observed_lift),
            "needed_per_variant": self.needed_per_variant,
            "have_per_variant": self.have_per_variant,
            "more_per_variant": self.more_per_variant,
            "more_total": self.more_total,
            "days_more": self.days_more,
            "sentence": self.sentence,
        }


def more_visitors_needed(
    analysis: ExperimentAnalysis,
    *,
    power: float = 0.8,
    daily_visitors: float | None = None,
    metric: str | None = None,
) -> tuple[MoreVisitors, ...]:
    """For each variant: visitors per arm that would detect its observed lift with `power`.

    The observed lift is taken as the true one (the question is "if the lift is real, how long
    until the test shows it?"); alpha and the Bonferroni split across variants are the
    analysis's. `daily_visitors` is the test's visitors per day (all arms); without it, it is
    the visitors so far over the days run, when the analysis knows the days.
    """
    metric = metric or analysis.primary_metric
    control = analysis.control
    arms = len(analysis.variants) + 1
    visitors_so_far = control.visitors + sum(v.visitors for v in analysis.variants)
    daily = None
    if daily_visitors is not None:
        daily = as_positive(daily_visitors, "Visitors a day in the test")
    elif analysis.days:
        daily = visitors_so_far / analysis.days
    design = ExperimentDesign(alpha=analysis.alpha, power=power, variants=len(analysis.variants))
    results = []
    for result in analysis.variants:
        comparison = result.metric(metric)
        lift = None if comparison is None else comparison.relative_lift
        base = MoreVisitors(result.name, metric, lift, None, result.visitors, None, None, None, "")
        if comparison is None or lift is None or lift == 0:
            results.append(_with(base, sentence=f"{result.name} shows no lift to confirm."))
            continue
        try:
            if metric == "cr":
                baseline: ConversionBaseline | ContinuousBaseline = ConversionBaseline(
                    control.conversion_rate
                )
            else:
                variance = control.rpv_variance
                if variance is None or not control.revenue_per_visitor:
                    raise InvalidInputError("no revenue spread")
                baseline = ContinuousBaseline(control.revenue_per_visitor, math.sqrt(variance))
            size = sample_size(baseline, lift, design=design)
        except InvalidInputError:
            results.append(
                _with(
                    base,
                    sentence=f"{result.name}'s lift of {_pct(lift)} is too small to "
                    "confirm with any sample this store can collect.",
                )
            )
            continue
        needed = size.per_variant
        more = max(0, needed - min(result.visitors, control.visitors))
        total = more * arms
        days = math.ceil(total / daily) if daily and total else (0 if total == 0 else None)
        if more == 0:
            sentence = (
                f"{result.name} already has the {needed:,} visitors per arm that detect a "
                f"{_pct(lift)} lift {design.power:.0%} of the time: the lift seen is likely "
                "smaller than it looks, or noise. More data will not change the call much."
            )
        else:
            sentence = (
                f"If {result.name}'s {_pct(lift)} lift is real, the test needs about "
                f"{needed:,} visitors per arm to show it {design.power:.0%} of the time: "
                f"{more:,} more per arm ({total:,} in all)"
                + (f", about {days} more days at the current traffic" if days else "")
                + "."
            )
        results.append(
            _with(
                base,
                needed_per_variant=needed,
                more_per_variant=more,
                more_total=total,
                days_more=days,
                sentence=sentence,
            )
        )
    return tuple(results)


def _with(base: MoreVisitors, **changes: Any) -> MoreVisitors:
    return MoreVisitors(**{**base.__dict__, **changes})


# --- days remaining for a running test --------------------------------------------------------


@dataclass(frozen=True)
class DaysRemaining:
    """How long a running test still has to go, from its plan and its pace so far."""

    days_run: int
    visitors_so_far: int
    planned_visitors: int | None
    planned_days: int | None
    days_remaining: int
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def days_remaining(
    *,
    days_run: object,
    visitors_so_far: object,
    planned_visitors: object | None = None,
    planned_days: object | None = None,
) -> DaysRemaining:
    """Days left: the larger of the planned days not yet run and the days the current pace needs
    to reach the planned visitors (a test never stops before its planned duration)."""
    run = as_count(days_run, "Days the test has run", minimum=1)
    so_far = as_count(visitors_so_far, "Visitors so far", minimum=1)
    target = None if planned_visitors is None else as_count(planned_visitors, "Planned visitors")
    days = None if planned_days is None else as_count(planned_days, "Planned days", minimum=1)
    if target is None and days is None:
        raise InvalidInputError("Give the planned visitors or the planned days.")
    by_days = max(0, days - run) if days is not None else 0
    by_visitors = 0
    if target is not None and target > so_far:
        by_visitors = math.ceil((target - so_far) / (so_far / run))
    remaining = max(by_days, by_visitors)
    if remaining == 0:
        sentence = f"The test has reached its plan after {run} days: read the result now."
    else:
        pace = f"{so_far / run:,.0f} visitors a day"
        sentence = f"About {remaining} more day{'s' * (remaining != 1)} at {pace}"
        if target is not None:
            sentence += f" to reach the planned {target:,} visitors (now {so_far:,})"
        if days is not None and by_days >= by_visitors:
            sentence += f"; the plan runs {days} days in all"
        sentence += ". Do not stop early on a good-looking result."
    return DaysRemaining(run, so_far, target, days, remaining, sentence)


# --- segments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentResults:
    """Every variant against control within each segment, BH-adjusted across segments."""

    metric: str
    table: pd.DataFrame  # SEGMENT_RESULT_COLUMNS
    warning: str

    def to_dict(self) -> dict[str, Any]:
        table = self.table.astype(object).where(self.table.notna(), None)
        return {
            "metric": self.metric,
            "warning": self.warning,
            "rows": [
                {k: (finite_or_none(v) if isinstance(v, float) else v) for k, v in row.items()}
                for row in table.to_dict("records")
            ],
        }


def segment_results(
    frame: pd.DataFrame, *, metric: str = "cr", alpha: float = 0.05, control: str | None = None
) -> SegmentResults:
    """Per-segment comparisons from a frame with 'segment' and the summary columns.

    Control is `control` or each segment's first row. Segments missing an arm, or with under 2
    visitors in one, are listed without figures. p (BH) adjusts each variant's p-values across
    the segments.
    """
    if "segment" not in frame.columns:
        raise InvalidInputError("The segment table needs a 'segment' column.")
    if metric not in ("cr", "rpv"):
        raise InvalidInputError(f"The metric must be 'cr' or 'rpv', got {metric!r}.")
    rows: list[dict[str, Any]] = []
    for segment, part in frame.groupby("segment", sort=False):
        arms = variants_from_frame(part) if len(part) >= 2 else []
        if not arms:
            continue
        base = next((a for a in arms if a.name == control), arms[0]) if control else arms[0]
        for arm in arms:
            if arm is base:
                continue
            row: dict[str, Any] = {
                "segment": str(segment),
                "variant": arm.name,
                "visitors": arm.visitors + base.visitors,
            }
            comparison = _segment_comparison(base, arm, metric, alpha)
            if comparison is not None:
                row.update(
                    control_value=comparison.control_value,
                    variant_value=comparison.variant_value,
                    relative_lift=comparison.relative_lift,
                    ci_low=comparison.relative_ci_low,
                    ci_high=comparison.relative_ci_high,
                    p_value=comparison.p_value,
                )
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(SEGMENT_RESULT_COLUMNS))
    for variant, index in table.groupby("variant", sort=False).groups.items():
        del variant
        raw = [None if pd.isna(p) else float(p) for p in table.loc[index, "p_value"]]
        table.loc[index, "p_bh"] = [
            float("nan") if p is None else p for p in benjamini_hochberg_adjusted(raw)
        ]
    numeric = [c for c in SEGMENT_RESULT_COLUMNS if c not in ("segment", "variant")]
    table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce").astype("float64")
    count = table["segment"].nunique()
    return SegmentResults(metric, table, SEGMENT_WARNING.format(count=count))


def _segment_comparison(
    control: VariantData, variant: VariantData, metric: str, alpha: float
) -> MetricComparison | None:
    if metric == "cr":
        return compare_conversion(control, variant, alpha=alpha)
    if not (control.has_revenue and variant.has_revenue):
        return None
    return compare_revenue_per_visitor(control, variant, alpha=alpha)


# --- outlier cap --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CappedComparison:
    """Revenue per visitor with and without capping each visitor's revenue at a percentile."""

    variant: str
    percentile: float
    cap_value: float
    capped_visitors: int
    uncapped: MetricComparison
    capped: MetricComparison

    @property
    def sentence(self) -> str:
        return (
            f"{self.variant}: revenue per visitor {_pct(self.uncapped.relative_lift)} "
            f"(interval {_pct(self.uncapped.relative_ci_low)} to "
            f"{_pct(self.uncapped.relative_ci_high)}) as recorded; "
            f"{_pct(self.capped.relative_lift)} ({_pct(self.capped.relative_ci_low)} to "
            f"{_pct(self.capped.relative_ci_high)}) with each visitor's revenue capped at "
            f"{self.cap_value:,.2f}, the {self.percentile * 100:g}th percentile of buyers "
            f"({self.capped_visitors:,} visitors above it). When the two disagree, a few large "
            "orders drive the result."
        )

    def to_dict(self) -> dict[str, Any]:
        def part(c: MetricComparison) -> dict[str, Any]:
            return {
                "lift": finite_or_none(c.relative_lift),
                "ci_low": finite_or_none(c.relative_ci_low),
                "ci_high": finite_or_none(c.relative_ci_high),
                "p_value": finite_or_none(c.p_value),
            }

        return {
            "variant": self.variant,
            "percentile": self.percentile,
            "cap_value": self.cap_value,
            "capped_visitors": self.capped_visitors,
            "uncapped": part(self.uncapped),
            "capped": part(self.capped),
            "sentence": self.sentence,
        }


def capped_comparisons(
    uncapped: pd.DataFrame,
    capped: pd.DataFrame,
    *,
    percentile: float,
    cap_value: float,
    capped_visitors: int,
    alpha: float = 0.05,
) -> tuple[CappedComparison, ...]:
    """RPV of each variant against the first row, from the plain and the capped summaries."""
    plain, cut = variants_from_frame(uncapped), variants_from_frame(capped)
    if [a.name for a in plain] != [a.name for a in cut]:
        raise InvalidInputError("The capped and uncapped summaries must list the same arms.")
    value = as_number(cap_value, "Cap value")
    results = []
    for before, after in zip(plain[1:], cut[1:], strict=True):
        results.append(
            CappedComparison(
                before.name,
                float(percentile),
                value,
                int(capped_visitors),
                compare_revenue_per_visitor(plain[0], before, alpha=alpha),
                compare_revenue_per_visitor(cut[0], after, alpha=alpha),
            )
        )
    return tuple(results)


# --- chance to beat control beside "no clear winner" -------------------------------------------


def chance_versus_significance(comparison: MetricComparison, name: str) -> str | None:
    """Why 'chance to beat control' can be high while the verdict says 'no clear winner'.

    None when there is nothing to reconcile (the result is significant, or no chance is known).
    """
    chance = comparison.chance_to_beat_control
    if chance is None or comparison.is_significant:
        return None
    low, high = comparison.relative_ci_low, comparison.relative_ci_high
    needed = 1 - comparison.alpha / 2
    interval = (
        f" the {1 - comparison.alpha:.0%} interval ({_pct(low)} to {_pct(high)}) still includes "
        "no change"
        if low is not None and high is not None
        else " the data cannot yet rule out no change"
    )
    leaning = "better" if chance >= 0.5 else "worse"
    return (
        f"{name}'s chance to beat control is {chance:.0%}, yet there is no clear winner; both "
        "are true: "
        f"the chance says {name} is more likely {leaning} than not, while 'no clear winner' "
        f"means{interval}, so shipping it could still lose money. At this significance level a "
        f"winner needs a chance of about {needed:.1%} or more; {chance:.0%} means "
        f"a {1 - chance:.0%} chance the variant is actually worse."
    )


def reading_notes(analysis: ExperimentAnalysis) -> tuple[str, ...]:
    """The chance-versus-significance sentence for each variant's primary metric."""
    notes = []
    for result in analysis.variants:
        comparison = result.metric(analysis.primary_metric)
        if comparison is None:
            continue
        note = chance_versus_significance(comparison, result.name)
        if note:
            notes.append(note)
    return tuple(notes)
