"""Where to test first: revenue per month gained if a funnel step's rate reached a benchmark.

For every funnel step x segment the data supports:
- funnels by segment from events (device, channel, country) and from traffic breakdowns with
  conversions (sessions -> purchase; the first source, in preference order, whose breakdown has
  conversions), plus the store's own funnel (traffic or events);
- the benchmark is the best comparable segment (same dimension and step) with at least
  MIN_BENCHMARK_SESSIONS sessions entering the step, taken at the lower end of its 95% Wilson
  interval so that a small lucky segment does not set the bar; or the segment's own rate in the
  previous period of the same length when that is higher (needs the same sample);
- gain = sessions entering the step x (benchmark - current rate) x share of the step's sessions
  that go on to purchase x AOV, scaled to a month (30.44 days) over the days of data.
Rows whose own sample is below MIN_BENCHMARK_SESSIONS are kept, flagged small_sample and left
unranked; rows already at or above their benchmark have no gain and are dropped.

Columns (OPPORTUNITY_COLUMNS): segment_dimension ('store' for the whole store), segment, step,
label, source ('events' or 'traffic'), sessions (entering the step), conversions (sessions that
did the step), current_rate, benchmark_rate, benchmark_source ('segment: <name>' or 'previous
period'), downstream_rate, aov, monthly_revenue_gain, small_sample, rank.

With a segment filter every funnel and breakdown is the segment's ('store' rows are the
segment as a whole); the filter's own dimension is not broken down again. Without order figures
for the segment (a dimension the orders lack) the AOV and so the gain are missing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from ro_core.metrics._sql import safe_div
from ro_core.metrics._stats import wilson_interval
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import DateRange
from ro_core.metrics.segments import MIN_SEGMENT_SESSIONS, segments
from ro_core.metrics.traffic import traffic_sources
from ro_core.store import schema
from ro_core.store.db import Database

MIN_BENCHMARK_SESSIONS = MIN_SEGMENT_SESSIONS
DAYS_PER_MONTH = 30.4375
STORE = "store"
OPPORTUNITY_COLUMNS = [
    "segment_dimension",
    "segment",
    "step",
    "label",
    "source",
    "sessions",
    "conversions",
    "current_rate",
    "benchmark_rate",
    "benchmark_source",
    "downstream_rate",
    "aov",
    "monthly_revenue_gain",
    "small_sample",
    "rank",
]


def _step_rows(
    frame: pd.DataFrame, dimension: str, source: str, aov_by_segment: dict[str, float | None]
) -> list[dict[str, Any]]:
    """One row per (segment, step) below the top: entering sessions, rate, downstream rate."""
    from ro_core.metrics.funnel import STEP_LABELS  # ro_core.metrics.funnel imports this package

    rows: list[dict[str, Any]] = []
    for segment, part in frame.groupby("segment", sort=False):
        part = part.reset_index(drop=True)
        if len(part) < 2:
            continue
        purchases = (
            float(part["sessions"].iloc[-1]) if part["step"].iloc[-1] == "purchase" else None
        )
        for k in range(1, len(part)):
            entering = float(part.at[k - 1, "sessions"])
            reached = float(part.at[k, "sessions"])
            rate = part.at[k, "step_conversion"]
            if rate is None or pd.isna(rate):
                continue
            downstream = safe_div(purchases, reached) if purchases is not None else None
            if part.at[k, "step"] == "purchase":
                downstream = 1.0
            rows.append(
                {
                    "segment_dimension": dimension,
                    "segment": str(segment),
                    "step": part.at[k, "step"],
                    "label": STEP_LABELS.get(part.at[k, "step"], part.at[k, "step"]),
                    "source": source,
                    "sessions": entering,
                    "conversions": min(reached, entering),
                    "current_rate": float(rate),
                    "downstream_rate": downstream,
                    "aov": aov_by_segment.get(str(segment), aov_by_segment.get("*")),
                }
            )
    return rows


def _collect(
    db: Database, period: DateRange, filters: OrderFilters, store_aov: float | None
) -> list[dict[str, Any]]:
    from ro_core.metrics.funnel import STEP_LABELS, event_funnel, traffic_funnel

    rows: list[dict[str, Any]] = []
    default_aov = {"*": store_aov}
    store_funnel = traffic_funnel(db, period, filters)
    if len(store_funnel.steps) >= 2:
        rows += _step_rows(store_funnel.frame, STORE, "traffic", default_aov)
    has_events = bool(
        db.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM {schema.EVENTS} "
            "WHERE local_date BETWEEN ? AND ? LIMIT 1)",
            [period.start, period.end],
        )
    )
    if filters.has_segment and filters.segment_event_dimension is None:
        has_events = False  # events cannot be narrowed to this segment
    if has_events:
        aov = _event_aov(db, period, None, filters) or default_aov
        if len(store_funnel.steps) < 2:
            funnel = event_funnel(db, period, filters=filters)
            rows += _step_rows(funnel.frame, STORE, "events", aov)
        for dim in _event_dimensions(db, period):
            if dim == filters.segment_event_dimension:
                continue  # one segment only: nothing to compare within it
            funnel = event_funnel(db, period, segment_dimension=dim, filters=filters)
            rows += _step_rows(
                funnel.frame, dim, "events", _event_aov(db, period, dim, filters) or aov
            )
    for dims in sorted(
        {
            d
            for (value,) in db.fetch_all(
                f"SELECT DISTINCT dimensions FROM {schema.TRAFFIC} WHERE dimensions <> ''"
            )
            for d in value.split(",")
            if d
        }
    ):
        if dims == filters.segment_traffic_dimension:
            continue  # one segment only: nothing to compare within it
        breakdown = None
        sources = [filters.traffic_source] if filters.traffic_source else traffic_sources(db, dims)
        for source in sources:
            candidate = segments(
                db, dims, period, replace(filters, traffic_source=source), side="traffic"
            )
            if candidate.cr_available:
                breakdown = candidate
                break
        if breakdown is None:
            continue
        frame = breakdown.frame
        for _, r in frame.iterrows():  # one row per segment (aggregates)
            if r["sessions"] is None or pd.isna(r["sessions"]) or pd.isna(r["conversion_rate"]):
                continue
            aov = r["aov"] if pd.notna(r["aov"]) else store_aov
            rows.append(
                {
                    "segment_dimension": dims,
                    "segment": str(r["segment"]),
                    "step": "purchase",
                    "label": STEP_LABELS["purchase"],
                    "source": "traffic",
                    "sessions": float(r["sessions"]),
                    "conversions": float(r["conversion_rate"]) * float(r["sessions"]),
                    "current_rate": float(r["conversion_rate"]),
                    "downstream_rate": 1.0,
                    "aov": aov,
                }
            )
    return rows


def _event_dimensions(db: Database, period: DateRange) -> list[str]:
    row = db.fetch_one(
        f"SELECT count(channel), count(device), count(country) FROM {schema.EVENTS} "
        "WHERE local_date BETWEEN ? AND ?",
        [period.start, period.end],
    )
    return [d for d, n in zip(("channel", "device", "country"), row, strict=True) if n]


def _event_aov(
    db: Database,
    period: DateRange,
    dimension: str | None,
    filters: OrderFilters = DEFAULT_FILTERS,
) -> dict[str, float | None]:
    """Purchase revenue per purchase event, per segment (from events' revenue)."""
    from ro_core.metrics.funnel import EVENT_SEGMENT_COLUMNS

    seg = f"coalesce(CAST({dimension} AS VARCHAR), 'unknown')" if dimension else "'All'"
    only, params = "", [period.start, period.end]
    column = filters.segment_event_dimension
    if column is not None:
        only = (
            f"AND lower(coalesce(CAST({EVENT_SEGMENT_COLUMNS[column]} AS VARCHAR), 'unknown')) "
            "= lower(?)"
        )
        params.append(filters.segment_value)
    rows = db.fetch_all(
        f"""SELECT {seg}, sum(revenue), count(revenue) FROM {schema.EVENTS}
        WHERE local_date BETWEEN ? AND ? AND event_type = 'purchase' {only} GROUP BY 1""",
        params,
    )
    out = {str(r[0]): safe_div(r[1], r[2]) for r in rows if r[2]}
    return out


def _key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["segment_dimension"], row["segment"], row["step"], row["source"])


def opportunities(
    db: Database,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    compare_previous: bool = True,
) -> pd.DataFrame:
    """Funnel step x segment opportunities ranked by revenue per month (see module doc)."""
    store = kpi_values(db, period, filters)
    store_aov = store.online_aov if store.online_aov is not None else store.aov
    current = _collect(db, period, filters, store_aov)
    previous: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    if compare_previous and current:
        before = period.previous()
        previous = {_key(r): r for r in _collect(db, before, filters, store_aov)}
    days = store.traffic.covered_days if store.traffic is not None else period.days
    best: dict[tuple[str, str, str], tuple[float, str]] = {}
    for r in current:
        if r["segment_dimension"] == STORE or r["sessions"] < MIN_BENCHMARK_SESSIONS:
            continue
        group = (r["segment_dimension"], r["step"], r["source"])
        bar = wilson_interval(r["conversions"], r["sessions"])[0]
        if bar is not None and (group not in best or bar > best[group][0]):
            best[group] = (bar, f"segment: {r['segment']}")
    out = []
    for r in current:
        candidates = []
        group = (r["segment_dimension"], r["step"], r["source"])
        if group in best and best[group][1] != f"segment: {r['segment']}":
            candidates.append(best[group])
        prev = previous.get(_key(r))
        if prev is not None and prev["sessions"] >= MIN_BENCHMARK_SESSIONS:
            candidates.append((prev["current_rate"], "previous period"))
        if not candidates:
            continue
        benchmark, source = max(candidates)
        if benchmark <= r["current_rate"]:
            continue
        downstream = r["downstream_rate"]
        aov = r["aov"]
        gain = None
        if downstream is not None and aov is not None:
            gain = (
                r["sessions"] * (benchmark - r["current_rate"]) * downstream * float(aov)
                * DAYS_PER_MONTH / max(days, 1)
            )  # fmt: skip
        out.append(
            {
                **r,
                "benchmark_rate": benchmark,
                "benchmark_source": source,
                "monthly_revenue_gain": gain,
                "small_sample": r["sessions"] < MIN_BENCHMARK_SESSIONS,
            }
        )
    frame = pd.DataFrame(out, columns=[c for c in OPPORTUNITY_COLUMNS if c != "rank"])
    if frame.empty:
        frame["rank"] = pd.Series(dtype="Int64")
        return frame[OPPORTUNITY_COLUMNS]
    frame["_gain"] = frame["monthly_revenue_gain"].astype(float).fillna(-1.0)
    frame = frame.sort_values(["small_sample", "_gain"], ascending=[True, False])
    eligible = (~frame["small_sample"]) & frame["monthly_revenue_gain"].notna()
    frame["rank"] = pd.array([None] * len(frame), dtype="Int64")
    frame.loc[eligible, "rank"] = range(1, int(eligible.sum()) + 1)
    return frame.drop(columns="_gain").reset_index(drop=True)[OPPORTUNITY_COLUMNS]
