"""Hypotheses: the backlog of test ideas, scored with ICE or PIE, moved through their statuses."""

import streamlit as st

from ro_core.errors import RoError
from ro_core.loop import experiment_log as E
from ro_core.loop import hypotheses as H
from ro_core.metrics.funnel import STEP_LABELS
from ro_ui import cached, fmt, loop_views, views
from ro_ui.state import current_scope
from ro_ui.widgets import download_table, show_error

SCORING_OPTIONS = {H.ICE: "ICE", H.PIE: "PIE", "later": "Score later"}
LOCATIONS = [*H.LOCATION_SUGGESTIONS, *(f"Funnel step: {label}" for label in STEP_LABELS.values())]

db = cached.database()
scope = current_scope()
views.header("Hypotheses", scope)
st.caption(
    "Write down what you saw, where, the change you would test and what it should move. Score "
    "with ICE (impact, confidence, ease) or PIE (potential, importance, ease), each 1-10; the "
    "score is their mean. Status flow: idea -> planned -> running -> won / lost / inconclusive."
)


def _score_inputs(method: str, prefix: str, current: dict | None = None) -> dict[str, int]:
    """Three 1-10 sliders for the method's criteria."""
    columns = st.columns(3)
    values = {}
    for column, name in zip(columns, H.SCORING_METHODS[method], strict=True):
        values[name] = column.slider(
            name.capitalize(),
            min_value=H.MIN_SCORE,
            max_value=H.MAX_SCORE,
            value=int((current or {}).get(name) or 5),
            key=f"{prefix}_{name}",
            help=H.SCORE_HELP[name],
        )
    return values


# --- add --------------------------------------------------------------------------------------
created_id = st.session_state.pop(loop_views.CREATED_KEY, None)
counts = H.status_counts(db)
with st.expander("Add a hypothesis", expanded=not any(counts.values()), icon=":material/add:"):
    method = st.segmented_control(
        "Score with",
        list(SCORING_OPTIONS),
        format_func=SCORING_OPTIONS.__getitem__,
        default=H.ICE,
        key="new_hypothesis_scoring",
        required=True,
    )
    with st.form("new_hypothesis", clear_on_submit=True, border=False):
        title = st.text_input(
            "Title", max_chars=H.MAX_TITLE, key="new_hypothesis_title",
            placeholder="Show delivery dates on product pages",
        )  # fmt: skip
        columns = st.columns(2)
        location = columns[0].selectbox(
            "Where (page or funnel step)",
            LOCATIONS,
            index=None,
            accept_new_options=True,
            key="new_hypothesis_location",
            placeholder="Pick or type a page or step",
        )
        segment = columns[1].text_input(
            "Segment", key="new_hypothesis_segment", placeholder="mobile, new visitors, all..."
        )
        observation = st.text_area(
            "What was observed", key="new_hypothesis_observation",
            placeholder="Mobile checkout completion is 20% below desktop.",
        )  # fmt: skip
        source = st.selectbox(
            "Seen in (chart or opportunity)",
            H.SOURCE_SUGGESTIONS,
            index=None,
            accept_new_options=True,
            key="new_hypothesis_source",
        )
        change = st.text_area(
            "The change to test", key="new_hypothesis_change",
            placeholder="add Apple Pay and Google Pay to the mobile checkout",
        )  # fmt: skip
        columns = st.columns(2)
        metric = columns[0].selectbox(
            "Metric it should move",
            list(H.HYPOTHESIS_METRICS),
            format_func=H.HYPOTHESIS_METRICS.__getitem__,
            key="new_hypothesis_metric",
        )
        lift = columns[1].number_input(
            "Expected lift (%)",
            value=None,
            step=1.0,
            key="new_hypothesis_lift",
            help="Relative: 5 means +5% on the metric.",
        )
        scores = _score_inputs(method, "new_hypothesis") if method in H.SCORING_METHODS else {}
        added = st.form_submit_button("Add to backlog", icon=":material/add_task:")
    if added:
        try:
            item = H.add_hypothesis(
                db,
                title=title,
                metric=metric,
                location=location or "",
                segment=segment,
                observation=observation,
                proposed_change=change,
                expected_lift=None if lift is None else lift / 100,
                source=source or "",
                scoring=method if method in H.SCORING_METHODS else None,
                scores=scores,
            )
        except RoError as error:
            show_error(error)
        else:
            st.session_state[loop_views.CREATED_KEY] = item.hypothesis_id
            st.rerun()

if created_id is not None:
    st.success(f"Hypothesis #{created_id} is in the backlog.", icon=":material/task_alt:")

# --- the backlog ------------------------------------------------------------------------------------
if not any(counts.values()):
    st.info(
        "The backlog is empty. Add an idea above, or turn an opportunity on the Overview into "
        "one in a click.",
        icon=":material/lightbulb:",
    )
    st.stop()

st.subheader("Backlog")
st.caption(" · ".join(f"{H.STATUS_LABELS[s]}: {n}" for s, n in counts.items()))
columns = st.columns([3, 2])
shown_statuses = columns[0].multiselect(
    "Status",
    list(H.STATUSES),
    default=list(H.STATUSES),
    format_func=H.STATUS_LABELS.__getitem__,
    key="hypotheses_statuses",
)
sort_by = columns[1].selectbox(
    "Sort by", list(H.SORT_KEYS), format_func=H.SORT_KEYS.__getitem__, key="hypotheses_sort"
)
frame = H.hypotheses_frame(db, statuses=shown_statuses or None, sort_by=sort_by)
frame["status"] = frame["status"].map(H.STATUS_LABELS)
frame["scoring"] = frame["scoring"].str.upper()
frame["metric"] = frame["metric"].map(H.HYPOTHESIS_METRICS)
st.dataframe(
    frame,
    hide_index=True,
    key="hypotheses_table",
    column_order=[
        "hypothesis_id", "title", "status", "score", "scoring", "location", "segment", "metric",
        "expected_lift", "observation", "proposed_change", "source",
    ],
    column_config={
        "hypothesis_id": st.column_config.NumberColumn("#", format="%d"),
        "title": st.column_config.TextColumn("Title"),
        "status": st.column_config.TextColumn("Status"),
        "score": st.column_config.NumberColumn("Score", format="%.1f", help="Mean of 1-10 scores."),
        "scoring": st.column_config.TextColumn("Method"),
        "location": st.column_config.TextColumn("Where"),
        "segment": st.column_config.TextColumn("Segment"),
        "metric": st.column_config.TextColumn("Metric"),
        "expected_lift": st.column_config.NumberColumn("Expected lift", format="percent"),
        "observation": st.column_config.TextColumn("Observed"),
        "proposed_change": st.column_config.TextColumn("Change"),
        "source": st.column_config.TextColumn("Seen in"),
    },
)  # fmt: skip
download_table(frame, "hypotheses.csv", key="download_hypotheses")

# --- one hypothesis ---------------------------------------------------------------------------------
items = {h.hypothesis_id: h for h in H.list_hypotheses(db, sort_by=sort_by)}
if created_id in items:
    st.session_state["hypothesis_choice"] = created_id
if st.session_state.get("hypothesis_choice") not in items:
    st.session_state.pop("hypothesis_choice", None)
chosen_id = st.selectbox(
    "Work on",
    list(items),
    format_func=lambda i: f"#{i} {items[i].title} ({items[i].status_label})",
    key="hypothesis_choice",
)
chosen = items[chosen_id]
with st.container(border=True):
    st.markdown(
        f"{loop_views.status_badge(chosen.status)} **#{chosen.hypothesis_id} "
        f"{fmt.md_escape(chosen.title)}**"
        + (f" · score {chosen.score:.1f} ({chosen.scoring.upper()})" if chosen.score else "")
    )
    st.text(chosen.statement())
    if chosen.source:
        detail = f"Seen in: {chosen.source}"
        low = (chosen.source_detail or {}).get("gain_low")
        high = (chosen.source_detail or {}).get("gain_high")
        if low is not None and high is not None:
            detail += (
                f" (about {fmt.money(low, scope.currency, decimals=0)} to "
                f"{fmt.money(high, scope.currency, decimals=0)} a month at stake)"
            )
        st.caption(fmt.md_escape(detail))

    score_tab, status_tab, edit_tab = st.tabs(["Score", "Status", "Edit"])
    with score_tab:
        current_method = chosen.scoring or H.ICE
        method_key = f"score_method_{chosen.hypothesis_id}"
        picked = st.segmented_control(
            "Score with",
            list(H.SCORING_METHODS),
            format_func=SCORING_OPTIONS.__getitem__,
            default=current_method,
            key=method_key,
            required=True,
        )
        values = _score_inputs(
            picked,
            f"score_{chosen.hypothesis_id}_{picked}",
            chosen.scores if picked == chosen.scoring else None,
        )
        if st.button("Save score", key="save_score", icon=":material/star:"):
            try:
                H.score_hypothesis(db, chosen.hypothesis_id, picked, values)
            except RoError as error:
                show_error(error)
            else:
                st.rerun()
    with status_tab:
        active_tests = E.list_experiments(
            db, statuses=[E.PLANNED, E.RUNNING], hypothesis_id=chosen.hypothesis_id
        )
        if active_tests:
            test = active_tests[0]
            st.caption(
                f"Its test #{test.experiment_id} ({fmt.md_escape(test.name)}) is "
                f"{test.status_label.lower()}: start it, end it with its result or remove it in "
                "the Experiment log, which moves this hypothesis along."
            )
        elif chosen.next_statuses:
            st.caption(f"Now {chosen.status_label.lower()}. Move it to:")
            buttons = st.columns(len(chosen.next_statuses))
            for column, status in zip(buttons, chosen.next_statuses, strict=True):
                if column.button(H.STATUS_LABELS[status], key=f"move_to_{status}"):
                    try:
                        H.set_status(db, chosen.hypothesis_id, status)
                    except RoError as error:
                        show_error(error)
                    else:
                        st.rerun()
        else:
            st.caption(f"{chosen.status_label} is final.")
        st.page_link(
            loop_views.EXPERIMENT_LOG_PAGE,
            label="Plan, start and end its test in the Experiment log",
            icon=":material/science:",
        )
    with edit_tab:
        with st.form(f"edit_hypothesis_{chosen.hypothesis_id}", border=False):
            new_title = st.text_input("Title", value=chosen.title, max_chars=H.MAX_TITLE)
            columns = st.columns(2)
            new_location = columns[0].text_input("Where", value=chosen.location)
            new_segment = columns[1].text_input("Segment", value=chosen.segment)
            new_observation = st.text_area("What was observed", value=chosen.observation)
            new_change = st.text_area("The change to test", value=chosen.proposed_change)
            columns = st.columns(2)
            metrics = list(H.HYPOTHESIS_METRICS)
            new_metric = columns[0].selectbox(
                "Metric",
                metrics,
                index=metrics.index(chosen.metric),
                format_func=H.HYPOTHESIS_METRICS.__getitem__,
            )
            new_lift = columns[1].number_input(
                "Expected lift (%)",
                value=None if chosen.expected_lift is None else chosen.expected_lift * 100,
                step=1.0,
            )
            saved = st.form_submit_button("Save changes", icon=":material/save:")
        if saved:
            try:
                H.update_hypothesis(
                    db,
                    chosen.hypothesis_id,
                    title=new_title,
                    location=new_location,
                    segment=new_segment,
                    observation=new_observation,
                    proposed_change=new_change,
                    metric=new_metric,
                    expected_lift=None if new_lift is None else new_lift / 100,
                )
            except RoError as error:
                show_error(error)
            else:
                st.rerun()
        if st.button("Delete hypothesis", key="delete_hypothesis", icon=":material/delete:"):
            try:
                H.delete_hypothesis(db, chosen.hypothesis_id)
            except RoError as error:
                show_error(error)
            else:
                st.rerun()
