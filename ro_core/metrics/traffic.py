"""Choosing which traffic rows answer a question.

Analytics tools report traffic as aggregates per period: Shopify, GA4 or a mapped file, by day,
week, month or for a whole range, for the store (``dimensions = ''``) or split by one dimension.
Sources are never summed together: one source answers a question. A period counts for a date
range only when it lies fully inside it (a week straddling the end of the range is left out, not
prorated), so the effective range can be shorter than the one asked for; it is returned.

Source choice: the forced ``filters.traffic_source``; else Shopify when the orders come from a
Shopify export and Shopify traffic exists in the range; else the source covering the most days
(ties: shopify, ga4, mapped). Grain choice within the source: among the grains covering at least
90% of the best coverage, prefer one that reports converted sessions (Shopify's CR numerator),
then the finest.

Segment filter (``filters.segment_dimension`` / ``segment_value``): the rows come from the
breakdown that contains the segment's dimension (a finer one is summed, e.g. channel from
'channel,referrer' rows), restricted to the segment's value (case-insensitive, a bound
parameter). Source, grain and periods are chosen on the whole breakdown, so a day on which the
segment has no row counts as a day with zero sessions in it. When the segment cannot be told
apart in the traffic at all (an orders-only dimension such as discount code), there is no
selection: None, never the whole store's sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.metrics.filters import TRAFFIC_SOURCES, OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.store import schema
from ro_core.store.db import Database

GRAIN_ORDER = ("day", "week", "month", "total")
SOURCE_LABELS = {"shopify": "Shopify", "ga4": "GA4", "mapped": "Mapped file"}
COVERAGE_TOLERANCE = 0.9


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
        note: why this source and grain, for people.
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


def required_dimensions(filters: OrderFilters, dimension: str = "") -> tuple[str, ...]:
    """The traffic dimensions a breakdown must contain: `dimension` and the segment's."""
    wanted = [d for d in (dimension, filters.segment_traffic_dimension) if d]
    return tuple(sorted(set(wanted)))


def orders_are_shopify(db: Database) -> bool:
    """True when some current orders come from a Shopify export."""
    return bool(
        db.fetch_value(
            f"""SELECT count(*) FROM (SELECT 1 FROM {schema.ORDERS} o
            JOIN {schema.IMPORTS} i ON i.import_id = o.import_id
            WHERE i.format LIKE 'shopify%' LIMIT 1)"""
        )
    )


def _as_dimensions(dimension: str | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(dimension, str):
        return (dimension,) if dimension else ()
    return tuple(sorted({d for d in dimension if d}))


def _dimensions_match_sql(dimension: str | tuple[str, ...]) -> tuple[str, list[Any]]:
    """Rows split by exactly `dimension` (one or several), or by a finer breakdown."""
    dims = _as_dimensions(dimension)
    if not dims:
        return "dimensions = ''", []
    if len(dims) == 1:
        return "list_contains(string_split(dimensions, ','), ?)", [dims[0]]
    return "list_has_all(string_split(dimensions, ','), CAST(? AS VARCHAR[]))", [list(dims)]


def grain_coverage(
    db: Database, period: DateRange, dimension: str | tuple[str, ...], source: str | None
) -> list[tuple[str, str, int, int, bool, str]]:
    """(source, grain, periods, covered_days, all_have_converted, dimensions_key) candidates.

    Only periods fully inside the range count. Per source and grain the rows split by exactly
    `dimension` (one name, or a tuple: split by all of them) are preferred, else the breakdown
    with the fewest other dimensions.
    """
    exact = ",".join(_as_dimensions(dimension))
    match, params = _dimensions_match_sql(dimension)
    source_sql = "AND traffic_source = ?" if source else ""
    params = [*params, period.start, period.end]
    if source:
        params.append(source)
    rows = db.fetch_all(
        f"""SELECT traffic_source, grain, count(*) AS periods,
                   CAST(sum(period_end - period_start + 1) AS BIGINT) AS days,
                   bool_and(has_converted) AS all_converted, dimensions
        FROM (SELECT traffic_source, grain, dimensions, period_start, period_end,
                     bool_or(converted_sessions IS NOT NULL) AS has_converted
              FROM {schema.TRAFFIC}
              WHERE {match} AND sessions IS NOT NULL
                AND period_start >= ? AND period_end <= ? {source_sql}
              GROUP BY ALL)
        GROUP BY ALL""",
        params,
    )
    best: dict[tuple[str, str], tuple[str, str, int, int, bool, str]] = {}
    for r in rows:
        candidate = (r[0], r[1], int(r[2]), int(r[3]), bool(r[4]), r[5])
        key = (r[0], r[1])
        rank = (r[5] != exact, r[5].count(","), r[5])
        if key not in best or rank < (
            best[key][5] != exact,
            best[key][5].count(","),
            best[key][5],
        ):
            best[key] = candidate
    return list(best.values())


def _periods(
    db: Database, period: DateRange, dimensions_key: str, source: str, grain: str
) -> tuple[tuple[date, date], ...]:
    rows = db.fetch_all(
        f"""SELECT DISTINCT period_start, period_end FROM {schema.TRAFFIC}
        WHERE traffic_source = ? AND grain = ? AND dimensions = ? AND sessions IS NOT NULL
          AND period_start >= ? AND period_end <= ?
        ORDER BY 1, 2""",
        [source, grain, dimensions_key, period.start, period.end],
    )
    return tuple((r[0], r[1]) for r in rows)


def traffic_sources(db: Database, dimension: str = "") -> list[str]:
    """Sources with session counts for `dimension` ('' = store totals), in preference order."""
    match, params = _dimensions_match_sql(dimension)
    rows = db.fetch_all(
        f"SELECT DISTINCT traffic_source FROM {schema.TRAFFIC} "
        f"WHERE {match} AND sessions IS NOT NULL",
        params,
    )
    present = {r[0] for r in rows}
    return [s for s in (*TRAFFIC_SOURCES, *sorted(present)) if s in present and s]


def default_traffic_source(db: Database) -> str | None:
    """The traffic source every figure uses when the user has not picked one (None: no traffic).

    Shopify when the orders come from a Shopify export and Shopify traffic exists; otherwise the
    source whose session rows cover the most days (ties: shopify, ga4, mapped). Decided once for
    the whole store, never per question, so KPIs, trends, funnel, segments, decomposition and
    opportunities all use the same source.
    """
    rows = db.fetch_all(
        f"""SELECT traffic_source,
                   count(DISTINCT d) AS days
        FROM (SELECT traffic_source, unnest(generate_series(period_start, period_end,
                     INTERVAL 1 DAY)) AS d
              FROM {schema.TRAFFIC} WHERE sessions IS NOT NULL)
        GROUP BY 1"""
    )
    if not rows:
        return None
    days = {r[0]: int(r[1]) for r in rows}
    if "shopify" in days and orders_are_shopify(db):
        return "shopify"
    preference = {name: i for i, name in enumerate(TRAFFIC_SOURCES)}
    return sorted(days, key=lambda s: (-days[s], preference.get(s, 99), s))[0]


def select_traffic(
    db: Database,
    period: DateRange,
    filters: OrderFilters,
    *,
    dimension: str = "",
    grain: str | None = None,
) -> TrafficSelection | None:
    """The traffic rows answering questions about `period`, or None when there are none.

    Args:
        db: the database.
        period: the date range asked for.
        filters: supplies the forced traffic source, if any, and the segment filter: the rows
            are then those of a breakdown containing the segment's dimension, restricted to
            its value; None when the traffic cannot be narrowed to the segment.
        dimension: '' for store totals or one traffic dimension (e.g. 'device').
        grain: force a grain ('day', 'week', 'month', 'total'); None chooses (see module doc).
    """
    if filters.has_segment and filters.segment_traffic_dimension is None:
        return None  # the segment cannot be told apart in the traffic: no whole-store sessions
    wanted = required_dimensions(filters, dimension)
    candidates = grain_coverage(db, period, wanted, filters.traffic_source)
    if grain is not None:
        candidates = [c for c in candidates if c[1] == grain]
    if not candidates:
        return None
    best_days_by_source: dict[str, int] = {}
    for src, _grain, _n, days, _conv, _key in candidates:
        best_days_by_source[src] = max(best_days_by_source.get(src, 0), days)
    preference = {name: i for i, name in enumerate(TRAFFIC_SOURCES)}
    if filters.traffic_source:
        source = filters.traffic_source
        why = f"{SOURCE_LABELS.get(source, source)} traffic (chosen in the filters)"
    elif "shopify" in best_days_by_source and orders_are_shopify(db):
        source = "shopify"
        why = "Shopify traffic, because the orders come from Shopify"
    else:
        source = sorted(
            best_days_by_source, key=lambda s: (-best_days_by_source[s], preference.get(s, 99), s)
        )[0]
        label = SOURCE_LABELS.get(source, source)
        why = (
            f"{label} traffic, the source covering the most days"
            if len(best_days_by_source) > 1
            else f"{label} traffic, the only source for these dates"
        )
    mine = [c for c in candidates if c[0] == source]
    best = max(c[3] for c in mine)
    eligible = [c for c in mine if c[3] >= COVERAGE_TOLERANCE * best]
    eligible.sort(key=lambda c: (not c[4], GRAIN_ORDER.index(c[1]) if c[1] in GRAIN_ORDER else 9))
    chosen = eligible[0]
    periods = _periods(db, period, chosen[5], source, chosen[1])
    effective = DateRange(periods[0][0], periods[-1][1])
    note = f"{why}, {chosen[1]}ly rows" if chosen[1] != "day" else f"{why}, daily rows"
    if chosen[1] == "total":
        note = f"{why}, one total for the range"
    note += f" ({len(periods)} period{'s' if len(periods) != 1 else ''}, {effective.label()})"
    if chosen[5] != ",".join(wanted):
        what = " and ".join(wanted)
        note += f"; {what} summed over the finer breakdown '{chosen[5]}'"
    segment_dimension = filters.segment_traffic_dimension
    if segment_dimension is not None:
        note += f"; only sessions with {segment_dimension} = {filters.segment_value}"
    if effective != period or chosen[3] < period.days:
        note += (
            f"; traffic covers {chosen[3]} of the {period.days} days asked for (only periods "
            "fully inside the range count), and orders are matched to the same days"
        )
    return TrafficSelection(
        source=source,
        grain=chosen[1],
        dimension=dimension,
        dimensions_key=chosen[5],
        periods=periods,
        effective_range=effective,
        covered_days=chosen[3],
        has_converted_sessions=chosen[4],
        note=note,
        segment_dimension=segment_dimension,
        segment_value=filters.segment_value if segment_dimension is not None else None,
    )


def periods_values_sql(selection: TrafficSelection) -> tuple[str, list[Any]]:
    """A relation (period_start, period_end) of the selection's periods, for joins with orders.

    The periods of the whole breakdown (a segment without sessions on a day still covers it).
    """
    where, params = selection.where_sql("t", segment=False)
    return (
        f"SELECT DISTINCT t.period_start, t.period_end FROM {schema.TRAFFIC} t "
        f"WHERE {where} AND t.sessions IS NOT NULL",
        params,
    )
