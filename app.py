"""ro-dashboard: the Streamlit entry point. Routes to the pages and draws the shared sidebar.

Run with `streamlit run app.py` (or `ro serve`). The database is $RO_DB or data/ro.duckdb.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import streamlit as st

from ro_ui.heap import freeze_loaded

RUN_STARTED = time.perf_counter()
# What the last run left alive (modules above all) is frozen out of the garbage collection
# Streamlit runs after every run: that collection took 80-90 ms a rerun (ro_ui/heap.py).
freeze_loaded()
# A local image: a Material-symbol page icon makes the browser fetch the favicon from Google's
# font server, and the app sends nothing off the machine.
ICON = Path(__file__).resolve().parent / "ro_ui" / "assets" / "icon.png"
st.set_page_config(page_title="Revenue optimization", page_icon=str(ICON), layout="wide")

# url_path differs from every file name on purpose: Streamlit still treats a folder named pages/
# as a "pages directory" whenever st.navigation has not run yet in the process (the first run
# after a restart, and every AppTest run), and would then run a page file whose name matches the
# URL directly, without this script and its sidebar. With distinct paths it runs app.py instead.
PAGES = [
    st.Page(
        "pages/overview.py",
        title="Overview",
        icon=":material/dashboard:",
        url_path="home",
        default=True,
    ),
    st.Page("pages/trends.py", title="Trends", icon=":material/show_chart:", url_path="kpi-trends"),
    st.Page(
        "pages/funnel.py", title="Funnel", icon=":material/filter_alt:", url_path="checkout-funnel"
    ),
    st.Page(
        "pages/segments.py",
        title="Segments",
        icon=":material/segment:",
        url_path="segment-breakdown",
    ),
    st.Page(
        "pages/products.py", title="Products", icon=":material/inventory_2:", url_path="catalog"
    ),
    st.Page(
        "pages/landing_pages.py",
        title="Landing pages",
        icon=":material/flight_land:",
        url_path="entry-pages",
    ),
    st.Page(
        "pages/experiments.py", title="Experiments", icon=":material/science:", url_path="ab-tests"
    ),
    st.Page("pages/goals.py", title="Goals", icon=":material/flag:", url_path="targets"),
    st.Page(
        "pages/hypotheses.py", title="Hypotheses", icon=":material/lightbulb:", url_path="backlog"
    ),
    st.Page(
        "pages/experiment_log.py",
        title="Experiment log",
        icon=":material/fact_check:",
        url_path="test-log",
    ),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="upload"),
]

page = st.navigation(PAGES)

# The dashboard's own modules load once the page's frame is drawn: on a fresh server their first
# import takes seconds (pandas, DuckDB, the metrics), and the navigation shows meanwhile. Later
# runs find them imported.
from ro_core.errors import RoError  # noqa: E402
from ro_ui import cached, demo  # noqa: E402
from ro_ui.sidebar import render_sidebar  # noqa: E402
from ro_ui.widgets import show_error  # noqa: E402

with ExitStack() as run:
    try:
        db = cached.database()
        # The data version is read once for the run, not at each cached lookup (ro_ui.cached).
        run.enter_context(cached.one_data_version(db))
        render_sidebar(db)  # drawn at once, also on the first run's empty database
        demo.first_run(db)  # the very first run: the demo loads behind a progress bar, reruns
        demo.banner(db)
    except RoError as error:
        show_error(error)
        st.stop()

    try:
        page.run()
    except RoError as error:
        show_error(error)

if os.environ.get("RO_TIMING"):  # one line per rerun on stderr: how long the script took
    print(
        f"ro-timing page={page.url_path or 'home'} seconds={time.perf_counter() - RUN_STARTED:.4f}",
        file=sys.stderr,
        flush=True,
    )
