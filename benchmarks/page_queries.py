"""Every ro_core query the dashboard pages run, as (page, name, callable(db)) for benchmarks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

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
from ro_core.metrics.funnel import event_funnel, traffic_funnel
from ro_core.metrics.segments import segments
from ro_core.store.db import Database


def _last_30_days(db: Database) -> DateRange:
    latest = coverage(db).latest_date
    return DateRange(latest - timedelta(days=29), latest)


def page_queries() -> Iterator[tuple[str, str, Callable[[Database], object]]]:
    """The queries, grouped by the page that runs them (sidebar first)."""
    f = DEFAULT_FILTERS
    yield "sidebar", "coverage", coverage
    yield (
        "overview",
        "kpis vs previous period",
        lambda db: kpis(db, _last_30_days(db), f, "previous"),
    )
    yield "overview", "kpis vs previous year", lambda db: kpis(db, _last_30_days(db), f, "year")
    yield (
        "overview",
        "revenue trend (sparkline)",
        lambda db: trend(db, "revenue", "day", _last_30_days(db), f),
    )
    yield (
        "overview",
        "decomposition",
        lambda db: decompose(db, _last_30_days(db), _last_30_days(db).previous(), f),
    )
    yield "overview", "opportunities", lambda db: opportunities(db, _last_30_days(db), f)
    yield (
        "trends",
        "CR trend by day vs previous",
        lambda db: trend(db, "conversion_rate", "day", _last_30_days(db), f, "previous"),
    )
    yield (
        "trends",
        "revenue trend by week, 1 year",
        lambda db: trend(
            db,
            "revenue",
            "week",
            DateRange(_last_30_days(db).end - timedelta(days=364), _last_30_days(db).end),
            f,
        ),
    )
    yield "funnel", "traffic funnel", lambda db: traffic_funnel(db, _last_30_days(db), f)
    yield (
        "funnel",
        "event funnel (closed)",
        lambda db: event_funnel(db, _last_30_days(db), closed=True),
    )
    yield (
        "funnel",
        "event funnel (open)",
        lambda db: event_funnel(db, _last_30_days(db), closed=False),
    )
    yield (
        "segments",
        "segments by channel (orders)",
        lambda db: segments(db, "channel", _last_30_days(db), f, side="orders"),
    )
    yield (
        "segments",
        "segments by country (orders)",
        lambda db: segments(db, "country", _last_30_days(db), f, side="orders"),
    )
    yield (
        "experiments",
        "baseline sums (99th pct cap)",
        lambda db: experiment_baseline_sums(db, _last_30_days(db), f, cap_percentile=0.99),
    )
