"""The product table and the landing pages from events against plain-Python recomputations over
every row of a small random store (issue 15 rewrote their queries for speed; the figures must
not move).

The store is generated here (seeded): orders with one to four lines, the same product twice in
some orders, lines without a name, orders that do not count (cancelled, voided, test, draft);
events with repeated views of a product in a session, sessions known only by user and day,
bookkeeping and page-view events, purchases without revenue, a session across midnight and a
product with nothing but remove_from_cart events. The expected figures are loops over those rows
with the rules written out again, not the queries.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ro_core.metrics import products as products_module
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.landing_pages import landing_pages
from ro_core.metrics.periods import DateRange
from ro_core.metrics.products import products
from ro_core.metrics.scope import Scope
from ro_core.store import schema
from tests.metrics.conftest import insert_canonical

DEFAULTS = OrderFilters()
WEEK = DateRange(date(2024, 3, 4), date(2024, 3, 10))
BEFORE = DateRange(date(2024, 2, 26), date(2024, 3, 3))
# (name, sku) of the catalogue; a line with no name counts under its SKU, with neither 'unknown'
CATALOGUE = [("Widget", "W-1"), ("Gadget", "G-2"), ("Gizmo", None), ("Sprocket", "S-4"),
             (None, "X-9"), (None, None)]  # fmt: skip
PRICES = {"Widget": "10.00", "Gadget": "4.50", "Gizmo": "19.99", "Sprocket": "2.25", None: "7.00"}
# event product ids: SKUs and a name that match order lines, ids only events know, and one that
# only ever leaves a cart
EVENT_PRODUCTS = ["W-1", "G-2", "Gizmo", "X-9", "e-100", "e-200"]
BOOKKEEPING = ("session_start", "first_visit")
PAGE_VIEWS = ("page_view", "screen_view")


def _orders(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    orders, lines = [], []
    for i in range(240):
        day = BEFORE.start + timedelta(days=rng.randrange(21))  # the week before, it, after
        status = rng.choices(["ok", "cancelled", "voided", "test", "draft"], [16, 1, 1, 1, 1])[0]
        order_id = f"o{i:04d}"
        orders.append(
            {
                "order_id": order_id,
                "order_name": f"#{1000 + i}",
                "created_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                "utc_offset_minutes": 0,
                "local_date": day,
                "currency": "USD",
                "total": Decimal("50.00"),
                "financial_status": "voided" if status == "voided" else "paid",
                "cancelled": status == "cancelled",
                "source": "shopify_draft_order" if status == "draft" else "web",
                "channel": "draft" if status == "draft" else "web",
                "is_test": status == "test",
                "country": "DE" if i % 3 == 0 else "US",
            }
        )
        for n in range(rng.randint(1, 4)):
            name, sku = rng.choice(CATALOGUE)  # the same product twice in an order at times
            lines.append(
                {
                    "order_id": order_id,
                    "line_number": n + 1,
                    "product": name,
                    "sku": sku,
                    "quantity": rng.randint(1, 3),
                    "price": Decimal(PRICES[name]),
                    "discount": rng.choice([None, Decimal("0.50"), Decimal("1.25")]),
                }
            )
    return orders, lines


def _event(
    when: datetime,
    session: str | None,
    user: str | None,
    event_type: str,
    product: str | None = None,
    *,
    name: str | None = None,
    price: str | None = None,
    revenue: str | None = None,
    device: str = "Mobile",
) -> dict[str, Any]:
    return {
        "event_time": when,
        "local_date": when.date(),
        "session_id": session,
        "user_id": user,
        "event_type": event_type,
        "event_name": name if name is not None else event_type,
        "product_id": product,
        "price": Decimal(price) if price is not None else None,
        "revenue": Decimal(revenue) if revenue is not None else None,
        "device": device,
    }


def _events(rng: random.Random) -> list[dict[str, Any]]:
    events = []
    for s in range(90):
        day = WEEK.start + timedelta(days=rng.randrange(-2, 9))  # some outside the week
        # the last session starts just before midnight and goes on into the next day
        start = datetime(day.year, day.month, day.day, 23 if s == 89 else rng.randrange(23),
                         rng.randrange(60), tzinfo=UTC)  # fmt: skip
        session = None if s % 9 == 0 else f"s{s:03d}"  # known by user and day only
        user = f"u{s % 40:02d}"
        device = rng.choice(["Mobile", "Desktop", "mobile"])
        kinds = ["view"] * 5 + ["cart"] * 2 + ["remove_from_cart", "purchase", "page", "book"]
        for n in range(1 if s % 7 == 0 else rng.randint(1, 8)):  # every 7th: a single event
            when = start + timedelta(minutes=13 * n)
            kind = rng.choice(kinds)
            product = rng.choice(EVENT_PRODUCTS[:4] if s % 5 == 0 else EVENT_PRODUCTS)
            if kind == "page":  # a page view without a product, its name in any case
                name = rng.choice(["page_view", "Page_View", "screen_view"])
                events.append(_event(when, session, user, "other", name=name, device=device))
            elif kind == "book":  # bookkeeping: never a visitor's action
                name = rng.choice(["session_start", "first_visit", "Session_Start"])
                events.append(_event(when, session, user, "other", name=name, device=device))
            elif kind == "purchase":
                revenue, price = rng.choice([("30.00", "10.00"), (None, "12.50"), (None, None)])
                events.append(_event(when, session, user, "purchase", product, price=price,
                                     revenue=revenue, device=device))  # fmt: skip
            else:
                events.append(_event(when, session, user, kind, product, device=device))
    base = datetime(2024, 3, 5, 9, tzinfo=UTC)
    for n in range(3):  # a product that only ever leaves a cart
        events.append(_event(base + timedelta(minutes=n), f"r{n}", None, "remove_from_cart",
                             "e-300"))  # fmt: skip
    events.append(_event(base, None, None, "view", "W-1"))  # no session and no user: no session
    return events


def load_random_store(db) -> tuple[Any, list, list, list]:
    """Insert the seeded store: (db, orders, lines, events)."""
    rng = random.Random(15)
    orders, lines = _orders(rng)
    events = _events(rng)
    insert_canonical(db, schema.KIND_ORDERS, orders)
    insert_canonical(db, schema.KIND_ORDER_LINES, lines)
    insert_canonical(db, schema.KIND_EVENTS, events)
    return db, orders, lines, events


@pytest.fixture
def random_store(db):
    return load_random_store(db)


def _spanning_events() -> list[dict[str, Any]]:
    """Sessions whose events of one product and step fall on several days: across midnight
    (one into a new month), and a session id seen again days later (days with a gap between
    them, one in the month before)."""
    d = datetime(2024, 3, 6, tzinfo=UTC)
    h = timedelta(hours=1)
    return [
        # m1: views of W-1 on the 6th late, the 7th just after midnight and again on the 9th
        _event(d + 23.9 * h, "m1", "u90", "view", "W-1"),
        _event(d + 24.1 * h, "m1", "u90", "view", "W-1"),
        _event(d + 24.2 * h, "m1", "u90", "cart", "W-1"),
        _event(d + 72 * h, "m1", "u90", "view", "W-1"),
        _event(d + 72.1 * h, "m1", "u90", "purchase", "W-1", price="10.00", revenue="20.00"),
        # m2: a cart of G-2 on the 7th, 8th and 10th, a view on the 8th only
        _event(d + 30 * h, "m2", "u91", "cart", "G-2"),
        _event(d + 50 * h, "m2", "u91", "cart", "G-2"),
        _event(d + 50.5 * h, "m2", "u91", "view", "G-2"),
        _event(d + 98 * h, "m2", "u91", "cart", "G-2"),
        # m3: an event-only product viewed across midnight from the 10th into the 11th, past
        # the week's end
        _event(d + 95.9 * h, "m3", "u92", "view", "e-100"),
        _event(d + 96.1 * h, "m3", "u92", "view", "e-100"),
        # m4: views of W-1 across the midnight between February and March, and on the 3rd
        _event(d - 120.1 * h, "m4", "u94", "view", "W-1"),
        _event(d - 119.9 * h, "m4", "u94", "view", "W-1"),
        _event(d - 72 * h, "m4", "u94", "view", "W-1"),
        # m5: a cart of G-2 on 27 February and 8 March, a purchase on both days
        _event(d - 192 * h, "m5", "u95", "cart", "G-2"),
        _event(d - 191 * h, "m5", "u95", "purchase", "G-2", price="4.50", revenue="4.50"),
        _event(d + 48 * h, "m5", "u95", "cart", "G-2"),
        _event(d + 49 * h, "m5", "u95", "purchase", "G-2", price="4.50", revenue="9.00"),
    ]


def load_product_store(db) -> tuple[Any, list, list, list]:
    """The seeded store with the spanning sessions in a second events import."""
    db, orders, lines, events = load_random_store(db)
    extra = _spanning_events()
    insert_canonical(db, schema.KIND_EVENTS, extra)
    return db, orders, lines, events + extra


@pytest.fixture
def product_store(db):
    return load_product_store(db)


def _order_day(order: dict[str, Any], filters: OrderFilters) -> date:
    if filters.utc_offset_minutes is None:
        return order["local_date"]
    return (order["created_at"] + timedelta(minutes=filters.utc_offset_minutes)).date()


def _counts(order: dict[str, Any], period: DateRange, filters: OrderFilters = DEFAULTS) -> bool:
    """The order counts in `period` under `filters` (the rules written out again)."""
    if filters.exclude_cancelled and (order["cancelled"] or order["financial_status"] == "voided"):
        return False
    if filters.exclude_test and (order["is_test"] or order["channel"] == "draft"):
        return False
    if filters.currency is not None and order["currency"] != filters.currency:
        return False
    if filters.segment_dimension == "country" and (
        order["country"].lower() != filters.segment_value.lower()
    ):
        return False
    return period.start <= _order_day(order, filters) <= period.end


def _line_figures(
    orders, lines, period: DateRange, filters: OrderFilters = DEFAULTS
) -> dict[str, dict[str, Any]]:
    """Per product (name, else SKU, else 'unknown'): units, revenue, gross, discount, the set of
    its orders and how many of them hold another product too."""
    counted = {o["order_id"] for o in orders if _counts(o, period, filters)}
    figures: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"units": 0, "revenue": 0.0, "gross": 0.0, "discount": 0.0, "orders": set()}
    )
    in_order: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        if line["order_id"] not in counted:
            continue
        product = line["product"] or line["sku"] or "unknown"
        gross = float(line["price"] * line["quantity"])
        discount = float(line["discount"] or 0)
        f = figures[product]
        f["units"] += line["quantity"]
        f["gross"] += gross
        f["discount"] += discount
        f["revenue"] += gross - discount
        f["orders"].add(line["order_id"])
        in_order[line["order_id"]].add(product)
    for f in figures.values():
        f["with_others"] = sum(1 for o in f["orders"] if len(in_order[o]) > 1)
    return dict(figures)


def _event_figures(
    orders, lines, events, period: DateRange, filters: OrderFilters = DEFAULTS
) -> dict[str, dict[str, Any]]:
    """Per product label: distinct session ids per step in the period (events without a session
    id count in no step) and the revenue of its purchase events. A product id is shown under
    the order line's name when it is a line's SKU or name, else as 'product id ...'."""
    sessions: dict[tuple[str, str], set[str]] = defaultdict(set)
    revenue: dict[str, float] = defaultdict(float)
    for e in events:
        if not period.start <= e["local_date"] <= period.end or e["product_id"] is None:
            continue
        revenue[e["product_id"]] += float(e["revenue"] or 0) if e["event_type"] == "purchase" else 0
        if e["session_id"] is not None:
            sessions[(e["product_id"], e["event_type"])].add(e["session_id"])
    counted = {o["order_id"] for o in orders if _counts(o, period, filters)}
    by_sku = {line["sku"]: line["product"] or line["sku"] for line in lines
              if line["order_id"] in counted and line["sku"] is not None}  # fmt: skip
    names = set(_line_figures(orders, lines, period, filters))
    expected: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"view": 0, "cart": 0, "purchase": 0, "revenue": 0.0}
    )
    for pid in revenue:
        label = by_sku.get(pid) or (pid if pid in names else f"product id {pid}")
        for step in ("view", "cart", "purchase"):
            expected[label][step] += len(sessions.get((pid, step), set()))
        expected[label]["revenue"] += revenue[pid]
    return dict(expected)


def _lost_view_to_cart(now, events_now) -> dict[str, float]:
    """The estimate of revenue lost between view and cart with MIN_VIEWS at 1 (every product
    with a view is in the median and gets an estimate)."""
    rates = {label: e["cart"] / e["view"] for label, e in events_now.items() if e["view"]}
    benchmark = statistics.median(rates.values())
    lost = {}
    for label, rate in rates.items():
        e = events_now[label]
        per_cart = e["purchase"] / e["cart"] if e["cart"] else 0.0
        if e["purchase"]:
            per_purchase = e["revenue"] / e["purchase"]
        elif label in now and now[label]["units"]:
            per_purchase = now[label]["revenue"] / now[label]["units"]
        else:
            per_purchase = math.nan
        lost[label] = e["view"] * max(benchmark - rate, 0.0) * per_cart * per_purchase
    return lost


def assert_product_table(
    table, orders, lines, events, scope: Scope, *, check_lost: bool = False
) -> None:
    """Every figure of `table` against the rows (orders, lines, events) recomputed in Python;
    `check_lost` with MIN_VIEWS patched to 1."""
    rows = table.frame.set_index("product")
    assert rows.index.is_unique
    now = _line_figures(orders, lines, scope.period, scope.filters)
    before = _line_figures(orders, lines, scope.comparison, scope.filters) if (
        scope.comparison) else {}  # fmt: skip
    total = sum(f["revenue"] for f in now.values())
    for product, f in now.items():
        row = rows.loc[product]
        assert row["units"] == f["units"], product
        assert row["orders"] == len(f["orders"]), product
        assert row["revenue"] == pytest.approx(f["revenue"]), product
        assert row["revenue_share"] == pytest.approx(f["revenue"] / total), product
        assert row["avg_discount"] == pytest.approx(f["discount"] / f["gross"]), product
        assert row["attach_rate"] == pytest.approx(f["with_others"] / len(f["orders"])), product
        if scope.comparison is None:
            assert row["revenue_change"] is None, product
        elif product in before and before[product]["revenue"] > 0:
            change = f["revenue"] / before[product]["revenue"] - 1
            assert row["revenue_change"] == pytest.approx(change), product
        else:
            assert row["revenue_change"] != row["revenue_change"], product  # NaN: no base
    ordered = rows[rows["units"].notna()]
    assert set(ordered.index) == set(now)
    expected = _event_figures(orders, lines, events, scope.period, scope.filters)
    assert table.has_events == bool(expected)
    for label, e in expected.items():
        row = rows.loc[label]
        assert (row["views"], row["cart_sessions"], row["purchase_sessions"]) == (
            e["view"], e["cart"], e["purchase"]), label  # fmt: skip
    assert set(rows[rows["views"].notna()].index) == set(expected)
    if check_lost:
        lost = _lost_view_to_cart(now, expected)
        for label, value in lost.items():
            shown = rows.loc[label, "lost_view_to_cart"]
            if math.isnan(value):
                assert shown is None or shown != shown, label
            else:
                assert shown == pytest.approx(value), label


def test_product_table_against_python(random_store) -> None:
    db, orders, lines, events = random_store
    scope = Scope(WEEK, "previous", OrderFilters())
    table = products(db, scope)
    now = _line_figures(orders, lines, WEEK)
    assert {"Widget", "X-9", "unknown"} <= set(now)
    assert any(f["with_others"] < len(f["orders"]) for f in now.values())  # single-product
    expected = _event_figures(orders, lines, events, WEEK)
    assert "product id e-300" in expected  # only remove_from_cart: listed with no views
    assert_product_table(table, orders, lines, events, scope)


SPANNED = [
    WEEK,
    DateRange(date(2024, 3, 7), date(2024, 3, 7)),  # the day after m1's midnight
    DateRange(date(2024, 3, 6), date(2024, 3, 8)),  # across midnight, not m1's later day
    DateRange(date(2024, 3, 8), date(2024, 3, 14)),  # starts mid-store, past the events' end
    DateRange(date(2024, 2, 1), date(2024, 3, 31)),  # wider than the store
]


@pytest.mark.parametrize("period", SPANNED, ids=str)
def test_sessions_across_days_count_once(product_store, period, monkeypatch) -> None:
    """Sessions spanning midnight (and a session id seen again days later) count once per
    product and step over any period; the lost revenue estimate uses the purchase revenue."""
    monkeypatch.setattr(products_module, "MIN_VIEWS", 1)
    db, orders, lines, events = product_store
    scope = Scope(period, "previous", OrderFilters())
    assert_product_table(products(db, scope), orders, lines, events, scope, check_lost=True)


def test_every_period_against_python(product_store) -> None:
    """All periods whose days lie within the store's (two calls per data version share one
    rollup: every period is a sum over its days)."""
    db, orders, lines, events = product_store
    first = BEFORE.start - timedelta(days=1)
    days = [first + timedelta(days=i) for i in range(24)]
    for i, start in enumerate(days):
        for end in days[i:]:
            scope = Scope(DateRange(start, end), "none", OrderFilters())
            table = products(db, scope).frame.set_index("product")
            now = _line_figures(orders, lines, scope.period)
            found = {p: (r["units"], r["orders"], r["orders"] - round(r["attach_rate"] * r["orders"]))
                     for p, r in table[table["units"].notna()].iterrows()}  # fmt: skip
            assert found == {p: (f["units"], len(f["orders"]), len(f["orders"]) - f["with_others"])
                             for p, f in now.items()}, scope.period  # fmt: skip
            expected = _event_figures(orders, lines, events, scope.period)
            shown = table[table["views"].notna()]
            assert {p: (r["views"], r["cart_sessions"], r["purchase_sessions"])
                    for p, r in shown.iterrows()} == {
                p: (e["view"], e["cart"], e["purchase"]) for p, e in expected.items()
            }, scope.period  # fmt: skip


def _sessions(events, period: DateRange, device: str | None = None) -> list[dict[str, Any]]:
    """The event sessions of the period by the landing-page rules, written out again."""
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    first_device: dict[str, tuple[datetime, str]] = {}
    for e in events:
        if not period.start <= e["local_date"] <= period.end:
            continue
        if e["session_id"] is None and e["user_id"] is None:
            continue
        key = e["session_id"] or f"{e['user_id']}|{e['local_date'].isoformat()}"
        # a session's segment is the first device its events name (bookkeeping events included)
        known = first_device.get(key)
        if e["device"] is not None and (known is None or e["event_time"] < known[0]):
            first_device[key] = (e["event_time"], e["device"])
        if (e["event_name"] or "").lower() in BOOKKEEPING:
            continue
        by_key[key].append(e)
    out = []
    for key, evs in by_key.items():
        segment = first_device.get(key, (None, "unknown"))[1]
        if device is not None and segment.lower() != device.lower():
            continue
        evs.sort(key=lambda e: e["event_time"])
        views = [e for e in evs
                 if e["event_type"] == "view" or (e["event_name"] or "").lower() in PAGE_VIEWS]  # fmt: skip
        with_product = [e for e in views if e["product_id"] is not None]
        purchases = [e for e in evs if e["event_type"] == "purchase"]
        out.append(
            {
                "page": f"product {with_product[0]['product_id']}" if with_product else "(no view)",
                "first_date": min(e["local_date"] for e in evs),
                "bounced": len(evs) == 1 and len(views) == 1,
                "purchased": bool(purchases),
                "revenue": sum(
                    float(e["revenue"] if e["revenue"] is not None else e["price"] or 0)
                    for e in purchases
                ),  # fmt: skip
            }
        )
    return out


def assert_landing_pages(table, events, period: DateRange, device: str | None) -> None:
    """Every figure of a landing-page table from events against the sessions in Python."""
    sessions = _sessions(events, period, device)
    if not sessions:
        assert table.frame.empty
        return
    assert table.source == "events"
    pages: dict[str, dict[str, float]] = defaultdict(
        lambda: {"sessions": 0, "bounced": 0, "conversions": 0, "revenue": 0.0}
    )
    for s in sessions:
        p = pages[s["page"]]
        p["sessions"] += 1
        p["bounced"] += s["bounced"]
        p["conversions"] += s["purchased"]
        p["revenue"] += s["revenue"]
    order = sorted(pages, key=lambda page: (-pages[page]["sessions"], page))
    assert list(table.frame["landing_page"]) == order  # most sessions first, then by name
    for r in table.frame.to_dict("records"):
        p = pages[r["landing_page"]]
        assert r["sessions"] == p["sessions"], r["landing_page"]
        assert r["bounced_sessions"] == p["bounced"], r["landing_page"]
        assert r["conversions"] == p["conversions"], r["landing_page"]
        assert r["revenue"] == pytest.approx(p["revenue"]), r["landing_page"]
        assert r["rpv"] == pytest.approx(p["revenue"] / p["sessions"]), r["landing_page"]
    first_dates = [s["first_date"] for s in sessions]
    days = (max(first_dates) - min(first_dates)).days + 1 if first_dates else 0
    assert table.days == days


@pytest.mark.parametrize("device", [None, "MOBILE"])
def test_landing_pages_from_events_against_python(random_store, device) -> None:
    db, _orders_, _lines, events = random_store
    filters = OrderFilters(segment_dimension="device", segment_value=device) if device else (
        OrderFilters())  # fmt: skip
    table = landing_pages(db, Scope(WEEK, "none", filters), source="events")
    pages = {s["page"]: s for s in _sessions(events, WEEK, device)}
    assert "(no view)" in pages and any(s["bounced"] for s in _sessions(events, WEEK, device))
    assert_landing_pages(table, events, WEEK, device)
