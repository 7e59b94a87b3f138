"""Experiment log: plan a test of a hypothesis with the shared test-plan form, start it (its dates
go on the trend charts), log its result with the shared result form and its real dates; past
tests with outcome, lift, revenue impact and the win rate over time."""

from datetime import date

import streamlit as st

from ro_core.errors import InvalidInputError, RoError
from ro_core.experiment import duration_for
from ro_core.loop import experiment_log as E
from ro_core.loop import hypotheses as H
from ro_core.loop.charts import win_rate_figure
from ro_core.present.formatting import CHANGE, COUNT, DATE, MONEY
from ro_ui import cached, fmt, loop_views, views
from ro_ui.components.result_form import ResultForm, result_form
from ro_ui.components.test_plan_form import PlanForm, test_plan_form
from ro_ui.state import current_scope
from ro_ui.widgets import download_table, show_error, show_table

MESSAGE_KEY = "experiment_log_message"
PLAN_FORM = PlanForm("plan")

db = cached.database()
scope = current_scope()
views.header("Experiment log", scope)
st.caption(
    "Every test from plan to result. A planned test keeps the calculator's settings and its "
    "expected duration; a running test shows on the trend charts; an ended test keeps the "
    "analyzer's result and settles its hypothesis."
)
message = st.session_state.pop(MESSAGE_KEY, None)
if message:
    st.success(fmt.md_escape(message), icon=":material/task_alt:")


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
        options = {h.hypothesis_id: h for h in plannable}
        columns = st.columns([2, 2, 1])
        hypothesis_id = columns[0].selectbox(
            "Hypothesis",
            list(options),
            format_func=lambda i: f"#{i} {options[i].title} ({options[i].status_label})",
            key="plan_hypothesis",
        )
        name = columns[1].text_input(
            "Test name", key="plan_name", max_chars=E.MAX_NAME,
            placeholder=options[hypothesis_id].title,
        )  # fmt: skip
        planned_start = columns[2].date_input("Planned start", value=None, key="plan_start")
        _, plan = test_plan_form(PLAN_FORM, db, scope)
        if plan is not None:
            text = (
                f"The test needs {plan.size.visitors_per_variant:,} visitors per variant "
                f"({plan.size.visitors_total:,} in all)"
            )
            if plan.daily_sessions:
                try:
                    duration = duration_for(
                        plan.size,
                        daily_sessions=plan.daily_sessions,
                        traffic_share=plan.traffic_share,
                    )
                except RoError as error:
                    show_error(error)
                else:
                    text += f": about {duration.recommended_days} days ({duration.weeks} weeks)"
            st.caption(fmt.md_escape(text + ". The Experiments page shows the details."))
        if st.button("Plan test", key="plan_test", icon=":material/event:", disabled=plan is None):
            try:
                assert plan is not None
                test_plan = E.plan_from_calculator(
                    plan.baseline,
                    plan.mde,
                    relative=plan.relative,
                    design=plan.design,
                    daily_sessions=plan.daily_sessions,
                    traffic_share=plan.traffic_share,
                )
                test = E.plan_experiment(
                    db,
                    hypothesis_id,
                    name or options[hypothesis_id].title,
                    test_plan,
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


def _log_result(test: E.Experiment, *, finished: bool) -> None:
    """The shared result form for one test of the log, with its real dates, and the save."""
    tid = test.experiment_id
    form = ResultForm(f"end_{tid}")
    start, end = E.default_result_dates(test, date.today())
    plan = f"; planned: {test.expected_days} days" if test.expected_days else ""
    inputs = result_form(
        form,
        currency=scope.currency,
        start=start,
        end=end,
        dates_help="The days the test really ran: 'too early' is judged against the planned "
        f"duration{plan}.",
    )
    label = "Log the finished test" if finished else "Save result"
    if st.button(label, key=f"save_result_{tid}", icon=":material/fact_check:"):
        try:
            if inputs is None:
                raise InvalidInputError("Type the visitors and conversions of each arm first.")
            if inputs.is_example:
                raise InvalidInputError("These are example counts: type the test's own numbers.")
            if inputs.start is None or inputs.end is None:
                raise InvalidInputError("Pick the first and the last day of the test.")
            analysis = E.analyze_result(test, inputs.summary, inputs.start, inputs.end,
                                        **inputs.options)  # fmt: skip
            closed = E.record_result(db, tid, inputs.start, inputs.end, analysis)
        except RoError as error:
            show_error(error)
        else:
            st.session_state[MESSAGE_KEY] = (
                f"Test #{tid} ended ({closed.start_date} to {closed.end_date}, "
                f"{closed.days_run} days): {H.STATUS_LABELS[closed.outcome]}. {closed.verdict}"
            )
            st.rerun()


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
            with st.expander("Already ran? Log it with its result", icon=":material/history:"):
                _log_result(test, finished=True)
        else:
            st.caption(
                f"Running since {test.start_date}"
                + (f", planned to end {test.planned_end}" if test.planned_end else "")
                + "."
            )
            _log_result(test, finished=False)
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
    columns[0].metric("Tests ended", fmt.count(len(past)), border=True)
    columns[1].metric("Win rate", fmt.rate(won / len(past)), border=True)
    columns[2].metric(
        "Winners' revenue a month",
        fmt.money(impact, scope.currency),
        border=True,
        help="Sum over winning tests of their revenue-per-visitor lift x a month of traffic.",
    )
    shown = past.assign(outcome=past["outcome"].map(H.STATUS_LABELS))
    show_table(
        shown,
        key="past_tests",
        currency=scope.currency,
        column_order=[
            "experiment_id", "name", "hypothesis_title", "start_date", "end_date", "days_run",
            "outcome", "relative_lift", "monthly_revenue_impact", "verdict",
        ],
        kinds={
            "experiment_id": COUNT, "start_date": DATE, "end_date": DATE, "days_run": COUNT,
            "relative_lift": CHANGE, "monthly_revenue_impact": MONEY,
        },
        labels={
            "experiment_id": "#", "name": "Test", "hypothesis_title": "Hypothesis",
            "start_date": "Started", "end_date": "Ended", "days_run": "Days",
            "outcome": "Outcome", "relative_lift": "Lift", "monthly_revenue_impact":
            "Revenue a month", "verdict": "Verdict",
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
    st.plotly_chart(win_rate_figure(E.win_rate_over_time(past, grain), grain), key="win_rate_chart")
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
loop_views.report_download_button(db, scope, key="experiment_log_report")
