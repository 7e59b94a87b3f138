"""Funnel: sessions -> product view -> cart -> checkout -> purchase, step and from-top rates,
drop-off; two periods or two segments side by side; open or closed for event data."""

import pandas as pd
import streamlit as st

from ro_core.metrics.funnel import compare_funnels
from ro_core.metrics.segments import TRAFFIC_SEGMENT_LABELS
from ro_core.present.charts import funnel_figure
from ro_ui import cached, fmt, views
from ro_ui.state import current_scope
from ro_ui.widgets import download_table

SOURCES = {"traffic": "Analytics report", "events": "Event data"}
SPLITS = {"periods": "This vs comparison period", "segments": "Segments", "none": "Whole store"}
MAX_SEGMENTS = 4

db = cached.database()
scope = current_scope()
views.header("Funnel", scope)


def _rates_table(frame: pd.DataFrame) -> None:
    st.dataframe(
        frame,
        hide_index=True,
        key="funnel_table",
        column_order=[
            c
            for c in (
                "group",
                "label",
                "sessions",
                "step_conversion",
                "from_top_conversion",
                "drop_off",
                "skipped",
            )
            if c in frame
        ],
        column_config={
            "group": st.column_config.TextColumn("Funnel"),
            "label": st.column_config.TextColumn("Step"),
            "sessions": st.column_config.NumberColumn("Sessions", format="localized"),
            "step_conversion": st.column_config.NumberColumn(
                "From previous step", format="percent"
            ),
            "from_top_conversion": st.column_config.NumberColumn(
                "From first step", format="percent"
            ),
            "drop_off": st.column_config.NumberColumn("Drop-off", format="localized"),
            "skipped": st.column_config.NumberColumn(
                "Skipped previous step",
                format="localized",
                help="Reached this step without the previous one (e.g. Buy Now).",
            ),
        },
    )


if views.has_data(db, key="funnel"):
    db_path, version = cached.key(db)
    cover = cached.coverage(db_path, version)
    sources = [s for s, ok in (("traffic", cover.has_traffic), ("events", cover.has_events)) if ok]
    if not sources:
        st.info(
            "A funnel needs step counts: a Shopify Analytics *Customer behavior* report "
            "(sessions with cart additions, reached checkout, completed checkout), a GA4 "
            "download, or an event-level export. Add one on the **Data** page.",
            icon=":material/info:",
        )
        st.stop()
    controls = st.container(horizontal=True, gap="large")
    if st.session_state.get("funnel_source") not in sources:
        st.session_state["funnel_source"] = sources[0]
    with controls:
        source = st.segmented_control(
            "Data",
            sources,
            format_func=SOURCES.__getitem__,
            key="funnel_source",
            required=True,
            persist_state="session",
        )
    closed = True
    if source == "events":
        with controls:
            closed = (
                st.segmented_control(
                    "Event funnel",
                    ["closed", "open"],
                    format_func={"closed": "Closed (steps in order)", "open": "Open"}.get,
                    key="funnel_closed",
                    persist_state="session",
                    default="closed",
                    required=True,
                    help="Closed counts a session at a step only after every earlier step; "
                    "open counts each step on its own.",
                )
                == "closed"
            )
    dimensions = cover.traffic_dimensions if source == "traffic" else cover.event_dimensions
    splits = [s for s in SPLITS if s != "segments" or dimensions]
    first_day = cover.traffic_first if source == "traffic" else cover.events_first
    other = scope.comparison
    if other is None or (first_day and other.start < first_day):
        splits = [s for s in splits if s != "periods"]
        if other is not None:
            st.caption(
                f"The comparison period starts before the {SOURCES[source].lower()} does "
                f"({first_day}), so periods are not compared here."
            )
    if st.session_state.get("funnel_split") not in splits:
        st.session_state["funnel_split"] = "none"  # the funnel opens on the whole store
    with controls:
        split = st.segmented_control(
            "Side by side",
            splits,
            format_func=SPLITS.__getitem__,
            key="funnel_split",
            required=True,
            persist_state="session",
        )

    def build(period, dimension=None):
        part = cached.in_period(scope, period)
        if source == "traffic":
            return cached.traffic_funnel_for(db, part, dimension)
        return cached.event_funnel_for(db, part, closed, dimension)

    if split == "segments":
        chosen = scope.breakdown.dimension if scope.breakdown else None
        default = chosen if chosen in dimensions else None
        if st.session_state.get("funnel_dimension") not in dimensions:
            st.session_state["funnel_dimension"] = default or dimensions[0]
        dimension = st.selectbox(
            "Segment",
            list(dimensions),
            format_func=lambda d: TRAFFIC_SEGMENT_LABELS.get(d, d.replace("_", " ")),
            key="funnel_dimension",
            persist_state="session",
        )
        result = build(scope.period, dimension)
        frame = result.frame.copy()
        top = list(dict.fromkeys(frame["segment"]))[:MAX_SEGMENTS]
        shown = frame[frame["segment"].isin(top)].assign(group=lambda d: d["segment"].astype(str))
        if len(set(frame["segment"])) > MAX_SEGMENTS:
            st.caption(f"The {MAX_SEGMENTS} largest segments by sessions; the table has all.")
        table = frame.assign(group=frame["segment"].astype(str))
    elif split == "periods":
        result = build(scope.period)
        base = build(other)
        current_name = f"{scope.period.start} to {scope.period.end}"
        base_name = f"{other.start} to {other.end}"
        shown = pd.concat(
            [
                result.frame.assign(group=current_name),
                base.frame.assign(group=base_name),
            ],
            ignore_index=True,
        )
        table = shown
    else:
        result = build(scope.period)
        shown = result.frame.assign(group="All")
        table = shown
    st.caption(fmt.md_escape(result.note))
    if result.frame.empty:
        st.info("No funnel data in this period.", icon=":material/info:")
    else:
        st.plotly_chart(funnel_figure(shown, group_column="group"), key="funnel_chart")
        _rates_table(table)
        download_table(table, f"funnel_{source}.csv", key="download_funnel")
        if split == "periods":
            st.subheader("Step conversion, this period vs comparison")
            comparison = compare_funnels(result, base)
            shown_change = comparison.assign(
                **{
                    column: comparison[column] * 100
                    for column in (
                        "step_conversion_change",
                        "step_conversion_change_low",
                        "step_conversion_change_high",
                    )
                }
            )
            st.dataframe(
                shown_change,
                hide_index=True,
                key="funnel_compare",
                column_order=[
                    "label",
                    "sessions",
                    "sessions_comparison",
                    "step_conversion",
                    "step_conversion_comparison",
                    "step_conversion_change",
                    "step_conversion_change_low",
                    "step_conversion_change_high",
                    "p_adjusted",
                ],
                column_config={
                    "label": st.column_config.TextColumn("Step"),
                    "sessions": st.column_config.NumberColumn("Sessions", format="localized"),
                    "sessions_comparison": st.column_config.NumberColumn(
                        "Sessions (comparison)", format="localized"
                    ),
                    "step_conversion": st.column_config.NumberColumn(
                        "From previous step", format="percent"
                    ),
                    "step_conversion_comparison": st.column_config.NumberColumn(
                        "Comparison", format="percent"
                    ),
                    "step_conversion_change": st.column_config.NumberColumn(
                        "Change", format="%+.2f pp"
                    ),
                    "step_conversion_change_low": st.column_config.NumberColumn(
                        "Change low (95%)", format="%+.2f pp"
                    ),
                    "step_conversion_change_high": st.column_config.NumberColumn(
                        "Change high (95%)", format="%+.2f pp"
                    ),
                    "p_adjusted": st.column_config.NumberColumn(
                        "p (BH across steps)", format="%.4f"
                    ),
                },
            )
            st.caption(
                "A change is a finding when its 95% interval leaves out 0 and its p-value, "
                "adjusted (Benjamini-Hochberg) for looking at every step at once, is below 0.05; "
                "otherwise it may be noise."
            )
            download_table(comparison, "funnel_comparison.csv", key="download_funnel_compare")
