"""Overview: the period overview (ro_core.overview) drawn: KPI cards with changes and trend
lines, the summary, what moved revenue, top opportunities, goals and the report."""

import pandas as pd
import streamlit as st

from ro_core.metrics.catalog import METRICS
from ro_core.overview import (
    OPPORTUNITY_TABLE_COLUMNS,
    decomposition_rows,
    engagement_notes,
    opportunity_table,
)
from ro_core.present.svg_charts import waterfall_svg
from ro_ui import cached, fmt, loop_views, views
from ro_ui.state import current_scope
from ro_ui.widgets import download_table

db = cached.database()
scope = current_scope()
views.header("Overview", scope)

if views.has_data(db, key="overview"):
    overview = cached.overview(db, scope)
    st.info(fmt.md_escape(overview.summary), icon=":material/lightbulb:")
    # One container per section: what varies from one period to the next (engagement cards,
    # notes, goals, alerts) stays inside its section, so the sections after it keep their place
    # and the browser updates them instead of drawing them anew.
    with st.container():
        views.kpi_cards(overview)
        if overview.engagement_cards:  # below the six cards, only where the source has them
            with st.container(horizontal=True):
                for card in overview.engagement_cards:
                    st.metric(
                        card.label,
                        card.value_text,
                        delta=card.change_text,
                        delta_color="inverse"
                        if METRICS[card.key].direction == "down"
                        else "normal",
                        help=card.help,
                        width=180,
                    )
        views.missing_traffic_note(overview)
        notes = [fmt.md_escape(line) for line in engagement_notes(overview)]
        if overview.notes:
            notes.append(" · ".join(fmt.md_escape(n) for n in overview.notes))
        if notes:
            st.caption("  \n".join(notes))  # one element, a line each
        # The CSVs are made on click (a function, not a table): not on every rerun.
        download_table(
            lambda: views.kpi_table(overview), "kpis.csv", key="download_kpis", label="KPIs"
        )
    with st.container():
        loop_views.overview_goals(db, overview)
    with st.container():
        views.health_section(overview)

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Where the change came from")
        decomposition = overview.decomposition
        if decomposition is None:
            st.caption(fmt.md_escape(overview.decomposition_reason or ""))
        else:
            labels = dict(
                zip(decomposition.factors["factor"], decomposition.factors["label"], strict=True)
            )
            # An image, not st.plotly_chart: Plotly drew the waterfall again on every rerun
            # (a sixth of the browser's time on the Overview). The HTML report keeps Plotly's.
            st.image(
                waterfall_svg(
                    decomposition.revenue_base,
                    decomposition.contributions,
                    decomposition.revenue_current,
                    base_label="Comparison",
                    current_label="This period",
                    currency_symbol=overview.currency_symbol,
                    labels=labels,
                ),
                width="stretch",
                alt="Revenue waterfall: the comparison revenue, what each part added or took "
                "away, and this period's revenue (the table below lists the amounts).",
            )
            rows = decomposition_rows(decomposition, overview.currency)
            st.table(
                pd.DataFrame(rows, columns=["Step", "Amount"]),
                hide_index=True,
            )
            st.caption(
                f"Method: {fmt.md_escape(decomposition.method)} (LMDI); the parts add up to the "
                "change exactly. " + " ".join(fmt.md_escape(n) for n in decomposition.notes)
            )
            factors = decomposition.factors
            download_table(lambda: factors, "revenue_decomposition.csv", key="download_factors")
    with right:
        st.subheader("Top opportunities")
        table = opportunity_table(overview.opportunities, overview.currency, 5)
        if overview.opportunities is None:
            st.caption(fmt.md_escape(overview.opportunities_reason or ""))
        elif table.empty:
            st.caption("No segment or step falls clearly behind its benchmark in this period.")
        else:
            st.dataframe(
                table,
                hide_index=True,
                key="opportunities",
                column_order=OPPORTUNITY_TABLE_COLUMNS,
            )
            note = overview.opportunities.attrs.get("note")
            if note:
                st.caption(fmt.md_escape(note))
            found = overview.opportunities
            download_table(lambda: found, "opportunities.csv", key="download_opportunities")
            # --- RO loop: one click turns an opportunity into a hypothesis (ro_ui.loop_views) ---
            ranked = overview.opportunities
            if "rank" in ranked:
                ranked = ranked[ranked["rank"].notna()] if ranked["rank"].notna().any() else ranked
            loop_views.opportunity_hypothesis_buttons(db, ranked.head(5), overview.currency)
