"""Breakdowns by segment with CR, AOV, RPV, revenue share and 95% intervals.

A segment dimension lives on one side:
- traffic: the analytics export's breakdowns (channel/referrer source, referrer, device,
  country, region, landing page, new vs returning). Sessions come from the traffic rows; the
  conversions from the same rows where the export has them (Shopify converted sessions, GA4
  transactions and revenue), else from orders when the orders carry the same dimension
  (country, customer_type), else CR cannot be computed and the note says why.
- orders: the orders' own fields (sales channel, shipping country, new vs returning, discount
  code used or not). Orders, revenue and AOV always; CR and RPV only when the traffic has
  sessions split by the same dimension.

Intervals (95%): Wilson for CR; a t interval for AOV from order-level sums (n, sum, sum of
squares); for RPV a t interval over sessions where sessions without an order count as zero
revenue (mean = revenue / sessions, variance from the order values' sum of squares). Segments
with fewer than MIN_SEGMENT_ORDERS orders or MIN_SEGMENT_SESSIONS sessions are flagged
small_sample and left unranked.

With a segment filter (``filters.segment_dimension``) the breakdown covers that segment only:
traffic rows come from a breakdown containing both dimensions (else there is no traffic side),
orders are the segment's; when the orders do not carry the filter's dimension no order figures
are matched (orders-side breakdowns are then empty, with a note). ``segment_values`` lists the
values a filter can pick.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.metrics._sql import ORDER_DIMENSIONS, filtered_orders_sql, safe_div
from ro_core.metrics._stats import mean_interval, wilson_interval
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, CR_BASIS_ORDERS, CR_BASIS_REPORTED
from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic import (
    TrafficSelection,
    conversion_numerator,
    default_traffic_source,
    no_traffic_note,
    required_dimensions,
    segment_value_sql,
    select_traffic,
)
from ro_core.metrics.traffic_inventory import inventory
from ro_core.metrics.versioned import pins_version, remember_many
from ro_core.store import schema
from ro_core.store.db import Database

MIN_SEGMENT_ORDERS = 30
MAX_SEGMENT_VALUES = 500
MIN_SEGMENT_SESSIONS = 300
CR_BASIS_TRAFFIC_ORDERS = CR_BASIS_REPORTED

# Order fields that mean the same thing as a traffic dimension (joinable on value).
SHARED_DIMENSIONS = {"country": "country", "customer_type": "customer_type"}
ORDER_SEGMENT_LABELS = {
    "channel": "Sales channel",
    "country": "Country (shipping)",
    "customer_type": "New vs returning (orders)",
    "discount_code": "Discount code used",
}
TRAFFIC_SEGMENT_LABELS = {
    "channel": "Traffic channel",
    "referrer": "Referrer",
    "first_user_channel": "First-visit channel",
    "device": "Device",
    "country": "Country (sessions)",
    "region": "Region",
    "landing_page": "Landing page",
    "customer_type": "New vs returning (sessions)",
}

FRAME_COLUMNS = [
    "segment",
    "sessions",
    "converted_sessions",
    "orders",
    "revenue",
    "revenue_share",
    "conversion_rate",
    "cr_low",
    "cr_high",
    "aov",
    "aov_low",
    "aov_high",
    "rpv",
    "rpv_low",
    "rpv_high",
    "small_sample",
    "rank",
]


@dataclass(frozen=True)
class SegmentBreakdown:
    """Metrics per segment of one dimension.

    Attributes:
        dimension: the dimension's name; side: 'traffic' or 'orders'.
        cr_available: whether CR (and RPV) could be computed; cr_basis: how.
        note: what the numbers are based on, and why anything is missing.
        frame: one row per segment, columns FRAME_COLUMNS (see module doc), sorted by rank
            (by RPV, else CR, else revenue, else sessions; small segments unranked and last).
        traffic: the traffic rows used, if any.
    """

    dimension: str
    side: str
    period: DateRange
    cr_available: bool
    cr_basis: str | None
    note: str
    frame: pd.DataFrame
    traffic: TrafficSelection | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return {
            "dimension": self.dimension,
            "side": self.side,
            "period": self.period.to_dict(),
            "cr_available": self.cr_available,
            "cr_basis": self.cr_basis,
            "note": self.note,
            "traffic": self.traffic.to_dict() if self.traffic else None,
            "rows": frame.to_dict(orient="records"),
        }


def segment_dimensions(db: Database) -> list[tuple[str, str, str]]:
    """Dimensions with data: (side, dimension, label), traffic first."""
    out: list[tuple[str, str, str]] = []
    dims: set[str] = set()
    for (value,) in db.fetch_all(f"SELECT DISTINCT dimensions FROM {schema.TRAFFIC}"):
        dims.update(d for d in (value or "").split(",") if d)
    for name in schema.TRAFFIC_DIMENSIONS:
        if name in dims:
            out.append(("traffic", name, TRAFFIC_SEGMENT_LABELS.get(name, name)))
    counts = db.fetch_one(
        f"SELECT count(channel), count(country), count(customer_type), count(*) "
        f"FROM {schema.ORDERS}"
    )
    present = {"channel": counts[0], "country": counts[1], "customer_type": counts[2]}
    for name in ORDER_SEGMENT_LABELS:
        if present.get(name, counts[3]):
            out.append(("orders", name, ORDER_SEGMENT_LABELS[name]))
    return out


def segment_values(
    db: Database,
    dimension: str,
    period: DateRange,
    *,
    side: str | None = None,
    traffic_source: str | None = None,
) -> list[str]:
    """The values a segment filter on `dimension` can pick in `period`, biggest first.

    Values as the filter matches them: traffic rows' values (from breakdowns containing the
    dimension, periods overlapping the range), events' values and orders' values (see
    ``ORDER_DIMENSIONS``: 'unknown' for empty, 'with code'/'no code' for discount codes),
    whichever the filter narrows, merged case-insensitively. Ordered by sessions, then events,
    then orders; at most MAX_SEGMENT_VALUES.

    Args:
        db: the database.
        dimension: e.g. 'device', 'channel', 'country', 'discount_code'.
        period: the date range.
        side: 'traffic' or 'orders' (see OrderFilters.segment_side); None chooses by name.
        traffic_source: the traffic source whose values count (the scope's); None = the
            store's source (``default_traffic_source``), as every figure uses.
    """
    probe = OrderFilters(segment_dimension=dimension, segment_value="-", segment_side=side)
    parts: list[str] = []
    params: list[Any] = []
    traffic_dim = probe.segment_traffic_dimension
    if traffic_dim is not None:
        parts.append(
            f"""SELECT {segment_value_sql(traffic_dim, "t")} AS value,
                   sum(t.sessions) AS sessions, NULL AS events, NULL AS orders
            FROM {schema.TRAFFIC} t
            WHERE list_contains(string_split(t.dimensions, ','), ?)
              AND t.period_start <= ? AND t.period_end >= ? AND t.traffic_source = ?
            GROUP BY 1"""
        )
        source = traffic_source or default_traffic_source(db)
        params += [traffic_dim, period.end, period.start, source]
    event_dim = probe.segment_event_dimension
    if event_dim is not None:
        parts.append(
            f"""SELECT CAST(e.{EVENT_VALUE_COLUMNS[event_dim]} AS VARCHAR) AS value,
                   NULL AS sessions, count(*) AS events, NULL AS orders
            FROM {schema.EVENTS} e
            WHERE e.local_date BETWEEN ? AND ? AND e.{EVENT_VALUE_COLUMNS[event_dim]} IS NOT NULL
            GROUP BY 1"""
        )
        params += [period.start, period.end]
    if probe.segment_applies_to_orders:
        parts.append(
            f"""SELECT {ORDER_DIMENSIONS[probe.segment_dimension]} AS value, NULL AS sessions,
                   NULL AS events, count(*) AS orders
            FROM {schema.ORDERS} o WHERE o.local_date BETWEEN ? AND ?
            GROUP BY 1"""
        )
        params += [period.start, period.end]
    union = " UNION ALL ".join(parts)
    rows = db.fetch_all(
        f"""SELECT arg_max(value, coalesce(sessions, 0) + coalesce(events, 0)
                                  + coalesce(orders, 0)) AS value,
                   sum(sessions) AS sessions, sum(events) AS events, sum(orders) AS orders
        FROM ({union}) WHERE value IS NOT NULL
        GROUP BY lower(value)
        ORDER BY sessions DESC NULLS LAST, events DESC NULLS LAST, orders DESC NULLS LAST,
                 lower(value)
        LIMIT {MAX_SEGMENT_VALUES}""",
        params,
    )
    return [str(r[0]) for r in rows]


# Event columns a segment filter or value list may read (identifiers from constants only).
EVENT_VALUE_COLUMNS = {"channel": "channel", "device": "device", "country": "country"}


def _resolve_side(db: Database, dimension: str, side: str | None) -> str:
    if side not in (None, "traffic", "orders"):
        raise InvalidInputError(f"Unknown segment side '{side}': use traffic or orders.")
    traffic_ok = any(
        dimension in key.split(",") for _src, _grain, key in inventory(db).breakdown_keys()
    )
    if side == "traffic" or (side is None and traffic_ok):
        if dimension not in schema.TRAFFIC_DIMENSIONS:
            raise InvalidInputError(
                f"'{dimension}' is not a traffic breakdown: use one of "
                + ", ".join(schema.TRAFFIC_DIMENSIONS)
                + "."
            )
        return "traffic"
    if dimension in ORDER_SEGMENT_LABELS:
        return "orders"
    known = sorted(set(ORDER_SEGMENT_LABELS) | set(schema.TRAFFIC_DIMENSIONS))
    raise InvalidInputError(f"Cannot break down by '{dimension}': use one of {', '.join(known)}.")


def _order_sums(
    db: Database,
    period: DateRange,
    filters: OrderFilters,
    segment_sql: str,
    selection: TrafficSelection | None,
) -> pd.DataFrame:
    """Per segment: orders, revenue, sum of squares (all), and online ones on traffic days."""
    orders_sql, params = filtered_orders_sql(
        filters, period, extra_columns={"segment_value": segment_sql}
    )
    if selection is not None:
        where, tparams = selection.where_sql("t", segment=False)  # the breakdown's days
        aligned = (
            f"online AND day BETWEEN ? AND ? AND EXISTS (SELECT 1 FROM {schema.TRAFFIC} t "
            f"WHERE {where} AND day BETWEEN t.period_start AND t.period_end)"
        )
        aligned_params = [selection.effective_range.start, selection.effective_range.end, *tparams]
    else:
        aligned, aligned_params = "online", []
    # The aligned condition is repeated in three FILTER clauses: repeat its params.
    return db.fetch_df(
        f"""WITH f AS ({orders_sql}),
        g AS (SELECT *, ({aligned}) AS aligned FROM f)
        SELECT segment_value AS segment, count(*) AS orders, sum(revenue) AS revenue,
               sum(revenue * revenue) AS revenue_sq,
               count(*) FILTER (WHERE aligned) AS online_orders,
               coalesce(sum(revenue) FILTER (WHERE aligned), 0) AS online_revenue,
               coalesce(sum(revenue * revenue) FILTER (WHERE aligned), 0) AS online_revenue_sq
        FROM g GROUP BY 1""",
        [*params, *aligned_params],
    )


_TRAFFIC_SUMS = """sum(t.sessions) AS sessions,
    CASE WHEN count(t.visitors) = count(*) THEN sum(t.visitors) END AS visitors,
    CASE WHEN count(t.converted_sessions) = count(*)
         THEN sum(t.converted_sessions) END AS converted_sessions,
    CASE WHEN count(t.orders) = count(*) THEN sum(t.orders) END AS traffic_orders,
    CASE WHEN count(t.revenue) = count(*) THEN sum(t.revenue) END AS traffic_revenue"""


def traffic_sums(db: Database, wanted: list[tuple[TrafficSelection, str]]) -> list[pd.DataFrame]:
    """Per segment of each (selection, dimension): sessions, visitors, converted sessions and
    the export's orders and revenue of the selection's rows (a copy each).

    Kept per data version; the pairs not read yet are read together in one statement.
    """

    def read(missing: list[Any]) -> dict[Any, pd.DataFrame]:
        parts, params = [], []
        for i, (_name, selection, dimension) in enumerate(missing):
            where, where_params = selection.where_sql("t")
            segment = segment_value_sql(dimension, "t")
            parts.append(
                f"""SELECT {i} AS part, {segment} AS segment, {_TRAFFIC_SUMS}
                FROM {schema.TRAFFIC} t WHERE {where} AND t.sessions IS NOT NULL
                GROUP BY {segment}"""
            )
            params += where_params
        found = db.fetch_df(" UNION ALL ".join(parts), params)
        # ordered by segment here (not in SQL, where each engine orders a UNION its own way):
        # segments that tie come out in the same order on every engine
        found = found.sort_values(["part", "segment"], kind="stable")
        return {
            key: found[found["part"] == i].drop(columns="part").reset_index(drop=True)
            for i, key in enumerate(missing)
        }

    keys: list[Any] = [("traffic sums by segment", sel, dim) for sel, dim in wanted]
    return [frame.copy() for frame in remember_many(db, keys, read)]


def prefetch_traffic_segments(
    db: Database, dimensions: list[str], periods: list[DateRange], filters: OrderFilters
) -> None:
    """Read the traffic sums that ``segments(db, d, p, filters, side='traffic')`` needs for
    every dimension d and period p in one statement (they are then kept for the data
    version)."""
    wanted = []
    for period in periods:
        for dimension in dimensions:
            selection = select_traffic(db, period, filters, dimension=dimension)
            if selection is not None:
                wanted.append((selection, dimension))
    if wanted:
        traffic_sums(db, wanted)


def _traffic_sums(db: Database, selection: TrafficSelection, dimension: str) -> pd.DataFrame:
    return traffic_sums(db, [(selection, dimension)])[0]


def _finish(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in FRAME_COLUMNS if c != "rank"])
    total = sum(r["revenue"] for r in rows if r["revenue"] is not None)
    frame["revenue_share"] = [
        safe_div(r["revenue"], total) if r["revenue"] is not None else None for r in rows
    ]
    ranked = [i for i, r in enumerate(rows) if not r["small_sample"]]

    def score(i: int, key: str) -> float:
        value = rows[i].get(key)
        return -(value if value is not None else float("-inf"))

    # Revenue first: RPV, else CR (traffic-only breakdowns), else revenue, else sessions.
    ranked.sort(
        key=lambda i: (
            score(i, "rpv"),
            score(i, "conversion_rate"),
            score(i, "revenue"),
            score(i, "sessions"),
        )
    )
    rank: list[int | None] = [None] * len(rows)
    for position, i in enumerate(ranked, start=1):
        rank[i] = position
    frame["rank"] = pd.array(rank, dtype="Int64")
    frame = frame.sort_values(
        ["rank", "revenue", "sessions"], ascending=[True, False, False], na_position="last"
    )
    return frame.reset_index(drop=True)[FRAME_COLUMNS]


def _row(
    segment: str,
    *,
    sessions: float | None,
    converted: float | None,
    cr_numerator: float | None,
    orders: float | None,
    revenue: float | None,
    revenue_sq: float | None,
    online_revenue: float | None,
    online_revenue_sq: float | None,
) -> dict[str, Any]:
    cr = safe_div(cr_numerator, sessions)
    cr_low, cr_high = wilson_interval(cr_numerator, sessions) if cr is not None else (None, None)
    aov = safe_div(revenue, orders)
    aov_low, aov_high = mean_interval(orders, revenue, revenue_sq)
    rpv = safe_div(online_revenue, sessions)
    rpv_low, rpv_high = (
        mean_interval(sessions, online_revenue, online_revenue_sq)
        if rpv is not None
        else (None, None)
    )
    small = (orders is not None and orders < MIN_SEGMENT_ORDERS) or (
        sessions is not None and sessions < MIN_SEGMENT_SESSIONS
    )
    return {
        "segment": segment,
        "sessions": sessions,
        "converted_sessions": converted,
        "orders": orders,
        "revenue": revenue,
        "revenue_share": None,
        "conversion_rate": cr,
        "cr_low": cr_low,
        "cr_high": cr_high,
        "aov": aov,
        "aov_low": aov_low,
        "aov_high": aov_high,
        "rpv": rpv,
        "rpv_low": rpv_low,
        "rpv_high": rpv_high,
        "small_sample": bool(small),
    }


def _num(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


@pins_version
def segments(
    db: Database,
    dimension: str,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    side: str | None = None,
) -> SegmentBreakdown:
    """CR, AOV, RPV and revenue share per segment of `dimension`, with 95% intervals.

    Args:
        db: the database.
        dimension: e.g. 'channel', 'device', 'country', 'customer_type', 'landing_page',
            'discount_code'.
        period: the date range.
        filters: order filters.
        side: 'traffic' or 'orders' to choose where the dimension comes from; None prefers the
            traffic when it has this breakdown.
    """
    dimension = (dimension or "").strip().lower()
    side = _resolve_side(db, dimension, side)
    if side == "traffic":
        return _traffic_side(db, dimension, period, filters)
    return _orders_side(db, dimension, period, filters)


def _traffic_side(
    db: Database, dimension: str, period: DateRange, filters: OrderFilters
) -> SegmentBreakdown:
    selection = select_traffic(db, period, filters, dimension=dimension)
    if selection is None:
        if filters.has_segment:
            what = " and ".join(required_dimensions(filters, dimension))
            if filters.segment_traffic_dimension is None:
                note = f"Showing {filters.segment_scope()}."
            else:
                note = (
                    no_traffic_note(db, filters, f" split by {what}").rstrip(".")
                    + f": no breakdown by {dimension} within {filters.segment_label()}."
                )
        else:
            note = no_traffic_note(db, filters, f" split by {dimension}")
        return SegmentBreakdown(
            dimension=dimension,
            side="traffic",
            period=period,
            cr_available=False,
            cr_basis=None,
            note=note,
            frame=pd.DataFrame(columns=FRAME_COLUMNS),
            traffic=None,
        )
    traffic = _traffic_sums(db, selection, dimension)
    has_converted = bool(len(traffic)) and traffic["converted_sessions"].notna().all()
    has_traffic_orders = bool(len(traffic)) and traffic["traffic_orders"].notna().all()
    has_traffic_revenue = bool(len(traffic)) and traffic["traffic_revenue"].notna().all()
    order_field = SHARED_DIMENSIONS.get(dimension)
    if not filters.segment_applies_to_orders:
        order_field = None  # the orders cannot be narrowed to the filter's segment
    orders = None
    if order_field is not None and not (has_traffic_orders and has_traffic_revenue):
        segment_sql = (
            "lower(o.customer_type)" if order_field == "customer_type" else f"o.{order_field}"
        )
        orders = _order_sums(db, period, filters, f"coalesce({segment_sql}, 'unknown')", selection)
        if dimension == "customer_type":
            traffic["segment"] = traffic["segment"].str.lower()
            traffic = traffic.groupby("segment", as_index=False).sum(min_count=1)
        orders = orders.set_index("segment")
        matched = orders.index.intersection(traffic["segment"])
        if len(matched) == 0:
            orders = None
    rows = []
    for _, t in traffic.iterrows():  # one row per segment (aggregates), not raw rows
        seg = t["segment"]
        sessions = _num(t["sessions"])
        converted = _num(t["converted_sessions"])
        if orders is not None and seg in orders.index:
            o = orders.loc[seg]
            n_orders, revenue, revenue_sq = (
                _num(o["online_orders"]),
                _num(o["online_revenue"]),
                _num(o["online_revenue_sq"]),
            )
        elif orders is not None:
            n_orders, revenue, revenue_sq = 0.0, 0.0, 0.0
        else:
            n_orders = _num(t["traffic_orders"])
            revenue = _num(t["traffic_revenue"])
            revenue_sq = None
        numerator, _kind = conversion_numerator(
            converted if has_converted else None,
            n_orders if orders is not None else None,
            _num(t["traffic_orders"]) if has_traffic_orders else None,
        )
        rows.append(
            _row(
                seg,
                sessions=sessions,
                converted=converted,
                cr_numerator=numerator,
                orders=n_orders,
                revenue=revenue,
                revenue_sq=revenue_sq,
                online_revenue=revenue,
                online_revenue_sq=revenue_sq,
            )
        )
    if has_converted:
        basis = CR_BASIS_CONVERTED
    elif orders is not None:
        basis = CR_BASIS_ORDERS
    elif has_traffic_orders:
        basis = CR_BASIS_TRAFFIC_ORDERS
    else:
        basis = None
    note = selection.note
    if orders is not None:
        note += f"; orders matched to sessions on {dimension}"
    elif basis is None:
        note += (
            f". CR cannot be computed by {dimension}: the traffic export has no conversions "
            "for this breakdown and the orders do not carry the same dimension."
        )
    if orders is None and has_traffic_revenue:
        note += "; revenue as reported by the analytics export (no AOV/RPV intervals)"
    if filters.has_segment:
        note = f"Showing {filters.segment_scope()}. " + note
    return SegmentBreakdown(
        dimension=dimension,
        side="traffic",
        period=period,
        cr_available=basis is not None,
        cr_basis=basis,
        note=note,
        frame=_finish(rows),
        traffic=selection,
    )


def _orders_side(
    db: Database, dimension: str, period: DateRange, filters: OrderFilters
) -> SegmentBreakdown:
    if not filters.segment_applies_to_orders:
        return SegmentBreakdown(
            dimension=dimension,
            side="orders",
            period=period,
            cr_available=False,
            cr_basis=None,
            note=f"Showing {filters.segment_scope()}: orders cannot be broken down by "
            f"{ORDER_SEGMENT_LABELS[dimension].lower()} within this segment.",
            frame=pd.DataFrame(columns=FRAME_COLUMNS),
            traffic=None,
        )
    traffic_dim = next((t for t, o in SHARED_DIMENSIONS.items() if o == dimension), None)
    selection = select_traffic(db, period, filters, dimension=traffic_dim) if traffic_dim else None
    orders = _order_sums(db, period, filters, ORDER_DIMENSIONS[dimension], selection)
    traffic = None
    if selection is not None:
        traffic = _traffic_sums(db, selection, traffic_dim).set_index("segment")
        if dimension == "customer_type":
            traffic.index = traffic.index.str.lower()
            traffic = traffic.groupby(level=0).sum(min_count=1)
        if len(orders.set_index("segment").index.intersection(traffic.index)) == 0:
            traffic = None
    rows = []
    for _, o in orders.iterrows():  # one row per segment (aggregates)
        seg = o["segment"]
        sessions = converted = None
        if traffic is not None:
            t = traffic.loc[seg] if seg in traffic.index else None
            sessions = _num(t["sessions"]) if t is not None else None
            converted = _num(t["converted_sessions"]) if t is not None else None
        numerator = converted if converted is not None else _num(o["online_orders"])
        rows.append(
            _row(
                seg,
                sessions=sessions,
                converted=converted,
                cr_numerator=numerator if sessions is not None else None,
                orders=_num(o["orders"]),
                revenue=_num(o["revenue"]),
                revenue_sq=_num(o["revenue_sq"]),
                online_revenue=_num(o["online_revenue"]) if sessions is not None else None,
                online_revenue_sq=_num(o["online_revenue_sq"]),
            )
        )
    if traffic is not None:
        basis = (
            CR_BASIS_CONVERTED if traffic["converted_sessions"].notna().all() else CR_BASIS_ORDERS
        )
        note = f"Orders by {dimension}; sessions from {selection.note}"
    else:
        basis = None
        note = (
            f"Orders by {ORDER_SEGMENT_LABELS[dimension].lower()}. CR and RPV cannot be "
            f"computed by {dimension}: the traffic has no sessions split by the same dimension."
        )
    if filters.has_segment:
        note = f"Showing {filters.segment_scope()}. " + note
    return SegmentBreakdown(
        dimension=dimension,
        side="orders",
        period=period,
        cr_available=basis is not None,
        cr_basis=basis,
        note=note,
        frame=_finish(rows),
        traffic=selection if traffic is not None else None,
    )
