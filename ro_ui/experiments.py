"""The Experiments page: plan an A/B test on the store's own traffic, then read its results.

``pages/experiments.py`` calls :func:`render`. The Plan tab lives in ``ro_ui.experiments_plan``
and the Analyze tab in ``ro_ui.experiments_analyze``; every statistic comes from
``ro_core.experiment`` and the store's baseline from ``ro_core.metrics``.
"""

from __future__ import annotations

import streamlit as st

from ro_core.metrics.scope import Scope
from ro_ui import cached, views
from ro_ui.experiments_analyze import render_analyze
from ro_ui.experiments_multivariate import (
    render_multivariate_analyze,
    render_multivariate_plan,
)
from ro_ui.experiments_plan import render_plan
from ro_ui.state import FILTERS_KEY

TAB_LABELS = ("Plan", "Analyze")
MODE = "exp_mode"
MODES = ("A/B/n", "Multivariate")


def render() -> None:
    """Draw the page (after app.py has drawn the sidebar, whose period feeds the baseline)."""
    db = cached.database()
    filters: Scope | None = st.session_state.get(FILTERS_KEY)
    if filters is not None:
        views.header("Experiments", filters)
    else:
        st.title("Experiments")
    st.caption(
        "Before a test: how many visitors and weeks it needs on your traffic. After it: did a "
        "variant win, on conversion rate and on revenue per visitor?"
    )
    mode = st.radio(
        "Test type",
        MODES,
        key=MODE,
        horizontal=True,
        help="A/B/n: control against one or more variants. Multivariate: several factors "
        "(headline x button colour), every combination shown.",
    )
    plan, analyze = st.tabs(list(TAB_LABELS))
    if mode == MODES[1]:
        with plan:
            render_multivariate_plan(db, filters)
        with analyze:
            render_multivariate_analyze(db, filters)
        return
    with plan:
        render_plan(db, filters)
    with analyze:
        render_analyze(db, filters)
