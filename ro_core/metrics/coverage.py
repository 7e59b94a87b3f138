"""What data the database holds: which questions can be answered, for which dates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic_inventory import inventory
from ro_core.metrics.versioned import remember
from ro_core.store import schema
from ro_core.store.db import Database

DEFAULT_RANGE_DAYS = 30


@dataclass(frozen=True)
class DataCoverage:
    """A summary of the loaded data.

    Attributes:
        has_orders / has_traffic / has_events: whether each kind has rows.
        order_count: orders in the database (before filters).
        orders_first / orders_last: first and last store-local order dates.
        traffic_first / traffic_last: first period start and last period end of any traffic row.
        traffic_sources: sources present ('shopify', 'ga4', 'mapped').
        traffic_grains: source -> grains present for store totals (or any rows).
        traffic_dimensions: traffic breakdowns present (e.g. 'channel', 'device').
        traffic_measures: measures with values (e.g. 'sessions', 'converted_sessions').
        order_dimensions: order-side breakdowns with values (channel, country, customer_type,
            discount_code).
        event_dimensions: event-side breakdowns with values (channel, device, country).
        events_first / events_last: first and last event dates; event_types present.
        currencies: order currencies (more than one means revenue mixes currencies unless a
            currency filter is set).
        utc_offset_minutes: the most common UTC offset in the orders export (the store's zone).
        latest_date: the last date with both orders and traffic where the two overlap, else the
            last date with orders or traffic (with events only, of events); presets end on it.
        default_range: the range to show first: the last 30 days of latest_date's data.
    """

    has_orders: bool
    has_traffic: bool
    has_events: bool
    order_count: int
    orders_first: date | None
    orders_last: date | None
    traffic_first: date | None
    traffic_last: date | None
    traffic_sources: tuple[str, ...]
    traffic_grains: dict[str, tuple[str, ...]] = field(default_factory=dict)
    traffic_dimensions: tuple[str, ...] = ()
    traffic_measures: tuple[str, ...] = ()
    order_dimensions: tuple[str, ...] = ()
    event_dimensions: tuple[str, ...] = ()
    events_first: date | None = None
    events_last: date | None = None
    event_types: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    utc_offset_minutes: int | None = None
    latest_date: date | None = None
    default_range: DateRange | None = None

    @property
    def is_empty(self) -> bool:
        """True when there are no orders, traffic or events."""
        return not (self.has_orders or self.has_traffic or self.has_events)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        data: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, DateRange):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = {k: list(v) for k, v in value.items()}
            data[name] = value
        return data


ORDER_DIMENSION_COLUMNS = {
    "channel": "channel",
    "country": "country",
    "customer_type": "customer_type",
    "discount_code": "discount_code",
}
EVENT_DIMENSION_COLUMNS = ("channel", "device", "country")


def _least(values: Iterable[Any]) -> Any:
    """min() of the values that are not None (None when there are none), as SQL's min."""
    return min((v for v in values if v is not None), default=None)


def _most(values: Iterable[Any]) -> Any:
    """max() of the values that are not None (None when there are none), as SQL's max."""
    return max((v for v in values if v is not None), default=None)


def coverage(db: Database) -> DataCoverage:
    """Summarise the loaded data, once per data version: two aggregate statements (orders per
    currency and UTC offset, events per type) and the traffic inventory."""
    return remember(db, "coverage", lambda: _read(db))


def _read(db: Database) -> DataCoverage:
    # orders: one row per currency and UTC offset (a handful), summed up here
    dims = ", ".join(f"count({c})" for c in ORDER_DIMENSION_COLUMNS.values())
    groups = db.fetch_all(
        f"""SELECT currency, utc_offset_minutes, count(*), min(local_date), max(local_date), {dims}
        FROM {schema.ORDERS} GROUP BY currency, utc_offset_minutes"""
    )
    order_count = sum(int(g[2]) for g in groups)
    o = (order_count, _least(g[3] for g in groups), _most(g[4] for g in groups))
    order_dims = tuple(
        name for i, name in enumerate(ORDER_DIMENSION_COLUMNS) if sum(int(g[5 + i]) for g in groups)
    )
    currencies = tuple(sorted({g[0] for g in groups if g[0] is not None}))
    by_offset: dict[int, int] = {}
    for g in groups:
        if g[1] is not None:
            by_offset[int(g[1])] = by_offset.get(int(g[1]), 0) + int(g[2])
    # the most common offset (ties: the smallest)
    offset = min(by_offset, key=lambda k: (-by_offset[k], k)) if by_offset else None
    # traffic: from the traffic inventory
    inv = inventory(db)
    units = [u for key in inv.breakdown_keys() for u in inv.units(*key)]
    with_sessions = [u for u in units if "sessions" in u.measures]
    t = (
        sum(u.rows for u in units),
        _least(u.start for u in units),
        _most(u.end for u in units),
        _least(u.start for u in with_sessions),
        _most(u.end for u in with_sessions),
    )
    grains: dict[str, list[str]] = {}
    for source, grain in sorted({(src, grain) for src, grain, _dims in inv.breakdown_keys()}):
        grains.setdefault(source, []).append(grain)
    grain_order = ("day", "week", "month", "total")
    traffic_grains = {
        s: tuple(sorted(g, key=lambda x: grain_order.index(x) if x in grain_order else 9))
        for s, g in grains.items()
    }
    dims_present = {d for _src, _grain, key in inv.breakdown_keys() for d in key.split(",") if d}
    traffic_dims = tuple(d for d in schema.TRAFFIC_DIMENSIONS if d in dims_present)
    present = {m for u in units for m in u.measures}
    traffic_measures = tuple(m for m in schema.TRAFFIC_MEASURES if m in present)
    # events: one row per event type
    event_counts = ", ".join(f"count({c})" for c in EVENT_DIMENSION_COLUMNS)
    kinds = db.fetch_all(
        f"""SELECT event_type, count(*), min(local_date), max(local_date), {event_counts}
        FROM {schema.EVENTS} GROUP BY event_type"""
    )
    e = (
        sum(int(k[1]) for k in kinds),
        _least(k[2] for k in kinds),
        _most(k[3] for k in kinds),
    )
    event_dims = tuple(
        c for i, c in enumerate(EVENT_DIMENSION_COLUMNS) if sum(int(k[4 + i]) for k in kinds)
    )
    names = sorted(k[0] for k in kinds if k[0] is not None)
    event_types = tuple(names + [None] * any(k[0] is None for k in kinds))
    # The range shown first is the latest one where orders and sessions both exist (so CR, AOV
    # and RPV all have figures after an import); without an overlap, the latest day with orders
    # or traffic; events alone only when there is nothing else (a session that starts before
    # midnight and ends after it must not add a day without orders).
    lasts = [d for d in (o[2], t[2]) if d is not None] or [d for d in (e[2],) if d is not None]
    firsts = [d for d in (o[1], t[1]) if d is not None] or [d for d in (e[1],) if d is not None]
    latest = max(lasts) if lasts else None
    earliest = min(firsts) if firsts else None
    if o[1] is not None and t[3] is not None:
        both_first, both_last = max(o[1], t[3]), min(o[2], t[4])
        if both_first <= both_last:
            latest, earliest = both_last, both_first
    default_range = None
    if latest is not None and earliest is not None:
        start = latest - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        default_range = DateRange(max(start, earliest), latest)
    return DataCoverage(
        has_orders=order_count > 0,
        has_traffic=int(t[0]) > 0,
        has_events=int(e[0]) > 0,
        order_count=order_count,
        orders_first=o[1],
        orders_last=o[2],
        traffic_first=t[1],
        traffic_last=t[2],
        traffic_sources=tuple(traffic_grains),
        traffic_grains=traffic_grains,
        traffic_dimensions=traffic_dims,
        traffic_measures=traffic_measures,
        order_dimensions=order_dims,
        event_dimensions=event_dims,
        events_first=e[1],
        events_last=e[2],
        event_types=event_types,
        currencies=currencies,
        utc_offset_minutes=int(offset) if offset is not None else None,
        latest_date=latest,
        default_range=default_range,
    )
