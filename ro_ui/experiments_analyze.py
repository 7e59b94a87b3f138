"""The Experiments page's Analyze tab: read a finished (or running) A/B test.

Counts per arm are typed into an editable table, or come from a visitor-level CSV: the upload
is copied to a temporary file under the database folder at once, its columns are chosen, and
``ro_core.experiment.orders_csv.summarise_variant_csv`` aggregates it in DuckDB into the same
table. ``ro_core.experiment.analyze_summary_frame`` does every statistic; this module draws.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ro_core.errors import InvalidInputError, RoError
from ro_core.experiment import (
    SUMMARY_COLUMNS,
    ExperimentAnalysis,
    MetricComparison,
    analyze_summary_frame,
)
from ro_core.experiment.orders_csv import guess_columns, summarise_variant_csv, variant_csv_columns
from ro_core.ingest.layout import copy_to_work_dir
from ro_core.loop import experiment_log
from ro_core.present.experiment_charts import lift_interval_figure
from ro_core.store.db import Database
from ro_ui import fmt
from ro_ui.experiments_plan import percent_text, split_weights
from ro_ui.imports import work_dir
from ro_ui.state import Filters
from ro_ui.widgets import download_table, money_column

# --- session-state keys -----------------------------------------------------------------------
TABLE = "exp_an_table"  # the editor's starting rows (a DataFrame with SUMMARY_COLUMNS)
EDITOR_ROUND = "exp_an_editor_round"  # bumped whenever TABLE is replaced: a fresh editor
CONTROL = "exp_an_control"
SPLIT = "exp_an_split"
ALPHA = "exp_an_alpha"  # percent
DAYS = "exp_an_days"
PRIMARY = "exp_an_primary"
SEQUENTIAL = "exp_an_sequential"
PLANNED_VISITORS = "exp_an_planned_visitors"
UPLOAD_ROUND = "exp_an_upload_round"
PENDING_FILE = "exp_an_pending_file"
FILE_ERROR = "exp_an_escaped_error"
COLUMN_KEYS = {
    "variant": "exp_an_column_variant",
    "converted": "exp_an_column_converted",
    "revenue": "exp_an_column_revenue",
    "visitor": "exp_an_column_visitor",
}
NOT_IN_FILE = "(not in this file)"

PRIMARY_LABELS = {"auto": "Automatic", "cr": "Conversion rate", "rpv": "Revenue per visitor"}
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


def example_table() -> pd.DataFrame:
    """The rows the editor starts with: a control and one variant, no revenue."""
    return pd.DataFrame(
        {
            "variant": ["Control", "Variant B"],
            "visitors": [10_000, 10_000],
            "conversions": [300, 345],
            "revenue_sum": [math.nan, math.nan],
            "revenue_sum_squares": [math.nan, math.nan],
        },
        columns=list(SUMMARY_COLUMNS),
    )


def _defaults() -> None:
    state = st.session_state
    if not isinstance(state.get(TABLE), pd.DataFrame):
        state[TABLE] = example_table()
    state.setdefault(EDITOR_ROUND, 0)
    state.setdefault(UPLOAD_ROUND, 0)
    state.setdefault(SPLIT, "")
    state.setdefault(ALPHA, 5.0)
    state.setdefault(DAYS, None)
    state.setdefault(PRIMARY, "auto")
    state.setdefault(SEQUENTIAL, False)
    state.setdefault(PLANNED_VISITORS, None)


def replace_table(frame: pd.DataFrame) -> None:
    """Start the editor afresh from `frame` (edits to the old rows are dropped)."""
    st.session_state[TABLE] = frame.reset_index(drop=True)
    st.session_state[EDITOR_ROUND] = st.session_state.get(EDITOR_ROUND, 0) + 1


def _reset_table() -> None:
    replace_table(example_table())
    st.session_state.pop(CONTROL, None)


# --- the CSV upload ---------------------------------------------------------------------------


def _escaped_error(error: RoError) -> None:
    """One of our errors whose text may quote a file or a typed name (markdown-escaped)."""
    st.error(f"**{error.title}**  \n{fmt.md_escape(error)}", icon=":material/error:")


def _discard_pending() -> None:
    pending = st.session_state.pop(PENDING_FILE, None)
    if pending:
        Path(pending["path"]).unlink(missing_ok=True)
    for key in COLUMN_KEYS.values():
        st.session_state.pop(key, None)


def _take_upload(db: Database, upload: Any) -> None:
    """Copy the upload to our own temporary file, read its header, drop the upload."""
    _discard_pending()
    name = str(getattr(upload, "name", "upload.csv"))
    upload.seek(0)
    path = copy_to_work_dir(upload, work_dir(db))
    try:
        columns = variant_csv_columns(path, file_name=name)
    except RoError as error:
        path.unlink(missing_ok=True)
        st.session_state[FILE_ERROR] = error
    else:
        st.session_state[PENDING_FILE] = {"path": str(path), "name": name, "columns": columns}
        guesses = guess_columns(columns)
        st.session_state[COLUMN_KEYS["variant"]] = guesses["variant"] or columns[0]
        for role in ("converted", "revenue", "visitor"):
            st.session_state[COLUMN_KEYS[role]] = guesses[role] or NOT_IN_FILE
    st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1
    st.rerun()


def _use_pending_file() -> None:
    """Aggregate the pending file into the editor's table (no st.* drawing in here)."""
    state = st.session_state
    pending = state.get(PENDING_FILE)
    if not pending:
        return

    def chosen(role: str) -> str | None:
        value = state.get(COLUMN_KEYS[role])
        return None if value in (None, NOT_IN_FILE) else value

    try:
        frame = summarise_variant_csv(
            Path(pending["path"]),
            variant_column=chosen("variant") or "",
            converted_column=chosen("converted"),
            revenue_column=chosen("revenue"),
            visitor_column=chosen("visitor"),
            file_name=pending["name"],
        )
    except RoError as error:
        state[FILE_ERROR] = error
        return
    replace_table(frame)
    state.pop(CONTROL, None)
    _discard_pending()


def _upload_section(db: Database) -> None:
    state = st.session_state
    pending = state.get(PENDING_FILE)
    with st.expander(
        "Upload a visitor-level CSV instead", expanded=bool(pending), icon=":material/upload_file:"
    ):
        st.caption(
            "One row per visitor with the variant they saw and whether they bought (1/0) "
            "and/or their revenue. With a visitor id column a visitor may have several rows "
            "(orders): they are added up per visitor."
        )
        upload = st.file_uploader(
            "Visitor-level CSV",
            type=["csv", "tsv", "txt", "gz", "zip"],
            key=f"exp_an_upload_{state[UPLOAD_ROUND]}",
        )
        if upload is not None:
            _take_upload(db, upload)
        error = state.pop(FILE_ERROR, None)
        if error is not None:
            _escaped_error(error)
        if not pending:
            return
        columns = list(pending["columns"])
        st.markdown(f"**{fmt.md_escape(pending['name'])}**: which column holds what?")
        optional = [NOT_IN_FILE, *columns]
        for role, options in (
            ("variant", columns),
            ("converted", optional),
            ("revenue", optional),
            ("visitor", optional),
        ):
            if state.get(COLUMN_KEYS[role]) not in options:
                state[COLUMN_KEYS[role]] = options[0]
        first, second, third, fourth = st.columns(4)
        first.selectbox("Variant", columns, key=COLUMN_KEYS["variant"])
        second.selectbox("Converted (1/0)", optional, key=COLUMN_KEYS["converted"])
        third.selectbox("Revenue", optional, key=COLUMN_KEYS["revenue"])
        fourth.selectbox("Visitor id", optional, key=COLUMN_KEYS["visitor"])
        left, right = st.columns([1, 5])
        left.button(
            "Use this file", key="exp_an_use_file", type="primary", on_click=_use_pending_file
        )
        right.button("Discard", key="exp_an_discard_file", on_click=_discard_pending)


# --- the inputs -------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def summary_from_editor(edited: pd.DataFrame) -> pd.DataFrame:
    """The editor's rows as a summary frame: empty rows dropped, names as trimmed text.

    Raises:
        InvalidInputError: a row has a name but no visitors or conversions.
    """
    rows = []
    for record in edited.to_dict("records"):
        values = [record.get(column) for column in SUMMARY_COLUMNS]
        if all(_blank(value) for value in values):
            continue
        row = dict(zip(SUMMARY_COLUMNS, values, strict=True))
        row["variant"] = "" if _blank(row["variant"]) else str(row["variant"]).strip()
        missing = [c for c in ("visitors", "conversions") if _blank(row[c])]
        if missing:
            name = row["variant"] or "without a name"
            raise InvalidInputError(
                f"The row for variant {name} has no {' or '.join(missing)}: fill them in, "
                "or delete the row."
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _inputs_section(currency: str | None) -> pd.DataFrame | None:
    state = st.session_state
    st.markdown(
        "**Visitors and conversions per arm**, control first. Add the revenue sum and the sum "
        "of squared order values to compare revenue per visitor and average order value too."
    )
    edited = st.data_editor(
        state[TABLE],
        key=f"exp_an_editor_{state[EDITOR_ROUND]}",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "variant": st.column_config.TextColumn("Variant", required=True),
            "visitors": st.column_config.NumberColumn("Visitors", step=1, format="localized"),
            "conversions": st.column_config.NumberColumn(
                "Conversions", step=1, format="localized", help="Orders or converted visitors."
            ),
            "revenue_sum": st.column_config.NumberColumn(
                f"Revenue{f' ({currency})' if currency else ''}",
                format="%.2f",
                help="Optional: the arm's total revenue.",
            ),
            "revenue_sum_squares": st.column_config.NumberColumn(
                "Sum of squared order values",
                format="%.2f",
                help="Optional: each order value squared, summed (e.g. SUM(total * total) in SQL).",
            ),
        },
    )
    try:
        summary = summary_from_editor(pd.DataFrame(edited))
    except InvalidInputError as error:
        _escaped_error(error)
        return None
    names = [name for name in summary["variant"] if name]
    if names and state.get(CONTROL) not in names:
        state[CONTROL] = names[0]
    first, second, third, fourth = st.columns(4)
    with first:
        if names:
            st.selectbox("Control", names, key=CONTROL)
        st.button("Start over", key="exp_an_reset", on_click=_reset_table)
    with second:
        st.text_input(
            "Planned split, control first",
            key=SPLIT,
            placeholder="even, e.g. 50/50",
            help="The split the test was set up with, control first, then the other rows in "
            "table order. The sample ratio check compares the visitors with it.",
        )
        st.number_input(
            "Days the test has run",
            min_value=0.0,
            step=1.0,
            format="%.0f",
            key=DAYS,
            placeholder="unknown",
            help="Tests shorter than a full week are flagged.",
        )
    with third:
        st.number_input(
            "Significance level α (%)",
            min_value=0.0,
            max_value=100.0,
            step=1.0,
            format="%.1f",
            key=ALPHA,
        )
        st.radio(
            "Decide on",
            list(PRIMARY_LABELS),
            format_func=PRIMARY_LABELS.__getitem__,
            key=PRIMARY,
            help="Automatic: revenue per visitor when revenue is given (it is what pays), "
            "otherwise conversion rate.",
        )
    with fourth:
        st.toggle(
            "Always-valid intervals",
            key=SEQUENTIAL,
            help="For people who look at results every day: intervals that stay valid however "
            "often you peek (wider than the usual ones).",
        )
        if state[SEQUENTIAL]:
            st.number_input(
                "Planned visitors (all arms)",
                min_value=0.0,
                step=1000.0,
                format="%.0f",
                key=PLANNED_VISITORS,
                placeholder="current sample",
                help="Tunes the always-valid interval to be narrowest at the planned end.",
            )
    return summary


def analysis_options() -> dict[str, Any]:
    """The analyze_summary_frame options the inputs describe."""
    state = st.session_state
    primary = state[PRIMARY]
    planned = state.get(PLANNED_VISITORS) if state[SEQUENTIAL] else None
    return {
        "control": state.get(CONTROL),
        "alpha": percent_text(state[ALPHA]),
        "planned_split": split_weights(state[SPLIT]),
        "days": state[DAYS],
        "primary_metric": None if primary == "auto" else primary,
        "sequential": bool(state[SEQUENTIAL]),
        "planned_visitors": planned or None,
    }


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


def _srm(analysis: ExperimentAnalysis) -> None:
    srm = analysis.srm
    observed = " / ".join(f"{share:.1%}" for share in srm.observed_shares)
    planned = " / ".join(f"{share:.1%}" for share in srm.expected_shares)
    p_text = "p < 0.001" if srm.p_value < 0.001 else f"p = {srm.p_value:.3f}"
    if srm.mismatch:
        st.error(fmt.md_escape(srm.message or ""), icon=":material/call_split:")
    else:
        st.caption(
            f"Sample ratio check: visitors split {observed} against a planned {planned} "
            f"({p_text}): no sign of broken assignment."
        )


def _metric_table(frame: pd.DataFrame, metric: str, currency: str | None, sequential: bool):
    rows = frame[frame["metric"] == metric].drop(columns=["metric"])
    if rows.empty:
        return
    if metric == "cr":
        value = st.column_config.NumberColumn
        values = {
            "control_value": value("Control", format="percent"),
            "variant_value": value("Variant", format="percent"),
            "absolute_lift": value("Lift (points)", format="percent"),
            "absolute_ci_low": value("Lift low", format="percent"),
            "absolute_ci_high": value("Lift high", format="percent"),
            "expected_loss": value("Expected loss (points)", format="percent"),
        }
    else:
        values = {
            "control_value": money_column("Control", currency),
            "variant_value": money_column("Variant", currency),
            "absolute_lift": money_column("Lift", currency),
            "absolute_ci_low": money_column("Lift low", currency),
            "absolute_ci_high": money_column("Lift high", currency),
            "expected_loss": money_column("Expected loss", currency),
        }
    number = st.column_config.NumberColumn
    order = list(SHOWN_ORDER)
    if not sequential:
        order = [c for c in order if not c.startswith("sequential")]
    if not rows["note"].astype(bool).any():
        order.remove("note")
    st.dataframe(
        rows,
        hide_index=True,
        key=f"exp_an_results_{metric}",
        column_order=order,
        column_config={
            "variant": st.column_config.TextColumn("Variant"),
            "visitors": number("Visitors", format="localized"),
            "conversions": number("Conversions", format="localized"),
            **values,
            "relative_lift": number("Relative lift", format="percent"),
            "ci_low": number("Relative low", format="percent"),
            "ci_high": number("Relative high", format="percent"),
            "p_value": number("p-value", format="%.4f"),
            "p_value_holm": number("p (Holm)", format="%.4f"),
            "p_value_bh": number("p (BH)", format="%.4f"),
            "chance_to_beat_control": number("Chance to beat control", format="percent"),
            "sequential_ci_low": number("Always-valid low", format="percent"),
            "sequential_ci_high": number("Always-valid high", format="percent"),
            "note": st.column_config.TextColumn("Note"),
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


def render_analyze(db: Database, filters: Filters | None) -> None:
    """The Analyze tab."""
    currency = filters.currency if filters is not None else None
    _defaults()
    _upload_section(db)
    summary = _inputs_section(currency)
    if summary is None:
        return
    options = analysis_options()
    try:
        analysis = analyze_summary_frame(summary, **options)
    except RoError as error:
        _escaped_error(error)
        return
    _results_section(analysis, currency)
    _save_to_log(db, analysis)


def _save_to_log(db: Database, analysis: ExperimentAnalysis) -> None:
    """Close a running test of the experiment log with this result (any number of variants)."""
    running = experiment_log.list_experiments(db, statuses=[experiment_log.RUNNING])
    st.subheader("Save to the experiment log")
    if not running:
        st.caption(
            "No test is running in the Experiment log. Plan and start one there to keep this "
            "result with its hypothesis."
        )
        return
    labels = {e.experiment_id: f"#{e.experiment_id} {e.name}" for e in running}
    with st.form("exp_an_save_form"):
        chosen = st.selectbox(
            "Running test", list(labels), format_func=lambda i: fmt.md_escape(labels[i])
        )
        end_date = st.date_input("Last day of the test", key="exp_an_save_end")
        saved = st.form_submit_button("End the test with this result")
    if saved:
        try:
            ended = experiment_log.end_experiment(db, int(chosen), end_date, analysis)
        except RoError as error:
            _escaped_error(error)
            return
        st.success(
            fmt.md_escape(
                f"Saved: test #{ended.experiment_id} ended, outcome {ended.outcome or 'recorded'}; "
                "its hypothesis was updated."
            )
        )
