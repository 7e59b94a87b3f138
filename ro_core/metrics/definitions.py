"""The metrics glossary: one label, one-line definition and formula per metric.

The UI shows these as help text; the README (Metrics glossary) holds the same text
(a test keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    """How one metric is defined."""

    label: str
    definition: str
    formula: str


GLOSSARY: dict[str, Definition] = {
    "sessions": Definition(
        "Sessions",
        "Visits to the online store as counted by the analytics export (Shopify, GA4 or a "
        "mapped file); one source is used at a time, never added together.",
        "sum of sessions over the traffic periods fully inside the date range",
    ),
    "visitors": Definition(
        "Visitors",
        "Visitors (users) as reported per traffic period; summed over periods, so someone who "
        "visits in two periods counts twice.",
        "sum of visitors over the traffic periods",
    ),
    "orders": Definition(
        "Orders",
        "Orders placed in the date range (store-local dates) that pass the filters: by default "
        "without cancelled, voided, test and draft orders.",
        "count of filtered orders",
    ),
    "online_orders": Definition(
        "Online orders",
        "Orders from the online store channel(s) (default: web) on the days the traffic covers; "
        "the orders that can come from sessions.",
        "count of filtered orders from online channels on traffic days",
    ),
    "revenue": Definition(
        "Revenue",
        "Money from the filtered orders, on the chosen basis: order total as exported (with "
        "shipping and tax), net of refunds, or product sales (subtotal after discounts).",
        "sum of order total | total - refunded | subtotal",
    ),
    "conversion_rate": Definition(
        "Conversion rate (CR)",
        "Share of sessions that ended in a purchase. Where the traffic source reports converted "
        "sessions (Shopify) it is converted sessions / sessions, Shopify's own definition; "
        "otherwise online orders / sessions, labelled as such.",
        "converted sessions / sessions, else online orders / sessions",
    ),
    "aov": Definition(
        "Average order value (AOV)",
        "Revenue per order.",
        "revenue / orders",
    ),
    "online_aov": Definition(
        "Online AOV",
        "Revenue per order for online orders on traffic days: the AOV that multiplies CR into RPV.",
        "online revenue / online orders",
    ),
    "rpv": Definition(
        "Revenue per session (RPV)",
        "Online revenue earned per session; also called revenue per visit or RPU. When CR is "
        "orders / sessions, RPV = CR x AOV exactly.",
        "online revenue / sessions",
    ),
    "revenue_per_visitor": Definition(
        "Revenue per visitor",
        "Online revenue per visitor, where the traffic export reports visitors.",
        "online revenue / visitors",
    ),
    "step_conversion": Definition(
        "Step conversion",
        "Share of the sessions at the previous funnel step that reached this step.",
        "sessions at step that did the previous step / sessions at previous step",
    ),
    "drop_off": Definition(
        "Drop-off",
        "Sessions at the previous step that did not reach this step; never negative.",
        "sessions at previous step - sessions that continued",
    ),
    "skipped": Definition(
        "Skipped",
        "Sessions that reached a step without the previous one (e.g. Buy Now purchases "
        "without a cart event); reported, not counted as negative drop-off.",
        "sessions at step without the previous step",
    ),
    "revenue_share": Definition(
        "Revenue share",
        "A segment's share of the revenue of all segments.",
        "segment revenue / total revenue",
    ),
    "confidence_interval": Definition(
        "95% interval",
        "The range the true value lies in with 95% confidence given the sample: Wilson interval "
        "for rates, t interval for AOV and RPV.",
        "Wilson: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n); t: mean ± t·sd/sqrt(n)",
    ),
    "small_sample": Definition(
        "Small sample",
        "A segment with fewer than 30 orders or 300 sessions: shown but not ranked, its rates "
        "are too uncertain.",
        "orders < 30 or sessions < 300",
    ),
    "decomposition": Definition(
        "Revenue change decomposition",
        "How much of a revenue change came from traffic, conversion rate and AOV, using the "
        "additive log-mean Divisia (LMDI-I) method; the parts sum exactly to the change.",
        "ΔR = Σ L(R1, R0) · ln(x1 / x0), L(a, b) = (a - b) / (ln a - ln b), x = sessions, CR, AOV",
    ),
    "opportunity": Definition(
        "Opportunity",
        "Revenue per month gained if a funnel step's rate in a segment reached a benchmark "
        "(the best comparable segment with enough sample, or its own previous period).",
        "entering sessions x (benchmark - current rate) x rate from the next step to purchase "
        "x AOV x 30.44 / days",
    ),
}


def help_text(metric: str) -> str:
    """Definition and formula of a metric as one string ('' for unknown names)."""
    entry = GLOSSARY.get(metric)
    if entry is None:
        return ""
    return f"{entry.definition} Formula: {entry.formula}."


def glossary_markdown() -> str:
    """The glossary as a Markdown section (what the README (Metrics glossary) holds)."""
    lines = [
        "## Metrics glossary",
        "",
        "| Metric | Definition | Formula |",
        "|---|---|---|",
    ]
    for entry in GLOSSARY.values():
        lines.append(f"| {entry.label} | {entry.definition} | `{entry.formula}` |")
    return "\n".join(lines) + "\n"
