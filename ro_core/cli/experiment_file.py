"""`ro analyze --visitors FILE` and `ro sample-size --factors`: a visitor-level file (A/B/n with
CUPED, segments, an outlier cap and 'what now?'; or a multivariate test) and the multivariate plan.
Called by the handlers in ``ro_core.cli.experiment``."""

from __future__ import annotations

import argparse
import math
from typing import Any

from ro_core.cli.experiment import (
    _analysis_text,
    _baseline_from_args,
    _percent,
    _split_weights,
)
from ro_core.errors import InvalidInputError
from ro_core.experiment import ContinuousBaseline
from ro_core.experiment.analysis import MetricComparison, analyze_summary_frame
from ro_core.experiment.cuped import CupedResult, covariate_sums_from_frame, cuped_compare
from ro_core.experiment.factorial import FactorialAnalysis, analyze_factorial
from ro_core.experiment.factorial_plan import FactorialPlan, parse_factors, plan_factorial
from ro_core.experiment.orders_csv import (
    guess_columns,
    summarise_visitor_file,
    variant_csv_columns,
)
from ro_core.experiment.planning import as_number
from ro_core.experiment.what_now import (
    capped_comparisons,
    days_remaining,
    more_visitors_needed,
    reading_notes,
    segment_results,
)


def factorial_plan_report(args: argparse.Namespace) -> FactorialPlan:
    """The multivariate plan for `ro sample-size --factors ...`."""
    if args.absolute:
        raise InvalidInputError("A multivariate plan takes relative MDEs: leave out --absolute.")
    baseline = _baseline_from_args(args)
    if isinstance(baseline, ContinuousBaseline) and args.metric == "aov":
        raise InvalidInputError("A multivariate plan is for --metric cr or rpv.")
    return plan_factorial(
        parse_factors(args.factors),
        baseline,
        args.mde,
        interaction_mde=args.interaction_mde,
        alpha=args.alpha,
        power=args.power,
        daily_sessions=args.daily_sessions,
        traffic_share=args.traffic_share,
    )


def factorial_plan_text(plan: FactorialPlan) -> str:
    lines = [
        f"{plan.combinations} combinations of "
        + " x ".join(f"{f.name} ({len(f.levels)})" for f in plan.factors),
        f"Alpha {plan.alpha:g} split over the effects: {plan.alpha_per_effect:.4g} each; "
        f"power {plan.power:.0%}",
    ]
    for need in plan.needs:
        lines.append(f"  {need.kind} {need.term}: {need.visitors:,} visitors")
    lines.append(
        f"Plan: {plan.visitors_total:,} visitors ({plan.visitors_per_combination:,} per "
        "combination)"
    )
    if plan.duration is not None:
        lines.append(
            f"Duration: {plan.duration.days} days; run {plan.duration.weeks} full week(s)."
        )
    lines.extend(f"  - {advice}" for advice in plan.advice)
    return "\n".join(lines)


def _file_roles(args: argparse.Namespace) -> dict[str, Any]:
    """Column roles for the visitor file: as given, else guessed from the header."""
    columns = variant_csv_columns(args.visitors)
    guesses = guess_columns(columns)
    factors = [c.strip() for c in (args.factors or "").split(",") if c.strip()]
    if args.factors is not None and len(factors) < 1:
        raise InvalidInputError("--factors needs the factor columns, e.g. headline,button.")
    taken = set(factors)
    variant = None
    if not factors:
        variant = args.variant_column or guesses["variant"]
        if variant is None:
            raise InvalidInputError(
                "Name the variant column with --variant-column (or the factors with --factors)."
            )
        taken.add(variant)

    def role(given: str | None, key: str) -> str | None:
        if given is not None:
            return given
        guess = guesses[key]
        return guess if guess not in taken else None

    roles = {
        "variant_column": variant,
        "factor_columns": factors,
        "converted_column": role(args.converted_column, "converted"),
        "revenue_column": role(args.revenue_column, "revenue"),
        "visitor_column": args.visitor_column,
        "covariate_column": args.covariate,
        "segment_column": args.segment_column,
        "cap_percentile": None if args.cap is None else as_number(args.cap, "--cap"),
    }
    if factors and (args.covariate or args.segment_column or args.cap):
        raise InvalidInputError(
            "--covariate, --segment-column and --cap are for A/B files, not with --factors."
        )
    return roles


def file_report(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """Analyse a visitor-level file: the JSON dictionary and the text to print."""
    roles = _file_roles(args)
    summary = summarise_visitor_file(args.visitors, **roles)
    if summary.cells is not None:
        metric = args.metric or ("rpv" if roles["revenue_column"] else "cr")
        factorial = analyze_factorial(
            summary.cells, roles["factor_columns"], metric=metric, alpha=args.alpha
        )
        return factorial.to_dict(), _factorial_text(factorial)
    assert summary.summary is not None
    analysis = analyze_summary_frame(
        summary.summary,
        alpha=args.alpha,
        planned_split=_split_weights(args.split),
        days=args.days,
        primary_metric=args.primary,
        sequential=args.sequential,
        planned_visitors=args.planned_visitors,
        min_conversions=args.min_conversions,
    )
    metric = args.metric or analysis.primary_metric
    data = analysis.to_dict()
    lines = [_analysis_text(analysis)]
    more = more_visitors_needed(
        analysis,
        power=as_number(args.power, "--power"),
        daily_visitors=args.daily_visitors,
        metric=metric,
    )
    data["more_visitors"] = [m.to_dict() for m in more]
    if analysis.verdict.status == "inconclusive":
        lines += [f"What now: {m.sentence}" for m in more]
    data["reading_notes"] = list(reading_notes(analysis))
    lines += data["reading_notes"]
    data["days_remaining"] = None
    if args.days is not None and (args.planned_visitors or args.planned_days):
        left = days_remaining(
            days_run=math.ceil(as_number(args.days, "--days")),
            visitors_so_far=int(summary.summary["visitors"].sum()),
            planned_visitors=None
            if args.planned_visitors is None
            else math.ceil(as_number(args.planned_visitors, "--planned-visitors")),
            planned_days=args.planned_days,
        )
        data["days_remaining"] = left.to_dict()
        lines.append(left.sentence)
    if summary.covariate is not None:
        arms = covariate_sums_from_frame(summary.covariate, metric)
        cuped = cuped_compare(arms[0], arms[1:], metric=metric, alpha=args.alpha)
        first = cuped[0].to_dict()
        data["unadjusted"], data["cuped"] = first["unadjusted"], first["cuped"]
        data["variance_reduction"] = first["variance_reduction"]
        data["cuped_by_variant"] = [c.to_dict() for c in cuped]
        for result in cuped:
            lines.append(_cuped_text(result))
    if summary.capped is not None and summary.cap_value is not None:
        capped = capped_comparisons(
            summary.summary,
            summary.capped,
            percentile=summary.cap_percentile or 0.0,
            cap_value=summary.cap_value,
            capped_visitors=summary.capped_visitors or 0,
            alpha=args.alpha,
        )
        data["capped"] = [c.to_dict() for c in capped]
        lines += [c.sentence for c in capped]
    if summary.segments is not None:
        segments = segment_results(summary.segments, metric=metric, alpha=args.alpha)
        data["segments"] = segments.to_dict()
        lines.append("Segments:")
        for row in segments.table.itertuples():
            lines.append(
                f"  {row.segment} {row.variant}: lift {_percent(_nan(row.relative_lift), signed=True)}"
                f" ({_percent(_nan(row.ci_low), signed=True)} to "
                f"{_percent(_nan(row.ci_high), signed=True)}), p (BH) "
                + ("n/a" if _nan(row.p_bh) is None else f"{row.p_bh:.4g}")
            )
        lines.append(f"  {segments.warning}")
    return data, "\n".join(lines)


def _nan(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _cuped_text(result: CupedResult) -> str:
    def part(label: str, c: MetricComparison) -> str:
        return (
            f"{label} {_percent(c.relative_lift, signed=True)} "
            f"({_percent(c.relative_ci_low, signed=True)} to "
            f"{_percent(c.relative_ci_high, signed=True)})"
        )

    reduction = result.variance_reduction
    return (
        f"CUPED {result.variant}: "
        + part("unadjusted", result.unadjusted)
        + "; "
        + part("adjusted", result.cuped)
        + f"; variance reduced by {_percent(reduction)}"
        + (f" ({result.message})" if result.message else "")
    )


def _factorial_text(analysis: FactorialAnalysis) -> str:
    lines = [f"Multivariate test, {analysis.metric} ({analysis.scale}):"]
    for row in analysis.cells.itertuples():
        lines.append(
            f"  {row.combination}: {row.visitors:,} visitors, value {row.value:.4g} "
            f"({row.ci_low:.4g} to {row.ci_high:.4g}), chance best {row.chance_best:.0%}"
        )
    for effect in analysis.effects:
        if effect.estimate is None:
            lines.append(f"  {effect.term} {effect.levels}: not estimable")
            continue
        lines.append(
            f"  {effect.kind} {effect.term} ({effect.levels}): {effect.estimate:+.4g} "
            f"({effect.ci_low:+.4g} to {effect.ci_high:+.4g}), p {effect.p_value:.4g}, "
            f"Holm {effect.p_adjusted:.4g}"
        )
    if analysis.message:
        lines.append(f"Note: {analysis.message}")
    lines.append(analysis.statement)
    return "\n".join(lines)
