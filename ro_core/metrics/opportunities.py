"""Where to test first: revenue per month a funnel step could gain, as a realistic range.

Rows: every funnel step x segment the data supports, measured in the scope's one traffic source
(``filters.traffic_source``, else ``sources.default_traffic_source``: the source the KPIs use,
never another one), plus event-level funnels:
- the store's own funnel (traffic, or events when the traffic has fewer than two steps),
  dimension 'store';
- for each traffic dimension whose breakdown in that source has conversions: one 'purchase' row
  per segment (sessions -> purchase);
- event funnels by channel, device and country, for a dimension the traffic breakdown above does
  not already give (one source per dimension, so a dimension's sessions are never counted twice).

Like with like. A row is compared only with rows of the same dimension, step and source over the
same days: the benchmark is the comparable segment whose rate has the highest lower 95% (Wilson)
bound among those with at least MIN_BENCHMARK_SESSIONS sessions entering the step and
MIN_BENCHMARK_CONVERSIONS conversions (a tiny lucky segment never sets the bar), or the row's own
rate in the previous period of the same length under the same sample rule, whichever has the
higher lower bound. A row is kept only when it is clearly behind: the 95% interval of the gap
(Newcombe's hybrid score interval for a difference of two proportions) lies above zero.

Lift and gain. The relative lift of the step's rate is the gap / current rate, capped at
MAX_RELATIVE_LIFT (+20%): one tested change rarely moves a step's rate by more than a fifth, and a
larger gap between segments reflects who the visitors are (intent, channel, device), which a
change to the store cannot copy. The revenue through a row is conversions x share of them that go
on to purchase x AOV; gain = lift x that revenue, scaled to a month (DAYS_PER_MONTH over the days
the traffic covers). When one dimension's segments together imply more revenue than the store took
(online revenue, same days), that dimension's money is scaled down to the store's revenue. The
point estimate comes from the observed gap, capped; the range from the gap's 95% interval: the
low end from its lower bound, credited with at most TYPICAL_RELATIVE_LIFT (+5%, what a typical
winning test does), the high end from its upper bound, capped at MAX_RELATIVE_LIFT. Money is
rounded to two significant figures (low down, high up), never to the cent. So, for each dimension, the gains of one step add up to at most
MAX_RELATIVE_LIFT of the month's revenue, and a funnel has at most four steps below sessions.

Overlap. Segments of different dimensions (channel = social, device = mobile) are the same
sessions counted again: never add their gains. Within one dimension and step the segments are
disjoint, and gains of different steps compound rather than double count. So `rank` is given to
one dimension per step: the dimension whose rows gain the most at that step. Rows of the other
dimensions at that step keep their figures, are unranked, and name the ranked dimension in
`overlaps_with`; the ranked rows can be added up. `total_gain_by_dimension` gives the sums that
are safe: per dimension. Rows whose own sample is below MIN_SEGMENT_SESSIONS are flagged
small_sample and unranked.

Columns (OPPORTUNITY_COLUMNS):
    segment_dimension: 'store' for the whole store, else the dimension (e.g. 'device').
    segment: the segment's value ('All' for the store).
    step, label: the funnel step reached (e.g. 'purchase', 'Purchased').
    source: where the sessions come from: 'Shopify', 'GA4', 'Mapped file' or 'Events'.
    sessions: sessions entering the step; conversions: sessions that did the step.
    current_rate: conversions / sessions.
    benchmark_rate: the benchmark's observed rate; benchmark_source: 'segment: <name>' or
        'previous period'; benchmark_sessions: the benchmark's sessions entering the step.
    target_rate: current_rate x (1 + lift), the rate the gain assumes.
    lift, lift_low, lift_high: relative lift of the step's rate (0.2 = +20%), capped.
    capped: the observed gap was above MAX_RELATIVE_LIFT.
    downstream_rate: share of the step's sessions that go on to purchase; aov: order value used.
    monthly_revenue_gain: point estimate per month; gain_low, gain_high: the range (rounded).
    small_sample: fewer than MIN_SEGMENT_SESSIONS sessions entering the step.
    overlaps_with: for an unranked row, the dimension ranked at its step (same sessions).
    rank: 1 = largest gain among the ranked rows (one dimension per step); NA otherwise.
The frame's ``attrs`` hold 'note' (source, benchmark rule, cap, overlap rule, for people),
'traffic_source' ('shopify', ...) and 'source_label' ('Shopify', ...).

With a segment filter every funnel and breakdown is the segment's ('store' rows are the
segment as a whole); the filter's own dimension is not broken down again. A breakdown segment
without order figures of its own is valued at the store's AOV; under a segment filter the orders
cannot follow (a dimension the orders lack), the AOV and so the money are missing.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pandas as pd

from ro_core.metrics._stats import wilson_interval
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.opportunity_rows import (
    EVENTS_SOURCE,
    STORE,
    collect_rows,
    traffic_dimensions,
)
from ro_core.metrics.periods import DateRange
from ro_core.metrics.segments import MIN_SEGMENT_SESSIONS, prefetch_traffic_segments
from ro_core.metrics.sources import SOURCE_LABELS
from ro_core.metrics.traffic import default_traffic_source
from ro_core.metrics.versioned import pins_version
from ro_core.store.db import Database

# A benchmark's rate must be known well enough to set a bar: with 30 conversions a rate is known
# to about +-35% of itself (95%); 1,000 sessions keep a niche segment from setting it.
MIN_BENCHMARK_SESSIONS = 1000
MIN_BENCHMARK_CONVERSIONS = 30
# A row's own sample below this is flagged small_sample and left unranked.
MIN_RANKED_SESSIONS = MIN_SEGMENT_SESSIONS
# The largest relative lift of a step's rate one tested change is credited with (see module doc).
MAX_RELATIVE_LIFT = 0.20
# The low end of the range credits at most what a typical winning test does.
TYPICAL_RELATIVE_LIFT = 0.05
DAYS_PER_MONTH = 30.4375
SIGNIFICANT_DIGITS = 2
OPPORTUNITY_COLUMNS = [
    "segment_dimension", "segment", "step", "label", "source", "sessions", "conversions",
    "current_rate", "benchmark_rate", "benchmark_source", "benchmark_sessions", "target_rate",
    "lift", "lift_low", "lift_high", "capped", "downstream_rate", "aov",
    "monthly_revenue_gain", "gain_low", "gain_high", "small_sample", "overlaps_with", "rank",
]  # fmt: skip
TOTAL_COLUMNS = [
    "segment_dimension", "source", "rows", "monthly_revenue_gain", "gain_low", "gain_high",
]  # fmt: skip


# --- statistics -----------------------------------------------------------------------------------
def gap_interval(
    conversions: float, sessions: float, benchmark_conversions: float, benchmark_sessions: float
) -> tuple[float, float, float]:
    """(gap, low, high): benchmark rate - own rate with Newcombe's 95% hybrid score interval."""
    own = conversions / sessions
    bench = benchmark_conversions / benchmark_sessions
    own_low, own_high = wilson_interval(conversions, sessions)
    bench_low, bench_high = wilson_interval(benchmark_conversions, benchmark_sessions)
    gap = bench - own
    low = gap - math.sqrt((bench - bench_low) ** 2 + (own_high - own) ** 2)
    high = gap + math.sqrt((bench_high - bench) ** 2 + (own - own_low) ** 2)
    return gap, low, high


def round_money(value: float | None, how: str = "nearest") -> float | None:
    """`value` to SIGNIFICANT_DIGITS significant figures, whole units at least.

    `how`: 'nearest', 'down' (for a range's low end) or 'up' (its high end).
    """
    if value is None or not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    step = max(1.0, 10.0 ** (math.floor(math.log10(abs(value))) - SIGNIFICANT_DIGITS + 1))
    units = round(value / step, 9)  # a float a hair above a round number is that number
    whole = {"down": math.floor, "up": math.ceil}.get(how, round)(units)
    return float(whole * step)


def _is_benchmark(row: dict[str, Any]) -> bool:
    return (
        row["sessions"] >= MIN_BENCHMARK_SESSIONS
        and row["conversions"] >= MIN_BENCHMARK_CONVERSIONS
    )


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    """The same row in another period: same segment, step, step it is entered from, source."""
    return (
        row["segment_dimension"],
        row["segment"],
        row["from_step"],
        row["step"],
        row["source"],
    )


def _group(row: dict[str, Any]) -> tuple[str, ...]:
    """Rows compared with each other: one dimension, step (entered from one step), source."""
    return (row["segment_dimension"], row["from_step"], row["step"], row["source"])


def _revenue_through(row: dict[str, Any]) -> float | None:
    """Revenue of the period passing through the row's step: conversions x downstream x AOV."""
    if row["downstream_rate"] is None or row["aov"] is None or pd.isna(row["aov"]):
        return None
    return row["conversions"] * float(row["downstream_rate"]) * float(row["aov"])


def _benchmarks(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Per group (see _group): the benchmark segment with the highest lower 95% bound."""
    best: dict[tuple[str, ...], tuple[float, dict[str, Any]]] = {}
    for r in rows:
        if r["segment_dimension"] == STORE or not _is_benchmark(r):
            continue
        bar = wilson_interval(r["conversions"], r["sessions"])[0]
        group = _group(r)
        if bar is not None and (group not in best or bar > best[group][0]):
            best[group] = (bar, r)
    return {group: r for group, (_, r) in best.items()}


def _row_figures(
    r: dict[str, Any], bench: dict[str, Any], source: str, money: float | None
) -> dict[str, Any] | None:
    """Lift and gains of row `r` against `bench`; None when `r` is not clearly behind."""
    gap, low, high = gap_interval(
        r["conversions"], r["sessions"], bench["conversions"], bench["sessions"]
    )
    if low <= 0:
        return None
    rate = r["conversions"] / r["sessions"]
    out: dict[str, Any] = {
        "benchmark_rate": bench["conversions"] / bench["sessions"],
        "benchmark_source": source,
        "benchmark_sessions": bench["sessions"],
        "target_rate": None,
        "lift": None,
        "lift_low": None,
        "lift_high": None,
        "capped": None,
        "monthly_revenue_gain": None,
        "gain_low": None,
        "gain_high": None,
    }
    if rate <= 0:
        return out  # no conversions: a relative lift (and revenue through) cannot be told
    caps = (MAX_RELATIVE_LIFT, TYPICAL_RELATIVE_LIFT, MAX_RELATIVE_LIFT)
    lifts = [min(x / rate, cap) for x, cap in zip((gap, low, high), caps, strict=True)]
    out.update(
        target_rate=rate * (1 + lifts[0]),
        lift=lifts[0],
        lift_low=lifts[1],
        lift_high=lifts[2],
        capped=gap / rate > MAX_RELATIVE_LIFT,
    )
    if money is not None:
        out.update(
            monthly_revenue_gain=round_money(lifts[0] * money),
            gain_low=round_money(lifts[1] * money, "down"),
            gain_high=round_money(lifts[2] * money, "up"),
        )
    return out


@pins_version
def opportunities(
    db: Database,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    compare_previous: bool = True,
) -> pd.DataFrame:
    """Funnel step x segment opportunities with capped gain ranges (see the module doc)."""
    traffic_source = filters.traffic_source or default_traffic_source(db)
    scoped = replace(filters, traffic_source=traffic_source) if traffic_source else filters
    source_label = SOURCE_LABELS.get(traffic_source or "", traffic_source or "")
    store = kpi_values(db, period, scoped)
    store_aov = store.online_aov if store.online_aov is not None else store.aov
    # every breakdown's segments of both periods in one statement
    dimensions = [d for d in traffic_dimensions(db, scoped.traffic_source)
                  if d != scoped.segment_traffic_dimension]  # fmt: skip
    periods = [period, period.previous()] if compare_previous else [period]
    prefetch_traffic_segments(db, dimensions, periods, scoped)
    current = collect_rows(db, period, scoped, store_aov)
    previous: dict[tuple[str, ...], dict[str, Any]] = {}
    if compare_previous and current:
        before = period.previous()
        previous = {_key(r): r for r in collect_rows(db, before, scoped, store_aov)}
    days = store.traffic.covered_days if store.traffic is not None else period.days
    per_month = DAYS_PER_MONTH / max(days, 1)
    store_revenue = store.online_revenue if store.online_revenue is not None else store.revenue
    # Money of a (dimension, step, source): scaled down to the store's revenue if above it.
    implied: dict[tuple[str, ...], float] = {}
    for r in current:
        money = _revenue_through(r)
        if money is not None:
            implied[_group(r)] = implied.get(_group(r), 0.0) + money
    best = _benchmarks(current)
    out = []
    for r in current:
        candidates = []
        bench = best.get(_group(r))
        if bench is not None and bench is not r:
            candidates.append((bench, f"segment: {bench['segment']}"))
        prev = previous.get(_key(r))
        if prev is not None and _is_benchmark(prev):
            candidates.append((prev, "previous period"))
        if not candidates:
            continue
        chosen, source = max(
            candidates, key=lambda c: wilson_interval(c[0]["conversions"], c[0]["sessions"])[0]
        )
        money = _revenue_through(r)
        if money is not None:
            total = implied.get(_group(r), 0.0)
            if store_revenue is not None and total > float(store_revenue) > 0:
                money *= float(store_revenue) / total
            money *= per_month
        figures = _row_figures(r, chosen, source, money)
        if figures is None:
            continue
        out.append({**r, **figures, "small_sample": r["sessions"] < MIN_RANKED_SESSIONS})
    frame = _rank(pd.DataFrame(out, columns=[c for c in OPPORTUNITY_COLUMNS if c != "rank"]))
    frame.attrs.update(
        note=_note(
            source_label,
            traffic_source is not None,
            bool(len(frame)) and (frame["source"] == EVENTS_SOURCE).any(),
        ),
        traffic_source=traffic_source,
        source_label=source_label,
    )
    return frame


def _rank(frame: pd.DataFrame) -> pd.DataFrame:
    """Rank one dimension per step (the one gaining most there); the others overlap it.

    Rows are ordered ranked first, then overlapping, then the rest, each by gain (largest
    first); rows with the same gain by dimension, segment and funnel step.
    """
    from ro_core.metrics.funnel import STEP_LABELS  # ro_core.metrics.funnel imports this package

    frame["overlaps_with"] = pd.Series([None] * len(frame), dtype="object")
    frame["rank"] = pd.array([None] * len(frame), dtype="Int64")
    if frame.empty:
        return frame[OPPORTUNITY_COLUMNS]
    gain = frame["monthly_revenue_gain"].astype("Float64").fillna(0.0)
    eligible = (~frame["small_sample"].astype(bool)) & (gain > 0)
    totals = (
        frame[eligible]
        .assign(_g=gain[eligible])
        .groupby(["step", "segment_dimension", "source"])["_g"]
        .sum()
    )
    lens: dict[str, tuple[str, str]] = {}  # step -> the (dimension, source) ranked there
    for (step, dimension, source), _total in sorted(
        totals.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][2])
    ):
        lens.setdefault(step, (dimension, source))
    ranked = pd.Series(
        [
            bool(ok) and lens.get(s) == (d, src)
            for ok, s, d, src in zip(
                eligible, frame["step"], frame["segment_dimension"], frame["source"], strict=True
            )
        ],
        index=frame.index,
    )
    overlapping = eligible & ~ranked
    frame.loc[overlapping, "overlaps_with"] = [lens[s][0] for s in frame.loc[overlapping, "step"]]
    frame["_order"] = [0 if r else 1 if o else 2 for r, o in zip(ranked, overlapping, strict=True)]
    frame["_gain"] = gain
    # rows that tie on gain: by dimension, segment, then funnel step (never the engine's order)
    frame["_step"] = frame["step"].map({s: i for i, s in enumerate(STEP_LABELS)}).fillna(99)
    keys = ["_order", "_gain", "segment_dimension", "segment", "_step", "step", "source"]
    frame = frame.sort_values(keys, ascending=[True, False, True, True, True, True, True],
                              kind="stable")  # fmt: skip
    frame.loc[frame["_order"] == 0, "rank"] = range(1, int(ranked.sum()) + 1)
    frame = frame.drop(columns=["_order", "_gain", "_step"])
    return frame.reset_index(drop=True)[OPPORTUNITY_COLUMNS]


def _note(source_label: str, has_traffic: bool, has_events: bool = False) -> str:
    """What the figures mean, for people (the frame's attrs['note'])."""
    where = (
        f"Sessions from {source_label} traffic (the source the KPIs use)"
        if has_traffic
        else "No traffic export: sessions from event-level data"
    )
    if has_traffic and has_events:
        where += "; rows marked Events come from event-level data"
    return (
        f"{where}. Each segment is compared with the best segment of the same dimension and step "
        f"that has at least {MIN_BENCHMARK_SESSIONS:,} sessions and {MIN_BENCHMARK_CONVERSIONS} "
        "conversions, or with its own previous period; only gaps clear at 95% are listed. The "
        f"lift of a step's rate is capped at +{MAX_RELATIVE_LIFT:.0%}: one tested change rarely "
        "does more, and wider gaps reflect who the visitors are. Gains per month are a range, "
        f"rounded: from a typical winning test (+{TYPICAL_RELATIVE_LIFT:.0%}, or less when the "
        "gap's 95% interval reaches lower) to the cap (or the gap's upper bound). Segments of "
        "different dimensions are the same sessions counted again: add gains only within one "
        "dimension (ranked rows: one dimension per step)."
    )


def total_gain_by_dimension(frame: pd.DataFrame) -> pd.DataFrame:
    """Gains added up where adding is allowed: per dimension and source (TOTAL_COLUMNS).

    Every row with a gain counts (small samples included); `rows` says how many.
    """
    if frame.empty:
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    money = frame[frame["monthly_revenue_gain"].notna()]
    totals = (
        money.groupby(["segment_dimension", "source"], sort=False)
        .agg(
            rows=("segment", "size"),
            monthly_revenue_gain=("monthly_revenue_gain", "sum"),
            gain_low=("gain_low", "sum"),
            gain_high=("gain_high", "sum"),
        )
        .reset_index()
    )
    return totals.sort_values("monthly_revenue_gain", ascending=False).reset_index(drop=True)[
        TOTAL_COLUMNS
    ]
