"""Trends: any KPI over time at the chosen grain, the comparison overlaid, notes on the timeline."""

import pandas as pd
import streamlit as st

from ro_core.metrics import TREND_METRICS
from ro_core.metrics.catalog import metric as catalog_metric
from ro_core.present.charts import trend_figure
from ro_ui import cached, fmt, notes, views
from ro_ui.state import GRAIN_LABELS, current_scope
from ro_ui.widgets import download_table, money_column

db = cached.database()
scope = current_scope()
views.header("Trends", scope)

if views.has_data(db, key="trends"):
    if "trend_metric" not in st.session_state:
        st.session_state["trend_metric"] = "revenue"
    metric = st.segmented_control(
        "Metric",
        list(TREND_METRICS),
        format_func=TREND_METRICS.__getitem__,
        key="trend_metric",
        required=True,
        persist_state="session",
    )
    result = cached.trend(db, scope, metric)
    kind = catalog_metric(metric).kind
    symbol = fmt.CURRENCY_SYMBOLS.get((scope.currency or "").upper(), "")
    if result.reason:
        st.caption(fmt.md_escape(result.reason))
    if result.frame.empty:
        if metric in views.TRAFFIC_METRICS or metric == "visitors":
            st.info(views.TRAFFIC_HINT, icon=":material/info:")
        else:
            st.info("No orders in this period.", icon=":material/info:")
    else:
        figure = trend_figure(
            result.frame,
            label=result.label,
            kind=kind,
            currency_symbol=symbol,
            current_name=f"{scope.period.start} to {scope.period.end}",
            comparison_name=scope.compare_name or None,
            annotations=notes.notes_for_chart(db),
        )
        st.plotly_chart(figure, key="trend_chart")
        st.caption(
            f"{GRAIN_LABELS.get(result.grain, result.grain)} by "
            f"{GRAIN_LABELS.get(result.grain, result.grain).lower()}; hollow points are "
            "partial periods (cut by the range or missing traffic days)."
            + (
                f" Conversion rate here is {result.conversion_rate_basis}."
                if result.conversion_rate_basis
                else ""
            )
        )
        table = pd.DataFrame(
            {
                "period_start": pd.to_datetime(result.frame["period_start"]).dt.date,
                "period_end": pd.to_datetime(result.frame["period_end"]).dt.date,
                "value": pd.to_numeric(result.frame["value"], errors="coerce"),
                "comparison_value": pd.to_numeric(
                    result.frame.get("comparison_value"), errors="coerce"
                )
                if scope.comparison is not None and "comparison_value" in result.frame
                else None,
                "partial": result.frame["partial"].astype(bool),
            }
        )
        value_column = (
            money_column(result.label, scope.currency)
            if kind == "money"
            else st.column_config.NumberColumn(
                result.label, format="percent" if kind == "rate" else "localized"
            )
        )
        comparison_column = (
            money_column("Comparison", scope.currency)
            if kind == "money"
            else st.column_config.NumberColumn(
                "Comparison", format="percent" if kind == "rate" else "localized"
            )
        )
        with st.expander("Table"):
            st.dataframe(
                table,
                hide_index=True,
                key="trend_table",
                column_config={
                    "period_start": st.column_config.DateColumn("From"),
                    "period_end": st.column_config.DateColumn("To"),
                    "value": value_column,
                    "comparison_value": comparison_column,
                    "partial": st.column_config.CheckboxColumn("Partial"),
                },
            )
            download_table(result.frame, f"trend_{metric}_{result.grain}.csv", key="download_trend")
    views.engagement_over_time(db, scope)
    st.subheader("Notes")
    notes.notes_section(db, scope.period.end)
