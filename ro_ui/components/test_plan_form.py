"""The one test-plan form: the store's baseline and the test's settings, on every page that plans.

The Experiments page (Plan tab) and the Experiment log draw this same form, each under its own
key prefix (``PlanForm("exp_plan")``, ``PlanForm("plan")``), with the same defaults and the same
pre-fill: the store's CR, AOV and RPV over the sidebar period, taken from the KPI cards'
definitions (``ro_core.metrics.experiment_baseline_sums`` + ``ro_core.experiment.baseline``).

Widgets hold what people type (rates and shares in percent); percent inputs are handed to
ro_core as text like "2.5%", which its input checks read as 0.025 and quote back as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ro_core.errors import RoError
from ro_core.experiment import (
    Baseline,
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDesign,
    SampleSize,
    StoreBaseline,
    control_share_from_split,
    sample_size,
)
from ro_core.metrics import BaselineSums, experiment_baseline_sums
from ro_core.metrics.catalog import metric as catalog_metric
from ro_core.metrics.scope import Scope
from ro_core.store.db import Database, get_database
from ro_ui import cached, fmt
from ro_ui.views import TRAFFIC_HINT
from ro_ui.widgets import show_error

# Metrics a test can be decided on, in the catalogue's words.
METRIC_KEYS = {"cr": "conversion_rate", "rpv": "rpv", "aov": "aov"}
METRIC_LABELS = {key: catalog_metric(name).label for key, name in METRIC_KEYS.items()}
CAP_LABELS = {
    None: "No cap",
    0.999: "99.9th percentile",
    0.99: "99th percentile",
    0.95: "95th percentile",
}
SIDES_LABELS = {"two": "Two-sided", "one": "One-sided"}
CORRECTION_LABELS = {"bonferroni": "Bonferroni", "sidak": "Šidák", "none": "None"}
MDE_KIND_LABELS = {"relative": "Relative (%)", "absolute": "Absolute"}

# One set of defaults for every page (used when the store's data cannot give a baseline).
DEFAULTS: dict[str, Any] = {
    "metric": "cr",
    "cap": None,
    "cr": 3.0,  # percent
    "aov": 60.0,
    "aov_sd": 45.0,
    "rpv": 1.8,
    "rpv_sd": 14.0,
    "daily_sessions": 1000.0,
    "traffic_share": 100.0,  # percent
    "mde_kind": "relative",
    "mde_relative": 10.0,  # percent
    "mde_abs_cr": 0.3,  # percentage points
    "mde_abs_rpv": 0.2,
    "mde_abs_aov": 5.0,
    "alpha": 5.0,  # percent
    "power": 80.0,  # percent
    "sides": "two",
    "variants": 1,
    "correction": "bonferroni",
    "split": "",
}


def percent_text(value: object) -> str:
    """A percent typed in a widget as text ro_core reads as a fraction: 2.5 -> '2.5%'."""
    return f"{value!r}%" if isinstance(value, float) else f"{value}%"


def split_weights(text: str) -> list[str] | None:
    """'50/50', '40, 30, 30' or '40:30:30' as its parts (None for an empty field = even).

    The parts stay text: ro_core checks each is a positive number and says which is not.
    """
    parts = [part for part in re.split(r"[/,;:\s]+", text or "") if part]
    return parts or None


@dataclass(frozen=True)
class PlanForm:
    """The form under one key prefix: ``PlanForm('exp_plan').key('cr') == 'exp_plan_cr'``."""

    prefix: str

    def key(self, field: str) -> str:
        """The session-state key of one field."""
        return f"{self.prefix}_{field}"

    def defaults(self) -> dict[str, Any]:
        """Session-state keys and their default values."""
        return {self.key(field): value for field, value in DEFAULTS.items()}


# --- the store's baseline ---------------------------------------------------------------------


def _baseline_key(scope: Scope) -> str:
    """What changes the baseline: the period and the order filters (not grain or comparison)."""
    return repr((scope.period, scope.filters))


@st.cache_data(show_spinner=False, max_entries=cached.CACHE_ENTRIES)
def _baseline_sums(
    db_path: str, version: int, key: str, cap_percentile: float | None, _scope: Scope
) -> BaselineSums:
    return experiment_baseline_sums(
        get_database(db_path), _scope.period, _scope.filters, cap_percentile
    )


@dataclass(frozen=True)
class StoreFigures:
    """The store's baseline over the sidebar period, or why there is none."""

    sums: BaselineSums | None = None
    baseline: StoreBaseline | None = None
    problem: str | None = None


def store_figures(db: Database, scope: Scope | None, cap: float | None) -> StoreFigures:
    """Baseline sums over the sidebar period and the CR, AOV, RPV and spread they give."""
    if scope is None:
        return StoreFigures(problem="Open this page from the dashboard to use your store's data.")
    db_path, version = cached.key(db)
    if not cached.imports(db_path, version):
        return StoreFigures(problem="No data is loaded: the figures below are examples.")
    try:
        sums = _baseline_sums(db_path, version, _baseline_key(scope), cap, scope)
    except RoError as error:
        return StoreFigures(problem=str(error))
    if sums.sessions is None:
        return StoreFigures(sums=sums, problem=TRAFFIC_HINT)
    try:
        baseline = sums.store_baseline()
    except RoError as error:
        return StoreFigures(sums=sums, problem=f"The selected period gives no baseline: {error}")
    return StoreFigures(sums=sums, baseline=baseline)


def _prefill(
    form: PlanForm, figures: StoreFigures, signature: tuple[Any, ...], *, force: bool = False
) -> None:
    """Put the store's figures into the inputs when the data, period or cap changed."""
    state = st.session_state
    for key, value in form.defaults().items():
        state.setdefault(key, value)
    marker = form.key("prefilled_from")
    if not force and state.get(marker) == signature:
        return
    state[marker] = signature
    store = figures.baseline
    if store is not None:
        state[form.key("cr")] = store.conversion_rate * 100
        state[form.key("aov")] = store.average_order_value
        state[form.key("aov_sd")] = store.order_value_sd
        state[form.key("rpv")] = store.revenue_per_visitor
        state[form.key("rpv_sd")] = store.rpv_sd
    sums = figures.sums
    if sums is not None and sums.daily_sessions:
        state[form.key("daily_sessions")] = float(sums.daily_sessions)


def _baseline_inputs(
    form: PlanForm, db: Database, scope: Scope | None, currency: str | None
) -> StoreFigures:
    cap = st.selectbox(
        "Cap order values at",
        list(CAP_LABELS),
        format_func=CAP_LABELS.__getitem__,
        key=form.key("cap"),
        help="A few very large orders inflate the spread of order values and so the sample a "
        "revenue test needs. Capping each order at a high percentile (winsorising) tames them; "
        "analyse the test with the same cap.",
    )
    figures = store_figures(db, scope, cap)
    signature = (*cached.key(db), _baseline_key(scope) if scope else "", cap)
    _prefill(form, figures, signature)
    sums, store = figures.sums, figures.baseline
    if store is not None and sums is not None and scope is not None:
        text = (
            f"Pre-filled from {scope.period.start} to {scope.period.end} "
            f"({sums.days} days with traffic): {store.sessions:,} sessions, "
            f"{store.orders:,} online orders, {fmt.money(store.revenue_sum, currency)} online "
            f"revenue. CR ({store.conversion_rate_basis}), AOV and RPV are the KPI cards' "
            "figures for this period"
        )
        if store.cap is not None:
            text += f", except that each order is capped at {fmt.money(store.cap, currency)}"
        text += ". Change the period in the sidebar; edit any figure below."
        st.caption(fmt.md_escape(text))
        if store.identity_note and store.cap is None:
            st.caption(fmt.md_escape(store.identity_note))
    elif figures.problem:
        st.info(figures.problem, icon=":material/info:")

    columns = st.columns(6)
    columns[0].number_input(
        "Conversion rate (%)",
        min_value=0.0,
        max_value=100.0,
        step=0.1,
        format="%.2f",
        key=form.key("cr"),
        help=catalog_metric("conversion_rate").help(),
    )
    columns[1].number_input(
        "Average order value",
        min_value=0.0,
        step=1.0,
        format="%.2f",
        key=form.key("aov"),
        help=catalog_metric("aov").help(),
    )
    columns[2].number_input(
        "Order value std. dev.",
        min_value=0.0,
        step=1.0,
        format="%.2f",
        key=form.key("aov_sd"),
        help="Standard deviation of order values.",
    )
    columns[3].number_input(
        "Revenue per visitor",
        min_value=0.0,
        step=0.1,
        format="%.2f",
        key=form.key("rpv"),
        help=catalog_metric("rpv").help(),
    )
    columns[4].number_input(
        "RPV std. dev.",
        min_value=0.0,
        step=0.5,
        format="%.2f",
        key=form.key("rpv_sd"),
        help="Per visitor, non-buyers counting as 0: sqrt(p (s² + AOV²) - (p AOV)²) over the "
        "online orders.",
    )
    columns[5].number_input(
        "Daily sessions",
        min_value=0.0,
        step=100.0,
        format="%.0f",
        key=form.key("daily_sessions"),
        help="Average sessions per day over the period, for the test's duration.",
    )
    if figures.baseline is not None:
        st.button(
            "Reset to store figures",
            key=form.key("reset"),
            on_click=st.session_state.pop,
            args=(form.key("prefilled_from"), None),
            icon=":material/restart_alt:",
        )
    return figures


def _test_inputs(form: PlanForm, currency: str | None) -> str:
    state = st.session_state
    metric = st.segmented_control(
        "What decides the test",
        list(METRIC_LABELS),
        format_func=METRIC_LABELS.__getitem__,
        key=form.key("metric"),
        required=True,
        help="Revenue per visitor is what pays (RPV = CR x AOV) but needs more visitors, "
        "because order values vary.",
    )
    metric = metric or "cr"
    left, middle, right = st.columns(3)
    with left:
        kind = st.radio(
            "Minimum detectable effect",
            list(MDE_KIND_LABELS),
            format_func=MDE_KIND_LABELS.__getitem__,
            key=form.key("mde_kind"),
            horizontal=True,
            help="The smallest change worth detecting: relative (+10% of the baseline) or "
            "absolute (percentage points for CR, money for RPV and AOV).",
        )
        if kind == "relative":
            st.number_input(
                "Relative MDE (%)", step=1.0, format="%.1f", key=form.key("mde_relative")
            )
        else:
            label = (
                "Absolute MDE (percentage points)"
                if metric == "cr"
                else f"Absolute MDE ({currency or 'money'})"
            )
            st.number_input(label, step=0.1, format="%.2f", key=form.key(f"mde_abs_{metric}"))
        st.number_input(
            "Share of traffic in the test (%)",
            min_value=0.0,
            max_value=100.0,
            step=5.0,
            format="%.0f",
            key=form.key("traffic_share"),
        )
    with middle:
        st.number_input(
            "Significance level α (%)",
            min_value=0.0,
            max_value=100.0,
            step=1.0,
            format="%.1f",
            key=form.key("alpha"),
            help="The false-positive rate you accept: 5% is the usual choice.",
        )
        st.number_input(
            "Power (%)",
            min_value=0.0,
            max_value=100.0,
            step=5.0,
            format="%.0f",
            key=form.key("power"),
            help="The chance to detect the MDE if it is real: 80% is the usual choice.",
        )
        st.radio(
            "Test",
            list(SIDES_LABELS),
            format_func=SIDES_LABELS.__getitem__,
            key=form.key("sides"),
            horizontal=True,
            help="One-sided only looks for an improvement and needs fewer visitors.",
        )
    with right:
        st.number_input(
            "Variants besides control", min_value=1, max_value=20, step=1, key=form.key("variants")
        )
        st.selectbox(
            "Correction for several variants",
            list(CORRECTION_LABELS),
            format_func=CORRECTION_LABELS.__getitem__,
            key=form.key("correction"),
            disabled=int(state[form.key("variants")]) <= 1,
            help="Each variant is compared with control at α / k (Bonferroni) or "
            "1 - (1 - α)^(1/k) (Šidák), so the whole test keeps its false-positive rate.",
        )
        st.text_input(
            "Traffic split, control first",
            key=form.key("split"),
            placeholder="even, e.g. 50/50 or 40/30/30",
            help="Weights for control and each variant; variants get equal weights.",
        )
    return metric


# --- what the inputs describe -----------------------------------------------------------------


@dataclass(frozen=True)
class PlanInputs:
    """What the form describes, ready for ro_core (sample size already computed)."""

    metric: str
    baseline: Baseline
    mde: object
    relative: bool
    design: ExperimentDesign
    daily_sessions: float | None
    traffic_share: str  # percent text, e.g. '100.0%'
    size: SampleSize


def design_from_inputs(form: PlanForm) -> ExperimentDesign:
    """The ExperimentDesign the inputs describe (InvalidInputError for bad values)."""
    state = st.session_state
    variants = state[form.key("variants")]
    weights = split_weights(state[form.key("split")])
    share = None if weights is None else control_share_from_split(weights, variants)
    return ExperimentDesign(
        alpha=percent_text(state[form.key("alpha")]),
        power=percent_text(state[form.key("power")]),
        two_sided=state[form.key("sides")] == "two",
        variants=variants,
        correction=state[form.key("correction")],
        control_share=share,
    )


def baseline_from_inputs(form: PlanForm, metric: str) -> Baseline:
    """The planning baseline of the chosen metric from the inputs."""
    state = st.session_state
    cr = percent_text(state[form.key("cr")])
    if metric == "rpv":
        return ContinuousBaseline(state[form.key("rpv")], state[form.key("rpv_sd")], "rpv")
    if metric == "aov":
        return ContinuousBaseline(state[form.key("aov")], state[form.key("aov_sd")], "aov", cr)
    return ConversionBaseline(cr)


def mde_from_inputs(form: PlanForm, metric: str) -> tuple[object, bool]:
    """(MDE as ro_core reads it, relative?)."""
    state = st.session_state
    if state[form.key("mde_kind")] == "relative":
        return percent_text(state[form.key("mde_relative")]), True
    value = state[form.key(f"mde_abs_{metric}")]
    return (percent_text(value) if metric == "cr" else value), False


def test_plan_form(
    form: PlanForm,
    db: Database,
    scope: Scope | None,
    *,
    headings: tuple[str, str] = ("Your store today", "The test"),
) -> tuple[StoreFigures, PlanInputs | None]:
    """Draw the form; the store's figures and the plan it describes (None after an error,
    which is shown)."""
    currency = scope.currency if scope is not None else None
    st.subheader(headings[0])
    figures = _baseline_inputs(form, db, scope, currency)
    st.subheader(headings[1])
    metric = _test_inputs(form, currency)
    state = st.session_state
    try:
        design = design_from_inputs(form)
        baseline = baseline_from_inputs(form, metric)
        mde, relative = mde_from_inputs(form, metric)
        size = sample_size(baseline, mde, relative=relative, design=design)
    except RoError as error:
        show_error(error)
        return figures, None
    daily = state[form.key("daily_sessions")]
    return figures, PlanInputs(
        metric=metric,
        baseline=baseline,
        mde=mde,
        relative=relative,
        design=design,
        daily_sessions=float(daily) if daily else None,
        traffic_share=percent_text(state[form.key("traffic_share")]),
        size=size,
    )
