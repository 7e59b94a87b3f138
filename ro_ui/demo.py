"""The demo store: loaded on the very first run, announced, removable in one click."""

from __future__ import annotations

import importlib

import streamlit as st

from ro_core.errors import RoError
from ro_core.ingest.pipeline import remove_demo_data
from ro_core.store.db import Database
from ro_core.store.settings import DEMO_OFFERED, get_setting, set_setting
from ro_ui import cached
from ro_ui.widgets import show_error

NOTICE_KEY = "demo_notice"


def _demo_module():
    try:
        return importlib.import_module("ro_core.demo")
    except ModuleNotFoundError:
        return None


def load_demo(db: Database) -> bool:
    """Load the demo store (no st.* call while it writes); False when this build has none."""
    module = _demo_module()
    if module is None:
        return False
    module.load_demo(db)
    set_setting(db, DEMO_OFFERED, "yes")
    return True


def first_run(db: Database) -> None:
    """On the very first run (empty database, demo never offered) load the demo store; never
    when an engine serves the store from a warehouse (imports go to the DuckDB file only)."""
    if db.store_engine is not None or not db.is_empty() or get_setting(db, DEMO_OFFERED):
        return
    if _demo_module() is None:
        st.session_state[NOTICE_KEY] = "missing"
        return
    try:
        with st.spinner("First run: loading a demo store so you can look around..."):
            loaded = load_demo(db)
    except RoError as e:
        show_error(e)
        return
    if loaded:
        st.session_state[NOTICE_KEY] = "loaded"


def banner(db: Database) -> None:
    """A banner while demo data is loaded, with one-click removal."""
    db_path, version = cached.key(db)
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice == "missing":
        st.warning("The demo store is not available in this build: add your own exports on Data.")
    if not cached.has_demo(db_path, version):
        return
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        text = (
            "**Demo store loaded** on first run: these numbers are made up. "
            if notice == "loaded"
            else "**You are looking at the demo store**: these numbers are made up. "
        )
        st.markdown(text + "Add your exports on **Data**, then remove the demo.")
        if st.button("Remove demo data", key="remove_demo", icon=":material/delete:"):
            try:
                removed = remove_demo_data(db)
            except RoError as e:
                show_error(e)
                return
            st.toast(f"Removed the demo store ({removed} imports).")
            st.rerun()


def offer_button(db: Database, *, key: str = "load_demo") -> None:
    """A button that loads the demo store (for empty states)."""
    if _demo_module() is None:
        return
    if st.button("Load the demo store", key=key, icon=":material/storefront:"):
        try:
            with st.spinner("Loading the demo store..."):
                load_demo(db)
        except RoError as e:
            show_error(e)
            return
        st.rerun()
