"""Overview: KPI cards with changes and trend lines, what moved revenue, top opportunities."""

import pandas as pd
import streamlit as st

from ro_core.present.charts import waterfall_figure
from ro_core.present.summary import revenue_summary
from ro_ui import cached, fmt, loop_views, views
from ro_ui.state import current_filters
from ro_ui.widgets import download_table, money_column

db = cached.database()
filters = current_filters()
views.header("Overview", filters)

if views.has_data(db, key="overview"):
    data = cached.overview_for(db, filters)
    result = data.kpis
    decomposition = data.decomposition
    decomposition_note = decomposition if isinstance(decomposition, str) else None
    if decomposition_note:
        decomposition = None
    symbol = fmt.CURRENCY_SYMBOLS.get((filters.currency or "").upper(), "")

    sentence = revenue_summary(
        result.current.revenue,
        result.comparison.revenue if result.comparison and filters.comparable else None,
        compare_label=filters.compare_label,
        contributions=getattr(decomposition, "contributions", None),
        segments=getattr(decomposition, "segments", None),
        kpi_changes={k: v.relative for k, v in result.changes.items()},
        currency_symbol=symbol,
    )
    if result.current.revenue is None and not filters.orders.segment_applies_to_orders:
        sentence = (  # the "Show only" segment is one the orders cannot be split by
            f"Revenue is not known for {filters.orders.segment_label()}: the orders carry no "
            f"{filters.orders.segment_name}. Sessions and conversion rate below are the segment's."
        )
    st.info(fmt.md_escape(sentence), icon=":material/lightbulb:")
    views.kpi_cards(filters, result, data.sparklines)
    views.filtered_out_note(db, filters, result)
    views.missing_traffic_note(result)
    notes = [*result.current.notes]
    if notes:
        st.caption(" · ".join(fmt.md_escape(n) for n in notes))
    download_table(
        views.kpi_table(result, filters.currency), "kpis.csv", key="download_kpis", label="KPIs"
    )
    # --- RO loop: goal progress and the report download (ro_ui.loop_views) ---
    loop_views.overview_goals(db, filters)

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Where the change came from")
        if not filters.comparable:
            st.caption("Pick a comparison in the sidebar to split the revenue change.")
        elif decomposition_note:
            st.caption(fmt.md_escape(decomposition_note))
        elif decomposition is None:
            st.caption("The revenue decomposition is coming in this build.")
        else:
            st.plotly_chart(
                waterfall_figure(
                    decomposition.revenue_base,
                    decomposition.contributions,
                    decomposition.revenue_current,
                    base_label="Comparison",
                    current_label="This period",
                    currency_symbol=symbol,
                ),
                key="waterfall",
            )
            st.caption(
                f"Method: {fmt.md_escape(decomposition.method)} (LMDI); the parts add up to the "
                "change exactly. " + " ".join(fmt.md_escape(n) for n in decomposition.notes[:1])
            )
            factors = getattr(decomposition, "factors", None)
            if isinstance(factors, pd.DataFrame) and len(factors):
                download_table(factors, "revenue_decomposition.csv", key="download_factors")
    with right:
        st.subheader("Top opportunities")
        opportunities = data.opportunities
        if opportunities is None:
            st.caption("Ranked opportunities are coming in this build.")
        elif isinstance(opportunities, str):
            st.caption(fmt.md_escape(opportunities))
        elif opportunities.empty:
            st.caption("No segment or step falls clearly behind its benchmark in this period.")
        else:
            top = opportunities.head(5)
            st.dataframe(
                pd.DataFrame(
                    {
                        "segment": [
                            f"{d}: {v}"
                            for d, v in zip(top["segment_dimension"], top["segment"], strict=True)
                        ],
                        "step": top["step"],
                        "current_rate": top["current_rate"],
                        "benchmark_rate": top["benchmark_rate"],
                        "monthly_revenue_gain": top["monthly_revenue_gain"],
                    }
                ),
                hide_index=True,
                key="opportunities",
                column_config={
                    "segment": st.column_config.TextColumn("Segment"),
                    "step": st.column_config.TextColumn("Step"),
                    "current_rate": st.column_config.NumberColumn("Rate now", format="percent"),
                    "benchmark_rate": st.column_config.NumberColumn("Benchmark", format="percent"),
                    "monthly_revenue_gain": money_column("Gain / month", filters.currency),
                },
            )
            st.caption(
                "Revenue per month if the step's rate reached its benchmark (the best comparable "
                "segment with enough sample, or its own previous period)."
            )
            download_table(opportunities, "opportunities.csv", key="download_opportunities")
            # --- RO loop: one click turns an opportunity into a hypothesis (ro_ui.loop_views) ---
            loop_views.opportunity_hypothesis_buttons(db, top, filters.currency)
