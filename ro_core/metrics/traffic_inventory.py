"""The traffic table in brief: additive sums per breakdown, period and set of measures present.

Which traffic rows answer a question (``ro_core.metrics.traffic``) depends on which sources,
grains, breakdowns and periods exist, which measures the rows carry and how many sessions they
add up to, for every period in the store. None of that depends on the period asked about, so one
statement per data version (``ro_core.metrics.versioned``) reads it for the whole store as
:class:`Unit` rows: per traffic source, grain, ``dimensions`` (the breakdown), period and the
set of measures that have a value in the rows (rows with the same measures present share a
unit), the number of rows, the sum of every measure and the smallest and largest value of the
rows' dimension columns. Every figure the selection rules and the store-total sums need is a
sum of units:

- ``count(*)`` of rows meeting a condition on which measures are present: the rows of the units
  whose measure set meets it; ``count(m)`` / ``sum(m)``: the same over units where m is present;
- the distinct dimension values of a breakdown: one value when every unit's smallest and largest
  are the same one, else at least two.

A "Show only" segment narrows the rows to one value of one dimension:
:func:`segment_inventory` reads the same units for those rows only (also once per data version
and segment). Sums per value of a dimension (segments, funnels by device) are per period and
stay with their queries.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import remember
from ro_core.store import schema
from ro_core.store.db import Database

MEASURES: tuple[str, ...] = schema.TRAFFIC_MEASURES
# All dimension columns of a row as one text value (identifiers from schema constants).
VALUES_SQL = (
    "concat_ws('|', "
    + ", ".join(f"coalesce(CAST(t.{d} AS VARCHAR), '')" for d in schema.TRAFFIC_DIMENSIONS)
    + ")"
)
# Which measures have a value in a row, as bits (measure i -> 2**i): rows group by it.
_PATTERN_SQL = " + ".join(
    f"CASE WHEN t.{m} IS NOT NULL THEN {1 << i} ELSE 0 END" for i, m in enumerate(MEASURES)
)
_SEGMENT_VALUE_SQL: dict[str, str] = {
    name: f"coalesce(CAST(t.{name} AS VARCHAR), 'unknown')" for name in schema.TRAFFIC_DIMENSIONS
}


@dataclass(frozen=True)
class Unit:
    """The rows of one breakdown and period that carry the same measures.

    Attributes:
        start / end: the traffic period (inclusive).
        measures: the measures with a value in these rows.
        rows: how many rows.
        sums: measure -> sum over the rows (only the measures present).
        low / high: smallest and largest text of the rows' dimension values.
    """

    start: date
    end: date
    measures: frozenset[str]
    rows: int
    sums: Mapping[str, float]
    low: str
    high: str

    def has_any(self, measures: Iterable[str]) -> bool:
        """Whether one of `measures` has a value in these rows."""
        return any(m in self.measures for m in measures)


@dataclass(frozen=True)
class RowSums:
    """SQL's aggregates over a set of rows, from their units.

    Attributes:
        rows: count(*); counts: measure -> count(measure); sums: measure -> sum(measure)
            (None where no row has it).
    """

    rows: int
    counts: Mapping[str, int] = field(default_factory=dict)
    sums: Mapping[str, float | None] = field(default_factory=dict)

    def total(self, measure: str) -> float | None:
        """sum(measure): None when no row has it."""
        return self.sums.get(measure)

    def complete(self, measure: str) -> float | None:
        """CASE WHEN count(measure) = count(*) THEN sum(measure) END."""
        return self.sums.get(measure) if self.counts.get(measure, 0) == self.rows else None


def row_sums(units: Iterable[Unit]) -> RowSums:
    """count(*), count(m) and sum(m) of every measure over the rows of `units`."""
    rows = 0
    counts: dict[str, int] = {}
    sums: dict[str, float] = {}
    for u in units:
        rows += u.rows
        for m in u.measures:
            counts[m] = counts.get(m, 0) + u.rows
            sums[m] = sums.get(m, 0.0) + u.sums[m]
    return RowSums(rows, counts, sums)


@dataclass(frozen=True)
class Inventory:
    """Units per (traffic source, grain, dimensions), each list ordered by period."""

    breakdowns: Mapping[tuple[str, str, str], tuple[Unit, ...]]
    starts: Mapping[tuple[str, str, str], tuple[date, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.starts:  # the units' period starts, for finding a range by bisection
            starts = {k: tuple(u.start for u in units) for k, units in self.breakdowns.items()}
            object.__setattr__(self, "starts", starts)

    def breakdown_keys(self, source: str | None = None) -> list[tuple[str, str, str]]:
        """(source, grain, dimensions) of every breakdown (of one source when given)."""
        return [k for k in self.breakdowns if source is None or k[0] == source]

    def units(
        self, source: str, grain: str, dimensions: str, inside: DateRange | None = None
    ) -> list[Unit]:
        """The units of one breakdown; with `inside`, those whose period lies fully in it."""
        key = (source, grain, dimensions)
        units = self.breakdowns.get(key, ())
        if inside is None:
            return list(units)
        starts = self.starts.get(key, ())
        first, last = bisect_left(starts, inside.start), bisect_right(starts, inside.end)
        return [u for u in units[first:last] if u.end <= inside.end]


def _read(db: Database, where: str = "true", params: list[Any] | None = None) -> Inventory:
    sums = ", ".join(f"sum(t.{m}) AS {m}" for m in MEASURES)
    rows = db.fetch_all(
        f"""SELECT t.traffic_source, t.grain, t.dimensions, t.period_start, t.period_end,
               t.pattern, count(*) AS n, {sums}, min(t.dims) AS low, max(t.dims) AS high
        FROM (SELECT t.*, {_PATTERN_SQL} AS pattern, {VALUES_SQL} AS dims
              FROM {schema.TRAFFIC} t WHERE {where}) t
        GROUP BY t.traffic_source, t.grain, t.dimensions, t.period_start, t.period_end,
                 t.pattern""",
        params or [],
    )
    found: dict[tuple[str, str, str], list[Unit]] = {}
    for r in rows:
        pattern = int(r[5])
        present = frozenset(m for i, m in enumerate(MEASURES) if pattern & (1 << i))
        values = {m: float(r[7 + i]) for i, m in enumerate(MEASURES) if m in present}
        unit = Unit(r[3], r[4], present, int(r[6]), values, str(r[-2]), str(r[-1]))
        found.setdefault((str(r[0]), str(r[1]), str(r[2])), []).append(unit)
    return Inventory(
        {k: tuple(sorted(v, key=lambda u: (u.start, u.end))) for k, v in found.items()}
    )


def inventory(db: Database) -> Inventory:
    """The units of the whole traffic table (one statement per data version)."""
    return remember(db, "traffic inventory", lambda: _read(db))


def segment_inventory(db: Database, dimension: str, value: str) -> Inventory:
    """The units of the rows whose `dimension` is `value` (case-insensitive), in breakdowns
    containing that dimension (one statement per data version and segment)."""
    column = _SEGMENT_VALUE_SQL[dimension]  # a KeyError for anything but a traffic dimension
    return remember(
        db,
        ("traffic inventory of a segment", dimension, value),
        lambda: _read(
            db,
            f"list_contains(string_split(t.dimensions, ','), ?) AND lower({column}) = lower(?)",
            [dimension, value],
        ),
    )


def dimensions_match(dimensions: tuple[str, ...]) -> Callable[[str], bool]:
    """Breakdowns split by exactly `dimensions` or by a finer breakdown containing them all
    (store totals, ``dimensions == ''``, when empty)."""
    wanted = set(dimensions)
    if not wanted:
        return lambda key: key == ""
    return lambda key: wanted <= set(key.split(","))


def partition_match(partition: Iterable[str]) -> Callable[[str], bool]:
    """Breakdowns (not store totals) whose every dimension is in `partition`."""
    allowed = set(partition)
    return lambda key: key != "" and set(key.split(",")) <= allowed


def candidate_rows(
    inv: Inventory,
    period: DateRange,
    match: Callable[[str], bool],
    source: str | None,
    measures: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    """Per (source, grain, dimensions) matching `match`, with rows having one of `measures` in
    periods inside `period`: (source, grain, periods, days, every period has converted
    sessions, dimensions, sessions, sessions of the periods with a store total, that total,
    distinct values) as ``traffic.grain_coverage`` ranks them.

    The store total of a period is the sessions of the store-total rows of the same source,
    grain and period, else (for weeks and months) the sum of complete daily store totals.
    """
    keys = inv.breakdown_keys(source)
    # store totals per (source, grain, period): rows with sessions, inside the range
    tot: dict[tuple[str, str, date, date], float] = {}
    for src, grain, dims in keys:
        if dims != "":
            continue
        for u in inv.units(src, grain, dims, period):
            if "sessions" in u.measures:
                key = (src, grain, u.start, u.end)
                tot[key] = tot.get(key, 0.0) + u.sums["sessions"]
    daily: dict[str, list[tuple[date, float]]] = {}
    for (src, grain, start, _end), sessions in tot.items():
        if grain == "day":
            daily.setdefault(src, []).append((start, sessions))

    def day_total(src: str, start: date, end: date) -> float | None:
        days = [s for d, s in daily.get(src, ()) if start <= d <= end]
        return sum(days) if days and len(days) == (end - start).days + 1 else None

    out = []
    for src, grain, dims in keys:
        if not match(dims):
            continue
        periods: dict[tuple[date, date], list[Any]] = {}  # -> [has converted, sessions]
        values: set[str] = set()
        for u in inv.units(src, grain, dims, period):
            if not u.has_any(measures):
                continue
            found = periods.setdefault((u.start, u.end), [False, None])
            found[0] = found[0] or "converted_sessions" in u.measures
            if "sessions" in u.measures:
                found[1] = (found[1] or 0.0) + u.sums["sessions"]
            values.update((u.low, u.high))
        if not periods:
            continue
        sessions = matched = total = None
        for (start, end), (_conv, s) in periods.items():
            t = tot.get((src, grain, start, end))
            if t is None and grain != "day":
                t = day_total(src, start, end)
            if s is not None:
                sessions = (sessions or 0.0) + s
                if t is not None:
                    matched = (matched or 0.0) + s
                    total = (total or 0.0) + t
        out.append(
            (
                src,
                grain,
                len(periods),
                sum((end - start).days + 1 for start, end in periods),
                all(conv for conv, _s in periods.values()),
                dims,
                sessions,
                matched,
                total,
                len(values),
            )
        )
    return out


def periods_of(
    inv: Inventory,
    period: DateRange,
    dimensions: str,
    source: str,
    grain: str,
    measures: tuple[str, ...],
) -> tuple[tuple[date, date], ...]:
    """The distinct periods, in order, of one breakdown's rows having one of `measures`,
    inside `period`."""
    found = {(u.start, u.end) for u in inv.units(source, grain, dimensions, period)
             if u.has_any(measures)}  # fmt: skip
    return tuple(sorted(found))


def sources_with(inv: Inventory, match: Callable[[str], bool], measure: str) -> set[str]:
    """Sources with a row of a matching breakdown where `measure` has a value."""
    return {
        src
        for src, grain, dims in inv.breakdown_keys()
        if match(dims) and any(measure in u.measures for u in inv.units(src, grain, dims))
    }
