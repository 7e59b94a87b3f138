"""A test's result: the outcome from the verdict, the best variant's lift and a month's revenue
impact, the dates a result form offers and the analysis judged against the planned duration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis import ExperimentAnalysis, Verdict, analyze_summary_frame
from ro_core.loop import hypotheses as H
from ro_core.loop.experiment_log.record import Experiment
from ro_core.numbers import finite_or_none

OUTCOME_FROM_VERDICT = {
    "winner": H.WON,
    "loser": H.LOST,
    "inconclusive": H.INCONCLUSIVE,
    "invalid": H.INCONCLUSIVE,
}


@dataclass(frozen=True)
class ResultSummary:
    """What the log keeps beside the full result: outcome, verdict, best variant, lift, impact."""

    outcome: str
    verdict: str
    variant: str | None
    relative_lift: float | None
    monthly_revenue_impact: float | None


def summarize_result(
    result: Mapping[str, Any], *, monthly_visitors: float | None = None
) -> ResultSummary:
    """Outcome, best variant, its primary-metric lift and a month's revenue impact.

    Args:
        result: ExperimentAnalysis.to_dict().
        monthly_visitors: visitors a month the change would reach once shipped.
    """
    verdict = result.get("verdict") or {}
    outcome = OUTCOME_FROM_VERDICT.get(verdict.get("status"), H.INCONCLUSIVE)
    primary = result.get("primary_metric") or "cr"
    best: tuple[float, dict[str, Any]] | None = None
    for variant in result.get("variants") or []:
        metric = _variant_metric(variant, primary)
        lift = finite_or_none(metric.get("relative_lift")) if metric else None
        if lift is not None and (best is None or lift > best[0]):
            best = (lift, variant)
    if best is None:
        return ResultSummary(outcome, str(verdict.get("headline") or ""), None, None, None)
    lift, variant = best
    impact = None
    if monthly_visitors:
        rpv = variant.get("revenue_per_visitor") or {}
        per_visitor = finite_or_none(rpv.get("absolute_lift"))
        if per_visitor is None:
            aov = finite_or_none((result.get("control") or {}).get("average_order_value"))
            cr_lift = finite_or_none(variant.get("absolute_lift"))
            if aov is not None and cr_lift is not None:
                per_visitor = cr_lift * aov
        if per_visitor is not None:
            impact = per_visitor * float(monthly_visitors)
    return ResultSummary(
        outcome, str(verdict.get("headline") or ""), str(variant.get("name")), lift, impact
    )


def _variant_metric(variant: Mapping[str, Any], primary: str) -> Mapping[str, Any] | None:
    if primary == "rpv":
        return variant.get("revenue_per_visitor")
    if primary == "aov":
        return variant.get("average_order_value")
    return variant  # conversion figures sit at the top level


def default_result_dates(experiment: Experiment, today: date) -> tuple[date, date]:
    """The first and last day a result form offers for a test of the log.

    First day: the recorded start, else the planned start, else `today` minus the planned
    duration (the test is logged after it ran), else today. Last day: the planned end when it
    has passed, else today (never before the first day).
    """
    start = experiment.start_date or experiment.planned_start
    if start is None:
        days = experiment.expected_days or 1
        start = today - timedelta(days=days - 1)
    end = today
    if experiment.expected_days:
        planned_end = start + timedelta(days=experiment.expected_days - 1)
        end = min(today, planned_end)
    return start, max(start, end)


def analyze_result(
    experiment: Experiment,
    summary: pd.DataFrame,
    start_date: date,
    end_date: date,
    **options: Any,
) -> ExperimentAnalysis:
    """Analyse a test of the log from its per-arm summary and its real dates.

    With a planned duration, "too early" is judged against it alone: a test that ran fewer days
    than planned is too early to call (whatever its p-value); one that ran the planned days is
    read as it stands. Without a plan, the analyzer's rule applies (under a full week is too
    early). `options` go to ``analyze_summary_frame`` (control, alpha, planned_split, ...).

    Raises:
        InvalidInputError: the dates are reversed, or the analyzer refuses the counts.
    """
    if not isinstance(start_date, date) or not isinstance(end_date, date):
        raise InvalidInputError("Pick the first and the last day of the test.")
    if end_date < start_date:
        raise InvalidInputError(
            f"The test ends ({end_date}) before it starts ({start_date}): check the dates."
        )
    days = (end_date - start_date).days + 1
    planned = experiment.expected_days
    if not planned:
        return analyze_summary_frame(summary, days=days, **options)
    analysis = replace(analyze_summary_frame(summary, days=None, **options), days=days)
    if days >= planned:
        return analysis
    verdict = analysis.verdict
    headline = (
        f"Too early to call: the test ran {days} of its {planned} planned days"
        f" ({start_date} to {end_date})."
    )
    so_far = f"So far: {verdict.headline}" if verdict.headline else ""
    warnings = tuple(w for w in (so_far, *verdict.warnings) if w)
    return replace(analysis, verdict=Verdict("inconclusive", headline, warnings))
