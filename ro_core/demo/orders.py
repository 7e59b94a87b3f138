"""The demo store's orders: who buys what and when, priced as Shopify prices them, and which
orders are refunded, cancelled or pending.

Every random draw per order happens in ``_simulate_orders``, all at once: the draw order fixes
the bytes of every file written after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ro_core.demo.store import (
    _CATALOG,
    _EXPRESS_SHIPPING,
    _INTERNATIONAL_EXPRESS_EXTRA,
    _REGIONS,
    _STORE_REGION,
    DAYS,
    EXPECTED_ORDERS_PER_YEAR,
    SOURCE_APP,
    SOURCE_DRAFT,
    SOURCE_POS,
    SOURCE_WEB,
    SOURCES,
)
from ro_core.demo.timeline import _daily_demand, _event_factors, _local

_FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Mia", "Lucas",
    "Amelia", "Mateo", "Harper", "Ethan", "Aria", "Leo", "Chloe", "Henry", "Nora", "Kai",
    "Priya", "Wei", "Fatima", "Diego", "Yuki", "Omar", "Ingrid", "Tomasz", "Aisha", "Lena",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Brown", "Miller", "Davis", "Rodriguez", "Martinez", "Lee",
    "Walker", "Hall", "Young", "King", "Wright", "Lopez", "Hill", "Green", "Adams", "Baker",
    "Nguyen", "Patel", "Kim", "Chen", "Schmidt", "Dubois", "Jansen", "Kowalski", "Okafor",
)  # fmt: skip
_STREETS = ("Main St", "Oak Ave", "Park Rd", "Maple Dr", "Cedar Ln", "Elm St", "High St", "Lake Rd")

_WELCOME = ("WELCOME10", 0.10)  # first orders
_SAVE = ("SAVE15", 0.15)  # newsletter code, any time
_SUMMER = ("SUMMER20", 0.20)  # July and August
_BFCM = ("BFCM25", 0.25)  # Black Friday to Cyber Monday
_HOLIDAY = ("HOLIDAY15", 0.15)  # December before Christmas

# Hour-of-day weights (store-local) for online orders, shop (POS) sales and wholesale drafts.
_WEB_HOURS = np.array(
    [2.0, 1.2, 0.7, 0.5, 0.4, 0.5, 1.0, 2.0, 3.2, 4.0, 4.5, 4.8,
     5.2, 5.0, 4.6, 4.4, 4.4, 4.8, 5.4, 6.2, 6.8, 6.6, 5.2, 3.4]
)  # fmt: skip
_POS_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 2.0, 4.0, 5.0, 4.0, 3.5, 3.5, 3.0, 2.5, 2.5, 3.0, 2.5, 1.0, 0, 0, 0, 0, 0]
)  # fmt: skip
_DRAFT_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 3.0, 4.0, 4.0, 2.0, 3.0, 4.0, 4.0, 3.0, 1.0, 0, 0, 0, 0, 0, 0]
)  # fmt: skip


_SOURCE_SHARE = {SOURCE_WEB: 0.86, SOURCE_APP: 0.055, SOURCE_POS: 0.055, SOURCE_DRAFT: 0.03}


_MAX_LINES = 6


@dataclass
class _Customer:
    email: str
    first: str
    last: str
    region: int
    street: str
    accepts_marketing: bool
    orders: int = 0


@dataclass
class _Order:
    name: str
    order_id: int
    created: datetime  # aware, store time zone
    source: str
    customer: int | None  # index into the customers; None for a walk-in shop sale
    region: int
    lines: list[tuple[int, int]]  # (product index, quantity)
    discount_code: str
    discount_rate: float
    express: bool
    financial_status: str = "paid"
    cancelled_at: datetime | None = None
    refunded: int = 0  # cents
    discount: int = 0
    subtotal: int = 0  # after the discount, before shipping and tax
    shipping: int = 0
    tax_lines: tuple[tuple[str, float, int], ...] = ()  # (name, rate, cents)
    total: int = 0

    @property
    def ships(self) -> bool:
        return any(not _CATALOG[p].is_gift_card for p, _ in self.lines)


@dataclass
class _Demo:
    days: list[date]
    orders: list[_Order]
    customers: list[_Customer]
    web_orders_per_day: np.ndarray  # completed checkouts of the online store
    conversion: np.ndarray  # relative conversion per day


def _order_times(
    rng: np.random.Generator, days: list[date], volume: np.ndarray, per_unit: float
) -> list[tuple[int, int, str]]:
    """(day index, second of day, source) of every order, in time order."""
    weekdays = np.array([d.weekday() for d in days])
    expected = volume * per_unit * rng.lognormal(0.0, 0.08, size=len(days))
    shop_open = (weekdays < 6) * 7 / 6  # the shop is closed on Sundays
    office_open = (weekdays < 5) * 7 / 5  # wholesale drafts on weekdays
    counts = {
        SOURCE_WEB: rng.poisson(expected * _SOURCE_SHARE[SOURCE_WEB]),
        SOURCE_APP: rng.poisson(expected * _SOURCE_SHARE[SOURCE_APP]),
        SOURCE_POS: rng.poisson(expected * _SOURCE_SHARE[SOURCE_POS] * shop_open),
        SOURCE_DRAFT: rng.poisson(per_unit * _SOURCE_SHARE[SOURCE_DRAFT] * office_open),
    }
    hours = {SOURCE_WEB: _WEB_HOURS, SOURCE_APP: _WEB_HOURS, SOURCE_POS: _POS_HOURS}
    stamps: list[tuple[int, int, str]] = []
    for source in SOURCES:
        weights = hours.get(source, _DRAFT_HOURS)
        day_index = np.repeat(np.arange(len(days)), counts[source])
        hour = rng.choice(24, size=len(day_index), p=weights / weights.sum())
        seconds = hour * 3600 + rng.integers(0, 3600, size=len(day_index))
        sources = [source] * len(day_index)
        stamps.extend(zip(day_index.tolist(), seconds.tolist(), sources, strict=True))
    stamps.sort()
    return stamps


def _pick_products(rng: np.random.Generator, count: int) -> np.ndarray:
    """Per order, products in pick order without repeats (weighted by popularity).

    Gumbel top-k: sorting log-weights plus Gumbel noise is weighted sampling without
    replacement, done for every order at once.
    """
    popularity = np.array([p.popularity for p in _CATALOG])
    keys = np.log(popularity / popularity.sum()) + rng.gumbel(size=(count, len(_CATALOG)))
    return np.argsort(-keys, axis=1, kind="stable")[:, :_MAX_LINES]


def _choose_discount(day: date, source: str, first_order: bool, draw: float) -> tuple[str, float]:
    if source not in (SOURCE_WEB, SOURCE_APP):
        return "", 0.0
    event_volume, _ = _event_factors(day)
    if event_volume >= 2.0 and draw < 0.55:
        return _BFCM
    if day.month == 12 and day.day <= 23 and draw < 0.25:
        return _HOLIDAY
    if day.month in (7, 8) and draw < 0.18:
        return _SUMMER
    if first_order and draw < 0.22:
        return _WELCOME
    if draw < 0.06:
        return _SAVE
    return "", 0.0


def _simulate_orders(rng: np.random.Generator, days: list[date], tz: ZoneInfo) -> _Demo:
    # Volume is scaled on a whole year ending on the last day, so a shorter run has the same
    # daily level as the full one.
    growth_start = days[-1] - timedelta(days=DAYS - 1)
    canonical = [growth_start + timedelta(days=i) for i in range(DAYS)]
    per_unit = EXPECTED_ORDERS_PER_YEAR / _daily_demand(canonical, growth_start)[0].sum()
    volume, conversion = _daily_demand(days, growth_start)
    stamps = _order_times(rng, days, volume, per_unit)
    n = len(stamps)
    end_of_data = datetime.combine(days[-1], time(23, 59, 59), tzinfo=tz)

    # Every random draw per order happens here, all at once (the draw order fixes the bytes).
    region_weights = np.array([r.weight for r in _REGIONS])
    region_draw = rng.choice(len(_REGIONS), size=n, p=region_weights / region_weights.sum())
    line_count = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.55, 0.27, 0.11, 0.05, 0.02])
    picks = _pick_products(rng, n)
    retail_qty = rng.choice([1, 2, 3], size=(n, _MAX_LINES), p=[0.84, 0.13, 0.03])
    wholesale_qty = rng.integers(4, 13, size=(n, _MAX_LINES))
    returning_draw = rng.random(n)
    returning_pick = rng.random(n)
    walk_in_draw = rng.random(n)
    discount_draw = rng.random(n)
    express_draw = rng.random(n)
    status_draw = rng.random(n)
    cancel_minutes = rng.integers(20, 2880, size=n)
    refund_share = rng.uniform(0.15, 0.6, size=n)
    first_names = rng.integers(0, len(_FIRST_NAMES), size=n)
    last_names = rng.integers(0, len(_LAST_NAMES), size=n)
    house_numbers = rng.integers(1, 999, size=n)
    streets = rng.integers(0, len(_STREETS), size=n)
    marketing = rng.random(n) < 0.42
    ids = 6_100_000_000_000 + np.cumsum(rng.integers(20_000, 900_000, size=n))

    customers: list[_Customer] = []
    orders: list[_Order] = []
    web_per_day = np.zeros(len(days), dtype=np.int64)
    span = max(len(days) - 1, 1)
    for i, (day_index, seconds, source) in enumerate(stamps):
        day = days[day_index]
        if source == SOURCE_WEB:
            web_per_day[day_index] += 1
        customer: int | None = None
        if not (source == SOURCE_POS and walk_in_draw[i] < 0.45):
            returning_share = 0.30 + 0.12 * day_index / span  # the customer base grows
            if customers and returning_draw[i] < returning_share:
                # Early customers are the loyal ones: skew the pick toward them.
                customer = int(len(customers) * returning_pick[i] ** 1.6)
            else:
                customers.append(
                    _Customer(
                        email=f"customer{len(customers) + 1}@example.com",
                        first=_FIRST_NAMES[first_names[i]],
                        last=_LAST_NAMES[last_names[i]],
                        region=_STORE_REGION if source == SOURCE_POS else int(region_draw[i]),
                        street=f"{house_numbers[i]} {_STREETS[streets[i]]}",
                        accepts_marketing=bool(marketing[i]),
                    )
                )
                customer = len(customers) - 1
        if source == SOURCE_POS or customer is None:
            region = _STORE_REGION
        else:
            region = customers[customer].region
        count = min(int(line_count[i]) + 2, _MAX_LINES) if source == SOURCE_DRAFT else line_count[i]
        quantities = wholesale_qty[i] if source == SOURCE_DRAFT else retail_qty[i]
        lines = [(int(picks[i, k]), int(quantities[k])) for k in range(int(count))]
        first_order = customer is not None and customers[customer].orders == 0
        code, rate = _choose_discount(day, source, first_order, float(discount_draw[i]))
        if customer is not None:
            customers[customer].orders += 1
        order = _Order(
            name=f"#{1001 + i}",
            order_id=int(ids[i]),
            created=_local(day, seconds, tz),
            source=source,
            customer=customer,
            region=region,
            lines=lines,
            discount_code=code,
            discount_rate=rate,
            express=bool(source in (SOURCE_WEB, SOURCE_APP) and express_draw[i] < 0.08),
        )
        _price_order(order)
        _set_status(order, float(status_draw[i]), int(cancel_minutes[i]), float(refund_share[i]))
        if order.cancelled_at is not None:
            # Not after the export was taken; the offset is the one in force at that moment.
            order.cancelled_at = min(order.cancelled_at, end_of_data).astimezone(UTC)
            order.cancelled_at = order.cancelled_at.astimezone(tz)
        orders.append(order)
    return _Demo(days, orders, customers, web_per_day, conversion)


def _price_order(order: _Order) -> None:
    """Shopify's arithmetic in cents: Subtotal is after the discount; Total adds shipping, tax."""
    region = _REGIONS[order.region]
    line_sum = sum(_CATALOG[p].price * q for p, q in order.lines)
    taxable_sum = sum(_CATALOG[p].price * q for p, q in order.lines if not _CATALOG[p].is_gift_card)
    discount = round(line_sum * order.discount_rate)
    subtotal = line_sum - discount
    if order.source in (SOURCE_POS, SOURCE_DRAFT) or not order.ships:
        shipping = 0
    elif order.express:
        extra = 0 if region.country == "US" else _INTERNATIONAL_EXPRESS_EXTRA
        shipping = (_EXPRESS_SHIPPING if region.country == "US" else region.shipping) + extra
    elif region.free_shipping_from is not None and subtotal >= region.free_shipping_from:
        shipping = 0
    else:
        shipping = region.shipping
    taxable = round(subtotal * taxable_sum / line_sum) if line_sum else 0
    if order.source == SOURCE_DRAFT:
        tax_lines: tuple[tuple[str, float, int], ...] = ()  # wholesale: resale, no sales tax
    else:
        tax_lines = tuple((name, rate, round(taxable * rate)) for name, rate in region.taxes)
        tax_lines = tuple(line for line in tax_lines if line[2])  # no tax line for 0.00
    order.discount = discount
    order.subtotal = subtotal
    order.shipping = shipping
    order.tax_lines = tax_lines
    order.total = subtotal + shipping + sum(cents for _, _, cents in tax_lines)


def _set_status(order: _Order, draw: float, cancel_minutes: int, refund_share: float) -> None:
    """Refunds, cancellations, voided and pending payments at realistic rates."""
    if order.source == SOURCE_DRAFT and draw < 0.15:
        order.financial_status = "pending"  # wholesale on payment terms
    elif draw < 0.011:  # cancelled after payment: refunded in full
        order.financial_status = "refunded"
        order.refunded = order.total
        order.cancelled_at = order.created + timedelta(minutes=cancel_minutes)
    elif draw < 0.016:  # cancelled before the payment was captured
        order.financial_status = "voided"
        order.cancelled_at = order.created + timedelta(minutes=cancel_minutes // 4)
    elif draw < 0.036:  # returned
        order.financial_status = "refunded"
        order.refunded = order.total
    elif draw < 0.061:  # partly returned
        order.financial_status = "partially_refunded"
        order.refunded = max(100, round(order.total * refund_share))
    elif draw < 0.068:
        order.financial_status = "pending"
