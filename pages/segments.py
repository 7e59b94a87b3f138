"""Segments: CR, AOV, RPV and revenue share per segment, 95% intervals, small samples flagged."""

import pandas as pd
import streamlit as st

from ro_core.metrics.catalog import METRICS
from ro_core.metrics.segments import NUMERIC_COLUMNS
from ro_core.present.charts import segment_figure
from ro_ui import cached, fmt, views
from ro_ui.state import current_scope
from ro_ui.widgets import download_table, money_column

# chart metric -> interval columns; labels and kinds come from the metric catalogue
CHART_INTERVALS = {
    "rpv": ("rpv_low", "rpv_high"),
    "conversion_rate": ("cr_low", "cr_high"),
    "aov": ("aov_low", "aov_high"),
    "revenue": (None, None),
    "sessions": (None, None),
}
CHART_METRICS = {
    key: (METRICS[key].label, METRICS[key].kind, low, high)
    for key, (low, high) in CHART_INTERVALS.items()
}


def _interval(low: object, high: object, kind: str, currency: str | None) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    if kind == "rate":
        return f"{fmt.rate(low)} – {fmt.rate(high)}"
    return f"{fmt.money(low, currency)} – {fmt.money(high, currency)}"


db = cached.database()
scope = current_scope()
views.header("Segments", scope)

if views.has_data(db, key="segments"):
    db_path, version = cached.key(db)
    dimensions = {
        f"{side}:{name}": label for side, name, label in cached.segment_dimensions(db_path, version)
    }
    if not dimensions:
        st.info("The loaded files have no segment to split by yet.", icon=":material/info:")
        st.stop()
    sidebar_choice = (
        f"{scope.breakdown.side}:{scope.breakdown.dimension}" if scope.breakdown else None
    )
    if st.session_state.get("segments_dimension") not in dimensions:
        st.session_state["segments_dimension"] = (
            sidebar_choice if sidebar_choice in dimensions else next(iter(dimensions))
        )
    choice = st.selectbox(
        "Split by",
        list(dimensions),
        format_func=dimensions.__getitem__,
        key="segments_dimension",
        persist_state="session",
    )
    side, _, dimension = choice.partition(":")
    breakdown = cached.segments(db, scope, dimension, side)
    st.caption(fmt.md_escape(breakdown.note))
    frame = breakdown.frame.copy()
    for column in NUMERIC_COLUMNS:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if frame.empty:
        st.info("No data for this split in the selected period.", icon=":material/info:")
    else:
        available = [m for m in CHART_METRICS if m in frame and frame[m].notna().any()]
        if st.session_state.get("segments_metric") not in available:
            st.session_state["segments_metric"] = available[0]
        metric = st.segmented_control(
            "Chart",
            available,
            format_func=lambda m: CHART_METRICS[m][0],
            key="segments_metric",
            persist_state="session",
            required=True,
        )
        label, kind, low, high = CHART_METRICS[metric]
        ordered = frame.sort_values(metric, ascending=False, na_position="last")
        st.plotly_chart(
            segment_figure(
                ordered,
                value=metric,
                low=low,
                high=high,
                label=label,
                kind=kind,
                currency_symbol=fmt.CURRENCY_SYMBOLS.get((scope.currency or "").upper(), ""),
            ),
            key="segments_chart",
        )
        small = int(frame["small_sample"].fillna(False).astype(bool).sum())
        if small:
            st.caption(
                f"{small} segment{'s' * (small != 1)} with fewer than 30 orders or 300 sessions "
                "are shown pale and left unranked: their rates are too uncertain to compare."
            )
        table = pd.DataFrame(
            {
                "segment": frame["segment"].astype(str),
                "sessions": frame["sessions"],
                "orders": frame["orders"],
                "revenue": frame["revenue"],
                "revenue_share": frame["revenue_share"],
                "conversion_rate": frame["conversion_rate"],
                "cr_interval": [
                    _interval(a, b, "rate", None)
                    for a, b in zip(frame["cr_low"], frame["cr_high"], strict=True)
                ],
                "aov": frame["aov"],
                "aov_interval": [
                    _interval(a, b, "money", scope.currency)
                    for a, b in zip(frame["aov_low"], frame["aov_high"], strict=True)
                ],
                "rpv": frame["rpv"],
                "rpv_interval": [
                    _interval(a, b, "money", scope.currency)
                    for a, b in zip(frame["rpv_low"], frame["rpv_high"], strict=True)
                ],
                "small_sample": frame["small_sample"].fillna(False).astype(bool),
                "rank": pd.to_numeric(frame["rank"], errors="coerce"),
            }
        )
        table = table[[c for c in table if not (table[c].isna() | table[c].eq("")).all()]]
        st.dataframe(
            table,
            hide_index=True,
            key="segments_table",
            column_config={
                "segment": st.column_config.TextColumn(dimensions[choice]),
                "sessions": st.column_config.NumberColumn("Sessions", format="localized"),
                "orders": st.column_config.NumberColumn("Orders", format="localized"),
                "revenue": money_column(METRICS["revenue"].short_label, scope.currency),
                "revenue_share": st.column_config.NumberColumn("Share", format="percent"),
                "conversion_rate": st.column_config.NumberColumn("CR", format="percent"),
                "cr_interval": st.column_config.TextColumn("CR 95%"),
                "aov": money_column(METRICS["aov"].short_label, scope.currency),
                "aov_interval": st.column_config.TextColumn("AOV 95%"),
                "rpv": money_column(METRICS["rpv"].short_label, scope.currency),
                "rpv_interval": st.column_config.TextColumn("RPV 95%"),
                "small_sample": st.column_config.CheckboxColumn(
                    "Small sample", help="Fewer than 30 orders or 300 sessions: not ranked."
                ),
                "rank": st.column_config.NumberColumn("Rank", format="%d"),
            },
        )
        st.caption("Click a column header to sort.")
        download_table(breakdown.frame, f"segments_{dimension}.csv", key="download_segments")
    if side == "traffic":
        views.engagement_by_segment(db, scope, dimension, dimensions[choice])
