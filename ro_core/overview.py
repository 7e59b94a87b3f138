"""The period overview: one object the Overview page draws, the HTML report renders and
`ro overview --json` prints, so the three cannot disagree.

It holds the KPI cards (values, changes on the compared days, texts formatted once from the
metric catalogue), the summary sentence, sparklines, the revenue decomposition, the top
opportunities, the funnel and goal progress. A part the data cannot give carries its reason
(``*_reason``) instead of raising; the same policy serves every front door.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ro_core.errors import RoError
from ro_core.health.daily import HealthCheck, check_store
from ro_core.loop import goals as goals_mod
from ro_core.metrics.catalog import KPI_CARD_METRICS, METRICS, RATE
from ro_core.metrics.coverage import coverage
from ro_core.metrics.decomposition import Decomposition, decompose_scope
from ro_core.metrics.engagement import EngagementSummary, engagement
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.funnel import FunnelResult, traffic_funnel
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, KpiComparison, MetricChange, compare_kpis
from ro_core.metrics.opportunities import opportunities
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.metrics.trends import trend
from ro_core.metrics.versioned import pins_version
from ro_core.present.formatting import (
    CURRENCY_SYMBOLS,
    NOT_AVAILABLE,
    change,
    count,
    money,
    money_change,
    points,
    rate,
)
from ro_core.present.summary import revenue_summary
from ro_core.store.db import Database

WORKERS = 4
"""Threads for the parts, one pool for the process (overviews built at once share it)."""
TOP_OPPORTUNITIES = 5
ENGAGEMENT_METRICS: tuple[str, ...] = ("engaged_sessions", "engagement_rate", "bounce_rate")
"""Shown below the six cards where the traffic source has them (never instead of a card)."""
HEALTH_DAYS = 28


def format_metric(key: str, value: Any, currency: str | None) -> str:
    """A metric's value as every front door shows it (kind from the catalogue)."""
    kind = METRICS[key].kind
    if kind == "money":
        return money(value, currency)
    if kind == RATE:
        return rate(value)
    return count(value)


def format_change(key: str, moved: MetricChange | None) -> str | None:
    """'+8.0%', or for rates '+8.0% (+0.12 pp)'; None when there is no change to show."""
    if moved is None or moved.relative is None and moved.absolute is None:
        return None
    text = change(moved.relative)
    if METRICS[key].kind == RATE and moved.absolute is not None:
        pp = points(moved.absolute)
        text = f"{text} ({pp})" if text else pp
    return text


@dataclass(frozen=True)
class Card:
    """One headline figure.

    Attributes:
        key / label / kind: from the catalogue.
        value / value_text: the whole period's figure and its text.
        base / base_text: the comparison's figure on the compared days (None without one).
        compared_value / compared_text: this period's figure on the compared days, when they
            are fewer than the period's (None otherwise): the change is compared_value -> base.
        change_relative / change_absolute / change_text: the change on the compared days.
        help: definition, formula and what the figure is based on here.
    """

    key: str
    label: str
    kind: str
    value: float | None
    value_text: str
    base: float | None
    base_text: str | None
    compared_value: float | None
    compared_text: str | None
    change_relative: float | None
    change_absolute: float | None
    change_text: str | None
    help: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Overview:
    """Everything a period overview shows (see the module docstring)."""

    scope: Scope
    currency: str | None
    kpis: KpiComparison
    cards: tuple[Card, ...]
    summary: str
    as_of: date
    sparklines: dict[str, list[float]] = field(default_factory=dict)
    decomposition: Decomposition | None = None
    decomposition_reason: str | None = None
    opportunities: pd.DataFrame | None = None
    opportunities_reason: str | None = None
    funnel: FunnelResult | None = None
    funnel_reason: str | None = None
    goals: tuple[goals_mod.GoalProgress, ...] = ()
    goals_reason: str | None = None
    health: HealthCheck | None = None
    health_reason: str | None = None
    notes: tuple[str, ...] = ()
    engagement_cards: tuple[Card, ...] = ()
    engagement: EngagementSummary | None = None
    engagement_reason: str | None = None

    @property
    def currency_symbol(self) -> str:
        """'$' for USD, '' when unknown."""
        return CURRENCY_SYMBOLS.get((self.currency or "").upper(), "")

    def card(self, key: str) -> Card:
        """The card of one metric."""
        return next(c for c in self.cards if c.key == key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what `ro overview --json` prints)."""
        top = self.opportunities
        return {
            "scope": self.scope.to_dict(),
            "currency": self.currency,
            "as_of": self.as_of.isoformat(),
            "summary": self.summary,
            "cards": [c.to_dict() for c in self.cards],
            "kpis": self.kpis.to_dict(),
            "notes": list(self.notes),
            "sparklines": self.sparklines,
            "decomposition": self.decomposition.to_dict() if self.decomposition else None,
            "decomposition_reason": self.decomposition_reason,
            "opportunities": top if top is not None else None,
            "opportunities_reason": self.opportunities_reason,
            "funnel": self.funnel.to_dict() if self.funnel is not None else None,
            "funnel_reason": self.funnel_reason,
            "goals": [g.to_dict() for g in self.goals],
            "goals_reason": self.goals_reason,
            "health": self.health.to_dict() if self.health is not None else None,
            "health_reason": self.health_reason,
            "engagement_cards": [c.to_dict() for c in self.engagement_cards],
            "engagement": self.engagement.to_dict() if self.engagement is not None else None,
            "engagement_reason": self.engagement_reason,
        }


def _cards(
    result: KpiComparison, currency: str | None, keys: tuple[str, ...] = KPI_CARD_METRICS
) -> tuple[Card, ...]:
    cards = []
    current = result.current
    for key in keys:
        entry = METRICS[key]
        moved = result.changes.get(key) if result.comparison is not None else None
        help_parts = [entry.help()]
        if key == "conversion_rate" and result.cr_basis:
            help_parts.append(f"Here: {result.cr_basis}.")
        if key == "rpv" and current.online_aov is not None:
            exact = result.cr_basis != CR_BASIS_CONVERTED
            help_parts.append(
                f"Online AOV here is {money(current.online_aov, currency)}; RPV = CR x online AOV"
                + (" exactly." if exact else " only roughly: CR counts converted sessions, and a "
                   "session can place more than one order.")
            )  # fmt: skip
        if key in ENGAGEMENT_METRICS and current.engagement_basis:
            help_parts.append(f"Here: {current.engagement_basis}.")
        if moved is not None and moved.note:
            help_parts.append(moved.note)
        cut = moved is not None and moved.days is not None and moved.days.cut
        cards.append(
            Card(
                key=key,
                label=entry.short_label,
                kind=entry.kind,
                value=current.value(key),
                value_text=format_metric(key, current.value(key), currency),
                base=moved.base if moved else None,
                base_text=format_metric(key, moved.base, currency) if moved else None,
                compared_value=moved.current if cut else None,
                compared_text=format_metric(key, moved.current, currency) if cut else None,
                change_relative=moved.relative if moved else None,
                change_absolute=moved.absolute if moved else None,
                change_text=format_change(key, moved),
                help=" ".join(help_parts),
            )
        )
    return tuple(cards)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> ThreadPoolExecutor:
    """The process's pool for the parts, started once: a pool per overview cost its threads'
    start and join on every new period (about 15 ms)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ro-overview")
        return _pool


def _run(jobs: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run the parts side by side (each takes its own DuckDB cursor); our errors as text."""

    def guarded(job: Callable[[], Any]) -> Any:
        try:
            return job()
        except RoError as error:
            return error

    pool = _workers()
    # each part runs in a copy of this context: the data version pinned here holds there
    futures = {name: pool.submit(copy_context().run, guarded, job) for name, job in jobs.items()}
    return {name: future.result() for name, future in futures.items()}


def _part(value: Any) -> tuple[Any, str | None]:
    return (None, str(value)) if isinstance(value, RoError) else (value, None)


def _funnel(db: Database, scope: Scope) -> FunnelResult:
    result = traffic_funnel(db, scope.period, scope.filters)
    if len(result.steps) < 2 and coverage(db).has_events:
        result = event_funnel(db, scope.period, filters=scope.filters)
    return result


def _sparkline(db: Database, scope: Scope, key: str) -> list[float]:
    frame = trend(db, key, scope.grain, scope.period, scope.filters).frame
    if "value" not in frame:
        return []
    return [float(v) for v in frame["value"] if v is not None and pd.notna(v)]


def _summary(scope: Scope, result: KpiComparison, decomposition: Decomposition | None) -> str:
    filters = result.filters
    if result.current.revenue is None and not filters.segment_applies_to_orders:
        return (
            f"Revenue is not known for {filters.segment_label()}: the orders carry no "
            f"{filters.segment_name}. Sessions and conversion rate below are the segment's."
        )
    moved = result.changes.get("revenue") if result.comparison is not None else None
    symbol = CURRENCY_SYMBOLS.get((filters.currency or "").upper(), "")
    if moved is None or moved.base is None:
        sentence = revenue_summary(result.current.revenue, None, currency_symbol=symbol)
        if moved is not None and moved.note:
            sentence += " " + moved.note
        return sentence
    return revenue_summary(
        moved.current,
        moved.base,
        compare_label=scope.compare_label,
        contributions=decomposition.contributions if decomposition else None,
        segments=decomposition.segments if decomposition else None,
        kpi_changes={k: v.relative for k, v in result.changes.items()},
        currency_symbol=symbol,
    )


def _empty_orders_note(db: Database, scope: Scope, result: KpiComparison) -> str | None:
    """When the filters leave out every order of the period, say how many exist and why."""
    if result.current.orders != 0 or not scope.filters.segment_applies_to_orders:
        return None
    everything = replace(
        scope.with_filters(exclude_cancelled=False, exclude_test=False), compare="none"
    )
    unfiltered = compare_kpis(db, everything).current.orders
    if not unfiltered:
        return None
    return (
        f"No order in this period passes the order filters, but {unfiltered:,} "
        f"order{'s' * (unfiltered != 1)} exist: test, draft, cancelled and voided orders are "
        "left out by default. Switch that under Order filters."
    )


def health_period(scope: Scope) -> DateRange:
    """The days the Overview's health section judges: the period's last HEALTH_DAYS days."""
    period = scope.period
    return DateRange(max(period.start, period.end - timedelta(days=HEALTH_DAYS - 1)), period.end)


@pins_version
def build_overview(db: Database, scope: Scope) -> Overview:
    """The period overview of a scope (see the module docstring).

    Runs on one data version (read once): what does not depend on the period is read once per
    version (ro_core.metrics.versioned) and the rest in a few statements.
    """
    cover = coverage(db)
    as_of = min(scope.period.end, cover.latest_date or scope.period.end)
    result = compare_kpis(db, scope)
    jobs: dict[str, Callable[[], Any]] = {
        "opportunities": lambda: opportunities(db, scope.period, scope.filters),
        "funnel": lambda: _funnel(db, scope),
        "goals": lambda: goals_mod.goals_progress(
            db, as_of, scope.filters, goals=goals_mod.goals_overlapping(db, scope.period)
        ),
    }
    jobs["health"] = lambda: check_store(db, health_period(scope), scope.filters)
    jobs["engagement"] = lambda: engagement(db, scope)
    if result.comparison is not None:
        jobs["decomposition"] = lambda: decompose_scope(db, scope, result)
    for key in KPI_CARD_METRICS:
        jobs[f"spark:{key}"] = lambda key=key: _sparkline(db, scope, key)
    parts = _run(jobs)
    decomposition, decomposition_reason = _part(parts.get("decomposition"))
    if result.comparison is None:
        decomposition_reason = "Pick a comparison to split the revenue change."
    top, top_reason = _part(parts["opportunities"])
    funnel, funnel_reason = _part(parts["funnel"])
    if funnel is not None and (len(funnel.steps) < 2 or funnel.frame.empty):
        funnel_reason = funnel.note or "No funnel steps for these dates."
    progress, goals_reason = _part(parts["goals"])
    health, health_reason = _part(parts["health"])
    engaged, engagement_reason = _part(parts["engagement"])
    shown = tuple(k for k in ENGAGEMENT_METRICS if result.current.value(k) is not None)
    if engaged is not None and not shown and engaged.events is None:
        engagement_reason = " ".join(engaged.notes) or "No engagement or bounce figures."
    if progress is not None and not progress:
        goals_reason = "No goals are set for months or quarters in this period."
    notes = [*result.notes, *result.current.notes]
    empty = _empty_orders_note(db, scope, result)
    if empty:
        notes.insert(0, empty)
    sparklines = {
        key: value for key in KPI_CARD_METRICS if isinstance(value := parts[f"spark:{key}"], list)
    }
    currency = scope.currency or (cover.currencies[0] if len(cover.currencies) == 1 else None)
    return Overview(
        scope=scope,
        currency=currency,
        kpis=result,
        cards=_cards(result, currency),
        summary=_summary(scope, result, decomposition),
        as_of=as_of,
        sparklines=sparklines,
        decomposition=decomposition,
        decomposition_reason=decomposition_reason,
        opportunities=top,
        opportunities_reason=top_reason,
        funnel=funnel,
        funnel_reason=funnel_reason,
        goals=tuple(progress or ()),
        goals_reason=goals_reason,
        health=health,
        health_reason=health_reason,
        notes=tuple(dict.fromkeys(n for n in notes if n)),
        engagement_cards=_cards(result, currency, shown),
        engagement=engaged,
        engagement_reason=engagement_reason,
    )


def engagement_notes(overview: Overview) -> list[str]:
    """One line per engagement source for people: the traffic source's basis and rows, the
    event data's bounce rate apart (never mixed into the traffic figure), or why none."""
    found = overview.engagement
    if found is None:
        return [overview.engagement_reason] if overview.engagement_reason else []
    lines = []
    if found.traffic is not None:
        lines.append(f"Engagement: {found.traffic.note} Definition: {found.traffic.basis}.")
    elif found.notes and found.events is not None:
        lines.append(found.notes[0])
    if found.events is not None:
        ev = found.events
        lines.append(
            f"Event data: bounce rate {rate(ev.bounce_rate)} (95% {rate(ev.bounce_low)} to "
            f"{rate(ev.bounce_high)}) of {count(ev.sessions)} sessions; {ev.note}"
        )
    elif overview.engagement_reason:
        lines.append(overview.engagement_reason)
    return lines


def decomposition_rows(decomposition: Decomposition, currency: str | None) -> list[list[str]]:
    """The waterfall as rows of [step, amount text]: comparison revenue, each part, current."""
    labels = dict(zip(decomposition.factors["factor"], decomposition.factors["label"], strict=True))
    rows = [["Revenue, comparison", money(decomposition.revenue_base, currency)]]
    rows += [
        [labels.get(name, name), money_change(amount, currency) or NOT_AVAILABLE]
        for name, amount in decomposition.contributions.items()
    ]
    rows.append(["Revenue, this period", money(decomposition.revenue_current, currency)])
    return rows


def _gain_text(row: dict[str, Any], currency: str | None) -> str:
    low, high = row.get("gain_low"), row.get("gain_high")
    if low is not None and high is not None and pd.notna(low) and pd.notna(high):
        return f"{money(low, currency, decimals=0)} to {money(high, currency, decimals=0)}"
    return money(row.get("monthly_revenue_gain"), currency, decimals=0)


OPPORTUNITY_TABLE_COLUMNS = ["Segment", "Step", "Rate now", "Benchmark", "Gain per month", "Source"]


def opportunity_table(frame: pd.DataFrame | None, currency: str | None, limit: int) -> pd.DataFrame:
    """The top opportunities as display texts (OPPORTUNITY_TABLE_COLUMNS), ranked rows first."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=OPPORTUNITY_TABLE_COLUMNS)
    ranked = frame[frame["rank"].notna()] if "rank" in frame else frame
    top = (ranked if len(ranked) else frame).head(limit)
    rows = []
    for r in top.to_dict("records"):
        whole = r["segment_dimension"] == "store"
        rows.append(
            {
                "Segment": "Whole store" if whole else f"{r['segment_dimension']}: {r['segment']}",
                "Step": r.get("label") or r.get("step"),
                "Rate now": rate(r.get("current_rate")),
                "Benchmark": rate(r.get("benchmark_rate")),
                "Gain per month": _gain_text(r, currency),
                "Source": str(r.get("source") or ""),
            }
        )
    return pd.DataFrame(rows, columns=OPPORTUNITY_TABLE_COLUMNS)
