"""Landing pages: where sessions start, how many bounce, convert and earn, and what is at stake.

One source per table, never mixed: the scope's traffic source (``filters.traffic_source``, else
``sources.default_traffic_source``) when it splits sessions by landing page (Shopify "Sessions by
landing page", a GA4 landing-page download, a mapped file); otherwise event data, where a
session's landing page is its first page or product view (REES46 logs name products, so a
landing page is 'product <id>'). ``source='events'`` asks for the events even when the traffic
has landing pages.

Per page: sessions, bounce rate (see ro_core.metrics.engagement for each source's definition),
conversion rate (converted sessions where the traffic reports them, else the analytics export's
own conversions; sessions with a purchase in event data), revenue and revenue per session (the
source's own revenue where it has it, else conversions x the store's online revenue per
conversion on the same days, flagged ``rpv_estimated``). Rates carry Wilson 95% intervals; RPV a
t interval where per-session revenue is known (events). A page with fewer than
MIN_SEGMENT_SESSIONS sessions or MIN_SEGMENT_ORDERS conversions is flagged small_sample and not
ranked.

Revenue at stake follows the opportunity rules (ro_core.metrics.opportunities): a page is
compared only with pages of the same type (home, product, collection, content, search, other)
of the same source and days; the benchmark is the page with the highest lower Wilson bound among
those with at least MIN_BENCHMARK_SESSIONS sessions and MIN_BENCHMARK_CONVERSIONS conversions; a
page counts only when the 95% interval of its gap (Newcombe) lies above zero; the lift credited
is capped at MAX_RELATIVE_LIFT of its own CR, the low end at TYPICAL_RELATIVE_LIFT; the money is
per month (DAYS_PER_MONTH over the days covered), scaled down when the pages together imply more
revenue than the store took, and rounded to two significant figures as a range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ro_core.metrics._sql import safe_div
from ro_core.metrics._stats import mean_interval, wilson_interval
from ro_core.metrics.engagement import EVENTS, session_events_sql
from ro_core.metrics.event_sessions import EventSessions, event_sessions
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, kpi_values
from ro_core.metrics.opportunities import (
    DAYS_PER_MONTH,
    MAX_RELATIVE_LIFT,
    MIN_BENCHMARK_CONVERSIONS,
    MIN_BENCHMARK_SESSIONS,
    TYPICAL_RELATIVE_LIFT,
    gap_interval,
    round_money,
)
from ro_core.metrics.scope import Scope
from ro_core.metrics.segments import MIN_SEGMENT_ORDERS, MIN_SEGMENT_SESSIONS
from ro_core.metrics.sources import SOURCE_LABELS, traffic_source_for
from ro_core.metrics.traffic import (
    no_traffic_note,
    segment_value_sql,
    select_traffic,
)
from ro_core.store import schema
from ro_core.store.db import Database

DIMENSION = "landing_page"
MAX_PAGES = 500
CR_CONVERTED = "converted sessions / sessions"
CR_REPORTED = "conversions the analytics export reports / sessions"
CR_EVENTS = "sessions with a purchase event / sessions"
PAGE_TYPES: tuple[tuple[str, str], ...] = (
    ("/products/", "product"),
    ("/collections/", "collection"),
    ("/blogs/", "content"),
    ("/pages/", "content"),
    ("/search", "search"),
)
LANDING_PAGE_COLUMNS = [
    "landing_page", "page_type", "sessions", "session_share",
    "bounced_sessions", "bounce_rate", "bounce_low", "bounce_high",
    "conversions", "conversion_rate", "cr_low", "cr_high",
    "revenue", "rpv", "rpv_low", "rpv_high", "rpv_estimated",
    "benchmark_page", "benchmark_rate", "lift", "capped",
    "at_stake", "at_stake_low", "at_stake_high", "small_sample", "rank",
]  # fmt: skip


@dataclass(frozen=True)
class LandingPageTable:
    """One row per landing page (LANDING_PAGE_COLUMNS), biggest first.

    Columns: landing_page, page_type (home / product / collection / content / search / other),
    sessions and session_share; bounced_sessions, bounce_rate with its Wilson interval (None
    where the source reports no bounce); conversions, conversion_rate (cr_basis) with its Wilson
    interval; revenue, rpv (rpv_low/high: t interval, events only; rpv_estimated: revenue =
    conversions x the store's revenue per conversion); benchmark_page, benchmark_rate, lift
    (relative, capped) and capped; at_stake with its range at_stake_low/high (money per month,
    None unless the page is clearly behind its benchmark); small_sample; rank (1 = most at
    stake among pages with enough sample).
    """

    frame: pd.DataFrame
    source: str | None  # 'shopify', 'ga4', 'mapped', 'events' or None (no landing pages)
    source_label: str
    cr_basis: str | None
    days: int
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what `ro landing-pages --json` prints)."""
        return {
            "rows": self.frame,
            "source": self.source,
            "source_label": self.source_label,
            "cr_basis": self.cr_basis,
            "days": self.days,
            "notes": list(self.notes),
        }


def page_type(page: str) -> str:
    """The kind of a landing page from its path or URL ('home', 'product', ...).

    A market prefix counts as the page it leads to ('/en/products/x' is a product page).
    """
    path = str(page or "").strip().lower()
    if path.startswith("product "):
        return "product"  # event data: a session's first viewed product
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    path = path.split("?", 1)[0].split("#", 1)[0].rstrip("/") + "/"
    if path == "/":
        return "home"
    for prefix, kind in PAGE_TYPES:
        if prefix in path:
            return kind
    return "other"


def _empty(notes: list[str], source: str | None = None) -> LandingPageTable:
    label = SOURCE_LABELS.get(source or "", source or "")
    return LandingPageTable(
        pd.DataFrame(columns=LANDING_PAGE_COLUMNS), source, label, None, 0, tuple(notes)
    )


def _traffic_rows(db: Database, scope: Scope) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per page sums of the traffic source's landing-page breakdown, and facts about them."""
    selection = select_traffic(db, scope.period, scope.filters, dimension=DIMENSION)
    if selection is None:
        return [], {}
    where, params = selection.where_sql("t")
    value = segment_value_sql(DIMENSION, "t")

    def all_or_null(column: str) -> str:
        return f"CASE WHEN count(t.{column}) = count(*) THEN sum(t.{column}) END"

    rows = db.fetch_all(
        f"""SELECT {value} AS page, sum(t.sessions), {all_or_null("engaged_sessions")},
               {all_or_null("converted_sessions")}, {all_or_null("orders")},
               {all_or_null("revenue")}
        FROM {schema.TRAFFIC} t WHERE {where} AND t.sessions IS NOT NULL
        GROUP BY 1 HAVING sum(t.sessions) > 0 ORDER BY 2 DESC, 1""",
        params,
    )

    def num(value: Any) -> float | None:
        return float(value) if value is not None else None

    out = [
        {
            "landing_page": str(r[0]),
            "sessions": float(r[1]),
            "kept": num(r[2]),
            "converted": num(r[3]),
            "reported": num(r[4]),
            "revenue": num(r[5]),
        }
        for r in rows
    ]
    return out, {"selection": selection}


def _event_rows(db: Database, scope: Scope) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per landing page of the event sessions: sessions, bounced, converted, revenue and its
    square, and the days the sessions cover."""
    sessions = event_sessions(db, scope.period, scope.filters)
    if sessions is None:
        pages, first, last = _event_pages_sql(db, scope)
    else:
        pages, first, last = _event_pages_rolled(sessions)
    rows = sorted(pages, key=lambda r: (-r[1], r[0]))  # most sessions first, then by name
    out = [
        {
            "landing_page": r[0],
            "sessions": float(r[1]),
            "bounced": float(r[2]),
            "converted": float(r[3]),
            "revenue": float(r[4] or 0.0),
            "revenue_sq": float(r[5] or 0.0),
        }
        for r in rows
    ]
    days = (last - first).days + 1 if first is not None and last is not None else 0
    return out, {"days": days}


def _page_name(product: Any) -> str:
    return "(no view)" if product is None else f"product {product}"


def _event_pages_sql(db: Database, scope: Scope) -> tuple[list[tuple], Any, Any]:
    # The sessions of ro_core.metrics.engagement.session_events_sql (its events, key, view and
    # segment rules) with only what a landing page needs, in four aggregates per session instead
    # of six: each aggregate over 500,000 sessions of a year of 5M events costs about as much as
    # the grouping itself.
    # weight (1 per view, 2 per other event) is 1 exactly when the session is one view and
    # nothing else (a bounce); revenue (purchase value, 0 where it is missing) is NULL exactly
    # when the session has no purchase. Grouped by the product id, 'product ' added in Python.
    events_sql, params = session_events_sql(scope.filters, scope.period)
    rows = db.fetch_all(
        f"""WITH e AS ({events_sql}),
        s AS (
            SELECT min(local_date) AS first_date,
                   arg_min(CAST(product_id AS VARCHAR), event_time) FILTER (WHERE is_view)
                       AS first_product,
                   sum(CASE WHEN is_view THEN 1 ELSE 2 END) AS weight,
                   sum(CASE WHEN event_type = 'purchase' THEN coalesce(revenue, price, 0) END)
                       AS revenue
            FROM e GROUP BY skey)
        SELECT first_product, count(*), count(CASE WHEN weight = 1 THEN 1 END), count(revenue),
               sum(revenue), sum(revenue * revenue), min(first_date), max(first_date)
        FROM s GROUP BY first_product""",
        params,
    )
    pages = [(_page_name(r[0]), *r[1:6]) for r in rows]
    first = min((r[6] for r in rows), default=None)
    last = max((r[7] for r in rows), default=None)
    return pages, first, last


def _event_pages_rolled(sessions: EventSessions) -> tuple[list[tuple], Any, Any]:
    """The rows of _event_pages_sql from the per-day session sums (ro_core.metrics.event_sessions)."""
    if not len(sessions.first_day):
        return [], None, None
    slot = sessions.product + 1  # 0: no view
    size = len(sessions.products) + 1
    revenue = sessions.cents / 100

    def per_page(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(slot, weights=weights, minlength=size)

    counts = per_page()
    sums = [per_page(w) for w in (sessions.bounced, sessions.purchases > 0, revenue, revenue**2)]
    names = [_page_name(None), *(_page_name(p) for p in sessions.products)]
    pages = [
        (names[i], int(counts[i]), *(float(column[i]) for column in sums))
        for i in np.flatnonzero(counts)
    ]
    first, last = sessions.first_dates()
    return pages, first, last


def _benchmarks(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per page type: the page with the highest lower Wilson bound among those with enough."""
    best: dict[str, tuple[float, dict[str, Any]]] = {}
    for r in rows:
        if r["conversions"] is None:
            continue
        if r["sessions"] < MIN_BENCHMARK_SESSIONS or r["conversions"] < MIN_BENCHMARK_CONVERSIONS:
            continue
        bar = wilson_interval(r["conversions"], r["sessions"])[0]
        kind = r["page_type"]
        if bar is not None and (kind not in best or bar > best[kind][0]):
            best[kind] = (bar, r)
    return {kind: r for kind, (_, r) in best.items()}


def _at_stake(rows: list[dict[str, Any]], per_month: float, store_revenue: float | None) -> None:
    """Fill benchmark, lift and money at stake in place (the module doc's rules)."""
    implied = sum(r["revenue"] for r in rows if r["revenue"] is not None)
    scale = 1.0
    if store_revenue is not None and implied > store_revenue > 0:
        scale = store_revenue / implied
    bench = _benchmarks(rows)
    for r in rows:
        b = bench.get(r["page_type"])
        if b is None or b is r or r["conversions"] is None or not r["sessions"]:
            continue
        gap, low, high = gap_interval(r["conversions"], r["sessions"], b["conversions"],
                                      b["sessions"])  # fmt: skip
        if low <= 0:
            continue
        r["benchmark_page"] = b["landing_page"]
        r["benchmark_rate"] = b["conversions"] / b["sessions"]
        rate = r["conversions"] / r["sessions"]
        if rate <= 0 or r["revenue"] is None:
            continue  # no conversions: a relative lift cannot be told
        caps = (MAX_RELATIVE_LIFT, TYPICAL_RELATIVE_LIFT, MAX_RELATIVE_LIFT)
        lift, lift_low, lift_high = (min(x / rate, c) for x, c in zip((gap, low, high), caps,
                                                                       strict=True))  # fmt: skip
        money = r["revenue"] * scale * per_month
        r.update(
            lift=lift,
            capped=gap / rate > MAX_RELATIVE_LIFT,
            at_stake=round_money(lift * money),
            at_stake_low=round_money(lift_low * money, "down"),
            at_stake_high=round_money(lift_high * money, "up"),
        )


def landing_pages(db: Database, scope: Scope, *, source: str | None = None) -> LandingPageTable:
    """The landing-page table of the scope (see the module doc); `source` 'events' forces
    event data, anything else the scope's traffic source with events as the fallback."""
    notes: list[str] = []
    traffic_source, _why = traffic_source_for(db, scope.filters)
    rows: list[dict[str, Any]] = []
    facts: dict[str, Any] = {}
    if source != EVENTS:
        rows, facts = _traffic_rows(db, scope)
        if not rows and traffic_source is not None:
            notes.append(no_traffic_note(db, scope.filters, " split by landing page"))
    used = traffic_source if rows else None
    if not rows:
        rows, facts = _event_rows(db, scope)
        used = EVENTS if rows else None
        if rows and source != EVENTS:
            notes.append("Landing pages from event data: a session's first viewed product.")
    if not rows:
        if not notes:
            notes.append(
                "No landing pages for these dates: import a Shopify 'Sessions by landing page' "
                "report, a GA4 landing-page download or event data."
            )
        return _empty(notes, used)

    cr_basis: str | None
    value_per_conversion: float | None = None
    if used == EVENTS:
        label, cr_basis, days = "Events", CR_EVENTS, int(facts["days"])
        store_revenue = sum(r["revenue"] for r in rows)
        notes.append(
            "Bounce: a session with a single view and nothing else; CR: sessions with a purchase; "
            "revenue: the purchase events' value."
        )
    else:
        selection = facts["selection"]
        label, days = selection.source_label, selection.covered_days
        notes.append(selection.note + ".")
        has_converted = all(r["converted"] is not None for r in rows)
        has_reported = all(r["reported"] is not None for r in rows)
        cr_basis = CR_CONVERTED if has_converted else CR_REPORTED if has_reported else None
        for r in rows:
            r["conversions"] = (r["converted"] if has_converted
                                else r["reported"] if has_reported else None)  # fmt: skip
        store = kpi_values(db, selection.effective_range, replace(scope.filters,
                           traffic_source=selection.source))  # fmt: skip
        store_revenue = store.online_revenue
        if not all(r["revenue"] is not None for r in rows):
            conversions = (
                store.converted_sessions
                if store.conversion_rate_basis == CR_BASIS_CONVERTED
                else store.online_orders
            )
            value_per_conversion = safe_div(store.online_revenue, conversions)
            if cr_basis is not None and value_per_conversion is not None:
                notes.append(
                    f"The {label} report has no revenue per landing page: revenue is estimated "
                    "as conversions x the store's online revenue per conversion on the same days "
                    f"({value_per_conversion:,.2f})."
                )
            for r in rows:
                r["revenue"] = (
                    r["conversions"] * value_per_conversion
                    if r["conversions"] is not None and value_per_conversion is not None
                    else None
                )
        if cr_basis is None:
            notes.append(f"The {label} landing-page rows report no conversions: CR is not known.")
        if any(r["kept"] is None for r in rows):
            notes.append(f"The {label} landing-page rows report no bounce rate.")

    total_sessions = sum(r["sessions"] for r in rows)
    for r in rows:
        n = r["sessions"]
        if used == EVENTS:
            r["conversions"] = r["converted"]
            bounced = r["bounced"]
            r["rpv_low"], r["rpv_high"] = mean_interval(n, r["revenue"], r["revenue_sq"])
        else:
            kept = r["kept"]
            bounced = n - min(kept, n) if kept is not None else None
            r["rpv_low"] = r["rpv_high"] = None
        r["page_type"] = "product" if used == EVENTS else page_type(r["landing_page"])
        r["session_share"] = safe_div(n, total_sessions)
        r["bounced_sessions"] = bounced
        r["bounce_rate"] = safe_div(bounced, n)
        r["bounce_low"], r["bounce_high"] = wilson_interval(bounced, n)
        conv = r["conversions"]
        r["conversion_rate"] = safe_div(conv, n)
        r["cr_low"], r["cr_high"] = wilson_interval(conv, n)
        r["rpv"] = safe_div(r["revenue"], n)
        r["rpv_estimated"] = value_per_conversion is not None and r["revenue"] is not None
        r["small_sample"] = n < MIN_SEGMENT_SESSIONS or (conv or 0) < MIN_SEGMENT_ORDERS
        for column in ("benchmark_page", "benchmark_rate", "lift", "capped", "at_stake",
                       "at_stake_low", "at_stake_high"):  # fmt: skip
            r.setdefault(column, None)
    per_month = DAYS_PER_MONTH / max(days, 1)
    _at_stake(rows, per_month, float(store_revenue) if store_revenue is not None else None)
    if len(rows) > MAX_PAGES:
        notes.append(f"Showing the {MAX_PAGES} pages with the most sessions of {len(rows)}.")
        rows = rows[:MAX_PAGES]
    frame = pd.DataFrame(rows).reindex(columns=LANDING_PAGE_COLUMNS)
    ranked = frame["at_stake"].notna() & ~frame["small_sample"].astype(bool)
    order = frame.loc[ranked, "at_stake"].astype(float).rank(method="first", ascending=False)
    frame["rank"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame.loc[ranked, "rank"] = order.astype(int)
    notes.append(
        f"Revenue at stake: per month, if a page converted like the best comparable {label} page "
        f"of its type (at least {MIN_BENCHMARK_SESSIONS:,} sessions and "
        f"{MIN_BENCHMARK_CONVERSIONS} conversions), only where the gap's 95% interval is above "
        f"zero, with the lift capped at +{MAX_RELATIVE_LIFT:.0%} (low end +"
        f"{TYPICAL_RELATIVE_LIFT:.0%}); pages with under {MIN_SEGMENT_SESSIONS} sessions or "
        f"{MIN_SEGMENT_ORDERS} conversions are small samples and not ranked."
    )
    for column in ("bounce_rate", "conversion_rate", "rpv", "at_stake"):
        frame[column] = frame[column].astype(float)
    return LandingPageTable(frame, used, label, cr_basis, days, tuple(notes))
