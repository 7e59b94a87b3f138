"""Landing pages: where sessions start, how many bounce, convert and earn, and the revenue at
stake per page against comparable pages; engagement and bounce of the traffic source over time."""

import streamlit as st

from ro_core.metrics.catalog import METRICS, TERMS
from ro_ui import cached, fmt, views
from ro_ui.state import current_scope
from ro_ui.widgets import download_table, show_table

COLUMNS = {
    "landing_page": ("Landing page", "text"),
    "page_type": ("Type", "text"),
    "sessions": (METRICS["sessions"].short_label, "count"),
    "session_share": ("Share of sessions", "rate"),
    "bounce_rate": (METRICS["bounce_rate"].short_label, "rate"),
    "bounce_low": ("Bounce 95% low", "rate"),
    "bounce_high": ("Bounce 95% high", "rate"),
    "conversion_rate": (METRICS["conversion_rate"].short_label, "rate"),
    "cr_low": ("CR 95% low", "rate"),
    "cr_high": ("CR 95% high", "rate"),
    "rpv": (METRICS["rpv"].short_label, "money"),
    "benchmark_page": ("Compared with", "text"),
    "at_stake": (TERMS["landing_page_at_stake"].label, "money"),
    "at_stake_low": ("At stake, low", "money"),
    "at_stake_high": ("At stake, high", "money"),
    "small_sample": (TERMS["small_sample"].label, "text"),
}
TOP = 10

db = cached.database()
scope = current_scope()
views.header("Landing pages", scope)

if views.has_data(db, key="landing_pages"):
    use_events = st.toggle(
        "Use event data (a session's first viewed product)",
        key="landing_pages_events",
        help="By default the traffic source's landing-page report; event data is a separate "
        "source and never mixed into it.",
    )
    table = cached.landing_pages(db, scope, "events" if use_events else None)
    for note in table.notes:
        st.caption(fmt.md_escape(note))
    frame = table.frame
    if frame.empty:
        st.info("No landing pages in this period.", icon=":material/info:")
    else:
        shown = [c for c in COLUMNS if c in frame and frame[c].notna().any()]
        view = frame[shown].copy()
        if "small_sample" in view:
            view["small_sample"] = view["small_sample"].map({True: "small", False: ""})
        show_table(
            view,
            key="landing_pages_table",
            kinds={c: COLUMNS[c][1] for c in shown},
            labels={c: COLUMNS[c][0] for c in shown},
            currency=scope.currency,
        )
        download_table(frame, "landing_pages.csv", key="download_landing_pages")
        st.subheader("Most revenue at stake")
        ranked = frame[frame["rank"].notna()].sort_values("rank").head(TOP)
        if ranked.empty:
            st.caption(
                "No page with enough sample falls clearly behind the best comparable page of "
                "its type in this period."
            )
        else:
            columns = ["landing_page", "sessions", "conversion_rate", "benchmark_page",
                       "at_stake", "at_stake_low", "at_stake_high"]  # fmt: skip
            show_table(
                ranked[columns],
                key="landing_pages_at_stake",
                kinds={c: COLUMNS[c][1] for c in columns},
                labels={c: COLUMNS[c][0] for c in columns},
                currency=scope.currency,
            )
        st.caption(fmt.md_escape(TERMS["landing_page_at_stake"].help()))

    views.engagement_over_time(db, scope)
