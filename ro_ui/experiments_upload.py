"""The Analyze tab's visitor-level CSV: upload, choose its columns, aggregate into the form.

The upload is copied to a temporary file under the database folder at once, its columns are
chosen (guessed first), and ``ro_core.experiment.orders_csv.summarise_visitor_file`` aggregates
it in DuckDB into the result form's table; what else the file gave (CUPED, segments, a cap) is
kept under EXTRAS for the results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from ro_core.errors import RoError
from ro_core.experiment.orders_csv import guess_columns, summarise_visitor_file, variant_csv_columns
from ro_core.ingest.layout import copy_to_work_dir
from ro_core.store.db import Database
from ro_ui import fmt
from ro_ui.components.result_form import ResultForm, replace_table
from ro_ui.imports import work_dir
from ro_ui.widgets import show_error

# --- session-state keys -----------------------------------------------------------------------
UPLOAD_ROUND = "exp_an_upload_round"
PENDING_FILE = "exp_an_pending_file"
FILE_ERROR = "exp_an_escaped_error"
COLUMN_KEYS = {
    "variant": "exp_an_column_variant",
    "converted": "exp_an_column_converted",
    "revenue": "exp_an_column_revenue",
    "visitor": "exp_an_column_visitor",
    "covariate": "exp_an_column_covariate",
    "segment": "exp_an_column_segment",
}
CAP_KEY = "exp_an_cap"
EXTRAS = "exp_an_file_extras"  # what else the uploaded file gave (CUPED, segments, cap)
FILE_CAP_LABELS = {None: "No cap", 0.99: "99th percentile", 0.95: "95th percentile"}
NOT_IN_FILE = "(not in this file)"


def _discard_pending() -> None:
    pending = st.session_state.pop(PENDING_FILE, None)
    if pending:
        Path(pending["path"]).unlink(missing_ok=True)
    for key in COLUMN_KEYS.values():
        st.session_state.pop(key, None)


def _take_upload(db: Database, upload: Any) -> None:
    """Copy the upload to our own temporary file, read its header, drop the upload."""
    _discard_pending()
    name = str(getattr(upload, "name", "upload.csv"))
    upload.seek(0)
    path = copy_to_work_dir(upload, work_dir(db))
    try:
        columns = variant_csv_columns(path, file_name=name)
    except RoError as error:
        path.unlink(missing_ok=True)
        st.session_state[FILE_ERROR] = error
    else:
        st.session_state[PENDING_FILE] = {"path": str(path), "name": name, "columns": columns}
        guesses = guess_columns(columns)
        st.session_state[COLUMN_KEYS["variant"]] = guesses["variant"] or columns[0]
        for role in ("converted", "revenue", "visitor", "covariate", "segment"):
            st.session_state[COLUMN_KEYS[role]] = guesses.get(role) or NOT_IN_FILE
    st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1
    st.rerun()


def _use_pending_file(form: ResultForm) -> None:
    """Aggregate the pending file into the editor's table (no st.* drawing in here)."""
    state = st.session_state
    pending = state.get(PENDING_FILE)
    if not pending:
        return

    def chosen(role: str) -> str | None:
        value = state.get(COLUMN_KEYS[role])
        return None if value in (None, NOT_IN_FILE) else value

    cap = state.get(CAP_KEY)
    try:
        summary = summarise_visitor_file(
            Path(pending["path"]),
            variant_column=chosen("variant") or "",
            converted_column=chosen("converted"),
            revenue_column=chosen("revenue"),
            visitor_column=chosen("visitor"),
            covariate_column=chosen("covariate"),
            segment_column=chosen("segment"),
            cap_percentile=cap if chosen("revenue") else None,
            file_name=pending["name"],
        )
    except RoError as error:
        state[FILE_ERROR] = error
        return
    assert summary.summary is not None
    replace_table(form, summary.summary)
    state[EXTRAS] = summary
    _discard_pending()


def upload_section(db: Database, form: ResultForm) -> None:
    """The expander that reads a visitor-level CSV into `form`'s table."""
    state = st.session_state
    state.setdefault(UPLOAD_ROUND, 0)
    pending = state.get(PENDING_FILE)
    with st.expander(
        "Upload a visitor-level CSV instead", expanded=bool(pending), icon=":material/upload_file:"
    ):
        st.caption(
            "One row per visitor with the variant they saw and whether they bought (1/0) "
            "and/or their revenue. With a visitor id column a visitor may have several rows "
            "(orders): they are added up per visitor."
        )
        upload = st.file_uploader(
            "Visitor-level CSV",
            type=["csv", "tsv", "txt", "gz", "zip"],
            key=f"exp_an_upload_{state[UPLOAD_ROUND]}",
        )
        if upload is not None:
            _take_upload(db, upload)
        error = state.pop(FILE_ERROR, None)
        if error is not None:
            show_error(error)
        if not pending:
            return
        columns = list(pending["columns"])
        st.markdown(f"**{fmt.md_escape(pending['name'])}**: which column holds what?")
        optional = [NOT_IN_FILE, *columns]
        for role, options in (
            ("variant", columns),
            ("converted", optional),
            ("revenue", optional),
            ("visitor", optional),
        ):
            if state.get(COLUMN_KEYS[role]) not in options:
                state[COLUMN_KEYS[role]] = options[0]
        for role in ("covariate", "segment"):
            if state.get(COLUMN_KEYS[role]) not in optional:
                state[COLUMN_KEYS[role]] = NOT_IN_FILE
        first, second, third, fourth = st.columns(4)
        first.selectbox("Variant", columns, key=COLUMN_KEYS["variant"])
        second.selectbox("Converted (1/0)", optional, key=COLUMN_KEYS["converted"])
        third.selectbox("Revenue", optional, key=COLUMN_KEYS["revenue"])
        fourth.selectbox("Visitor id", optional, key=COLUMN_KEYS["visitor"])
        first, second, third, _ = st.columns(4)
        first.selectbox(
            "Pre-test value (CUPED)",
            optional,
            key=COLUMN_KEYS["covariate"],
            help="Each visitor's revenue in the weeks before the test, or 1/0 for a returning "
            "customer: it narrows the interval without moving the estimate.",
        )
        second.selectbox(
            "Segment",
            optional,
            key=COLUMN_KEYS["segment"],
            help="Device, new vs returning, channel...: results per segment.",
        )
        third.selectbox(
            "Cap revenue outliers",
            list(FILE_CAP_LABELS),
            format_func=FILE_CAP_LABELS.get,
            key=CAP_KEY,
            help="Also show revenue per visitor with each visitor's revenue capped at this "
            "percentile of buyers, as the planner can.",
        )
        left, right = st.columns([1, 5])
        left.button(
            "Use this file",
            key="exp_an_use_file",
            type="primary",
            on_click=_use_pending_file,
            args=(form,),
        )
        right.button("Discard", key="exp_an_discard_file", on_click=_discard_pending)
