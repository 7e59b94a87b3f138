"""The Experiments page's Plan tab: sample size, duration and detectable effect before a test.

Widgets hold what people type (rates and shares in percent); every number shown comes from
``ro_core.experiment``. Percent inputs are handed to ro_core as text like "2.5%", which its
input checks read as 0.025 and quote back as typed in their messages. The store's baseline
(CR, AOV, RPV and their spread, daily sessions) pre-fills the inputs from
``ro_core.metrics.experiment_baseline_sums`` over the sidebar's period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ro_core.errors import RoError
from ro_core.experiment import (
    MAX_RECOMMENDED_WEEKS,
    Baseline,
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDesign,
    SampleSize,
    StoreBaseline,
    baseline_from_summary,
    control_share_from_split,
    duration_for,
    mde_by_week,
    mde_for_sample_size,
    mde_for_weeks,
    power_at,
    power_curve,
    sample_size,
)
from ro_core.metrics import BaselineSums, experiment_baseline_sums
from ro_core.metrics.periods import DateRange
from ro_core.present.experiment_charts import mde_by_week_figure, power_curve_figure
from ro_core.store.db import Database, get_database
from ro_ui import cached, fmt
from ro_ui.state import Filters, order_filters_from_items
from ro_ui.views import TRAFFIC_HINT
from ro_ui.widgets import download_table, money_column, show_error

# --- session-state keys -----------------------------------------------------------------------
METRIC = "exp_plan_metric"
CAP = "exp_plan_cap"
CR = "exp_plan_cr"  # percent
AOV = "exp_plan_aov"
AOV_SD = "exp_plan_aov_sd"
RPV = "exp_plan_rpv"
RPV_SD = "exp_plan_rpv_sd"
DAILY_SESSIONS = "exp_plan_daily_sessions"
TRAFFIC_SHARE = "exp_plan_traffic_share"  # percent
MDE_KIND = "exp_plan_mde_kind"
MDE_RELATIVE = "exp_plan_mde_relative"  # percent
MDE_ABSOLUTE = {
    "cr": "exp_plan_mde_abs_cr",
    "rpv": "exp_plan_mde_abs_rpv",
    "aov": "exp_plan_mde_abs_aov",
}
ALPHA = "exp_plan_alpha"  # percent
POWER = "exp_plan_power"  # percent
SIDES = "exp_plan_sides"
VARIANTS = "exp_plan_variants"
CORRECTION = "exp_plan_correction"
SPLIT = "exp_plan_split"
INVERSE_VISITORS = "exp_plan_inverse_visitors"
INVERSE_WEEKS = "exp_plan_inverse_weeks"
PREFILLED_FROM = "exp_plan_prefilled_from"

METRIC_LABELS = {
    "cr": "Conversion rate",
    "rpv": "Revenue per visitor",
    "aov": "Average order value",
}
CAP_LABELS = {
    None: "No cap",
    0.999: "99.9th percentile",
    0.99: "99th percentile",
    0.95: "95th percentile",
}
SIDES_LABELS = {"two": "Two-sided", "one": "One-sided"}
CORRECTION_LABELS = {"bonferroni": "Bonferroni", "sidak": "Šidák", "none": "None"}
MDE_KIND_LABELS = {"relative": "Relative (%)", "absolute": "Absolute"}

# Used when the store's data cannot give a baseline (nothing loaded, no traffic).
DEFAULTS: dict[str, Any] = {
    METRIC: "cr",
    CAP: None,
    CR: 3.0,
    AOV: 60.0,
    AOV_SD: 45.0,
    RPV: 1.8,
    RPV_SD: 14.0,
    DAILY_SESSIONS: 1000.0,
    TRAFFIC_SHARE: 100.0,
    MDE_KIND: "relative",
    MDE_RELATIVE: 10.0,
    MDE_ABSOLUTE["cr"]: 0.3,
    MDE_ABSOLUTE["rpv"]: 0.2,
    MDE_ABSOLUTE["aov"]: 5.0,
    ALPHA: 5.0,
    POWER: 80.0,
    SIDES: "two",
    VARIANTS: 1,
    CORRECTION: "bonferroni",
    SPLIT: "",
    INVERSE_VISITORS: 10_000,
    INVERSE_WEEKS: 4,
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


# --- the store's baseline ---------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _baseline_sums(
    db_path: str,
    version: int,
    start: date,
    end: date,
    items: tuple[tuple[str, Any], ...],
    cap_percentile: float | None,
) -> BaselineSums:
    return experiment_baseline_sums(
        get_database(db_path),
        DateRange(start, end),
        order_filters_from_items(items),
        cap_percentile,
    )


@dataclass(frozen=True)
class StoreFigures:
    """The store's baseline over the sidebar period, or why there is none."""

    sums: BaselineSums | None = None
    baseline: StoreBaseline | None = None
    problem: str | None = None


def store_figures(db: Database, filters: Filters | None, cap: float | None) -> StoreFigures:
    """Baseline sums over the sidebar period and the CR, AOV, RPV and spread they give."""
    if filters is None:
        return StoreFigures(problem="Open this page from the dashboard to use your store's data.")
    db_path, version = cached.key(db)
    if not cached.imports(db_path, version):
        return StoreFigures(problem="No data is loaded: the figures below are examples.")
    try:
        sums = _baseline_sums(
            db_path,
            version,
            filters.period.start,
            filters.period.end,
            filters.order_filter_items(),
            cap,
        )
    except RoError as error:
        return StoreFigures(problem=str(error))
    if sums.sessions is None:
        return StoreFigures(sums=sums, problem=TRAFFIC_HINT)
    try:
        baseline = baseline_from_summary(
            sums.sessions, sums.orders, sums.revenue, sums.revenue_sum_squares, cap=sums.cap_value
        )
    except RoError as error:
        return StoreFigures(sums=sums, problem=f"The selected period gives no baseline: {error}")
    return StoreFigures(sums=sums, baseline=baseline)


def _prefill(figures: StoreFigures, signature: tuple[Any, ...], *, force: bool = False) -> None:
    """Put the store's figures into the inputs when the data, period or cap changed."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    if not force and st.session_state.get(PREFILLED_FROM) == signature:
        return
    st.session_state[PREFILLED_FROM] = signature
    store = figures.baseline
    if store is not None:
        st.session_state[CR] = store.conversion_rate * 100
        st.session_state[AOV] = store.average_order_value
        st.session_state[AOV_SD] = store.order_value_sd
        st.session_state[RPV] = store.revenue_per_visitor
        st.session_state[RPV_SD] = store.rpv_sd
    sums = figures.sums
    if sums is not None and sums.daily_sessions:
        st.session_state[DAILY_SESSIONS] = float(sums.daily_sessions)


def _use_store_figures() -> None:
    st.session_state.pop(PREFILLED_FROM, None)


def _baseline_section(db: Database, filters: Filters | None, currency: str | None) -> StoreFigures:
    st.subheader("1. Your store today")
    cap = st.selectbox(
        "Cap order values at",
        list(CAP_LABELS),
        format_func=CAP_LABELS.__getitem__,
        key=CAP,
        help="A few very large orders inflate the spread of order values and so the sample a "
        "revenue test needs. Capping each order at a high percentile (winsorising) tames them; "
        "analyse the test with the same cap.",
    )
    figures = store_figures(db, filters, cap)
    signature = (*cached.key(db), str(filters.period) if filters else "", cap)
    if filters is not None:
        signature += (filters.order_filter_items(),)
    _prefill(figures, signature)
    sums, store = figures.sums, figures.baseline
    if store is not None and sums is not None and filters is not None:
        text = (
            f"Pre-filled from {filters.period.start} to {filters.period.end} "
            f"({sums.days} days with traffic): {store.sessions:,} sessions, {store.orders:,} "
            f"online orders, {fmt.money(store.revenue_sum, currency)} revenue"
        )
        if store.cap is not None:
            text += f", each order capped at {fmt.money(store.cap, currency)}"
        text += ". Change the period in the sidebar; edit any figure below."
        st.caption(fmt.md_escape(text))
    elif figures.problem:
        st.info(figures.problem, icon=":material/info:")

    columns = st.columns(6)
    columns[0].number_input(
        "Conversion rate (%)",
        min_value=0.0,
        max_value=100.0,
        step=0.1,
        format="%.2f",
        key=CR,
        help="Orders / sessions over the period.",
    )
    columns[1].number_input("Average order value", min_value=0.0, step=1.0, format="%.2f", key=AOV)
    columns[2].number_input(
        "Order value std. dev.",
        min_value=0.0,
        step=1.0,
        format="%.2f",
        key=AOV_SD,
        help="Standard deviation of order values.",
    )
    columns[3].number_input(
        "Revenue per visitor",
        min_value=0.0,
        step=0.1,
        format="%.2f",
        key=RPV,
        help="Revenue / sessions = CR x AOV.",
    )
    columns[4].number_input(
        "RPV std. dev.",
        min_value=0.0,
        step=0.5,
        format="%.2f",
        key=RPV_SD,
        help="Per visitor, non-buyers counting as 0: sqrt(p (s² + AOV²) - (p AOV)²).",
    )
    columns[5].number_input(
        "Daily sessions",
        min_value=0.0,
        step=100.0,
        format="%.0f",
        key=DAILY_SESSIONS,
        help="Average sessions per day over the period, for the test's duration.",
    )
    if figures.baseline is not None:
        st.button(
            "Reset to store figures",
            key="exp_plan_reset",
            on_click=_use_store_figures,
            icon=":material/restart_alt:",
        )
    return figures


# --- the test ---------------------------------------------------------------------------------


def _test_section(currency: str | None) -> str:
    st.subheader("2. The test")
    metric = st.segmented_control(
        "What decides the test",
        list(METRIC_LABELS),
        format_func=METRIC_LABELS.__getitem__,
        key=METRIC,
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
            key=MDE_KIND,
            horizontal=True,
            help="The smallest change worth detecting: relative (+10% of the baseline) or "
            "absolute (percentage points for CR, money for RPV and AOV).",
        )
        if kind == "relative":
            st.number_input("Relative MDE (%)", step=1.0, format="%.2f", key=MDE_RELATIVE)
        else:
            label = (
                "Absolute MDE (percentage points)"
                if metric == "cr"
                else f"Absolute MDE ({currency or 'money'})"
            )
            st.number_input(label, step=0.1, format="%.2f", key=MDE_ABSOLUTE[metric])
        st.number_input(
            "Share of traffic in the test (%)",
            min_value=0.0,
            max_value=100.0,
            step=5.0,
            format="%.0f",
            key=TRAFFIC_SHARE,
        )
    with middle:
        st.number_input(
            "Significance level α (%)",
            min_value=0.0,
            max_value=100.0,
            step=1.0,
            format="%.1f",
            key=ALPHA,
            help="The false-positive rate you accept: 5% is the usual choice.",
        )
        st.number_input(
            "Power (%)",
            min_value=0.0,
            max_value=100.0,
            step=5.0,
            format="%.0f",
            key=POWER,
            help="The chance to detect the MDE if it is real: 80% is the usual choice.",
        )
        st.radio(
            "Test",
            list(SIDES_LABELS),
            format_func=SIDES_LABELS.__getitem__,
            key=SIDES,
            horizontal=True,
            help="One-sided only looks for an improvement and needs fewer visitors.",
        )
    with right:
        st.number_input("Variants besides control", min_value=1, max_value=20, step=1, key=VARIANTS)
        st.selectbox(
            "Correction for several variants",
            list(CORRECTION_LABELS),
            format_func=CORRECTION_LABELS.__getitem__,
            key=CORRECTION,
            disabled=int(st.session_state[VARIANTS]) <= 1,
            help="Each variant is compared with control at α / k (Bonferroni) or "
            "1 - (1 - α)^(1/k) (Šidák), so the whole test keeps its false-positive rate.",
        )
        st.text_input(
            "Traffic split, control first",
            key=SPLIT,
            placeholder="even, e.g. 50/50 or 40/30/30",
            help="Weights for control and each variant; variants get equal weights.",
        )
    return metric


def design_from_inputs() -> ExperimentDesign:
    """The ExperimentDesign the inputs describe (InvalidInputError for bad values)."""
    state = st.session_state
    variants = state[VARIANTS]
    weights = split_weights(state[SPLIT])
    share = None if weights is None else control_share_from_split(weights, variants)
    return ExperimentDesign(
        alpha=percent_text(state[ALPHA]),
        power=percent_text(state[POWER]),
        two_sided=state[SIDES] == "two",
        variants=variants,
        correction=state[CORRECTION],
        control_share=share,
    )


def baseline_from_inputs(metric: str) -> Baseline:
    """The planning baseline of the chosen metric from the inputs."""
    state = st.session_state
    if metric == "rpv":
        return ContinuousBaseline(state[RPV], state[RPV_SD], "rpv")
    if metric == "aov":
        return ContinuousBaseline(state[AOV], state[AOV_SD], "aov", percent_text(state[CR]))
    return ConversionBaseline(percent_text(state[CR]))


def mde_from_inputs(metric: str) -> tuple[object, bool]:
    """(MDE as ro_core reads it, relative?)."""
    state = st.session_state
    if state[MDE_KIND] == "relative":
        return percent_text(state[MDE_RELATIVE]), True
    value = state[MDE_ABSOLUTE[metric]]
    return (percent_text(value) if metric == "cr" else value), False


def _value_text(metric: str, value: float, currency: str | None) -> str:
    return fmt.rate(value) if metric == "cr" else fmt.money(value, currency)


def _calculator_table(size: SampleSize) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "calculator": figure.name,
                "per_variant": figure.per_variant,
                "used_here": figure.is_default,
                "how": figure.description,
            }
            for figure in size.calculators
        ]
    )


def _results_section(
    metric: str,
    size: SampleSize,
    design: ExperimentDesign,
    currency: str | None,
) -> None:
    st.subheader("3. What the test needs")
    sides = "two-sided" if design.two_sided else "one-sided"
    text = (
        f"To detect {_value_text(metric, size.baseline_value, currency)} -> "
        f"{_value_text(metric, size.target_value, currency)} "
        f"({size.relative_mde * 100:+.1f}%) with {design.power:.0%} power at "
        f"{design.alpha:.1%} significance ({sides})"
    )
    if design.variants > 1:
        text += (
            f", each of {design.variants} variants compared with control at "
            f"{design.comparison_alpha:.2%}"
        )
    st.caption(fmt.md_escape(text + "."))
    first, second, _ = st.columns([1, 1, 2])
    first.metric(
        "Visitors per variant",
        fmt.count(size.visitors_per_variant),
        border=True,
        help="Rounded up. Control gets the same unless the split says otherwise.",
    )
    second.metric(
        "Total visitors", fmt.count(size.visitors_total), border=True, help="Control and variants."
    )
    if size.unit == "orders":
        st.caption(
            f"An average order value test counts orders: {size.per_variant:,} orders per "
            f"variant ({size.total:,} in all), turned into visitors with the conversion rate."
        )
    if size.control != size.per_variant:
        st.caption(f"Control gets {size.control:,} {size.unit} with this split.")
    st.markdown("**What other calculators give for the same inputs**")
    st.dataframe(
        _calculator_table(size),
        hide_index=True,
        key="exp_plan_calculators",
        column_config={
            "calculator": st.column_config.TextColumn("Calculator"),
            "per_variant": st.column_config.NumberColumn(
                f"{size.unit.capitalize()} per variant", format="localized"
            ),
            "used_here": st.column_config.CheckboxColumn("Used here"),
            "how": st.column_config.TextColumn("How it computes", width="large"),
        },
    )
    st.caption(size.explanation)


def _duration_section(size: SampleSize) -> None:
    state = st.session_state
    if not state[DAILY_SESSIONS]:
        st.info("Enter the daily sessions above to see how long the test runs.")
        return
    try:
        duration = duration_for(
            size,
            daily_sessions=state[DAILY_SESSIONS],
            traffic_share=percent_text(state[TRAFFIC_SHARE]),
        )
    except RoError as error:
        show_error(error)
        return
    first, second, third = st.columns(3)
    first.metric(
        "Days",
        fmt.count(duration.days),
        border=True,
        help=f"{duration.days_exact:,.1f} days of traffic; never under one full week.",
    )
    second.metric(
        "Run for",
        f"{duration.weeks} week{'s' * (duration.weeks != 1)}",
        border=True,
        help="Whole weeks, so every weekday counts equally.",
    )
    third.metric(
        "Visitors in the test per day",
        fmt.count(duration.daily_visitors_in_test),
        border=True,
    )
    if duration.warning:
        st.warning(duration.warning, icon=":material/schedule:")


def _revenue_versus_conversion(
    figures: StoreFigures, size: SampleSize, design: ExperimentDesign
) -> None:
    """How much longer an RPV test runs than a CR test on this store, and why."""
    store = figures.baseline
    if store is None:
        st.caption(
            "Load orders and traffic to see how much longer a revenue-per-visitor test runs "
            "here than a conversion-rate test."
        )
        return
    state = st.session_state
    relative = size.relative_mde
    try:
        cr_size = sample_size(store.conversion_baseline(), relative, design=design)
        rpv_size = sample_size(store.rpv_baseline(), relative, design=design)
        share = percent_text(state[TRAFFIC_SHARE])
        daily = state[DAILY_SESSIONS]
        cr_weeks = duration_for(cr_size, daily_sessions=daily, traffic_share=share).weeks
        rpv_weeks = duration_for(rpv_size, daily_sessions=daily, traffic_share=share).weeks
    except RoError:
        st.info(store.comparison_text, icon=":material/payments:")
        return
    st.info(
        fmt.md_escape(
            f"{store.comparison_text} For a {relative * 100:+.1f}% change: a conversion-rate "
            f"test needs {cr_size.per_variant:,} visitors per variant ({cr_weeks} week"
            f"{'s' * (cr_weeks != 1)}), a revenue-per-visitor test {rpv_size.per_variant:,} "
            f"({rpv_weeks} week{'s' * (rpv_weeks != 1)})."
        ),
        icon=":material/payments:",
    )


def _inverse_section(
    metric: str,
    baseline: Baseline,
    mde: object,
    relative: bool,
    design: ExperimentDesign,
    size: SampleSize,
    currency: str | None,
) -> pd.DataFrame | None:
    """MDE for a sample or a number of weeks, power of a sample; returns the MDE-by-week table."""
    st.subheader("4. What a given test can detect")
    state = st.session_state
    daily = state[DAILY_SESSIONS]
    share = percent_text(state[TRAFFIC_SHARE])
    first, second = st.columns(2, gap="large")
    with first:
        visitors = st.number_input(
            "Visitors per variant you can get", min_value=1, step=1000, key=INVERSE_VISITORS
        )
        try:
            units = baseline.units_for_visitors(visitors)
            detectable = mde_for_sample_size(baseline, units, design=design)
            power = power_at(baseline, mde, units, relative=relative, design=design)
        except RoError as error:
            show_error(error)
        else:
            one, two = st.columns(2)
            if detectable.detectable:
                one.metric(
                    "Smallest detectable lift",
                    f"{detectable.relative * 100:+.1f}%",
                    border=True,
                    help=fmt.md_escape(
                        f"{_value_text(metric, detectable.baseline_value, currency)} -> "
                        f"{_value_text(metric, detectable.target_value, currency)}"
                    ),
                )
            else:
                one.metric("Smallest detectable lift", "none", border=True)
                st.caption(detectable.message or "")
            two.metric(
                "Power for your MDE",
                f"{power:.0%}",
                border=True,
                help=f"The chance this sample detects a {size.relative_mde * 100:+.1f}% change.",
            )
    with second:
        weeks = st.number_input(
            "Weeks you can run", min_value=1, max_value=52, step=1, key=INVERSE_WEEKS
        )
        if not daily:
            st.caption("Enter the daily sessions above.")
        else:
            try:
                by_weeks = mde_for_weeks(
                    baseline, weeks, daily_sessions=daily, traffic_share=share, design=design
                )
            except RoError as error:
                show_error(error)
            else:
                value = f"{by_weeks.relative * 100:+.1f}%" if by_weeks.detectable else "none"
                st.metric(
                    f"Smallest detectable lift in {weeks} week{'s' * (weeks != 1)}",
                    value,
                    border=True,
                    help=by_weeks.message
                    or f"{fmt.count(by_weeks.per_variant)} {by_weeks.unit} per variant.",
                )
    if not daily:
        return None
    try:
        return mde_by_week(baseline, daily_sessions=daily, traffic_share=share, design=design)
    except RoError as error:
        show_error(error)
        return None


def _charts_section(
    metric: str,
    baseline: Baseline,
    mde: object,
    relative: bool,
    design: ExperimentDesign,
    size: SampleSize,
    table: pd.DataFrame | None,
    currency: str | None,
) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        try:
            curve = power_curve(baseline, mde, relative=relative, design=design)
        except RoError as error:
            show_error(error)
        else:
            st.plotly_chart(
                power_curve_figure(
                    curve,
                    target_power=design.power,
                    required=size.per_variant_exact,
                    unit=size.unit,
                ),
                key="exp_plan_power_chart",
            )
    with right:
        if table is not None:
            st.plotly_chart(
                mde_by_week_figure(table, planned_mde=size.relative_mde),
                key="exp_plan_mde_chart",
            )
    if table is None:
        return
    st.markdown(f"**Smallest detectable lift by week** (weeks 1 to {MAX_RECOMMENDED_WEEKS})")
    absolute_column = (
        st.column_config.NumberColumn("Absolute (points)", format="percent")
        if metric == "cr"
        else money_column("Absolute", currency)
    )
    st.dataframe(
        table,
        hide_index=True,
        key="exp_plan_mde_table",
        column_config={
            "weeks": st.column_config.NumberColumn("Weeks"),
            "visitors_per_variant": st.column_config.NumberColumn(
                "Visitors per variant", format="localized"
            ),
            "mde_relative": st.column_config.NumberColumn("Relative lift", format="percent"),
            "mde_absolute": absolute_column,
        },
    )
    download_table(table, "mde_by_week.csv", key="exp_plan_download_mde")


def render_plan(db: Database, filters: Filters | None) -> None:
    """The Plan tab."""
    currency = filters.currency if filters is not None else None
    figures = _baseline_section(db, filters, currency)
    metric = _test_section(currency)
    try:
        design = design_from_inputs()
        baseline = baseline_from_inputs(metric)
        mde, relative = mde_from_inputs(metric)
        size = sample_size(baseline, mde, relative=relative, design=design)
    except RoError as error:
        show_error(error)
        return
    _results_section(metric, size, design, currency)
    _duration_section(size)
    _revenue_versus_conversion(figures, size, design)
    table = _inverse_section(metric, baseline, mde, relative, design, size, currency)
    _charts_section(metric, baseline, mde, relative, design, size, table, currency)
