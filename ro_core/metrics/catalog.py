"""The metric catalogue: every metric and glossary term defined once.

Cards, trends, segments, the HTML report, the CLI, goals and hypotheses take a metric's label,
short label, kind (how its value is formatted) and definition from here; the README's
"Metrics glossary" is generated from it (``glossary_markdown``; a test keeps them equal).

Keys are the names ``KpiValues.value()`` and ``KpiComparison.changes`` use. Aliases
('cr', 'revenue_per_session', ...) resolve to a key with :func:`metric`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ro_core.errors import InvalidInputError

MONEY = "money"
COUNT = "count"
RATE = "rate"
KINDS = (MONEY, COUNT, RATE)

UP = "up"  # higher is better
DOWN = "down"  # lower is better
NEUTRAL = "neutral"


@dataclass(frozen=True)
class Metric:
    """One metric.

    Attributes:
        key: canonical name (``KpiValues.value(key)``).
        label: full name for people ('Average order value (AOV)').
        short_label: card and column name ('AOV').
        kind: 'money', 'count' or 'rate' (a fraction: 0.025 = 2.5%; changes in points).
        unit: what one unit is ('store currency', 'sessions', 'orders', 'share of sessions').
        definition: one or two sentences for the glossary and help texts.
        formula: how it is computed.
        direction: 'up' when higher is better, 'down' when lower is, else 'neutral'.
        needs_traffic / needs_orders: which data the metric cannot do without.
        aliases: other names accepted on the command line and in stored settings.
    """

    key: str
    label: str
    short_label: str
    kind: str
    unit: str
    definition: str
    formula: str
    direction: str = UP
    needs_traffic: bool = False
    needs_orders: bool = False
    aliases: tuple[str, ...] = ()

    def help(self) -> str:
        """Definition and formula as one help text."""
        return f"{self.definition} Formula: {self.formula}."


@dataclass(frozen=True)
class Term:
    """A glossary term that is not a metric of its own (drop-off, 95% interval...)."""

    key: str
    label: str
    definition: str
    formula: str

    def help(self) -> str:
        """Definition and formula as one help text."""
        return f"{self.definition} Formula: {self.formula}."


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "revenue",
            "Revenue",
            "Revenue",
            MONEY,
            "store currency",
            "Money from the filtered orders, on the chosen basis: order total as exported (with "
            "shipping and tax), net of refunds, or product sales (subtotal after discounts).",
            "sum of order total | total - refunded | subtotal",
            needs_orders=True,
        ),
        Metric(
            "sessions",
            "Sessions",
            "Sessions",
            COUNT,
            "sessions",
            "Visits to the online store as counted by the chosen traffic source (Shopify, GA4 or "
            "a mapped file); one source is used at a time, never added together.",
            "sum of sessions over the traffic periods fully inside the date range",
            needs_traffic=True,
        ),
        Metric(
            "visitors",
            "Visitors",
            "Visitors",
            COUNT,
            "visitors",
            "Visitors (users) as reported per traffic period; summed over periods, so someone "
            "who visits in two periods counts twice.",
            "sum of visitors over the traffic periods",
            needs_traffic=True,
        ),
        Metric(
            "orders",
            "Orders",
            "Orders",
            COUNT,
            "orders",
            "Orders placed in the date range (store-local dates) that pass the filters: by "
            "default without cancelled, voided, test and draft orders.",
            "count of filtered orders",
            needs_orders=True,
        ),
        Metric(
            "online_orders",
            "Online orders",
            "Online orders",
            COUNT,
            "orders",
            "Orders from the online store channel(s) (default: web) on the days the traffic "
            "covers; the orders that can come from sessions.",
            "count of filtered orders from online channels on traffic days",
            needs_orders=True,
        ),
        Metric(
            "online_revenue",
            "Online revenue",
            "Online revenue",
            MONEY,
            "store currency",
            "Revenue of the online orders on the days the traffic covers: the revenue sessions "
            "can earn.",
            "sum of revenue of online orders on traffic days",
            needs_orders=True,
        ),
        Metric(
            "conversion_rate",
            "Conversion rate (CR)",
            "Conversion rate",
            RATE,
            "share of sessions",
            "Share of sessions that ended in a purchase. Where the traffic source reports "
            "converted sessions (Shopify) it is converted sessions / sessions, Shopify's own "
            "definition; otherwise online orders / sessions, labelled as such. A comparison uses "
            "one definition on both sides.",
            "converted sessions / sessions, else online orders / sessions",
            needs_traffic=True,
            aliases=("cr", "conversion"),
        ),
        Metric(
            "aov",
            "Average order value (AOV)",
            "AOV",
            MONEY,
            "store currency",
            "Revenue per order.",
            "revenue / orders",
            needs_orders=True,
            aliases=("average_order_value",),
        ),
        Metric(
            "online_aov",
            "Online AOV",
            "Online AOV",
            MONEY,
            "store currency",
            "Revenue per order for online orders on traffic days: the AOV that multiplies CR "
            "into RPV.",
            "online revenue / online orders",
            needs_orders=True,
        ),
        Metric(
            "rpv",
            "Revenue per session (RPV)",
            "RPV",
            MONEY,
            "store currency",
            "Online revenue earned per session; also called revenue per visit or RPU. When CR is "
            "orders / sessions, RPV = CR x AOV exactly.",
            "online revenue / sessions",
            needs_traffic=True,
            needs_orders=True,
            aliases=("revenue_per_session", "rps", "rpu"),
        ),
        Metric(
            "cart_rate",
            "Add-to-cart rate",
            "Add-to-cart rate",
            RATE,
            "share of sessions",
            "Share of sessions that added a product to the cart.",
            "sessions with cart additions / sessions",
            needs_traffic=True,
        ),
        Metric(
            "checkout_rate",
            "Cart-to-checkout rate",
            "Cart to checkout",
            RATE,
            "share of cart sessions",
            "Share of the sessions with a cart that reached checkout.",
            "sessions that reached checkout / sessions with cart additions",
            needs_traffic=True,
        ),
        Metric(
            "checkout_completion",
            "Checkout completion",
            "Checkout completion",
            RATE,
            "share of checkout sessions",
            "Share of the sessions that reached checkout and completed it (converted sessions, "
            "or orders where the traffic reports no conversions).",
            "converted sessions / sessions that reached checkout",
            needs_traffic=True,
        ),
        Metric(
            "add_to_cart_rate",
            "View-to-cart rate",
            "View to cart",
            RATE,
            "share of product viewers",
            "Per product: share of the sessions that viewed it and added it to the cart (event "
            "data).",
            "sessions adding the product to the cart / sessions viewing it",
            needs_traffic=True,
        ),
        Metric(
            "purchase_rate",
            "View-to-purchase rate",
            "View to purchase",
            RATE,
            "share of product viewers",
            "Per product: share of the sessions that viewed it and bought it (event data).",
            "sessions buying the product / sessions viewing it",
            needs_traffic=True,
        ),
        Metric(
            "attach_rate",
            "Attach rate",
            "Bought with others",
            RATE,
            "share of the product's orders",
            "Per product: share of the orders containing it that also contain another product.",
            "orders with the product and another product / orders with the product",
            needs_orders=True,
        ),
        Metric(
            "engaged_sessions",
            "Engaged sessions",
            "Engaged sessions",
            COUNT,
            "sessions",
            "GA4's engaged sessions: sessions that lasted 10 seconds or more, had a key event or "
            "two or more page or screen views (GA4 downloads and mapped files; Shopify and event "
            "data report none).",
            "sum of engaged sessions over the traffic periods",
            needs_traffic=True,
        ),
        Metric(
            "engagement_rate",
            "Engagement rate",
            "Engagement rate",
            RATE,
            "share of sessions",
            "Share of sessions that were engaged, from the source that reports engaged sessions "
            "(GA4); never mixed with another source's sessions.",
            "engaged sessions / sessions of the same rows",
            needs_traffic=True,
        ),
        Metric(
            "bounce_rate",
            "Bounce rate",
            "Bounce rate",
            RATE,
            "share of sessions",
            "Share of sessions that left without engaging, defined by each source: GA4, 1 - "
            "engagement rate; Shopify, its reported bounce rate (sessions that viewed a single "
            "page); event data, sessions with a single page or product view and nothing else "
            "(session_start and first_visit do not count). One source per figure.",
            "GA4: 1 - engaged sessions / sessions; Shopify: sum of sessions x reported bounce "
            "rate / sessions; events: single-view sessions / sessions",
            direction=DOWN,
            needs_traffic=True,
        ),
        Metric(
            "revenue_per_visitor",
            "Revenue per visitor",
            "Revenue / visitor",
            MONEY,
            "store currency",
            "Online revenue per visitor, where the traffic export reports visitors.",
            "online revenue / visitors",
            needs_traffic=True,
            needs_orders=True,
        ),
    )
}

TERMS: dict[str, Term] = {
    t.key: t
    for t in (
        Term(
            "step_conversion",
            "Step conversion",
            "Share of the sessions at the previous funnel step that reached this step.",
            "sessions at step that did the previous step / sessions at previous step",
        ),
        Term(
            "drop_off",
            "Drop-off",
            "Sessions at the previous step that did not reach this step; never negative.",
            "sessions at previous step - sessions that continued",
        ),
        Term(
            "skipped",
            "Skipped",
            "Sessions that reached a step without the previous one (e.g. Buy Now purchases "
            "without a cart event); reported, not counted as negative drop-off.",
            "sessions at step without the previous step",
        ),
        Term(
            "revenue_share",
            "Revenue share",
            "A segment's share of the revenue of all segments.",
            "segment revenue / total revenue",
        ),
        Term(
            "confidence_interval",
            "95% interval",
            "The range the true value lies in with 95% confidence given the sample: Wilson "
            "interval for rates, t interval for AOV and RPV.",
            "Wilson: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n); t: mean ± t·sd/sqrt(n)",
        ),
        Term(
            "small_sample",
            "Small sample",
            "A segment with fewer than 30 orders or 300 sessions: shown but not ranked, its "
            "rates are too uncertain.",
            "orders < 30 or sessions < 300",
        ),
        Term(
            "decomposition",
            "Revenue change decomposition",
            "How much of a revenue change came from traffic, conversion rate and AOV, using the "
            "additive log-mean Divisia (LMDI-I) method on the online revenue of the days both "
            "periods have; revenue the sessions cannot explain (other channels, days without "
            "traffic) is its own part, so the parts sum exactly to the headline change.",
            "ΔR = Σ L(R1, R0) · ln(x1 / x0) + Δ other, L(a, b) = (a - b) / (ln a - ln b), "
            "x = sessions, CR, AOV",
        ),
        Term(
            "opportunity",
            "Opportunity",
            "Revenue per month that could be gained if a funnel step's rate in a segment "
            "reached a comparable benchmark (a segment of the same dimension with enough "
            "sample, or its own best recent period), with the lift capped at a stated "
            "plausible maximum; shown as a range.",
            "entering sessions x (benchmark - current rate) x rate from the next step to "
            "purchase x AOV x 30.44 / days",
        ),
        Term(
            "landing_page_at_stake",
            "Revenue at stake (landing page)",
            "Revenue per month a landing page could add if it converted like the best comparable "
            "page of the same type and source (at least 1,000 sessions and 30 conversions), "
            "counted only when the gap's 95% interval is above zero, with the lift capped at "
            "+20% of its own CR (low end +5%); shown as a range.",
            "page revenue x min((benchmark CR - CR) / CR, 20%) x 30.44 / days",
        ),
        Term(
            "health_alert",
            "Store-health alert",
            "A day outside what noise explains against the same weekday of the six weeks "
            "before (sessions, orders, revenue, AOV, CR, each funnel step and each device's or "
            "channel's share, per device and channel where the traffic splits by day), or a "
            "problem with the data itself: orders without sessions, sessions without orders, "
            "a day with neither, duplicated orders, two traffic sources that stop agreeing.",
            "|x - centre| > 4 spreads for counts and means, 3.5 for rates; spread = robust "
            "(MAD) or binomial + between-week variation, x sqrt(1 + 1/weeks)",
        ),
        Term(
            "comparison_window",
            "Compared days",
            "A change compares only the days both periods have data for, orders and traffic "
            "alike; where one side has fewer days both are cut to the common days and the page "
            "says so.",
            "common days = days covered on both sides after shifting by the comparison offset",
        ),
    )
}

KPI_CARD_METRICS: tuple[str, ...] = (
    "revenue",
    "sessions",
    "orders",
    "conversion_rate",
    "aov",
    "rpv",
)
"""The six headline metrics, in the order every front door shows them."""

_ALIASES: dict[str, str] = {alias: m.key for m in METRICS.values() for alias in (m.key, *m.aliases)}


def metric_key(name: str) -> str:
    """The canonical key of a metric name or alias; InvalidInputError for unknown names."""
    key = _ALIASES.get(str(name).strip().lower())
    if key is None:
        raise InvalidInputError(f"Unknown metric '{name}': use one of " + ", ".join(METRICS) + ".")
    return key


def metric(name: str) -> Metric:
    """The catalogue entry of a metric name or alias."""
    return METRICS[metric_key(name)]


def help_text(name: str) -> str:
    """Definition and formula of a metric or glossary term ('' for unknown names)."""
    key = _ALIASES.get(str(name).strip().lower(), name)
    entry = METRICS.get(key) or TERMS.get(key)
    return entry.help() if entry is not None else ""


GLOSSARY_METRICS: tuple[str, ...] = (
    "sessions",
    "visitors",
    "orders",
    "online_orders",
    "revenue",
    "conversion_rate",
    "aov",
    "online_aov",
    "rpv",
    "revenue_per_visitor",
    "engaged_sessions",
    "engagement_rate",
    "bounce_rate",
    "cart_rate",
    "checkout_rate",
    "checkout_completion",
    "add_to_cart_rate",
    "purchase_rate",
    "attach_rate",
)


def glossary_markdown() -> str:
    """The glossary as a Markdown section (what the README (Metrics glossary) holds)."""
    lines = [
        "## Metrics glossary",
        "",
        "| Metric | Definition | Formula |",
        "|---|---|---|",
    ]
    entries = [*(METRICS[k] for k in GLOSSARY_METRICS), *TERMS.values()]
    for entry in entries:
        lines.append(f"| {entry.label} | {entry.definition} | `{entry.formula}` |")
    return "\n".join(lines) + "\n"
