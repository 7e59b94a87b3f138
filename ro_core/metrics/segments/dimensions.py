"""The segment dimensions: which have data and on which side (traffic or orders), their labels,
and the values a segment filter can pick."""

from __future__ import annotations

from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.metrics._sql import ORDER_DIMENSIONS
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic import default_traffic_source, segment_value_sql
from ro_core.metrics.traffic_inventory import inventory
from ro_core.store import schema
from ro_core.store.db import Database

MAX_SEGMENT_VALUES = 500

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
