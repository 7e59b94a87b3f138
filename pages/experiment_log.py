"""Experiment log: plan a test of a hypothesis with the calculator, start it (its dates go on the
trend charts), end it with the analyzer's result; past tests with outcome, lift, revenue impact
and the win rate over time."""

from datetime import date

import streamlit as st

from ro_core.errors import InvalidInputError, RoError
from ro_core.experiment import (
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDesign,
    VariantData,
    analyze_experiment,
)
from ro_core.loop import experiment_log as E
from ro_core.loop import hypotheses as H
from ro_core.loop.charts import win_rate_figure
from ro_ui import cached, fmt, loop_views, views
from ro_ui.state import current_filters
from ro_ui.widgets import download_table, money_column, show_error

MESSAGE_KEY = "experiment_log_message"
PLAN_METRICS = {"rpv": "Revenue per visitor (RPV)", "cr": "Conversion rate (CR)"}
PLAN_DEFAULTS = {
    "plan_cr": 2.5,
    "plan_rpv": 2.0,
    "plan_rpv_sd": 15.0,
    "plan_daily_sessions": 1000.0,
    "plan_mde": 10.0,
    "plan_share": 100.0,
    "plan_alpha": 0.05,
    "plan_power": 0.8,
}

db = cached.database()
filters = current_filters()
views.header("Experiment log", filters)
st.caption(
    "Every test from plan to result. A planned test keeps the calculator's settings and its "
    "expected duration; a running test shows on the trend charts; an ended test keeps the "
    "analyzer's result and settles its hypothesis."
)
message = st.session_state.pop(MESSAGE_KEY, None)
if message:
    st.success(fmt.md_escape(message), icon=":material/task_alt:")


def _number(value: object) -> float | None:
    return None if value is None else float(value)


# --- plan ---------------------------------------------------------------------------------------
plannable = H.list_hypotheses(db, statuses=[H.IDEA, H.PLANNED, H.INCONCLUSIVE], sort_by="score")
tests = E.list_experiments(db)
with st.expander("Plan a test", expanded=not tests, icon=":material/add_chart:"):
    if not plannable:
        st.info(
            "Plan a test of a hypothesis: add one (or turn an opportunity into one) first.",
            icon=":material/lightbulb:",
        )
        st.page_link(loop_views.HYPOTHESES_PAGE, label="Hypotheses", icon=":material/lightbulb:")
    else:
        store, problem = loop_views.store_baseline_for(db, filters)
        signature = (cached.key(db)[1], filters.period.start, filters.period.end)
        for key, value in PLAN_DEFAULTS.items():
            st.session_state.setdefault(key, value)
        if store and st.session_state.get("plan_prefilled_from") != signature:
            st.session_state["plan_prefilled_from"] = signature
            st.session_state["plan_cr"] = round(store["conversion_rate"] * 100, 3)
            st.session_state["plan_rpv"] = round(store["revenue_per_visitor"], 4)
            st.session_state["plan_rpv_sd"] = round(store["rpv_sd"], 4)
            if store["daily_sessions"]:
                st.session_state["plan_daily_sessions"] = round(store["daily_sessions"], 1)
        options = {h.hypothesis_id: h for h in plannable}
        hypothesis_id = st.selectbox(
            "Hypothesis",
            list(options),
            format_func=lambda i: f"#{i} {options[i].title} ({options[i].status_label})",
            key="plan_hypothesis",
        )
        metric = st.segmented_control(
            "Primary metric",
            list(PLAN_METRICS),
            format_func=PLAN_METRICS.__getitem__,
            default="rpv",
            key="plan_metric",
            required=True,
            help="RPV = CR x AOV is what pays; a CR test needs fewer visitors but can miss a "
            "drop in order value.",
        )
        st.caption(
            f"Baseline from {filters.period.label()} (the sidebar period)."
            if store
            else fmt.md_escape(problem or "Type the baseline.")
        )
        with st.form("plan_test", border=False):
            name = st.text_input(
                "Test name", key="plan_name", max_chars=E.MAX_NAME,
                placeholder=options[hypothesis_id].title,
            )  # fmt: skip
            columns = st.columns(4)
            if metric == "cr":
                columns[0].number_input(
                    "Baseline CR (%)", min_value=0.001, max_value=99.0, key="plan_cr", step=0.1
                )
            else:
                columns[0].number_input("Baseline RPV", min_value=0.0001, key="plan_rpv")
                columns[1].number_input(
                    "RPV standard deviation", min_value=0.0001, key="plan_rpv_sd"
                )
            columns[2].number_input(
                "Smallest lift worth finding (%)",
                min_value=0.1,
                key="plan_mde",
                step=1.0,
                help="The minimum detectable effect, relative: 10 means +10%.",
            )
            columns[3].number_input("Daily sessions", min_value=1.0, key="plan_daily_sessions")
            columns = st.columns(4)
            columns[0].number_input(
                "Traffic in the test (%)", min_value=1.0, max_value=100.0, key="plan_share"
            )
            columns[1].number_input(
                "Significance (alpha)", min_value=0.001, max_value=0.5, key="plan_alpha",
                step=0.01, format="%.3f",
            )  # fmt: skip
            columns[2].number_input(
                "Power", min_value=0.5, max_value=0.99, key="plan_power", step=0.05
            )
            planned_start = columns[3].date_input("Planned start", value=None, key="plan_start")
            planned = st.form_submit_button("Plan test", icon=":material/event:")
        if planned:
            state = st.session_state
            try:
                if metric == "cr":
                    baseline = ConversionBaseline(state["plan_cr"] / 100)
                else:
                    baseline = ContinuousBaseline(state["plan_rpv"], state["plan_rpv_sd"], "rpv")
                plan = E.plan_from_calculator(
                    baseline,
                    state["plan_mde"] / 100,
                    design=ExperimentDesign(alpha=state["plan_alpha"], power=state["plan_power"]),
                    daily_sessions=state["plan_daily_sessions"],
                    traffic_share=state["plan_share"] / 100,
                )
                test = E.plan_experiment(
                    db,
                    hypothesis_id,
                    name or options[hypothesis_id].title,
                    plan,
                    planned_start=planned_start,
                )
            except RoError as error:
                show_error(error)
            else:
                size = test.plan["sample_size"]
                st.session_state[MESSAGE_KEY] = (
                    f"Planned test #{test.experiment_id} {test.name}: "
                    f"{size['visitors_total']:,} visitors in all, about {test.expected_days} days."
                )
                st.rerun()


# --- planned and running ------------------------------------------------------------------------
def _plan_text(test: E.Experiment) -> str:
    size = (test.plan or {}).get("sample_size") or {}
    duration = (test.plan or {}).get("duration") or {}
    parts = [f"primary metric {E.PRIMARY_METRICS.get(test.primary_metric, test.primary_metric)}"]
    if size:
        parts.append(
            f"{size.get('per_variant', 0):,} {size.get('unit', 'visitors')} per variant, "
            f"{size.get('visitors_total') or size.get('total') or 0:,} visitors in all "
            f"(MDE {size.get('relative_mde', 0) * 100:+.1f}%)"
        )
    if test.expected_days:
        weeks = duration.get("weeks")
        parts.append(f"expected {test.expected_days} days" + (f" ({weeks} weeks)" if weeks else ""))
    if duration.get("warning"):
        parts.append(duration["warning"])
    return "; ".join(parts) + "."


def _arm_inputs(prefix: str, label: str) -> dict[str, float | None]:
    st.markdown(f"**{label}**")
    columns = st.columns(4)
    return {
        "visitors": columns[0].number_input(
            "Visitors", min_value=0, value=None, step=1, key=f"{prefix}_visitors"
        ),
        "conversions": columns[1].number_input(
            "Orders", min_value=0, value=None, step=1, key=f"{prefix}_conversions"
        ),
        "revenue": columns[2].number_input(
            "Revenue (optional)", min_value=0.0, value=None, key=f"{prefix}_revenue"
        ),
        "squares": columns[3].number_input(
            "Sum of squared order values (optional)",
            min_value=0.0,
            value=None,
            key=f"{prefix}_squares",
            help="Needed with revenue for RPV: the sum of each order's value squared.",
        ),
    }


def _arm(name: str, values: dict[str, float | None]) -> VariantData:
    if values["visitors"] is None or values["conversions"] is None:
        raise InvalidInputError(f"Type the visitors and orders of {name}.")
    return VariantData(
        name,
        int(values["visitors"]),
        int(values["conversions"]),
        _number(values["revenue"]),
        _number(values["squares"]),
    )


active = [t for t in tests if t.status in (E.PLANNED, E.RUNNING)]
if active:
    st.subheader("Planned and running")
titles = {h.hypothesis_id: h.title for h in H.list_hypotheses(db, sort_by="created_at")}
for test in active:
    tid = test.experiment_id
    with st.container(border=True):
        badge = ":blue-badge[Planned]" if test.status == E.PLANNED else ":violet-badge[Running]"
        st.markdown(
            f"{badge} **#{tid} {fmt.md_escape(test.name)}** · hypothesis "
            f"#{test.hypothesis_id} {fmt.md_escape(titles.get(test.hypothesis_id, ''))}"
        )
        st.caption(fmt.md_escape(_plan_text(test)))
        if test.status == E.PLANNED:
            columns = st.columns([2, 1, 1], vertical_alignment="bottom")
            start = columns[0].date_input(
                "Start date", value=test.planned_start or date.today(), key=f"start_date_{tid}"
            )
            if columns[1].button(
                "Start test", key=f"start_test_{tid}", icon=":material/play_arrow:"
            ):
                try:
                    started = E.start_experiment(db, tid, start)
                except RoError as error:
                    show_error(error)
                else:
                    end = started.planned_end
                    st.session_state[MESSAGE_KEY] = (
                        f"Test #{tid} is running from {start}"
                        + (f" to {end} (planned)" if end else "")
                        + "; its dates are on the trend charts."
                    )
                    st.rerun()
            if columns[2].button("Remove", key=f"delete_test_{tid}", icon=":material/delete:"):
                try:
                    E.delete_experiment(db, tid)
                except RoError as error:
                    show_error(error)
                else:
                    st.rerun()
        else:
            st.caption(
                f"Running since {test.start_date}"
                + (f", planned to end {test.planned_end}" if test.planned_end else "")
                + "."
            )
            with st.form(f"end_test_{tid}", border=False):
                end_day = st.date_input("End date", value=date.today(), key=f"end_date_{tid}")
                control = _arm_inputs(f"end_{tid}_control", "Control")
                variant = _arm_inputs(f"end_{tid}_variant", "Variant")
                ended = st.form_submit_button("Save result", icon=":material/fact_check:")
            if ended:
                try:
                    if end_day < test.start_date:
                        raise InvalidInputError(
                            f"The test ends ({end_day}) before it started ({test.start_date})."
                        )
                    arms = _arm("Control", control), _arm("Variant", variant)
                    has_revenue = arms[0].has_revenue and arms[1].has_revenue
                    analysis = analyze_experiment(
                        arms[0],
                        [arms[1]],
                        days=(end_day - test.start_date).days + 1,
                        primary_metric="rpv"
                        if has_revenue and test.primary_metric == "rpv"
                        else "cr",
                    )
                    closed = E.end_experiment(db, tid, end_day, analysis)
                except RoError as error:
                    show_error(error)
                else:
                    st.session_state[MESSAGE_KEY] = (
                        f"Test #{tid} ended: {H.STATUS_LABELS[closed.outcome]}. {closed.verdict}"
                    )
                    st.rerun()
            if st.button(
                "Stop without a result", key=f"stop_test_{tid}", icon=":material/stop_circle:"
            ):
                try:
                    E.end_experiment(db, tid, max(date.today(), test.start_date), None)
                except RoError as error:
                    show_error(error)
                else:
                    st.rerun()


# --- past tests ---------------------------------------------------------------------------------
st.subheader("Past tests")
past = E.experiments_frame(db, [t for t in tests if t.status == E.ENDED])
if past.empty:
    st.caption("No test has ended yet.")
else:
    won = int((past["outcome"] == H.WON).sum())
    impact = past.loc[past["outcome"] == H.WON, "monthly_revenue_impact"].dropna().sum()
    columns = st.columns(3)
    columns[0].metric("Tests ended", f"{len(past):,}", border=True)
    columns[1].metric("Win rate", fmt.rate(won / len(past), decimals=0), border=True)
    columns[2].metric(
        "Winners' revenue a month",
        fmt.money(impact, filters.currency),
        border=True,
        help="Sum over winning tests of their revenue-per-visitor lift x a month of traffic.",
    )
    shown = past.assign(outcome=past["outcome"].map(H.STATUS_LABELS))
    st.dataframe(
        shown,
        hide_index=True,
        key="past_tests",
        column_order=[
            "experiment_id", "name", "hypothesis_title", "start_date", "end_date", "days_run",
            "outcome", "relative_lift", "monthly_revenue_impact", "verdict",
        ],
        column_config={
            "experiment_id": st.column_config.NumberColumn("#", format="%d"),
            "name": st.column_config.TextColumn("Test"),
            "hypothesis_title": st.column_config.TextColumn("Hypothesis"),
            "start_date": st.column_config.DateColumn("Started"),
            "end_date": st.column_config.DateColumn("Ended"),
            "days_run": st.column_config.NumberColumn("Days"),
            "outcome": st.column_config.TextColumn("Outcome"),
            "relative_lift": st.column_config.NumberColumn("Lift", format="percent"),
            "monthly_revenue_impact": money_column("Revenue a month", filters.currency),
            "verdict": st.column_config.TextColumn("Verdict"),
        },
    )  # fmt: skip
    download_table(past, "experiment_log.csv", key="download_tests")
    grain = st.segmented_control(
        "Win rate by",
        ["month", "quarter"],
        format_func=str.capitalize,
        default="month",
        key="win_rate_grain",
        required=True,
    )
    st.plotly_chart(win_rate_figure(E.win_rate_over_time(past, grain)), key="win_rate_chart")
    with st.expander("A test's saved plan and result"):
        names = {t.experiment_id: t.name for t in tests if t.status == E.ENDED}
        picked = st.selectbox(
            "Test",
            list(names),
            format_func=lambda i: f"#{i} {names[i]}",
            key="past_test_choice",
        )
        record = E.get_experiment(db, picked)
        st.json({"plan": record.plan, "result": record.result}, expanded=False)

st.divider()
loop_views.report_download_button(db, filters, key="experiment_log_report")
