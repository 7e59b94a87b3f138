"""The Experiments page's Multivariate mode: plan a full factorial test, then read one from a
visitor-level CSV (a column per factor holding its level). Statistics come from
``ro_core.experiment.factorial_plan`` and ``ro_core.experiment.factorial``; this module draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ro_core.errors import RoError
from ro_core.experiment import ContinuousBaseline, ConversionBaseline
from ro_core.experiment.factorial import FactorialAnalysis, analyze_factorial
from ro_core.experiment.factorial_plan import parse_factors, plan_factorial
from ro_core.experiment.orders_csv import (
    guess_columns,
    summarise_visitor_file,
    variant_csv_columns,
)
from ro_core.ingest.layout import copy_to_work_dir
from ro_core.metrics.scope import Scope
from ro_core.present.formatting import COUNT, MONEY, P_VALUE, RATE, TEXT
from ro_core.store.db import Database
from ro_ui import fmt
from ro_ui.components.test_plan_form import METRIC_LABELS, percent_text, store_figures
from ro_ui.imports import work_dir
from ro_ui.widgets import show_error, show_table

FACTORS = "mvt_factors"
METRIC = "mvt_metric"
CR = "mvt_cr"  # percent
RPV = "mvt_rpv"
RPV_SD = "mvt_rpv_sd"
MAIN_MDE = "mvt_main_mde"  # percent
INTERACTION = "mvt_interaction"
INTERACTION_MDE = "mvt_interaction_mde"  # percent
DAILY = "mvt_daily_sessions"
PREFILLED = "mvt_prefilled"
UPLOAD_ROUND = "mvt_upload_round"
PENDING = "mvt_pending_file"
FACTOR_COLUMNS = "mvt_factor_columns"
CONVERTED = "mvt_converted"
REVENUE = "mvt_revenue"
VISITOR = "mvt_visitor"
AN_METRIC = "mvt_an_metric"
RESULT = "mvt_result"
ERROR = "mvt_error"
NOT_IN_FILE = "(not in this file)"
DEFAULTS: dict[str, Any] = {
    FACTORS: "headline: A, B\nbutton: green, blue, red",
    METRIC: "cr",
    CR: 3.0,
    RPV: 1.8,
    RPV_SD: 14.0,
    MAIN_MDE: 10.0,
    INTERACTION: False,
    INTERACTION_MDE: 20.0,
    DAILY: 1000.0,
}


def render_multivariate_plan(db: Database, filters: Scope | None) -> None:
    """Factors and levels in, combinations, visitors, weeks and advice out."""
    state = st.session_state
    for key, value in DEFAULTS.items():
        state.setdefault(key, value)
    figures = store_figures(db, filters, None)
    if figures.baseline is not None and state.get(PREFILLED) != repr(filters):
        state[PREFILLED] = repr(filters)
        state[CR] = figures.baseline.conversion_rate * 100
        state[RPV] = figures.baseline.revenue_per_visitor
        state[RPV_SD] = figures.baseline.rpv_sd
        if figures.sums is not None and figures.sums.daily_sessions:
            state[DAILY] = float(figures.sums.daily_sessions)
    st.subheader("1. Factors and their levels")
    st.text_area(
        "One factor per line: name: level, level (the first level is the control)",
        key=FACTORS,
        help="A number of levels also works: 'button: 3' names them A, B, C.",
    )
    st.subheader("2. The store and the effects worth finding")
    first, second, third = st.columns(3)
    first.radio(
        "Metric",
        ["cr", "rpv"],
        format_func=METRIC_LABELS.get,
        key=METRIC,
        horizontal=True,
    )
    if state[METRIC] == "cr":
        second.number_input("Conversion rate (%)", min_value=0.01, max_value=99.0, key=CR)
    else:
        second.number_input("Revenue per visitor", min_value=0.01, key=RPV)
        third.number_input("Its standard deviation per visitor", min_value=0.01, key=RPV_SD)
    first, second, third = st.columns(3)
    first.number_input("Main effect to detect (relative %)", min_value=0.1, key=MAIN_MDE)
    second.checkbox("Also plan for interactions", key=INTERACTION)
    if state[INTERACTION]:
        second.number_input(
            "Interaction to detect (relative %)", min_value=0.1, key=INTERACTION_MDE
        )
    third.number_input("Daily sessions", min_value=1.0, key=DAILY)
    try:
        baseline = (
            ConversionBaseline(percent_text(state[CR]))
            if state[METRIC] == "cr"
            else ContinuousBaseline(state[RPV], state[RPV_SD], "rpv")
        )
        plan = plan_factorial(
            parse_factors(state[FACTORS]),
            baseline,
            percent_text(state[MAIN_MDE]),
            interaction_mde=percent_text(state[INTERACTION_MDE]) if state[INTERACTION] else None,
            daily_sessions=state[DAILY],
        )
    except RoError as error:
        show_error(error)
        return
    st.subheader("3. What the test needs")
    one, two, three, four = st.columns(4)
    one.metric("Combinations", fmt.count(plan.combinations), border=True)
    two.metric("Total visitors", fmt.count(plan.visitors_total), border=True)
    three.metric("Per combination", fmt.count(plan.visitors_per_combination), border=True)
    if plan.duration is not None:
        four.metric(
            "Run for",
            f"{plan.duration.weeks} weeks",
            border=True,
            help=f"{plan.duration.days} days of traffic, in whole weeks.",
        )
    show_table(
        _needs_frame(plan.needs),
        key="mvt_needs",
        kinds={"visitors": COUNT, "kind": TEXT},
        labels={"term": "Effect", "kind": "Kind", "visitors": "Visitors to detect it"},
    )
    st.caption(
        f"Significance {plan.alpha:.0%} split over the {round(plan.alpha / plan.alpha_per_effect)}"
        f" effects the analysis reports ({plan.alpha_per_effect:.2%} each), power "
        f"{plan.power:.0%}; normal approximation on the difference scale."
    )
    for advice in plan.advice:
        if plan.too_many:
            st.warning(fmt.md_escape(advice), icon=":material/lightbulb:")
        else:
            st.info(fmt.md_escape(advice), icon=":material/lightbulb:")


def _needs_frame(needs: Any) -> pd.DataFrame:
    return pd.DataFrame([n.to_dict() for n in needs], columns=["term", "kind", "visitors"])


# --- analyze ------------------------------------------------------------------------------------


def _take_upload(db: Database, upload: Any) -> None:
    state = st.session_state
    _discard()
    name = str(getattr(upload, "name", "upload.csv"))
    upload.seek(0)
    path = copy_to_work_dir(upload, work_dir(db))
    try:
        columns = variant_csv_columns(path, file_name=name)
    except RoError as error:
        path.unlink(missing_ok=True)
        state[ERROR] = error
    else:
        state[PENDING] = {"path": str(path), "name": name, "columns": columns}
        guesses = guess_columns(columns)
        state[CONVERTED] = guesses["converted"] or NOT_IN_FILE
        state[REVENUE] = guesses["revenue"] or NOT_IN_FILE
        state[VISITOR] = guesses["visitor"] or NOT_IN_FILE
        taken = {v for v in guesses.values() if v}
        state[FACTOR_COLUMNS] = [c for c in columns if c not in taken][:2]
    state[UPLOAD_ROUND] = state.get(UPLOAD_ROUND, 0) + 1
    st.rerun()


def _discard() -> None:
    pending = st.session_state.pop(PENDING, None)
    if pending:
        Path(pending["path"]).unlink(missing_ok=True)


def _analyze_pending() -> None:
    """Aggregate the file per combination and fit the model (no st.* drawing here)."""
    state = st.session_state
    pending = state.get(PENDING)
    if not pending:
        return

    def chosen(key: str) -> str | None:
        value = state.get(key)
        return None if value in (None, NOT_IN_FILE) else value

    try:
        summary = summarise_visitor_file(
            Path(pending["path"]),
            factor_columns=list(state.get(FACTOR_COLUMNS) or []),
            converted_column=chosen(CONVERTED),
            revenue_column=chosen(REVENUE),
            visitor_column=chosen(VISITOR),
            file_name=pending["name"],
        )
        assert summary.cells is not None
        state[RESULT] = analyze_factorial(
            summary.cells, list(state[FACTOR_COLUMNS]), metric=state.get(AN_METRIC, "cr")
        )
    except RoError as error:
        state[ERROR] = error


def render_multivariate_analyze(db: Database, filters: Scope | None) -> None:
    """Upload a visitor-level CSV, choose the factor columns, read the effects."""
    state = st.session_state
    state.setdefault(UPLOAD_ROUND, 0)
    state.setdefault(AN_METRIC, "cr")
    st.caption(
        "One row per visitor: a column per factor holding the level the visitor saw, whether "
        "they bought (1/0) and/or their revenue."
    )
    upload = st.file_uploader(
        "Visitor-level CSV of a multivariate test",
        type=["csv", "tsv", "txt", "gz", "zip"],
        key=f"mvt_upload_{state[UPLOAD_ROUND]}",
    )
    if upload is not None:
        _take_upload(db, upload)
    error = state.pop(ERROR, None)
    if error is not None:
        show_error(error)
    pending = state.get(PENDING)
    if pending:
        columns = list(pending["columns"])
        optional = [NOT_IN_FILE, *columns]
        st.markdown(f"**{fmt.md_escape(pending['name'])}**: which columns hold what?")
        st.multiselect("Factor columns", columns, key=FACTOR_COLUMNS)
        first, second, third, fourth = st.columns(4)
        first.selectbox("Converted (1/0)", optional, key=CONVERTED)
        second.selectbox("Revenue", optional, key=REVENUE)
        third.selectbox("Visitor id", optional, key=VISITOR)
        fourth.radio(
            "Metric", ["cr", "rpv"], format_func=METRIC_LABELS.get, key=AN_METRIC, horizontal=True
        )
        st.button("Analyze", key="mvt_analyze", type="primary", on_click=_analyze_pending)
    result: FactorialAnalysis | None = state.get(RESULT)
    if result is not None:
        _render_result(result, filters.currency if filters is not None else None)


def _render_result(result: FactorialAnalysis, currency: str | None) -> None:
    st.subheader("Combinations")
    st.info(fmt.md_escape(result.statement), icon=":material/emoji_events:")
    if result.message:
        st.warning(fmt.md_escape(result.message), icon=":material/warning:")
    value_kind = RATE if result.metric == "cr" else MONEY
    show_table(
        result.cells.drop(columns=[f.name for f in result.factors]),
        key="mvt_cells",
        currency=currency,
        kinds={
            "combination": TEXT,
            "visitors": COUNT,
            "conversions": COUNT,
            "value": value_kind,
            "ci_low": value_kind,
            "ci_high": value_kind,
            "chance_best": RATE,
        },
        labels={
            "combination": "Combination",
            "visitors": "Visitors",
            "conversions": "Conversions",
            "value": METRIC_LABELS[result.metric],
            "ci_low": "Low",
            "ci_high": "High",
            "chance_best": "Chance it is the best",
        },
    )
    st.subheader("Effects")
    effects = pd.DataFrame([e.to_dict() for e in result.effects])
    show_table(
        effects.drop(columns=["standard_error"]),
        key="mvt_effects",
        kinds={"kind": TEXT, "levels": TEXT, "p_value": P_VALUE, "p_adjusted": P_VALUE},
        labels={
            "term": "Effect",
            "kind": "Kind",
            "levels": "Levels",
            "estimate": "Estimate",
            "ci_low": "Low",
            "ci_high": "High",
            "p_value": "p-value",
            "p_adjusted": "p (Holm)",
        },
    )
    scale = (
        "differences in log-odds (logistic model; e^estimate is the odds ratio)"
        if result.metric == "cr"
        else "differences in revenue per visitor (least squares, robust HC3 errors)"
    )
    st.caption(
        f"Estimates are {scale}. A main effect is a level against the factor's first level, "
        "averaged over the other factors; an interaction is how much one factor's effect "
        "changes with another's level (0: they act independently). p (Holm) adjusts for "
        "testing every effect at once."
    )
