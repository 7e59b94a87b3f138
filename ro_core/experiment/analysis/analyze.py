"""The analysis's entry points: analyse a test from per-arm sufficient statistics, or from a
per-variant summary frame (one row per arm)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis.corrections import benjamini_hochberg_adjusted, holm_adjusted
from ro_core.experiment.analysis.frequentist import (
    compare_average_order_value,
    compare_conversion,
    compare_revenue_per_visitor,
)
from ro_core.experiment.analysis.sequential import _with_sequential
from ro_core.experiment.analysis.srm import sample_ratio_check
from ro_core.experiment.analysis.types import (
    CONVERSIONS_COLUMN,
    REVENUE_SUM_COLUMN,
    REVENUE_SUM_SQUARES_COLUMN,
    SUMMARY_COLUMNS,
    VARIANT_COLUMN,
    VISITORS_COLUMN,
    ExperimentAnalysis,
    MetricComparison,
    MetricName,
    VariantData,
    VariantResult,
)
from ro_core.experiment.analysis.verdict import MIN_CONVERSIONS_PER_ARM, _verdict
from ro_core.experiment.planning import as_count, as_fraction, as_number, as_positive


def analyze_experiment(
    control: VariantData,
    variants: Sequence[VariantData],
    *,
    alpha: float = 0.05,
    planned_split: Sequence[float] | None = None,
    days: float | None = None,
    primary_metric: MetricName | None = None,
    sequential: bool = False,
    planned_visitors: float | None = None,
    min_conversions: int = MIN_CONVERSIONS_PER_ARM,
) -> ExperimentAnalysis:
    """Analyse a test from per-arm sufficient statistics.

    Args:
        control: the control arm.
        variants: one or more variants, each compared with control.
        alpha: significance level of each interval and of the (Holm-adjusted) verdict.
        planned_split: planned traffic weights, control first (default: even).
        days: days the test has run, if known (below 7 is flagged).
        primary_metric: "cr" or "rpv" for the verdict (default: "rpv" when revenue is given,
            since RPV = CR x AOV is what pays; otherwise "cr").
        sequential: add always-valid confidence sequences for the relative lift.
        planned_visitors: total planned visitors (all arms), which tunes the sequence; without
            it the sequence is tuned to the current sample, which is right for a single look.
        min_conversions: conversions each arm needs before the verdict calls a result.

    Returns:
        An ExperimentAnalysis with per-variant results, the SRM check and a Verdict.
    """
    if not isinstance(control, VariantData):
        raise InvalidInputError("The control must be a VariantData.")
    arms = list(variants)
    if not arms:
        raise InvalidInputError("Give at least one variant to compare with control.")
    if not all(isinstance(arm, VariantData) for arm in arms):
        raise InvalidInputError("Every variant must be a VariantData.")
    names = [control.name, *(arm.name for arm in arms)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInputError(f"Variant names must be unique; repeated: {', '.join(duplicates)}.")
    alpha = as_fraction(alpha, "Significance level (alpha)")
    min_conversions = as_count(min_conversions, "Minimum conversions per arm")
    if days is not None:
        days = as_number(days, "Days the test has run")
        if days < 0:
            raise InvalidInputError(f"Days the test has run cannot be negative, got {days:g}.")
    with_revenue = [arm.has_revenue for arm in (control, *arms)]
    if any(with_revenue) and not all(with_revenue):
        missing = ", ".join(a.name for a in (control, *arms) if not a.has_revenue)
        raise InvalidInputError(
            f"Revenue figures are missing for {missing}: give them for every arm."
        )
    has_revenue = all(with_revenue)
    primary = primary_metric or ("rpv" if has_revenue else "cr")
    if primary not in ("cr", "rpv"):
        raise InvalidInputError(f"The primary metric must be 'cr' or 'rpv', got {primary!r}.")
    if primary == "rpv" and not has_revenue:
        raise InvalidInputError("Revenue per visitor as primary metric needs revenue figures.")
    srm = sample_ratio_check(
        [control.visitors, *(arm.visitors for arm in arms)], planned_split, names=names
    )
    shares = srm.expected_shares
    planned = None
    if sequential and planned_visitors is not None:
        planned = as_positive(planned_visitors, "Planned visitors")

    per_metric: dict[str, list[MetricComparison | None]] = {"cr": [], "rpv": [], "aov": []}
    for index, arm in enumerate(arms, start=1):
        per_metric["cr"].append(compare_conversion(control, arm, alpha=alpha))
        per_metric["rpv"].append(
            compare_revenue_per_visitor(control, arm, alpha=alpha) if has_revenue else None
        )
        per_metric["aov"].append(
            compare_average_order_value(control, arm, alpha=alpha) if has_revenue else None
        )
        if sequential:
            in_pair = control.visitors + arm.visitors
            pair_plan = in_pair if planned is None else planned * (shares[0] + shares[index])
            for key in ("cr", "rpv"):
                comparison = per_metric[key][-1]
                if comparison is not None:
                    per_metric[key][-1] = _with_sequential(comparison, in_pair, pair_plan, alpha)
    for key, comparisons in per_metric.items():
        raw = [None if c is None else c.p_value for c in comparisons]
        holm, bh = holm_adjusted(raw), benjamini_hochberg_adjusted(raw)
        per_metric[key] = [
            None if c is None else replace(c, p_value_holm=h, p_value_bh=b)
            for c, h, b in zip(comparisons, holm, bh, strict=True)
        ]
    results = []
    for index, arm in enumerate(arms):
        conversion = per_metric["cr"][index]
        assert conversion is not None
        results.append(
            VariantResult(
                name=arm.name,
                visitors=arm.visitors,
                conversions=arm.conversions,
                conversion=conversion,
                revenue_per_visitor=per_metric["rpv"][index],
                average_order_value=per_metric["aov"][index],
            )
        )
    verdict = _verdict(
        control,
        arms,
        results,
        srm,
        alpha=alpha,
        primary=primary,
        days=days,
        min_conversions=min_conversions,
    )
    return ExperimentAnalysis(
        control=control,
        variants=tuple(results),
        srm=srm,
        verdict=verdict,
        alpha=alpha,
        primary_metric=primary,
        days=days,
    )


def variants_from_frame(frame: pd.DataFrame) -> list[VariantData]:
    """VariantData per row of a summary frame with SUMMARY_COLUMNS (revenue columns optional)."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError("The variant summary must be a table (DataFrame).")
    required = (VARIANT_COLUMN, VISITORS_COLUMN, CONVERSIONS_COLUMN)
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"The variant summary is missing column(s): {', '.join(missing)}; expected "
            f"{', '.join(SUMMARY_COLUMNS)}."
        )
    if len(frame) < 2:
        raise InvalidInputError("The variant summary needs a control row and at least one variant.")
    revenue_columns = [
        c for c in (REVENUE_SUM_COLUMN, REVENUE_SUM_SQUARES_COLUMN) if c in frame.columns
    ]
    use_revenue = len(revenue_columns) == 2 and not frame[revenue_columns].isna().all().all()
    arms = []
    for record in frame.to_dict("records"):
        revenue = squares = None
        if use_revenue:
            revenue, squares = record[REVENUE_SUM_COLUMN], record[REVENUE_SUM_SQUARES_COLUMN]
            revenue = None if pd.isna(revenue) else revenue
            squares = None if pd.isna(squares) else squares
        arms.append(
            VariantData(
                name=str(record[VARIANT_COLUMN]),
                visitors=record[VISITORS_COLUMN],
                conversions=record[CONVERSIONS_COLUMN],
                revenue_sum=revenue,
                revenue_sum_squares=squares,
            )
        )
    return arms


def analyze_summary_frame(
    frame: pd.DataFrame, *, control: str | None = None, **options: Any
) -> ExperimentAnalysis:
    """Analyse a per-variant summary frame (columns SUMMARY_COLUMNS, one row per arm).

    `control` names the control row (default: the first row); `options` go to
    analyze_experiment.
    """
    arms = variants_from_frame(frame)
    if control is None:
        control_arm = arms[0]
    else:
        matches = [arm for arm in arms if arm.name == str(control)]
        if not matches:
            raise InvalidInputError(f"No row for control {control!r} in the variant summary.")
        control_arm = matches[0]
    others = [arm for arm in arms if arm is not control_arm]
    return analyze_experiment(control_arm, others, **options)
