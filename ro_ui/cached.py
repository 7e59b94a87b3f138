"""Computations cached on (database, data version, plain filter values).

Every committed import, removal or note bumps ``Database.data_version()``, so a cache entry can
never outlive the data it was computed from. Cached functions take only plain values (never a
DataFrame or a dataclass) and open the process-wide Database by path themselves; the ``*_for``
helpers unpack a :class:`ro_ui.state.Filters` into those values.
"""

from __future__ import annotations

import importlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ro_core import metrics
from ro_core.errors import RoError
from ro_core.ingest import pipeline
from ro_core.metrics import segments as segments_mod
from ro_core.metrics.periods import DateRange
from ro_core.present.charts import sparkline_values
from ro_core.store import annotations as notes
from ro_core.store.db import Database, get_database
from ro_ui.state import FILTERS_KEY, Filters, order_filters_from_items

CACHE_ENTRIES = 256
FilterItems = tuple[tuple[str, Any], ...]


def database() -> Database:
    """The dashboard's database ($RO_DB or data/ro.duckdb)."""
    return get_database()


def key(db: Database) -> tuple[str, int]:
    """(database path, data version): the first two arguments of every cached function."""
    return str(db.path), db.data_version()


def optional(module: str, name: str) -> Any:
    """``module.name`` when this build has it, else None (features still landing)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError:
        return None


# --- imports and coverage --------------------------------------------------------------------
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
def segment_dimensions(db_path: str, version: int) -> list[tuple[str, str, str]]:
    """(side, dimension, label) of every dimension with data, traffic first."""
    return segments_mod.segment_dimensions(get_database(db_path))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def segment_values(
    db_path: str, version: int, dimension: str, side: str | None, start: date, end: date
) -> list[str]:
    """Values the "Show only" filter can pick for a dimension in a period, biggest first."""
    return segments_mod.segment_values(
        get_database(db_path), dimension, DateRange(start, end), side=side
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def annotations(db_path: str, version: int) -> list[tuple[int, date, date | None, str]]:
    """Every timeline note as (id, start, end, text)."""
    return [
        (a.annotation_id, a.start_date, a.end_date, a.text)
        for a in notes.list_annotations(get_database(db_path))
    ]


# --- metrics -----------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _kpis(
    db_path: str, version: int, start: date, end: date, items: FilterItems, compare: str
) -> metrics.KpiComparison:
    return metrics.kpis(
        get_database(db_path), DateRange(start, end), order_filters_from_items(items), compare
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _trend(
    db_path: str,
    version: int,
    metric: str,
    grain: str,
    start: date,
    end: date,
    items: FilterItems,
    compare: str,
) -> metrics.TrendResult:
    return metrics.trend(
        get_database(db_path),
        metric,
        grain,
        DateRange(start, end),
        order_filters_from_items(items),
        compare=None if compare == "none" else compare,
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _segments(
    db_path: str,
    version: int,
    dimension: str,
    side: str | None,
    start: date,
    end: date,
    items: FilterItems,
) -> segments_mod.SegmentBreakdown:
    return segments_mod.segments(
        get_database(db_path),
        dimension,
        DateRange(start, end),
        order_filters_from_items(items),
        side=side,
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _traffic_funnel(
    db_path: str,
    version: int,
    start: date,
    end: date,
    items: FilterItems,
    segment_dimension: str | None,
) -> Any:
    build = optional("ro_core.metrics.funnel", "traffic_funnel")
    return build(
        get_database(db_path),
        DateRange(start, end),
        order_filters_from_items(items),
        segment_dimension=segment_dimension,
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _event_funnel(
    db_path: str,
    version: int,
    start: date,
    end: date,
    closed: bool,
    segment_dimension: str | None,
    items: FilterItems = (),
) -> Any:
    build = optional("ro_core.metrics.funnel", "event_funnel")
    return build(
        get_database(db_path),
        DateRange(start, end),
        closed=closed,
        segment_dimension=segment_dimension,
        filters=order_filters_from_items(items),
    )


SPARKLINE_METRICS = ("revenue", "sessions", "orders", "conversion_rate", "aov", "rpv")
OVERVIEW_WORKERS = 4


@dataclass(frozen=True)
class OverviewData:
    """Everything the Overview draws, computed together (ro_core calls run in parallel).

    ``decomposition`` and ``opportunities`` hold a message (str) when the data cannot give
    them, and None when there is no comparison or this build lacks the feature.
    """

    kpis: metrics.KpiComparison
    sparklines: dict[str, list[float]]
    decomposition: Any
    opportunities: pd.DataFrame | str | None


def _or_message(job: Any) -> Any:
    try:
        return job()
    except RoError as e:
        return str(e)


def _run_parallel(jobs: dict[str, Any]) -> dict[str, Any]:
    """Run ro_core calls side by side (each takes its own DuckDB cursor); errors as messages."""
    with ThreadPoolExecutor(max_workers=OVERVIEW_WORKERS) as pool:
        futures = {name: pool.submit(_or_message, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _overview_core(
    db_path: str,
    version: int,
    start: date,
    end: date,
    items: FilterItems,
    compare: str,
    base_start: date | None,
    base_end: date | None,
    segment_dimension: str | None,
) -> tuple[metrics.KpiComparison, Any, Any]:
    db = get_database(db_path)
    period = DateRange(start, end)
    filters = order_filters_from_items(items)
    decompose = optional("ro_core.metrics", "decompose")
    find = optional("ro_core.metrics", "opportunities")
    jobs: dict[str, Any] = {"kpis": lambda: metrics.kpis(db, period, filters, compare)}
    if decompose is not None and base_start is not None and base_end is not None:
        base = DateRange(base_start, base_end)
        jobs["decomposition"] = lambda: decompose(
            db, period, base, filters, segment_dimension=segment_dimension
        )
    if find is not None:
        jobs["opportunities"] = lambda: find(db, period, filters)
    results = _run_parallel(jobs)
    kpis = results["kpis"]
    if isinstance(kpis, str):  # KPIs always exist: raise our error again for the page to show
        kpis = metrics.kpis(db, period, filters, compare)
    return kpis, results.get("decomposition"), results.get("opportunities")


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _sparklines(
    db_path: str, version: int, start: date, end: date, items: FilterItems, grain: str
) -> dict[str, list[float]]:
    db = get_database(db_path)
    period = DateRange(start, end)
    filters = order_filters_from_items(items)
    results = _run_parallel(
        {
            m: (lambda m=m: sparkline_values(metrics.trend(db, m, grain, period, filters).frame))
            for m in SPARKLINE_METRICS
        }
    )
    return {m: v for m, v in results.items() if isinstance(v, list)}


# --- helpers taking the sidebar's Filters ----------------------------------------------------
def overview_for(db: Database, f: Filters) -> OverviewData:
    """KPIs, sparklines, revenue decomposition and opportunities for the Overview.

    Two cache entries: the grain only changes the sparklines, so switching it recomputes those.
    """
    db_path, version = key(db)
    base = f.comparison if f.comparable else None
    items = f.order_filter_items()
    kpis, decomposition, opportunities = _overview_core(
        db_path,
        version,
        f.period.start,
        f.period.end,
        items,
        f.compare,
        base.start if base else None,
        base.end if base else None,
        f.segment_dimension,
    )
    return OverviewData(
        kpis=kpis,
        sparklines=_sparklines(db_path, version, f.period.start, f.period.end, items, f.grain),
        decomposition=decomposition,
        opportunities=opportunities,
    )


def kpis_for(db: Database, f: Filters) -> metrics.KpiComparison:
    """KPIs of the selected period with the selected comparison."""
    db_path, version = key(db)
    return _kpis(db_path, version, f.period.start, f.period.end, f.order_filter_items(), f.compare)


def trend_for(db: Database, f: Filters, metric: str) -> metrics.TrendResult:
    """One metric over the selected period at the selected grain, with the comparison."""
    db_path, version = key(db)
    return _trend(
        db_path,
        version,
        metric,
        f.grain,
        f.period.start,
        f.period.end,
        f.order_filter_items(),
        f.compare,
    )


def segments_for(
    db: Database, f: Filters, dimension: str, side: str | None, period: DateRange | None = None
) -> segments_mod.SegmentBreakdown:
    """Metrics per segment of a dimension over the selected (or given) period."""
    db_path, version = key(db)
    period = period or f.period
    return _segments(
        db_path, version, dimension, side, period.start, period.end, f.order_filter_items()
    )


def traffic_funnel_for(
    db: Database, f: Filters, period: DateRange, segment_dimension: str | None
) -> Any:
    """The funnel from the analytics export's step counts."""
    db_path, version = key(db)
    return _traffic_funnel(
        db_path, version, period.start, period.end, f.order_filter_items(), segment_dimension
    )


def event_funnel_for(
    db: Database,
    period: DateRange,
    closed: bool,
    segment_dimension: str | None,
    f: Filters | None = None,
) -> Any:
    """The funnel from event-level data (open or closed), narrowed to the "Show only" segment.

    `f` defaults to the sidebar's Filters of this run (none outside a run: the whole store).
    """
    db_path, version = key(db)
    if f is None:
        f = st.session_state.get(FILTERS_KEY)
    items = f.order_filter_items() if f is not None else ()
    return _event_funnel(
        db_path, version, period.start, period.end, closed, segment_dimension, items
    )
