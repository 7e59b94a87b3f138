"""Views of the RO loop that several pages share: goal progress, the report download, turning an
opportunity into a hypothesis. The Overview calls :func:`overview_goals` and
:func:`opportunity_hypothesis_buttons`; the Goals, Hypotheses and Experiment log pages use the
rest. Every number comes from ro_core.loop / ro_core.present.report."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ro_core.errors import RoError
from ro_core.loop import goals as G
from ro_core.loop import hypotheses as H
from ro_core.metrics.scope import Scope
from ro_core.overview import Overview
from ro_core.present.report import build_report, report_file_name
from ro_core.store.db import Database, get_database
from ro_ui import cached, fmt
from ro_ui.widgets import show_error

GOALS_PAGE = "pages/goals.py"
HYPOTHESES_PAGE = "pages/hypotheses.py"
EXPERIMENT_LOG_PAGE = "pages/experiment_log.py"
CREATED_KEY = "loop_created_hypothesis"


# --- goals ----------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=cached.CACHE_ENTRIES)
def _goals_progress(
    db_path: str, version: int, scope_key: str, as_of: date, _scope: Scope
) -> list[G.GoalProgress]:
    # goals_progress measures the whole store in each goal's currency and notes a left-out
    # "Show only" segment (the rule lives in ro_core.loop.goals).
    return G.goals_progress(get_database(db_path), as_of, _scope.filters)


def goals_progress_for(db: Database, scope: Scope) -> list[G.GoalProgress]:
    """Progress of every goal to the latest day with data (the sidebar's anchor)."""
    as_of = scope.anchor or date.today()
    return _goals_progress(*cached.key(db), scope.cache_key(), as_of, scope)


def format_goal_value(value: Any, goal: G.Goal) -> str:
    """A goal's target or actual as shown: money in the goal's currency, or a percentage."""
    return goal.format_value(value)


def goal_scope_caption(progress: list[G.GoalProgress]) -> None:
    """The note that goals measure the whole store, when a "Show only" segment is set."""
    note = next((p.note for p in progress if p.note), "")
    if note:
        st.caption(fmt.md_escape(note))


def goal_progress_bars(progress: list[G.GoalProgress]) -> None:
    """One progress bar per goal with where it stands and the pace it needs (each goal in its
    own currency)."""
    columns = st.columns(min(max(len(progress), 1), 2))
    for position, item in enumerate(progress):
        goal = item.goal
        bar = min(max(item.share_of_target or 0.0, 0.0), 1.0)  # actual / target
        target = goal.format_value(goal.target)
        actual = goal.format_value(item.actual)
        with columns[position % len(columns)], st.container(border=True):
            st.progress(
                bar,
                text=f"**{fmt.md_escape(goal.label)}**: {fmt.md_escape(actual)} of "
                f"{fmt.md_escape(target)} · {item.status_label}",
            )
            st.caption(fmt.md_escape(item.summary()))


def overview_goals(db: Database, overview: Overview) -> None:
    """The Overview's goals block: the overview's goal progress and the report download."""
    st.subheader("Goals")
    progress = list(overview.goals)
    if progress:
        goal_scope_caption(progress)
        goal_progress_bars(progress)
    else:
        st.caption(fmt.md_escape(overview.goals_reason or "No goal for this period yet."))
    with st.container(horizontal=True, vertical_alignment="center"):
        st.page_link(GOALS_PAGE, label="Set goals", icon=":material/flag:")
        report_download_button(db, overview.scope, key="overview_report")


# --- the report -------------------------------------------------------------------------------
def report_download_button(db: Database, scope: Scope, *, key: str) -> None:
    """A button that writes the HTML report of the sidebar's scope (built on click)."""
    db_path = str(db.path)
    period = scope.period
    st.download_button(
        "Report (HTML)",
        data=lambda: build_report(get_database(db_path), scope).encode("utf-8"),
        file_name=report_file_name(period),
        mime="text/html",
        key=key,
        icon=":material/summarize:",
        on_click="ignore",
        help=f"A self-contained report of {period.start} to {period.end} to share: KPIs, "
        "revenue decomposition, funnel, opportunities, goals and tests. Opens offline.",
    )


# --- opportunities -> hypotheses -----------------------------------------------------------------
def _opportunity_label(row: dict[str, Any]) -> str:
    dimension = str(row.get("segment_dimension") or "")
    where = "Whole store" if dimension in ("", "store") else f"{dimension} = {row.get('segment')}"
    return f"{where} · {row.get('label') or row.get('step')}"


@st.cache_data(show_spinner=False, max_entries=cached.CACHE_ENTRIES)
def _hypothesis_sources(db_path: str, version: int) -> dict[str, int]:
    # every hypothesis written bumps the data version: read once per version, not every rerun
    return H.existing_source_keys(get_database(db_path))


def opportunity_hypothesis_buttons(db: Database, top: pd.DataFrame, currency: str | None) -> None:
    """One button per opportunity that adds it to the hypothesis backlog in one click."""
    if top is None or top.empty:
        return
    symbol = fmt.CURRENCY_SYMBOLS.get((currency or "").upper(), "")
    existing = _hypothesis_sources(*cached.key(db))
    st.caption("Turn an opportunity into a hypothesis:")
    created = None
    for position, row in enumerate(top.to_dict("records")):
        label = fmt.md_escape(_opportunity_label(row))
        known = existing.get(H.opportunity_key(row))
        if known is not None:
            st.button(
                f"{label} (hypothesis #{known})",
                key=f"opportunity_hypothesis_{position}",
                icon=":material/task_alt:",
                type="tertiary",
                disabled=True,
            )
            continue
        if st.button(
            label,
            key=f"opportunity_hypothesis_{position}",
            icon=":material/add_task:",
            type="tertiary",
            help="Add to the hypothesis backlog with what was observed and the expected lift.",
        ):
            try:
                created = H.hypothesis_from_opportunity(db, row, currency_symbol=symbol)
            except RoError as error:
                show_error(error)
    if created is not None:
        st.session_state[CREATED_KEY] = created.hypothesis_id
        st.success(
            f"Added hypothesis #{created.hypothesis_id}: {fmt.md_escape(created.title)}",
            icon=":material/add_task:",
        )
        st.page_link(HYPOTHESES_PAGE, label="Score it in Hypotheses", icon=":material/lightbulb:")


# --- small shared bits ----------------------------------------------------------------------------
def status_badge(status: str) -> str:
    """A coloured Streamlit badge for a hypothesis status."""
    colour = {
        H.IDEA: "gray",
        H.PLANNED: "blue",
        H.RUNNING: "violet",
        H.WON: "green",
        H.LOST: "red",
        H.INCONCLUSIVE: "orange",
    }.get(status, "gray")
    return f":{colour}-badge[{H.STATUS_LABELS.get(status, status)}]"
