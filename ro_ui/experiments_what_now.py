"""The Analyze tab's answers to "what now?": more visitors and days for an inconclusive result,
days remaining for a running test, and what an uploaded visitor file adds (CUPED beside the
unadjusted lift, revenue with and without an outlier cap, per-segment results with
Benjamini-Hochberg). Every figure comes from ``ro_core.experiment.what_now`` and
``ro_core.experiment.cuped``; this module draws."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ro_core.errors import RoError
from ro_core.experiment import ExperimentAnalysis
from ro_core.experiment.cuped import covariate_sums_from_frame, cuped_compare
from ro_core.experiment.orders_csv import VisitorFileSummary
from ro_core.experiment.what_now import (
    capped_comparisons,
    days_remaining,
    more_visitors_needed,
    segment_results,
)
from ro_core.present.formatting import CHANGE, COUNT, MONEY, P_VALUE, RATE, TEXT
from ro_ui import fmt
from ro_ui.widgets import show_error, show_table


def _lift_rows(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["variant", "reading", "lift", "ci_low", "ci_high"])
    frame[["lift", "ci_low", "ci_high"]] = frame[["lift", "ci_low", "ci_high"]].astype("float64")
    return frame


def _lift_table(frame: pd.DataFrame, key: str) -> None:
    show_table(
        frame,
        key=key,
        kinds={"reading": TEXT, "lift": CHANGE, "ci_low": CHANGE, "ci_high": CHANGE},
        labels={
            "variant": "Variant",
            "reading": "Reading",
            "lift": "Relative lift",
            "ci_low": "Low",
            "ci_high": "High",
        },
    )


def render_file_extras(
    extras: VisitorFileSummary, analysis: ExperimentAnalysis, currency: str | None
) -> None:
    """CUPED, capped revenue and segments from the uploaded file (when chosen)."""
    metric = analysis.primary_metric
    if extras.covariate is not None:
        st.subheader("Adjusted for the pre-test value (CUPED)")
        try:
            arms = covariate_sums_from_frame(extras.covariate, metric)
            results = cuped_compare(arms[0], arms[1:], metric=metric, alpha=analysis.alpha)
        except RoError as error:
            show_error(error)
        else:
            rows = []
            for result in results:
                for reading, comparison in (
                    ("Unadjusted", result.unadjusted),
                    ("CUPED", result.cuped),
                ):
                    rows.append(
                        {
                            "variant": result.variant,
                            "reading": reading,
                            "lift": comparison.relative_lift,
                            "ci_low": comparison.relative_ci_low,
                            "ci_high": comparison.relative_ci_high,
                        }
                    )
            _lift_table(_lift_rows(rows), "exp_an_cuped")
            for result in results:
                reduction = result.variance_reduction
                st.caption(
                    fmt.md_escape(
                        f"{result.variant}: the pre-test value removes "
                        f"{fmt.rate(reduction) if reduction is not None else '–'} of the "
                        "variance (about the squared correlation of before and during). The "
                        "adjustment cannot create an effect: the value was fixed before the "
                        "test, so it is the same on average in every arm."
                        + (f" {result.message}" if result.message else "")
                    )
                )
    if extras.capped is not None and extras.cap_value is not None and extras.summary is not None:
        st.subheader("Revenue per visitor with outliers capped")
        try:
            capped = capped_comparisons(
                extras.summary,
                extras.capped,
                percentile=extras.cap_percentile or 0.0,
                cap_value=extras.cap_value,
                capped_visitors=extras.capped_visitors or 0,
                alpha=analysis.alpha,
            )
        except RoError as error:
            show_error(error)
        else:
            rows = []
            for result in capped:
                for reading, comparison in (
                    ("As recorded", result.uncapped),
                    (f"Capped at {fmt.money(result.cap_value, currency)}", result.capped),
                ):
                    rows.append(
                        {
                            "variant": result.variant,
                            "reading": reading,
                            "lift": comparison.relative_lift,
                            "ci_low": comparison.relative_ci_low,
                            "ci_high": comparison.relative_ci_high,
                        }
                    )
            _lift_table(_lift_rows(rows), "exp_an_capped")
            for result in capped:
                st.caption(fmt.md_escape(result.sentence))
    if extras.segments is not None:
        st.subheader("By segment")
        try:
            segments = segment_results(extras.segments, metric=metric, alpha=analysis.alpha)
        except RoError as error:
            show_error(error)
        else:
            st.warning(fmt.md_escape(segments.warning), icon=":material/call_split:")
            value_kind = RATE if metric == "cr" else MONEY
            show_table(
                segments.table,
                key="exp_an_segments",
                currency=currency,
                kinds={
                    "segment": TEXT,
                    "visitors": COUNT,
                    "control_value": value_kind,
                    "variant_value": value_kind,
                    "relative_lift": CHANGE,
                    "ci_low": CHANGE,
                    "ci_high": CHANGE,
                    "p_value": P_VALUE,
                    "p_bh": P_VALUE,
                },
                labels={
                    "segment": "Segment",
                    "variant": "Variant",
                    "visitors": "Visitors",
                    "control_value": "Control",
                    "variant_value": "Variant value",
                    "relative_lift": "Relative lift",
                    "ci_low": "Low",
                    "ci_high": "High",
                    "p_value": "p-value",
                    "p_bh": "p (BH)",
                },
            )


def render_what_now(
    analysis: ExperimentAnalysis,
    days: int | None,
    *,
    planned_days_key: str,
    daily_visitors_key: str,
) -> None:
    """More visitors for an inconclusive result; days remaining for a running test."""
    st.subheader("What now?")
    state = st.session_state
    state.setdefault(planned_days_key, 0)
    state.setdefault(daily_visitors_key, 0)
    left, right = st.columns(2)
    left.number_input(
        "Planned days (0: not planned)", min_value=0, max_value=365, step=1, key=planned_days_key
    )
    right.number_input(
        "Visitors a day in the test (0: from the dates above)",
        min_value=0,
        step=100,
        key=daily_visitors_key,
    )
    daily = state[daily_visitors_key] or None
    if analysis.verdict.status == "inconclusive":
        try:
            more = more_visitors_needed(analysis, daily_visitors=daily)
        except RoError as error:
            show_error(error)
        else:
            for answer in more:
                st.info(fmt.md_escape(answer.sentence), icon=":material/group_add:")
            if not daily and not days:
                st.caption("Set the test's first and last day, or its visitors a day, for days.")
    planned = state[planned_days_key]
    if planned and days:
        visitors = analysis.control.visitors + sum(v.visitors for v in analysis.variants)
        try:
            left_days = days_remaining(
                days_run=days, visitors_so_far=visitors, planned_days=planned
            )
        except RoError as error:
            show_error(error)
        else:
            st.info(fmt.md_escape(left_days.sentence), icon=":material/schedule:")
