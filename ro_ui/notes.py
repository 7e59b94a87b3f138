"""Timeline notes on the Trends page: add, list and delete (drawn on every trend chart)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from ro_core.errors import RoError
from ro_core.store.annotations import add_annotation, delete_annotation
from ro_core.store.db import Database
from ro_ui import cached
from ro_ui.widgets import show_error


def notes_for_chart(db: Database) -> list[tuple[date, date | None, str]]:
    """Every note as (start, end, text) for ro_core.present.charts."""
    db_path, version = cached.key(db)
    return [(start, end, text) for _, start, end, text in cached.annotations(db_path, version)]


def notes_section(db: Database, default_day: date) -> None:
    """A form to add a note and a list to delete notes."""
    db_path, version = cached.key(db)
    rows = cached.annotations(db_path, version)
    with st.form("add_note", clear_on_submit=True, border=True):
        st.markdown("**Add a note to the timeline** (a launch, a sale, a tracking change)")
        columns = st.columns([1, 1, 3])
        start = columns[0].date_input("From", value=default_day, key="note_start")
        end = columns[1].date_input(
            "To (optional)", value=None, key="note_end", help="Leave empty for a single day."
        )
        text = columns[2].text_input(
            "Note", key="note_text", max_chars=200, placeholder="New checkout launched"
        )
        submitted = st.form_submit_button("Add note", icon=":material/add:")
    if submitted:
        try:
            add_annotation(db, start, text, end_date=end)
        except RoError as e:
            show_error(e)
        else:
            st.rerun()
    if not rows:
        return
    labels = {
        note_id: f"{start}{f' to {end}' if end else ''}: {text}"
        for note_id, start, end, text in rows
    }
    columns = st.columns([4, 1], vertical_alignment="bottom")
    chosen = columns[0].selectbox(
        "Notes", list(labels), format_func=labels.__getitem__, key="note_choice"
    )
    if columns[1].button("Delete note", key="delete_note", icon=":material/delete:"):
        try:
            delete_annotation(db, int(chosen))
        except RoError as e:
            show_error(e)
        else:
            st.rerun()
