"""The demo store: loaded on the very first run behind a progress bar, announced, removable in
one click.

The first run's load happens in a background thread: the page's frame and the sidebar are drawn
at once, and the script only waits, moving the bar one step per file imported, then reruns onto
the page with the demo's figures. The thread owns the writes, so a rerun in the meantime (a
sidebar change, a second tab) interrupts only the waiting, never an import, and waits on the same
load instead of starting another.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from ro_core.errors import RoError
from ro_core.ingest.imports import has_own_data
from ro_core.ingest.pipeline import remove_demo_data
from ro_core.metrics.versioned import remember
from ro_core.store.db import Database
from ro_core.store.settings import DEMO_OFFERED, get_setting, set_setting
from ro_ui import cached
from ro_ui.widgets import show_error

NOTICE_KEY = "demo_notice"
Progress = Callable[[int, int, str | None], None]  # (files done, files in all, file or None)
FIRST_RUN_LABEL = "First run: loading a demo store so you can look around..."
WAIT_SECONDS = 1.0  # the longest the waiting script goes without looking at the load


def _demo_module():
    try:
        return importlib.import_module("ro_core.demo")
    except ModuleNotFoundError:
        return None


def load_demo(db: Database, progress: Progress | None = None) -> bool:
    """Load the demo store (no st.* call while it writes); False when this build has none.

    ``progress`` is passed on to ``ro_core.demo.load_demo`` (files done, files in all, file).
    """
    module = _demo_module()
    if module is None:
        return False
    module.load_demo(db, progress=progress)
    set_setting(db, DEMO_OFFERED, "yes")
    return True


@dataclass
class _Load:
    """One demo load under way in a background thread: what the progress bar shows."""

    total: int
    done: int = 0
    current: str | None = None
    finished: bool = False
    error: BaseException | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def report(self, done: int, total: int, current: str | None) -> None:
        """The progress callback of ro_core.demo.load_demo (runs in the loading thread)."""
        with self.changed:
            self.done, self.total, self.current = done, total, current
            self.changed.notify_all()

    def state(self) -> tuple[int, int, str | None, bool]:
        """(done, total, current file, finished); read under `changed`."""
        return self.done, self.total, self.current, self.finished


_LOADS: dict[str, _Load] = {}  # database path -> its first-run load (this process)
_LOADS_LOCK = threading.Lock()


def _wants_demo(db: Database) -> bool:
    """The very first run: no warehouse engine, none of the owner's own imports, and the demo
    never loaded to the end (a server stopped during the load left some of its files: loading
    again completes it, the files already in are recognised by their bytes)."""
    return db.store_engine is None and not get_setting(db, DEMO_OFFERED) and not has_own_data(db)


def _run(db: Database, load: _Load) -> None:
    try:
        load_demo(db, progress=load.report)
    except BaseException as error:  # handed to the waiting script, which shows or raises it
        load.error = error
    finally:
        with load.changed:
            load.finished = True
            load.changed.notify_all()


def _start(db: Database, total: int) -> _Load | None:
    """The load under way for this database, a new one on the very first run, else None."""
    under_way = _LOADS.get(str(db.path))
    if (under_way is None or under_way.finished) and not remember(
        db, "ro_ui.demo: wants the demo", lambda: _wants_demo(db)
    ):
        return None  # known for this data version: most runs ask the database nothing
    with _LOADS_LOCK:
        load = _LOADS.get(str(db.path))
        if load is not None and not load.finished:
            return load
        if not _wants_demo(db):
            return None
        load = _LOADS[str(db.path)] = _Load(total=total)
        threading.Thread(target=_run, args=(db, load), name="ro-demo-load", daemon=True).start()
        return load


def _next_state(
    load: _Load, shown: tuple[int, int, str | None, bool] | None
) -> tuple[int, int, str | None, bool]:
    """The load's state once it differs from `shown`, or as it is after WAIT_SECONDS."""
    with load.changed:
        load.changed.wait_for(lambda: load.state() != shown, timeout=WAIT_SECONDS)
        return load.state()


def _wait_with_progress(load: _Load) -> None:
    """A status box with a progress bar, one step per demo file imported, until the load ends."""
    with st.status(FIRST_RUN_LABEL, expanded=True) as status:
        bar = st.progress(0.0, text="Preparing the demo exports...")
        shown = None
        while True:
            state = _next_state(load, shown)
            done, total, current, finished = state
            if state != shown:
                text = (
                    f"Importing {current} (file {done + 1} of {total})"
                    if current
                    else f"Imported {done} of {total} files"
                )
                bar.progress(min(done / max(total, 1), 1.0), text=text)
                shown = state
            if finished:
                break
        if load.error is None:
            status.update(label="Demo store loaded", state="complete")
        else:
            status.update(label="The demo store could not be loaded", state="error")


def first_run(db: Database) -> None:
    """On the very first run (empty database, demo never offered) load the demo store behind a
    progress bar, then rerun onto the page; never when an engine serves the store from a
    warehouse (imports go to the DuckDB file only). Call it after the sidebar is drawn."""
    module = _demo_module()
    if module is None:
        if _wants_demo(db):
            st.session_state[NOTICE_KEY] = "missing"
        return
    load = _start(db, len(module.DEMO_FILE_NAMES))
    if load is None:
        return
    st.session_state[NOTICE_KEY] = "loaded"  # kept when a rerun interrupts the wait
    _wait_with_progress(load)
    if load.error is None:
        st.rerun()
    cached.data_changed(db)  # the files loaded before the error show in the rest of this run
    st.session_state.pop(NOTICE_KEY, None)
    if isinstance(load.error, RoError):
        show_error(load.error)
        return
    raise load.error


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
