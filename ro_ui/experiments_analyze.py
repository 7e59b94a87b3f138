"""The Experiments page's Analyze tab: read a finished (or running) A/B test.

The counts per arm, the test's dates and the reading options are the shared result form
(``ro_ui.components.result_form``, prefix ``exp_an``; the Experiment log draws the same form).
It opens empty. Counts can also come from a visitor-level CSV (``ro_ui.experiments_upload``).
``ro_core.experiment.analyze_summary_frame`` does every statistic; this module draws.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from ro_core.errors import RoError
from ro_core.experiment import ExperimentAnalysis, MetricComparison, analyze_summary_frame
from ro_core.experiment.orders_csv import (
    VisitorFileSummary,
)
from ro_core.experiment.what_now import reading_notes
from ro_core.loop import experiment_log
from ro_core.metrics.scope import Scope
from ro_core.present.experiment_charts import lift_interval_figure
from ro_core.present.formatting import (
    CHANGE,
    COUNT,
    MONEY,
    MONEY_CHANGE,
    P_VALUE,
    POINTS,
    RATE,
    TEXT,
)
from ro_core.store.db import Database
from ro_ui import fmt
from ro_ui.components.result_form import (
    EXAMPLE_LABEL,
    PRIMARY_LABELS,
    ResultForm,
    ResultInputs,
    blank_table,
    example_table,
    result_form,
    summary_from_editor,
)
from ro_ui.experiments_upload import EXTRAS, upload_section
from ro_ui.experiments_what_now import render_file_extras, render_what_now
from ro_ui.widgets import download_table, show_error, show_table

__all__ = ["PRIMARY_LABELS", "blank_table", "example_table", "summary_from_editor"]

FORM = ResultForm("exp_an")

# --- session-state keys -----------------------------------------------------------------------
TABLE = FORM.table_key  # the editor's starting rows (a DataFrame with SUMMARY_COLUMNS)
EDITOR_ROUND = FORM.key("editor_round")  # bumped whenever TABLE is replaced: a fresh editor
CONTROL = FORM.key("control")
SPLIT = FORM.key("split")
ALPHA = FORM.key("alpha")  # percent
START = FORM.key("start")
END = FORM.key("end")
PRIMARY = FORM.key("primary")
SEQUENTIAL = FORM.key("sequential")
PLANNED_VISITORS = FORM.key("planned_visitors")
PLANNED_DAYS = "exp_an_planned_days"
DAILY_VISITORS = "exp_an_daily_visitors"

METRIC_TITLES = {
    "cr": "Conversion rate",
    "rpv": "Revenue per visitor",
    "aov": "Average order value",
}
STATUS_ICONS = {
    "winner": ":material/emoji_events:",
    "loser": ":material/trending_down:",
    "inconclusive": ":material/hourglass_empty:",
    "invalid": ":material/report:",
}
RESULT_COLUMNS: tuple[str, ...] = (
    "variant",
    "metric",
    "visitors",
    "conversions",
    "control_value",
    "variant_value",
    "absolute_lift",
    "absolute_ci_low",
    "absolute_ci_high",
    "relative_lift",
    "ci_low",
    "ci_high",
    "p_value",
    "p_value_holm",
    "p_value_bh",
    "chance_to_beat_control",
    "expected_loss",
    "sequential_ci_low",
    "sequential_ci_high",
    "note",
)


# The order columns are shown in: what a store owner reads first, then the details.
SHOWN_ORDER: tuple[str, ...] = (
    "variant",
    "control_value",
    "variant_value",
    "relative_lift",
    "ci_low",
    "ci_high",
    "chance_to_beat_control",
    "p_value",
    "p_value_holm",
    "p_value_bh",
    "sequential_ci_low",
    "sequential_ci_high",
    "absolute_lift",
    "absolute_ci_low",
    "absolute_ci_high",
    "expected_loss",
    "visitors",
    "conversions",
    "note",
)


# --- the results ------------------------------------------------------------------------------


def results_frame(analysis: ExperimentAnalysis) -> pd.DataFrame:
    """One row per variant and metric (columns RESULT_COLUMNS), for the tables and the CSV."""
    rows = []
    for result in analysis.variants:
        for key in ("cr", "rpv", "aov"):
            comparison: MetricComparison | None = result.metric(key)
            if comparison is None:
                continue
            data = comparison.to_dict()
            rows.append(
                {
                    "variant": result.name,
                    "visitors": result.visitors,
                    "conversions": result.conversions,
                    **{k: data.get(k) for k in RESULT_COLUMNS if k in data},
                    "metric": key,
                    "note": comparison.message or "",
                }
            )
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    numeric = [c for c in RESULT_COLUMNS if c not in ("variant", "metric", "note")]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce").astype("float64")
    return frame


def _verdict(analysis: ExperimentAnalysis) -> None:
    verdict = analysis.verdict
    headline = fmt.md_escape(verdict.headline)
    icon = STATUS_ICONS.get(verdict.status)
    if verdict.status == "winner":
        st.success(headline, icon=icon)
    elif verdict.status in ("loser", "invalid"):
        st.error(headline, icon=icon)
    else:
        st.info(headline, icon=icon)
    for warning in verdict.warnings:
        st.warning(fmt.md_escape(warning), icon=":material/warning:")
    for note in reading_notes(analysis):
        st.info(fmt.md_escape(note), icon=":material/help:")


def _srm(analysis: ExperimentAnalysis) -> None:
    srm = analysis.srm
    observed = " / ".join(fmt.rate(share) for share in srm.observed_shares)
    planned = " / ".join(fmt.rate(share) for share in srm.expected_shares)
    shown_p = fmt.p_value(srm.p_value)
    p_text = f"p {shown_p}" if shown_p.startswith("<") else f"p = {shown_p}"
    if srm.mismatch:
        st.error(fmt.md_escape(srm.message or ""), icon=":material/call_split:")
    else:
        st.caption(
            f"Sample ratio check: visitors split {observed} against a planned {planned} "
            f"({p_text}): no sign of broken assignment."
        )


def _metric_table(frame: pd.DataFrame, metric: str, currency: str | None, sequential: bool):
    """One metric's rows: rates with 2 decimals, lifts of CR in points, relative lifts with 1
    decimal, money with 2, '–' where a figure cannot be computed."""
    rows = frame[frame["metric"] == metric].drop(columns=["metric"])
    if rows.empty:
        return
    if metric == "cr":
        value_kind, lift_kind, unit = RATE, POINTS, " (points)"
    else:
        value_kind, lift_kind, unit = MONEY, MONEY_CHANGE, ""
    order = list(SHOWN_ORDER)
    if not sequential:
        order = [c for c in order if not c.startswith("sequential")]
    if not rows["note"].astype(bool).any():
        order.remove("note")
    show_table(
        rows,
        key=f"exp_an_results_{metric}",
        currency=currency,
        column_order=order,
        kinds={
            "visitors": COUNT,
            "conversions": COUNT,
            "control_value": value_kind,
            "variant_value": value_kind,
            "absolute_lift": lift_kind,
            "absolute_ci_low": lift_kind,
            "absolute_ci_high": lift_kind,
            "expected_loss": value_kind if metric != "cr" else POINTS,
            "relative_lift": CHANGE,
            "ci_low": CHANGE,
            "ci_high": CHANGE,
            "p_value": P_VALUE,
            "p_value_holm": P_VALUE,
            "p_value_bh": P_VALUE,
            "chance_to_beat_control": RATE,
            "sequential_ci_low": CHANGE,
            "sequential_ci_high": CHANGE,
            "note": TEXT,
        },
        labels={
            "variant": "Variant",
            "visitors": "Visitors",
            "conversions": "Conversions",
            "control_value": "Control",
            "variant_value": "Variant",
            "absolute_lift": f"Lift{unit}",
            "absolute_ci_low": "Lift low",
            "absolute_ci_high": "Lift high",
            "expected_loss": f"Expected loss{unit}",
            "relative_lift": "Relative lift",
            "ci_low": "Relative low",
            "ci_high": "Relative high",
            "p_value": "p-value",
            "p_value_holm": "p (Holm)",
            "p_value_bh": "p (BH)",
            "chance_to_beat_control": "Chance to beat control",
            "sequential_ci_low": "Always-valid low",
            "sequential_ci_high": "Always-valid high",
            "note": "Note",
        },
    )


def _results_section(analysis: ExperimentAnalysis, currency: str | None) -> None:
    _verdict(analysis)
    _srm(analysis)
    frame = results_frame(analysis)
    sequential = bool(frame[["sequential_ci_low", "sequential_ci_high"]].notna().any().any())
    confidence = 1 - analysis.alpha
    for metric in ("cr", "rpv", "aov"):
        if not (frame["metric"] == metric).any():
            continue
        title = METRIC_TITLES[metric]
        if metric == analysis.primary_metric:
            title += " (decides the verdict)"
        st.markdown(f"**{title}**")
        _metric_table(frame, metric, currency, sequential)
        rows = frame[(frame["metric"] == metric) & frame["note"].astype(bool)]
        for variant, note in zip(rows["variant"], rows["note"], strict=True):
            st.caption(fmt.md_escape(f"{variant}: {note}"))
        if metric == analysis.primary_metric:
            lifts = frame[frame["metric"] == metric]
            st.plotly_chart(
                lift_interval_figure(lifts, metric_label=METRIC_TITLES[metric].lower()),
                key=f"exp_an_lift_chart_{metric}",
            )
    st.caption(
        f"Intervals are {confidence:.0%} two-sided, one variant at a time; p (Holm) and p (BH) "
        "adjust for comparing several variants with control (Holm decides the verdict). "
        "Chance to beat control is Bayesian with a flat prior; expected loss is what shipping "
        "the variant costs on average in the cases where it is actually worse."
        + (
            " Always-valid intervals stay valid however often the results are looked at."
            if sequential
            else ""
        )
    )
    download_table(frame, "ab_test_results.csv", key="exp_an_download", label="Download results")


def render_analyze(db: Database, filters: Scope | None) -> None:
    """The Analyze tab: it opens empty; results appear once counts are typed or uploaded."""
    currency = filters.currency if filters is not None else None
    upload_section(db, FORM)
    inputs = result_form(FORM, currency=currency)
    if inputs is None:
        return
    try:
        analysis = analyze_summary_frame(inputs.summary, days=inputs.days, **inputs.options)
    except RoError as error:
        show_error(error)
        return
    if inputs.is_example:
        st.markdown(f"**{EXAMPLE_LABEL}**: how a result reads, not a verdict on your test.")
    _results_section(analysis, currency)
    if inputs.is_example:
        return
    extras: VisitorFileSummary | None = st.session_state.get(EXTRAS)
    if extras is not None and _same_counts(extras.summary, inputs.summary):
        render_file_extras(extras, analysis, currency)
    render_what_now(
        analysis, inputs.days, planned_days_key=PLANNED_DAYS, daily_visitors_key=DAILY_VISITORS
    )
    _save_to_log(db, inputs)


def _same_counts(file_summary: pd.DataFrame | None, summary: pd.DataFrame) -> bool:
    """Whether the editor still holds the uploaded file's counts (else its extras are stale)."""
    if file_summary is None or len(file_summary) != len(summary):
        return False
    try:
        return list(file_summary["variant"].astype(str)) == list(
            summary["variant"].astype(str)
        ) and all(
            list(pd.to_numeric(file_summary[c]).astype(float))
            == list(pd.to_numeric(summary[c]).astype(float))
            for c in ("visitors", "conversions")
        )
    except (KeyError, ValueError, TypeError):
        return False


def _save_to_log(db: Database, inputs: ResultInputs) -> None:
    """End a running test of the experiment log with this result (any number of variants).

    The log reads the result against the test's plan: "too early" only when it ran fewer days
    than planned (``experiment_log.analyze_result``)."""
    running = experiment_log.list_experiments(db, statuses=[experiment_log.RUNNING])
    st.subheader("Save to the experiment log")
    if not running:
        st.caption(
            "No test is running in the Experiment log. Plan and start one there to keep this "
            "result with its hypothesis."
        )
        return
    tests = {e.experiment_id: e for e in running}
    chosen = st.selectbox(
        "Running test",
        list(tests),
        format_func=lambda i: f"#{i} {tests[i].name}",
        key="exp_an_save_test",
    )
    test = tests[int(chosen)]
    default_start, default_end = experiment_log.default_result_dates(test, date.today())
    start, end = inputs.start or default_start, inputs.end or default_end
    plan = f" of the {test.expected_days} planned" if test.expected_days else ""
    st.caption(
        fmt.md_escape(
            f"Saved with its dates {start} to {end} ({(end - start).days + 1} days{plan}); "
            "set the first and last day above to change them."
        )
    )
    if st.button("End the test with this result", key="exp_an_save"):
        try:
            analysis = experiment_log.analyze_result(
                test, inputs.summary, start, end, **inputs.options
            )
            ended = experiment_log.record_result(db, test.experiment_id, start, end, analysis)
        except RoError as error:
            show_error(error)
            return
        st.success(
            fmt.md_escape(
                f"Saved: test #{ended.experiment_id} ended, outcome {ended.outcome or 'recorded'}; "
                f"its hypothesis was updated. {ended.verdict or ''}"
            )
        )
