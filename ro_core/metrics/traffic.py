"""Choosing which traffic rows answer a question.

Analytics tools report traffic as aggregates per period: Shopify, GA4 or a mapped file, by day,
week, month or for a whole range, for the store (``dimensions = ''``) or split by one dimension.
Sources are never summed together: one source answers a question. A period counts for a date
range only when it lies fully inside it (a week straddling the end of the range is left out, not
prorated), so the effective range can be shorter than the one asked for; it is returned.

Source choice: one source per store. The forced ``filters.traffic_source``, else
``default_traffic_source`` (Shopify when the orders come from a Shopify export and Shopify
traffic exists; else the source covering the most days). Segments, funnels, trends and KPIs never
pick a different source per dimension: a breakdown the store's source lacks is missing, with a
note naming the source. Grain choice within the source: among the grains covering at least 90% of
the best coverage, prefer one that reports converted sessions (Shopify's CR numerator), then the
finest.

Breakdown choice (``grain_coverage``): several files can split one dimension (Shopify's
"Sessions by referrer" splits every session by channel; "Sessions by social referrer" holds only
the social ones, also stored as channel rows). The breakdown whose sessions add up to the
store total of the same source and periods (within COMPLETE_TOLERANCE) wins; then one with no
store total to compare with; then a partial one, largest share first, and its selection note
says what share of sessions it covers. Within a class: split by exactly the dimension, then the
fewest other dimensions. When a source has no store-total rows at all, the store totals are the
sum of a breakdown that partitions sessions (one value per session: PARTITION_DIMENSIONS, with
at least two values; never the first-user channel), the most sessions per day first; the note
says so. Funnels select rows having any step count (``measures``), so a funnel without a
sessions report still has its other steps.

Segment filter (``filters.segment_dimension`` / ``segment_value``): the rows come from the
breakdown that contains the segment's dimension (a finer one is summed, e.g. channel from
'channel,referrer' rows), restricted to the segment's value (case-insensitive, a bound
parameter). Source, grain and periods are chosen on the whole breakdown, so a day on which the
segment has no row counts as a day with zero sessions in it. When the segment cannot be told
apart in the traffic at all (an orders-only dimension such as discount code), there is no
selection: None, never the whole store's sessions.

Everything these rules weigh (sources, grains, breakdowns and periods present, the measures their
rows carry, their sessions) and the sums of the chosen rows come from the traffic inventory
(ro_core.metrics.traffic_inventory), read once per data version: choosing and summing rows for
a new period costs no statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from ro_core.errors import InvalidInputError
from ro_core.metrics.filters import DEFAULT_FILTERS, TRAFFIC_SOURCES, OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.sources import SOURCE_LABELS
from ro_core.metrics.sources import traffic_source_for as _traffic_source_for
from ro_core.metrics.traffic_inventory import (
    candidate_rows,
    dimensions_match,
    inventory,
    partition_match,
    periods_of,
    sources_with,
)
from ro_core.metrics.versioned import pins_version, remember
from ro_core.store import schema
from ro_core.store.db import Database

GRAIN_ORDER = ("day", "week", "month", "total")
COVERAGE_TOLERANCE = 0.9
# A breakdown whose sessions are within 2% of the store total is complete.
COMPLETE_TOLERANCE = 0.02
# Dimensions with exactly one value per session: their breakdowns add up to the store's sessions
# (GA4's session channel group, device, landing page...). Not the first-user channel (a user's,
# repeated over their sessions).
PARTITION_DIMENSIONS: tuple[str, ...] = (
    "channel",
    "referrer",
    "device",
    "country",
    "region",
    "landing_page",
    "customer_type",
)
# Traffic measures (identifiers from schema constants): rows count when one of them has a value.
SESSIONS_ONLY: tuple[str, ...] = ("sessions",)


@dataclass(frozen=True)
class TrafficSelection:
    """The traffic rows used for one question.

    Attributes:
        source: 'shopify', 'ga4' or 'mapped'.
        grain: 'day', 'week', 'month' or 'total'.
        dimension: '' for store totals, else the one dimension asked for.
        dimensions_key: the rows' `dimensions` value used: the dimension itself, or a finer
            breakdown containing it (e.g. 'channel,referrer' summed over referrers).
        periods: the (period_start, period_end) pairs used, in order.
        effective_range: first period start to last period end.
        covered_days: days covered by the periods used.
        has_converted_sessions: every period used reports converted sessions.
        note: why this source, breakdown and grain, for people (names the source).
        segment_dimension / segment_value: the segment filter applied to the rows, if any.
        measures: rows count when one of these measures has a value ('sessions', or every
            funnel step for a funnel).
        share: the breakdown's sessions / the store total of the same source and periods
            (None when there is no total to compare with, or for the totals themselves).
        totals_from_breakdown: store totals summed from a breakdown partitioning sessions
            (the source has no store-total rows).
    """

    source: str
    grain: str
    dimension: str
    dimensions_key: str
    periods: tuple[tuple[date, date], ...] = field(repr=False)
    effective_range: DateRange
    covered_days: int
    has_converted_sessions: bool
    note: str
    segment_dimension: str | None = None
    segment_value: str | None = None
    measures: tuple[str, ...] = SESSIONS_ONLY
    share: float | None = None
    totals_from_breakdown: bool = False

    @property
    def source_label(self) -> str:
        """The source for people ('Shopify', 'GA4', 'Mapped file')."""
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def is_partial(self) -> bool:
        """The breakdown covers clearly less (or more) than the store's sessions."""
        return self.share is not None and abs(self.share - 1) > COMPLETE_TOLERANCE

    def measure_sql(self, alias: str = "t") -> str:
        """Condition: the row has one of the selection's measures (see ``measures``)."""
        return measures_sql(self.measures, alias)

    def where_sql(self, alias: str = "t", *, segment: bool = True) -> tuple[str, list[Any]]:
        """Conditions selecting these rows from the traffic table aliased `alias`.

        With `segment` False the segment filter is left out: every row of the breakdown (for
        the periods the traffic covers, e.g. to line orders up with the same days).
        """
        sql = (
            f"{alias}.traffic_source = ? AND {alias}.grain = ? AND {alias}.dimensions = ? "
            f"AND {alias}.period_start >= ? AND {alias}.period_end <= ?"
        )
        params: list[Any] = [
            self.source,
            self.grain,
            self.dimensions_key,
            self.effective_range.start,
            self.effective_range.end,
        ]
        if segment and self.segment_dimension is not None:
            sql += f" AND lower({segment_value_sql(self.segment_dimension, alias)}) = lower(?)"
            params.append(self.segment_value)
        return sql, params

    def segment_label(self) -> str:
        """'device = Mobile', or '' for the whole store."""
        if self.segment_dimension is None:
            return ""
        return f"{self.segment_dimension} = {self.segment_value}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (periods summarised)."""
        return {
            "source": self.source,
            "grain": self.grain,
            "dimension": self.dimension,
            "dimensions_key": self.dimensions_key,
            "periods": len(self.periods),
            "effective_range": self.effective_range.to_dict(),
            "covered_days": self.covered_days,
            "has_converted_sessions": self.has_converted_sessions,
            "note": self.note,
            "segment_dimension": self.segment_dimension,
            "segment_value": self.segment_value,
            "share": self.share,
            "totals_from_breakdown": self.totals_from_breakdown,
        }


# Traffic dimension -> SQL expression template over a table alias: identifiers only from
# schema.TRAFFIC_DIMENSIONS, never from user text.
_SEGMENT_VALUE_SQL: dict[str, str] = {
    name: "coalesce(CAST({alias}." + name + " AS VARCHAR), 'unknown')"
    for name in schema.TRAFFIC_DIMENSIONS
}


def segment_value_sql(dimension: str, alias: str = "t") -> str:
    """The traffic rows' value of `dimension` as text ('unknown' when empty)."""
    if dimension not in _SEGMENT_VALUE_SQL or not alias.isidentifier():
        raise InvalidInputError(f"'{dimension}' is not a traffic breakdown.")
    return _SEGMENT_VALUE_SQL[dimension].format(alias=alias)


def measures_sql(measures: tuple[str, ...], alias: str = "t") -> str:
    """Condition: one of `measures` (traffic measure names) has a value in the row."""
    if not measures or not alias.isidentifier():
        raise InvalidInputError("No traffic measure to select rows by.")
    for name in measures:
        if name not in schema.TRAFFIC_MEASURES:
            raise InvalidInputError(f"'{name}' is not a traffic measure.")
    return "(" + " OR ".join(f"{alias}.{m} IS NOT NULL" for m in measures) + ")"


def required_dimensions(filters: OrderFilters, dimension: str = "") -> tuple[str, ...]:
    """The traffic dimensions a breakdown must contain: `dimension` and the segment's."""
    wanted = [d for d in (dimension, filters.segment_traffic_dimension) if d]
    return tuple(sorted(set(wanted)))


def _as_dimensions(dimension: str | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(dimension, str):
        return (dimension,) if dimension else ()
    return tuple(sorted({d for d in dimension if d}))


class Candidate(NamedTuple):
    """One breakdown of one source and grain that could answer a question.

    The first six fields keep the order of the old tuple: (source, grain, periods,
    covered_days, all_have_converted, dimensions_key).
    """

    source: str
    grain: str
    periods: int
    days: int
    has_converted: bool
    dimensions_key: str
    sessions: float | None = None  # sessions summed over the candidate's periods
    share: float | None = None  # sessions / the store total of the same periods (None: unknown)
    n_values: int = 0  # distinct values in the breakdown (a lower bound once above one)
    totals_from_breakdown: bool = False  # store totals summed from a partitioning breakdown

    @property
    def is_partial(self) -> bool:
        """The breakdown's sessions are clearly not the store total."""
        return self.share is not None and abs(self.share - 1) > COMPLETE_TOLERANCE


def _candidates(
    db: Database,
    period: DateRange,
    match: Callable[[str], bool],
    source: str | None,
    measures: tuple[str, ...],
) -> list[Candidate]:
    """Per (source, grain, dimensions) matching `match`: coverage, sessions and their share of
    the store total of the same source and periods (same grain, else complete daily totals),
    from the traffic inventory (ro_core.metrics.traffic_inventory)."""
    out = []
    for r in candidate_rows(inventory(db), period, match, source, measures):
        share = None
        if r[5] != "" and r[7] is not None and r[8]:
            share = float(r[7]) / float(r[8])
        out.append(
            Candidate(r[0], r[1], int(r[2]), int(r[3]), bool(r[4]), r[5], r[6], share, int(r[9]))
        )
    return out


def _rank(candidate: Candidate, exact: str) -> tuple[Any, ...]:
    """Complete breakdowns first, then those without a total to compare, then partial ones
    (closest to the total first); then split by exactly the dimension, then fewest others."""
    if candidate.share is None:
        kind, gap = 1, 0.0
    elif not candidate.is_partial:
        kind, gap = 0, 0.0
    else:
        kind, gap = 2, abs(candidate.share - 1)
    key = candidate.dimensions_key
    return (kind, gap, key != exact, key.count(","), key)


def _partition_rank(candidate: Candidate) -> tuple[Any, ...]:
    """Breakdowns standing in for missing store totals: most sessions per day first."""
    per_day = (candidate.sessions or 0.0) / max(candidate.days, 1)
    key = candidate.dimensions_key
    return (-per_day, key.count(","), key)


def grain_coverage(
    db: Database,
    period: DateRange,
    dimension: str | tuple[str, ...],
    source: str | None,
    *,
    measures: tuple[str, ...] = SESSIONS_ONLY,
) -> list[Candidate]:
    """The best breakdown per source and grain for `dimension`, as Candidate rows.

    Only periods fully inside the range count, and rows having one of `measures`. Per source
    and grain: the breakdown adding up to the store total wins, then one without a total to
    compare, then partial ones; within each, rows split by exactly `dimension` (one name, or a
    tuple: split by all of them), else the fewest other dimensions. For store totals
    (`dimension` empty), a source without store-total rows in the range offers its breakdown
    partitioning sessions instead (see PARTITION_DIMENSIONS), with totals_from_breakdown set.
    """
    dims = _as_dimensions(dimension)
    exact = ",".join(dims)
    found = _candidates(db, period, dimensions_match(dims), source, measures)
    best: dict[tuple[str, str], Candidate] = {}
    for c in found:
        key = (c.source, c.grain)
        if key not in best or _rank(c, exact) < _rank(best[key], exact):
            best[key] = c
    if not dims and not (source and found):  # a source with store totals needs no stand-in
        with_totals = {c.source for c in found}
        partition = partition_match(PARTITION_DIMENSIONS)
        for c in _candidates(db, period, partition, source, measures):
            if c.source in with_totals or c.n_values < 2 or c.sessions is None:
                continue  # a single value (the social referrer report) is no partition
            c = c._replace(totals_from_breakdown=True)
            key = (c.source, c.grain)
            if key not in best or _partition_rank(c) < _partition_rank(best[key]):
                best[key] = c
    return list(best.values())


def _periods(
    db: Database,
    period: DateRange,
    dimensions_key: str,
    source: str,
    grain: str,
    measures: tuple[str, ...] = SESSIONS_ONLY,
) -> tuple[tuple[date, date], ...]:
    return periods_of(inventory(db), period, dimensions_key, source, grain, measures)


def traffic_sources(db: Database, dimension: str = "") -> list[str]:
    """Sources with session counts for `dimension` ('' = store totals), in preference order."""
    present = sources_with(inventory(db), dimensions_match(_as_dimensions(dimension)), "sessions")
    return [s for s in dict.fromkeys((*TRAFFIC_SOURCES, *sorted(present))) if s in present and s]


def traffic_source_for(db: Database, filters: OrderFilters) -> tuple[str | None, str]:
    """(source, why) of ``sources.traffic_source_for``; the store's default source is decided
    once per data version."""
    if filters.traffic_source:
        return _traffic_source_for(db, filters)
    return remember(db, "store traffic source", lambda: _traffic_source_for(db, DEFAULT_FILTERS))


def default_traffic_source(db: Database) -> str | None:
    """``sources.default_traffic_source``, decided once per data version."""
    return traffic_source_for(db, DEFAULT_FILTERS)[0]


@pins_version
def select_traffic(
    db: Database,
    period: DateRange,
    filters: OrderFilters,
    *,
    dimension: str = "",
    grain: str | None = None,
    measures: tuple[str, ...] = SESSIONS_ONLY,
) -> TrafficSelection | None:
    """The traffic rows answering questions about `period`, or None when there are none.

    Args:
        db: the database.
        period: the date range asked for.
        filters: supplies the forced traffic source, if any (else the store's source, see
            ``default_traffic_source``), and the segment filter: the rows are then those of a
            breakdown containing the segment's dimension, restricted to its value; None when
            the traffic cannot be narrowed to the segment.
        dimension: '' for store totals or one traffic dimension (e.g. 'device').
        grain: force a grain ('day', 'week', 'month', 'total'); None chooses (see module doc).
        measures: rows count when one of these measures has a value (a funnel passes its steps).
    """
    if filters.has_segment and filters.segment_traffic_dimension is None:
        return None  # the segment cannot be told apart in the traffic: no whole-store sessions
    source, why = traffic_source_for(db, filters)
    if source is None:
        return None
    wanted = required_dimensions(filters, dimension)
    candidates = grain_coverage(db, period, wanted, source, measures=measures)
    if grain is not None:
        candidates = [c for c in candidates if c.grain == grain]
    if not candidates:
        return None
    best = max(c.days for c in candidates)
    eligible = [c for c in candidates if c.days >= COVERAGE_TOLERANCE * best]
    eligible.sort(
        key=lambda c: (
            c.is_partial,
            not c.has_converted,
            GRAIN_ORDER.index(c.grain) if c.grain in GRAIN_ORDER else 9,
        )
    )
    chosen = eligible[0]
    periods = _periods(db, period, chosen.dimensions_key, source, chosen.grain, measures)
    effective = DateRange(periods[0][0], periods[-1][1])
    note = f"{why}, {chosen.grain}ly rows" if chosen.grain != "day" else f"{why}, daily rows"
    if chosen.grain == "total":
        note = f"{why}, one total for the range"
    note += f" ({len(periods)} period{'s' if len(periods) != 1 else ''}, {effective.label()})"
    label = SOURCE_LABELS.get(source, source)
    if chosen.totals_from_breakdown:
        split = chosen.dimensions_key.replace(",", " and ")
        note += (
            f"; {label} has no store-total rows for these dates, so the totals are the sum of "
            f"its {split} breakdown (each session has exactly one {split})"
        )
    elif chosen.dimensions_key != ",".join(wanted):
        what = " and ".join(wanted)
        note += f"; {what} summed over the finer breakdown '{chosen.dimensions_key}'"
    if chosen.is_partial and chosen.share is not None:
        what = " and ".join(wanted)
        note += (
            f"; this breakdown covers only {chosen.share:.1%} of the {label} sessions of these "
            f"periods (no breakdown by {what} adds up to the store total), so its rows do not "
            "add up to the total"
        )
    segment_dimension = filters.segment_traffic_dimension
    if segment_dimension is not None:
        note += f"; only sessions with {segment_dimension} = {filters.segment_value}"
    if effective != period or chosen.days < period.days:
        note += (
            f"; traffic covers {chosen.days} of the {period.days} days asked for (only periods "
            "fully inside the range count), and orders are matched to the same days"
        )
    return TrafficSelection(
        source=source,
        grain=chosen.grain,
        dimension=dimension,
        dimensions_key=chosen.dimensions_key,
        periods=periods,
        effective_range=effective,
        covered_days=chosen.days,
        has_converted_sessions=chosen.has_converted,
        note=note,
        segment_dimension=segment_dimension,
        segment_value=filters.segment_value if segment_dimension is not None else None,
        measures=tuple(measures),
        share=chosen.share,
        totals_from_breakdown=chosen.totals_from_breakdown,
    )


def no_traffic_note(db: Database, filters: OrderFilters, what: str = "") -> str:
    """Why there is no traffic selection, naming the store's source (and another that has it).

    `what` is the breakdown asked for, e.g. ' split by channel' ('' for store totals).
    """
    source, _why = traffic_source_for(db, filters)
    if source is None:
        return f"No traffic{what} for these dates: load an analytics export."
    label = SOURCE_LABELS.get(source, source)
    note = f"No {label} traffic{what} for these dates"
    dims = required_dimensions(filters)
    dimension = what.removeprefix(" split by ").strip() if what.startswith(" split by ") else ""
    others = [s for s in traffic_sources(db, dimension or (dims[0] if dims else "")) if s != source]
    if others:
        names = ", ".join(SOURCE_LABELS.get(s, s) for s in others)
        note += f" ({names} traffic has it: pick it as the traffic source)"
    return note + "."


def periods_values_sql(selection: TrafficSelection) -> tuple[str, list[Any]]:
    """A relation (period_start, period_end) of the selection's periods, for joins with orders.

    The periods of the whole breakdown (a segment without sessions on a day still covers it).
    """
    where, params = selection.where_sql("t", segment=False)
    return (
        f"SELECT DISTINCT t.period_start, t.period_end FROM {schema.TRAFFIC} t "
        f"WHERE {where} AND {selection.measure_sql('t')}",
        params,
    )
