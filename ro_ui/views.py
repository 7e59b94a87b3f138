"""Views several pages draw: the page header, KPI cards, empty and missing-traffic states."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ro_core.health.detect import Alert
from ro_core.metrics.catalog import METRICS
from ro_core.metrics.scope import Scope
from ro_core.overview import Card, Overview
from ro_core.present.charts import DOWN_COLOR, UP_COLOR
from ro_core.present.formatting import rate
from ro_core.present.svg_charts import NEUTRAL_COLOR, sparkline_svg
from ro_core.store.db import Database
from ro_ui import cached, demo, fmt
from ro_ui.widgets import DATA_PAGE, show_table

TRAFFIC_HINT = (
    "Sessions, conversion rate (CR) and revenue per session (RPV) need traffic: add a Shopify "
    "Analytics report (*Sessions over time* or *Customer behavior*, Analytics > Reports > "
    "Export) or a GA4 *Traffic acquisition* download on the **Data** page. Revenue, orders and "
    "AOV come from the orders export alone."
)
TRAFFIC_METRICS = frozenset({"sessions", "conversion_rate", "rpv"})
SOURCE_NAMES = {"shopify": "Shopify", "ga4": "GA4", "mapped": "Mapped file"}


def header(title: str, scope: Scope) -> None:
    """Page title, the period and comparison in words, the traffic source and the segment."""
    st.title(title)
    text = f"{scope.period.start} to {scope.period.end} ({scope.period.days} days)"
    other = scope.comparison
    if other is not None:
        text += f" · compared with {other.start} to {other.end} ({scope.compare_label})"
    source = scope.traffic_source
    if source:
        text += f" · traffic from {SOURCE_NAMES.get(source, source)}"
    st.caption(text)
    if scope.filters.has_segment:  # the sidebar's "Show only" segment filter
        note = "Showing " + scope.filters.segment_scope() + "."
        st.caption(":material/filter_alt: " + fmt.md_escape(note))


def has_data(db: Database, *, key: str) -> bool:
    """Whether anything is loaded; otherwise draw the empty state (with the demo offer)."""
    db_path, version = cached.key(db)
    if cached.imports(db_path, version):
        return True
    st.info(
        "No data is loaded yet. Add your store's exports on the **Data** page, or load the demo "
        "store to look around first.",
        icon=":material/upload_file:",
    )
    columns = st.columns([1, 1, 4])
    with columns[0]:
        st.page_link(DATA_PAGE, label="Go to Data", icon=":material/upload_file:")
    with columns[1]:
        demo.offer_button(db, key=f"load_demo_{key}")
    return False


def kpi_cards(overview: Overview) -> None:
    """The headline cards of a period overview: value, change on the compared days, trend.

    The trend is an SVG image (charts.sparkline_svg) in the card, coloured as st.metric colours
    its own chart: st.metric's chart_data draws six Vega charts again on every rerun, which
    took a third of the browser's time on the Overview.
    """
    per_row = 3
    cards = overview.cards
    grain = overview.scope.grain
    columns = [c for _ in range(0, len(cards), per_row) for c in st.columns(per_row)]
    for column, card in zip(columns, cards, strict=True):  # columns stack on a phone
        with column:
            _kpi_card(card, overview.sparklines.get(card.key, []), grain)


def _kpi_card(card: Card, spark: list[float], grain: str) -> None:
    """One card: st.metric and its trend line below, in a bordered box."""
    delta = card.change_text if card.value is not None else None
    with st.container(border=True, height="stretch", gap="small"):
        st.metric(card.label, card.value_text, delta=delta, help=card.help)
        if card.value is not None and len(spark) > 1:
            st.image(
                sparkline_svg(spark, color=_delta_color(delta), area=card.kind != "rate"),
                width="stretch",
                alt=f"{card.label} by {grain} over the period",
            )


def _delta_color(delta: str | None) -> str:
    """The colour st.metric gives a change (delta_color 'normal'): red when it starts with a
    minus sign, grey when there is none, else green."""
    if not delta:
        return NEUTRAL_COLOR
    return DOWN_COLOR if delta.lstrip().startswith("-") else UP_COLOR


def kpi_table(overview: Overview) -> pd.DataFrame:
    """The KPI cards as a table (for the CSV download).

    Columns: metric, period, value, comparison (on the compared days), change,
    relative_change, currency.
    """
    rows = [
        {
            "metric": card.label,
            "period": f"{overview.scope.period.start} to {overview.scope.period.end}",
            "value": card.value,
            "comparison": card.base,
            "change": card.change_absolute,
            "relative_change": card.change_relative,
        }
        for card in overview.cards
    ]
    frame = pd.DataFrame(rows)
    frame["currency"] = overview.currency or ""
    return frame


def missing_traffic_note(overview: Overview) -> None:
    """Explain which export adds sessions when the orders have no traffic beside them."""
    if overview.kpis.current.sessions is None and not overview.scope.filters.has_segment:
        st.info(TRAFFIC_HINT, icon=":material/info:")


HEALTH_SHOWN = 5


def health_section(overview: Overview) -> None:
    """The Overview's store-health block: the alerts of the period's last four weeks.

    The alerts shown and what was checked are one text element each (not one per line): the
    Overview redraws every element on each rerun.
    """
    st.subheader("Store health")
    check = overview.health
    if check is None:
        st.caption(fmt.md_escape(overview.health_reason or ""))
        return
    checked = " · ".join(fmt.md_escape(line) for line in check.checked)
    if not check.alerts:
        st.caption(
            "No alerts: every day of the last four weeks looks like its weekday.  \n" + checked
        )
        return
    st.markdown("  \n".join(_alert_line(a) for a in check.alerts[:HEALTH_SHOWN]))
    if len(check.alerts) > HEALTH_SHOWN:
        with st.expander(f"{len(check.alerts) - HEALTH_SHOWN} more alerts"):
            st.markdown("  \n".join(_alert_line(a) for a in check.alerts[HEALTH_SHOWN:]))
    st.caption(checked)


def _alert_line(alert: Alert) -> str:
    icon = ":material/build:" if alert.kind == "tracking" else ":material/monitoring:"
    return f"{icon} {fmt.md_escape(alert.sentence)}"


def engagement_over_time(db: Database, scope: Scope) -> None:
    """Engagement and bounce rate of the scope's traffic source per period (Trends and Landing
    pages), or why there is none."""
    st.subheader("Engagement over time")
    trend = cached.engagement_over_time(db, scope)
    if trend.empty:
        st.caption("The traffic source reports no engagement or bounce for these dates.")
        return
    series = {
        METRICS[c].short_label: trend[c].astype(float)
        for c in ("engagement_rate", "bounce_rate")
        if trend[c].notna().any()
    }
    chart = pd.DataFrame(series)
    chart.index = pd.to_datetime(trend["period_start"])
    st.line_chart(chart)
    latest = trend.iloc[-1]
    st.caption(
        fmt.md_escape(
            f"{trend.attrs.get('source', '')} traffic by {trend.attrs.get('grain', 'day')}; "
            f"latest bounce rate {rate(latest['bounce_rate'])}."
        )
    )


def engagement_by_segment(db: Database, scope: Scope, dimension: str, label: str) -> None:
    """Engagement and bounce per segment of a traffic dimension, where the source reports them."""
    frame = cached.engagement_by_segment(db, scope, dimension)
    if frame.empty:
        return
    st.subheader("Engagement and bounce")
    shown = frame.assign(
        engagement_interval=[
            f"{rate(a)} – {rate(b)}"
            for a, b in zip(frame["engagement_low"], frame["engagement_high"], strict=True)
        ],
        bounce_interval=[
            f"{rate(a)} – {rate(b)}"
            for a, b in zip(frame["bounce_low"], frame["bounce_high"], strict=True)
        ],
    )
    columns = ["segment", "sessions", "engagement_rate", "engagement_interval", "bounce_rate",
               "bounce_interval"]  # fmt: skip
    show_table(
        shown[columns],
        key="segments_engagement",
        kinds={"sessions": "count", "engagement_rate": "rate", "bounce_rate": "rate"},
        labels={
            "segment": label,
            "sessions": METRICS["sessions"].short_label,
            "engagement_rate": METRICS["engagement_rate"].short_label,
            "engagement_interval": "95% interval",
            "bounce_rate": METRICS["bounce_rate"].short_label,
            "bounce_interval": "95% interval ",
        },
    )
    st.caption(fmt.md_escape(f"{frame.attrs.get('basis', '')}"))
