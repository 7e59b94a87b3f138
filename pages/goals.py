"""Goals: monthly or quarterly targets for revenue, CR, AOV and RPV, their progress and pace."""

import streamlit as st

from ro_core.errors import InvalidInputError, RoError
from ro_core.loop import goals as G
from ro_core.metrics.currency import store_currency
from ro_ui import cached, fmt, loop_views, views
from ro_ui.state import current_scope
from ro_ui.widgets import download_table, show_error

db = cached.database()
scope = current_scope()
views.header("Goals", scope)
anchor = scope.anchor
currency = store_currency(db)
in_currency = f" in {fmt.md_escape(currency)}, the store currency" if currency else ""
st.caption(
    "Set a target per month or quarter for the whole store. Progress counts from the period's "
    f"first day to the latest day with data ({anchor}); the pace says what the rest of the "
    f"period needs. Money targets are set{in_currency} and measured in the currency they were "
    "set in."
)

with st.form("goal_form", border=True):
    st.markdown("**Set a goal** (setting one again for the same period replaces it)")
    columns = st.columns([2, 1, 2, 2])
    metric = columns[0].selectbox(
        "Metric",
        list(G.GOAL_METRICS),
        format_func=lambda m: G.GOAL_METRICS[m][0],
        key="goal_metric",
    )
    period_kind = columns[1].selectbox(
        "Per", list(G.PERIOD_KINDS), format_func=G.PERIOD_KINDS.__getitem__, key="goal_kind"
    )
    day = columns[2].date_input(
        "Month or quarter of",
        value=anchor,
        key="goal_day",
        help="Any day inside the month or quarter.",
    )
    target = columns[3].number_input(
        "Target",
        min_value=0.0,
        value=None,
        step=1.0,
        key="goal_target",
        help=f"Money{in_currency or ' in the store currency'}; conversion rate in % "
        "(3.2 means 3.2%).",
    )
    submitted = st.form_submit_button("Save goal", icon=":material/flag:")
if submitted:
    try:
        if target is None:
            raise InvalidInputError("Type the target, e.g. 50000 for revenue or 3.2 for CR.")
        value = target / 100 if G.GOAL_METRICS[metric][1] == "rate" else target
        G.set_goal(db, metric, period_kind, day, value, currency=currency)
    except RoError as error:
        show_error(error)
    else:
        st.rerun()

try:
    progress = loop_views.goals_progress_for(db, scope)
except RoError as error:
    show_error(error)
    progress = []

if not progress:
    st.info("No goals yet: set the first one above.", icon=":material/flag:")
else:
    loop_views.goal_scope_caption(progress)
    current = [p for p in progress if anchor and p.goal.period.contains(anchor)]
    if current:
        st.subheader(f"Now ({anchor})")
        loop_views.goal_progress_bars(current)
    st.subheader("All goals")
    table = [
        {
            "goal_id": p.goal.goal_id,
            "goal": p.goal.label,
            "target": loop_views.format_goal_value(p.goal.target, p.goal),
            "actual": loop_views.format_goal_value(p.actual, p.goal),
            "share_of_target": p.share_of_target,
            "status": p.status_label,
            "pace": p.summary(),
        }
        for p in progress
    ]
    st.dataframe(
        table,
        hide_index=True,
        key="goals_table",
        column_config={
            "goal_id": st.column_config.NumberColumn("#", format="%d"),
            "goal": st.column_config.TextColumn("Goal"),
            "target": st.column_config.TextColumn("Target"),
            "actual": st.column_config.TextColumn("Actual to date"),
            "share_of_target": st.column_config.ProgressColumn(
                "Of target", format="percent", min_value=0.0, max_value=1.0
            ),
            "status": st.column_config.TextColumn("Status"),
            "pace": st.column_config.TextColumn("Where it stands and the pace needed"),
        },
    )
    download_table(G.progress_frame(progress), "goals.csv", key="download_goals")
    labels = {p.goal.goal_id: p.goal.label for p in progress}
    columns = st.columns([3, 1], vertical_alignment="bottom")
    chosen = columns[0].selectbox(
        "Goal", list(labels), format_func=labels.__getitem__, key="goal_choice"
    )
    if columns[1].button("Delete goal", key="delete_goal", icon=":material/delete:"):
        try:
            G.delete_goal(db, int(chosen))
        except RoError as error:
            show_error(error)
        else:
            st.rerun()

st.divider()
loop_views.report_download_button(db, scope, key="goals_report")
