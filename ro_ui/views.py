"""Views several pages draw: the page header, KPI cards, empty and missing-traffic states."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st
from ro_core.metrics.definitions import help_text

from ro_core.metrics import KpiComparison, OrderFilters
from ro_core.store.db import Database
from ro_ui import cached, demo, fmt
from ro_ui.state import Filters
from ro_ui.widgets import DATA_PAGE

TRAFFIC_HINT = (
    "Sessions, conversion rate (CR) and revenue per session (RPV) need traffic: add a Shopify "
    "Analytics report (*Sessions over time* or *Customer behavior*, Analytics > Reports > "
    "Export) or a GA4 *Traffic acquisition* download on the **Data** page. Revenue, orders and "
    "AOV come from the orders export alone."
)


@dataclass(frozen=True)
class KpiCard:
    """One KPI card: the metric's name in ro_core, its label and how its value is shown."""

    metric: str  # KpiValues.value() name
    label: str
    kind: str  # money | count | rate
    change_key: str  # KpiComparison.changes key
    trend_metric: str  # ro_core.metrics.trend metric
    glossary: str  # ro_core.metrics.definitions key


KPI_CARDS: tuple[KpiCard, ...] = (
    KpiCard("revenue", "Revenue", "money", "revenue", "revenue", "revenue"),
    KpiCard("sessions", "Sessions", "count", "sessions", "sessions", "sessions"),
    KpiCard("orders", "Orders", "count", "orders", "orders", "orders"),
    KpiCard(
        "conversion_rate",
        "Conversion rate",
        "rate",
        "conversion_rate",
        "conversion_rate",
        "conversion_rate",
    ),
    KpiCard("aov", "AOV", "money", "aov", "aov", "aov"),
    KpiCard("rpv", "RPV", "money", "revenue_per_session", "rpv", "rpv"),
)
TRAFFIC_METRICS = frozenset({"sessions", "conversion_rate", "rpv"})


def format_value(value: object, kind: str, currency: str | None) -> str:
    """A KPI value as shown on a card."""
    if kind == "money":
        return fmt.money(value, currency)
    if kind == "rate":
        return fmt.rate(value)
    return fmt.count(value)


def header(title: str, filters: Filters) -> None:
    """Page title and the period in words."""
    st.title(title)
    text = f"{filters.period.start} to {filters.period.end} ({filters.period.days} days)"
    if filters.comparison is not None:
        text += (
            f" · compared with {filters.comparison.start} to {filters.comparison.end} "
            f"({filters.compare_label})"
        )
    st.caption(text)
    if filters.orders.has_segment:  # the sidebar's "Show only" segment filter
        scope = "Showing " + filters.orders.segment_scope() + "."
        st.caption(":material/filter_alt: " + fmt.md_escape(scope))
    if filters.comparison_gap:
        st.warning(filters.comparison_gap, icon=":material/event_busy:")


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


def kpi_cards(filters: Filters, result: KpiComparison, sparklines: dict[str, list[float]]) -> None:
    """Revenue, sessions, orders, CR, AOV and RPV with their change and a small trend line."""
    per_row = 3
    columns = [c for _ in range(0, len(KPI_CARDS), per_row) for c in st.columns(per_row)]
    current = result.current
    for column, card in zip(columns, KPI_CARDS, strict=True):
        value = current.value(card.metric)
        change = result.changes.get(card.change_key) if filters.comparable else None
        delta = fmt.change(change.relative) if change is not None else None
        if card.kind == "rate" and change is not None and change.absolute is not None:
            delta = f"{delta} ({fmt.points(change.absolute)})" if delta else None
        spark = sparklines.get(card.trend_metric, []) if value is not None else []
        help_parts = [help_text(card.glossary)]
        if card.metric == "conversion_rate" and current.conversion_rate_basis:
            help_parts.append(f"Here: {current.conversion_rate_basis}.")
        if card.metric == "rpv" and current.online_aov is not None:
            help_parts.append(
                f"RPV = CR x online AOV; online AOV here is "
                f"{fmt.money(current.online_aov, filters.currency)}."
            )
        with column:
            st.metric(
                card.label,
                format_value(value, card.kind, filters.currency),
                delta=delta if value is not None else None,
                help=" ".join(p for p in help_parts if p),
                border=True,
                chart_data=spark if len(spark) > 1 else None,
                chart_type="area" if card.kind != "rate" else "line",
            )


def kpi_table(result: KpiComparison, currency: str | None) -> pd.DataFrame:
    """The KPI cards as a table (for the CSV download)."""
    rows = []
    for card in KPI_CARDS:
        current = result.current.value(card.metric)
        base = result.comparison.value(card.metric) if result.comparison else None
        change = result.changes.get(card.change_key)
        rows.append(
            {
                "metric": card.label,
                "period": f"{result.current.period.start} to {result.current.period.end}",
                "value": current,
                "comparison": base,
                "change": change.absolute if change else None,
                "relative_change": change.relative if change else None,
            }
        )
    frame = pd.DataFrame(rows)
    frame["currency"] = currency or ""
    return frame


def filtered_out_note(db: Database, filters: Filters, result: KpiComparison) -> None:
    """When the order filters leave out every order of the period, say so and how to change it."""
    if result.current.orders or not filters.orders.segment_applies_to_orders:
        return
    segment = {
        "segment_dimension": filters.orders.segment_dimension,
        "segment_value": filters.orders.segment_value,
        "segment_side": filters.orders.segment_side,
    }
    everything = replace(
        filters, orders=OrderFilters(exclude_cancelled=False, exclude_test=False, **segment)
    )
    unfiltered = cached.kpis_for(db, everything).current.orders
    if unfiltered:
        st.info(
            f"No order in this period passes the order filters, but {unfiltered:,} "
            f"order{'s' * (unfiltered != 1)} exist: test, draft, cancelled and voided orders are "
            "left out by default. Switch that under **Order filters** in the sidebar.",
            icon=":material/filter_alt_off:",
        )


def missing_traffic_note(result: KpiComparison) -> None:
    """Explain which export adds sessions when the orders have no traffic beside them."""
    if result.current.sessions is None and not result.filters.has_segment:
        st.info(TRAFFIC_HINT, icon=":material/info:")
