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
from ro_core.present.report import build_report, report_file_name
from ro_core.store.db import Database, get_database
from ro_ui import cached, fmt
from ro_ui.cached import FilterItems
from ro_ui.state import Filters, order_filters_from_items
from ro_ui.widgets import show_error

GOALS_PAGE = "pages/goals.py"
HYPOTHESES_PAGE = "pages/hypotheses.py"
EXPERIMENT_LOG_PAGE = "pages/experiment_log.py"
CREATED_KEY = "loop_created_hypothesis"


# --- goals ----------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=cached.CACHE_ENTRIES)
def _goals_progress(
    db_path: str, version: int, as_of: date, items: FilterItems
) -> list[G.GoalProgress]:
    # goals_progress measures the whole store in each goal's currency and notes a left-out
    # "Show only" segment (the rule lives in ro_core.loop.goals).
    return G.goals_progress(get_database(db_path), as_of, order_filters_from_items(items))


def goals_progress_for(db: Database, filters: Filters) -> list[G.GoalProgress]:
    """Progress of every goal to the latest day with data (the sidebar's anchor)."""
    db_path, version = cached.key(db)
    as_of = filters.anchor or date.today()
    return _goals_progress(db_path, version, as_of, filters.order_filter_items())


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


def overview_goals(db: Database, filters: Filters) -> None:
    """The Overview's goals block: goals whose month or quarter overlaps the sidebar period, with
    progress to the latest day with data, and the report download."""
    period = filters.period
    try:
        progress = [
            p
            for p in goals_progress_for(db, filters)
            if p.goal.period.start <= period.end and p.goal.period.end >= period.start
        ]
    except RoError as error:
        show_error(error)
        return
    st.subheader("Goals")
    if progress:
        goal_scope_caption(progress)
        goal_progress_bars(progress)
    else:
        st.caption("No goal for a month or quarter in this period yet.")
    columns = st.columns([1, 1, 3], vertical_alignment="center")
    with columns[0]:
        st.page_link(GOALS_PAGE, label="Set goals", icon=":material/flag:")
    with columns[1]:
        report_download_button(db, filters, key="overview_report")


# --- the report -------------------------------------------------------------------------------
def _report_bytes(db_path: str, start: date, end: date, items: FilterItems, compare: str) -> bytes:
    from ro_core.metrics.periods import DateRange

    return build_report(
        get_database(db_path),
        DateRange(start, end),
        order_filters_from_items(items),
        compare=None if compare == "none" else compare,
    ).encode("utf-8")


def report_download_button(db: Database, filters: Filters, *, key: str) -> None:
    """A button that writes the HTML report of the sidebar's period (built on click)."""
    db_path = str(db.path)
    period = filters.period
    items = filters.order_filter_items()
    compare = filters.compare if filters.comparable else "none"
    st.download_button(
        "Report (HTML)",
        data=lambda: _report_bytes(db_path, period.start, period.end, items, compare),
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


def opportunity_hypothesis_buttons(db: Database, top: pd.DataFrame, currency: str | None) -> None:
    """One button per opportunity that adds it to the hypothesis backlog in one click."""
    if top is None or top.empty:
        return
    symbol = fmt.CURRENCY_SYMBOLS.get((currency or "").upper(), "")
    existing = H.existing_source_keys(db)
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


# --- the store's baseline for planning a test ------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=cached.CACHE_ENTRIES)
def _store_baseline(
    db_path: str, version: int, start: date, end: date, items: FilterItems
) -> tuple[dict[str, float] | None, str | None]:
    from ro_core.experiment import baseline_from_summary
    from ro_core.metrics import experiment_baseline_sums
    from ro_core.metrics.periods import DateRange

    try:
        sums = experiment_baseline_sums(
            get_database(db_path), DateRange(start, end), order_filters_from_items(items)
        )
        if sums.sessions is None:
            return None, "No traffic in the sidebar period: type the baseline yourself."
        store = baseline_from_summary(
            sums.sessions, sums.orders, sums.revenue, sums.revenue_sum_squares
        )
    except RoError as error:
        return None, str(error)
    figures = {
        "conversion_rate": store.conversion_rate,
        "revenue_per_visitor": store.revenue_per_visitor,
        "rpv_sd": store.rpv_sd,
        "daily_sessions": float(sums.daily_sessions or 0.0),
    }
    return figures, None


def store_baseline_for(
    db: Database, filters: Filters
) -> tuple[dict[str, float] | None, str | None]:
    """CR, RPV, its standard deviation and daily sessions over the sidebar period, or why not."""
    db_path, version = cached.key(db)
    return _store_baseline(
        db_path, version, filters.period.start, filters.period.end, filters.order_filter_items()
    )


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
