"""Every ro_core query the dashboard pages run, as (page, name, callable(db)) for benchmarks.

`page_queries(days)` runs them over the last `days` days with data (30 by default, as the
README's first table; benchmarks/query_ranges.py runs 30, 90 and 365).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

from ro_core.metrics import (
    DEFAULT_FILTERS,
    DateRange,
    coverage,
    decompose,
    kpis,
    opportunities,
    trend,
)
from ro_core.metrics.baseline import experiment_baseline_sums
from ro_core.metrics.engagement import engagement
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.funnel import traffic_funnel
from ro_core.metrics.landing_pages import landing_pages
from ro_core.metrics.products import products
from ro_core.metrics.scope import Scope
from ro_core.metrics.segments import segments
from ro_core.store.db import Database

_LATEST: dict[str, date] = {}


def latest_day(db: Database) -> date:
    """The latest day with data, looked up once per database file (the pages have it from the
    sidebar's coverage, so it is not part of any query's time)."""
    key = str(db.path)
    if key not in _LATEST:
        _LATEST[key] = coverage(db).latest_date
    return _LATEST[key]


def last_days(db: Database, days: int) -> DateRange:
    """The last `days` days ending on the latest day with data."""
    latest = latest_day(db)
    return DateRange(latest - timedelta(days=days - 1), latest)


def page_queries(days: int = 30) -> Iterator[tuple[str, str, Callable[[Database], object]]]:
    """The queries, grouped by the page that runs them (sidebar first), over `days` days.

    Call ``latest_day(db)`` once before timing them: the first call looks the date up.
    """
    f = DEFAULT_FILTERS

    def period(db: Database) -> DateRange:
        return last_days(db, days)

    def scope(db: Database) -> Scope:
        return Scope(period=period(db), compare="previous", filters=f)

    yield "sidebar", "coverage", coverage
    yield "overview", "kpis vs previous period", lambda db: kpis(db, period(db), f, "previous")
    yield "overview", "kpis vs previous year", lambda db: kpis(db, period(db), f, "year")
    yield (
        "overview",
        "revenue trend (sparkline)",
        lambda db: trend(db, "revenue", "day", period(db), f),
    )
    yield (
        "overview",
        "decomposition",
        lambda db: decompose(db, period(db), period(db).previous(), f),
    )
    yield "overview", "opportunities", lambda db: opportunities(db, period(db), f)
    yield "overview", "engagement (traffic + events)", lambda db: engagement(db, scope(db))
    yield (
        "trends",
        "CR trend by day vs previous",
        lambda db: trend(db, "conversion_rate", "day", period(db), f, "previous"),
    )
    yield (
        "trends",
        "revenue trend by week, 1 year",
        lambda db: trend(db, "revenue", "week", last_days(db, 365), f),
    )
    yield "funnel", "traffic funnel", lambda db: traffic_funnel(db, period(db), f)
    yield (
        "funnel",
        "event funnel (closed)",
        lambda db: event_funnel(db, period(db), closed=True),
    )
    yield (
        "funnel",
        "event funnel (open)",
        lambda db: event_funnel(db, period(db), closed=False),
    )
    yield (
        "segments",
        "segments by channel (orders)",
        lambda db: segments(db, "channel", period(db), f, side="orders"),
    )
    yield (
        "segments",
        "segments by country (orders)",
        lambda db: segments(db, "country", period(db), f, side="orders"),
    )
    yield "products", "product table (orders + events)", lambda db: products(db, scope(db))
    yield (
        "landing pages",
        "landing pages from events",
        lambda db: landing_pages(db, scope(db), source="events"),
    )
    yield (
        "experiments",
        "baseline sums (99th pct cap)",
        lambda db: experiment_baseline_sums(db, period(db), f, cap_percentile=0.99),
    )
