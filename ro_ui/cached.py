"""The one cache adapter: computations cached on (database, data version, Scope, arguments).

Every committed import, removal or note bumps ``Database.data_version()``, so a cache entry can
never outlive the data it was computed from. app.py reads the version once per script run
(:func:`one_data_version`; reading it is a statement, and a run made about ten lookups): an
import committed in another session shows on the next run, and a run that writes itself calls
:func:`data_changed`. The Scope is passed whole: the cache keys on its
``cache_key()`` text and hands the frozen Scope itself to ro_core unhashed (the leading
underscore tells Streamlit not to hash it). Nothing here takes the scope apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any

import streamlit as st

from ro_core import metrics
from ro_core.ingest import pipeline
from ro_core.metrics import currency as currency_mod
from ro_core.metrics import segments as segments_mod
from ro_core.metrics import sources
from ro_core.metrics.engagement import engagement_by_segment as engagement_by_segment_table
from ro_core.metrics.engagement import engagement_trend
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.funnel import FunnelResult, traffic_funnel
from ro_core.metrics.kpis import KpiComparison, compare_kpis
from ro_core.metrics.landing_pages import LandingPageTable
from ro_core.metrics.landing_pages import landing_pages as landing_page_table
from ro_core.metrics.periods import DateRange
from ro_core.metrics.products import ProductTable
from ro_core.metrics.products import products as products_table
from ro_core.metrics.scope import Scope
from ro_core.metrics.versioned import pinned, reread
from ro_core.metrics.versioned import version as data_version
from ro_core.overview import Overview, build_overview
from ro_core.store import annotations as notes
from ro_core.store.db import Database, get_database

CACHE_ENTRIES = 256


def database() -> Database:
    """The dashboard's database ($RO_DB or data/ro.duckdb)."""
    return get_database()


@contextmanager
def one_data_version(db: Database) -> Iterator[int]:
    """Read the data version once (a script run): every cached lookup inside, and every value
    ro_core keeps per version (ro_core.metrics.versioned), uses it."""
    with pinned(db) as version:
        yield version


def data_changed(db: Database) -> None:
    """After a write inside :func:`one_data_version`: read the version again for the rest."""
    reread(db)


def key(db: Database) -> tuple[str, int]:
    """(database path, data version): the first two arguments of every cached function (the
    version of this run inside :func:`one_data_version`, else read now)."""
    return str(db.path), data_version(db)


# --- what is loaded ----------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def imports(db_path: str, version: int) -> list[dict[str, Any]]:
    """Every import, newest first (see ro_core.ingest.pipeline.list_imports)."""
    return pipeline.list_imports(get_database(db_path))


def has_demo(db_path: str, version: int) -> bool:
    """Whether demo imports are loaded."""
    return any(r.get("is_demo") for r in imports(db_path, version))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def coverage(db_path: str, version: int) -> metrics.DataCoverage:
    """What data is loaded (dates, traffic sources, dimensions, currencies)."""
    return metrics.coverage(get_database(db_path))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def currency_choices(db_path: str, version: int) -> list[currency_mod.CurrencyChoice]:
    """Currencies of the orders, most revenue first."""
    return currency_mod.currency_choices(get_database(db_path))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def store_currency(db_path: str, version: int) -> str | None:
    """The store currency (remembered pick, else the one most revenue is in)."""
    return currency_mod.store_currency(get_database(db_path))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def traffic_source_choices(db_path: str, version: int) -> list[sources.SourceChoice]:
    """Traffic sources with sessions, the default first."""
    return sources.traffic_source_choices(get_database(db_path))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def chosen_traffic_source(db_path: str, version: int) -> str | None:
    """The remembered traffic source, else the default one."""
    return sources.chosen_traffic_source(get_database(db_path))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def segment_dimensions(db_path: str, version: int) -> list[tuple[str, str, str]]:
    """(side, dimension, label) of every dimension with data, traffic first."""
    return segments_mod.segment_dimensions(get_database(db_path))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def segment_values(
    db_path: str,
    version: int,
    dimension: str,
    side: str | None,
    start: date,
    end: date,
    traffic_source: str | None = None,
) -> list[str]:
    """Values the "Show only" filter can pick for a dimension in a period, biggest first."""
    return segments_mod.segment_values(
        get_database(db_path), dimension, DateRange(start, end), side=side,
        traffic_source=traffic_source,
    )  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def annotations(db_path: str, version: int) -> list[tuple[int, date, date | None, str]]:
    """Every timeline note as (id, start, end, text)."""
    return [
        (a.annotation_id, a.start_date, a.end_date, a.text)
        for a in notes.list_annotations(get_database(db_path))
    ]


# --- figures of a scope ------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _overview(db_path: str, version: int, scope_key: str, _scope: Scope) -> Overview:
    return build_overview(get_database(db_path), _scope)


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _kpis(db_path: str, version: int, scope_key: str, _scope: Scope) -> KpiComparison:
    return compare_kpis(get_database(db_path), _scope)


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _trend(
    db_path: str, version: int, scope_key: str, metric: str, _scope: Scope
) -> metrics.TrendResult:
    compare = None if _scope.compare == "none" else _scope.compare
    return metrics.trend(
        get_database(db_path), metric, _scope.grain, _scope.period, _scope.filters, compare=compare
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _segments(
    db_path: str, version: int, scope_key: str, dimension: str, side: str | None, _scope: Scope
) -> segments_mod.SegmentBreakdown:
    return segments_mod.segments(
        get_database(db_path), dimension, _scope.period, _scope.filters, side=side
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _traffic_funnel(
    db_path: str, version: int, scope_key: str, dimension: str | None, _scope: Scope
) -> FunnelResult:
    return traffic_funnel(
        get_database(db_path), _scope.period, _scope.filters, segment_dimension=dimension
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _event_funnel(
    db_path: str, version: int, scope_key: str, closed: bool, dimension: str | None, _scope: Scope
) -> FunnelResult:
    return event_funnel(
        get_database(db_path),
        _scope.period,
        closed=closed,
        segment_dimension=dimension,
        filters=_scope.filters,
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _products(db_path: str, version: int, scope_key: str, _scope: Scope) -> ProductTable:
    return products_table(get_database(db_path), _scope)


def products(db: Database, scope: Scope) -> ProductTable:
    """The product table (ro_core.metrics.products) of the scope."""
    return _products(*key(db), scope.cache_key(), scope)


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _landing_pages(
    db_path: str, version: int, scope_key: str, source: str | None, _scope: Scope
) -> LandingPageTable:
    return landing_page_table(get_database(db_path), _scope, source=source)


def landing_pages(db: Database, scope: Scope, source: str | None = None) -> LandingPageTable:
    """The landing-page table (ro_core.metrics.landing_pages) of the scope."""
    return _landing_pages(*key(db), scope.cache_key(), source, scope)


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _engagement_trend(db_path: str, version: int, scope_key: str, _scope: Scope) -> Any:
    return engagement_trend(get_database(db_path), _scope)


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _engagement_by_segment(
    db_path: str, version: int, scope_key: str, dimension: str, _scope: Scope
) -> Any:
    return engagement_by_segment_table(
        get_database(db_path), _scope.period, _scope.filters, dimension
    )


def engagement_by_segment(db: Database, scope: Scope, dimension: str) -> Any:
    """Engagement and bounce per value of a traffic dimension (ro_core.metrics.engagement)."""
    return _engagement_by_segment(*key(db), scope.cache_key(), dimension, scope)


def engagement_over_time(db: Database, scope: Scope) -> Any:
    """Engagement and bounce rate per traffic period (ro_core.metrics.engagement)."""
    return _engagement_trend(*key(db), scope.cache_key(), scope)


def overview(db: Database, scope: Scope) -> Overview:
    """The period overview (ro_core.overview) of the scope."""
    return _overview(*key(db), scope.cache_key(), scope)


def kpis(db: Database, scope: Scope) -> KpiComparison:
    """KPIs of the scope with its comparison."""
    return _kpis(*key(db), scope.cache_key(), scope)


def trend(db: Database, scope: Scope, metric: str) -> metrics.TrendResult:
    """One metric over the scope's period at its grain, with the comparison overlaid."""
    return _trend(*key(db), scope.cache_key(), metric, scope)


def segments(
    db: Database, scope: Scope, dimension: str, side: str | None
) -> segments_mod.SegmentBreakdown:
    """Metrics per segment of a dimension over the scope's period."""
    return _segments(*key(db), scope.cache_key(), dimension, side, scope)


def traffic_funnel_for(db: Database, scope: Scope, dimension: str | None = None) -> FunnelResult:
    """The funnel from the analytics export's step counts (split by `dimension`)."""
    return _traffic_funnel(*key(db), scope.cache_key(), dimension, scope)


def event_funnel_for(
    db: Database, scope: Scope, closed: bool, dimension: str | None = None
) -> FunnelResult:
    """The funnel from event-level data (open or closed), narrowed to the scope's segment."""
    return _event_funnel(*key(db), scope.cache_key(), closed, dimension, scope)


def in_period(scope: Scope, period: DateRange) -> Scope:
    """The same scope over another period (the comparison side of a side-by-side view)."""
    return replace(scope, period=period, compare="none", custom_comparison=None)
