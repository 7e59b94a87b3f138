"""The Experiments page's Plan tab: sample size, duration and detectable effect before a test.

The inputs are the shared test-plan form (``ro_ui.components.test_plan_form``, under the
``exp_plan`` prefix): the Experiment log draws the same form with the same defaults. Every
number shown comes from ``ro_core.experiment``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ro_core.errors import RoError
from ro_core.experiment import (
    MAX_RECOMMENDED_WEEKS,
    Baseline,
    ExperimentDesign,
    SampleSize,
    duration_for,
    mde_by_week,
    mde_for_sample_size,
    mde_for_weeks,
    power_at,
    power_curve,
    sample_size,
)
from ro_core.experiment.cuped import cuped_visitors
from ro_core.experiment.cuped_baseline import RevenueCorrelation, customer_revenue_correlation
from ro_core.metrics.scope import Scope
from ro_core.present.experiment_charts import mde_by_week_figure, power_curve_figure
from ro_core.present.formatting import CHANGE, COUNT, MONEY_CHANGE, POINTS, TEXT
from ro_core.store.db import Database, get_database
from ro_ui import cached, fmt
from ro_ui.components.test_plan_form import (
    CAP_LABELS,
    CORRECTION_LABELS,
    DEFAULTS,
    MDE_KIND_LABELS,
    METRIC_LABELS,
    SIDES_LABELS,
    PlanForm,
    StoreFigures,
    percent_text,
    split_weights,
    store_figures,
    test_plan_form,
)
from ro_ui.widgets import download_table, show_error, show_table

__all__ = [
    "CAP_LABELS",
    "CORRECTION_LABELS",
    "DEFAULTS",
    "MDE_KIND_LABELS",
    "METRIC_LABELS",
    "SIDES_LABELS",
    "StoreFigures",
    "percent_text",
    "split_weights",
    "store_figures",
]

FORM = PlanForm("exp_plan")

# --- session-state keys (the shared form's, under this page's prefix) -------------------------
METRIC = FORM.key("metric")
CAP = FORM.key("cap")
CR = FORM.key("cr")  # percent
AOV = FORM.key("aov")
AOV_SD = FORM.key("aov_sd")
RPV = FORM.key("rpv")
RPV_SD = FORM.key("rpv_sd")
DAILY_SESSIONS = FORM.key("daily_sessions")
TRAFFIC_SHARE = FORM.key("traffic_share")  # percent
MDE_KIND = FORM.key("mde_kind")
MDE_RELATIVE = FORM.key("mde_relative")  # percent
MDE_ABSOLUTE = {m: FORM.key(f"mde_abs_{m}") for m in ("cr", "rpv", "aov")}
ALPHA = FORM.key("alpha")  # percent
POWER = FORM.key("power")  # percent
SIDES = FORM.key("sides")
VARIANTS = FORM.key("variants")
CORRECTION = FORM.key("correction")
SPLIT = FORM.key("split")
INVERSE_VISITORS = "exp_plan_inverse_visitors"
INVERSE_WEEKS = "exp_plan_inverse_weeks"
PREFILLED_FROM = FORM.key("prefilled_from")


# --- what the test needs ---------------------------------------------------------------------


def _value_text(metric: str, value: float, currency: str | None) -> str:
    return fmt.rate(value) if metric == "cr" else fmt.money(value, currency)


def _calculator_table(size: SampleSize) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "calculator": figure.name,
                "per_variant": figure.per_variant,
                "used_here": "yes" if figure.is_default else "no",
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
    show_table(
        _calculator_table(size),
        key="exp_plan_calculators",
        kinds={"per_variant": COUNT, "how": TEXT},
        labels={
            "calculator": "Calculator",
            "per_variant": f"{size.unit.capitalize()} per variant",
            "used_here": "Used here",
            "how": "How it computes",
        },
        widths={"how": "large"},
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


@st.cache_data(show_spinner=False, max_entries=cached.CACHE_ENTRIES)
def _revenue_correlation(db_path: str, version: int, key: str, _scope: Scope) -> RevenueCorrelation:
    return customer_revenue_correlation(get_database(db_path), _scope.period, _scope.filters)


def _cuped_section(db: Database, filters: Scope | None, size: SampleSize) -> None:
    """The sample size with CUPED, from the store's own customers (an estimate)."""
    if size.metric == "aov" or filters is None:
        return
    db_path, version = cached.key(db)
    if not cached.imports(db_path, version):
        return
    try:
        found = _revenue_correlation(
            db_path, version, repr((filters.period, filters.filters)), filters
        )
    except RoError as error:
        show_error(error)
        return
    if found.rho is None:
        st.caption(fmt.md_escape(f"CUPED estimate: {found.message}"))
        return
    with_cuped = cuped_visitors(size.per_variant, found.rho)
    st.info(
        fmt.md_escape(
            f"Estimate with CUPED: about {with_cuped:,} {size.unit} per variant instead of "
            f"{size.per_variant:,} ({fmt.rate(found.variance_reduction)} less variance), if the "
            "analysis adjusts for each visitor's revenue in the weeks before. Your "
            f"{found.customers:,} customers' revenue correlated rho = {found.rho:.2f} between "
            f"{found.previous.start} to {found.previous.end} and {found.current.start} to "
            f"{found.current.end}; a test's visitors include non-buyers, so the real gain can "
            "differ."
        ),
        icon=":material/tune:",
    )


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
                fmt.rate(power),
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
    show_table(
        table,
        key="exp_plan_mde_table",
        currency=currency,
        kinds={
            "weeks": COUNT,
            "visitors_per_variant": COUNT,
            "mde_relative": CHANGE,
            "mde_absolute": POINTS if metric == "cr" else MONEY_CHANGE,
        },
        labels={
            "weeks": "Weeks",
            "visitors_per_variant": "Visitors per variant",
            "mde_relative": "Relative lift",
            "mde_absolute": "Absolute (points)" if metric == "cr" else "Absolute",
        },
    )
    download_table(table, "mde_by_week.csv", key="exp_plan_download_mde")


def render_plan(db: Database, filters: Scope | None) -> None:
    """The Plan tab: the shared test-plan form, then what the test needs and can detect."""
    currency = filters.currency if filters is not None else None
    st.session_state.setdefault(INVERSE_VISITORS, 10_000)
    st.session_state.setdefault(INVERSE_WEEKS, 4)
    figures, plan = test_plan_form(
        FORM, db, filters, headings=("1. Your store today", "2. The test")
    )
    if plan is None:
        return
    metric, size, design = plan.metric, plan.size, plan.design
    _results_section(metric, size, design, currency)
    _duration_section(size)
    _cuped_section(db, filters, size)
    _revenue_versus_conversion(figures, size, design)
    table = _inverse_section(metric, plan.baseline, plan.mde, plan.relative, design, size, currency)
    _charts_section(metric, plan.baseline, plan.mde, plan.relative, design, size, table, currency)
