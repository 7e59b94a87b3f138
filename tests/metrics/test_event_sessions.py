"""Event sessions from the per (session, day) sums (ro_core.metrics.event_sessions) against the
sessions written out in Python: every period of the seeded store (sessions across midnight, a
session id seen again days later, bookkeeping events, page views without a product, devices
missing or known only from a bookkeeping event), with and without a device segment; and the
landing-page table from them equal to the direct query's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ro_core.metrics import event_sessions as event_sessions_module
from ro_core.metrics.engagement import event_engagement
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.event_sessions import event_sessions, session_days
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.landing_pages import landing_pages
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.metrics.versioned import is_remembered
from ro_core.store import schema
from tests.metrics.conftest import insert_canonical
from tests.metrics.test_products_landing_truth import (
    _event,
    _sessions,
    assert_landing_pages,
    load_product_store,
)

D = datetime(2024, 3, 7, tzinfo=UTC)
H = timedelta(hours=1)
DEVICES = [None, "mobile", "Desktop", "tablet", "UNKNOWN"]


def _device_events() -> list[dict]:
    """Sessions whose device is missing, changes across midnight, or is known only from a
    bookkeeping event on a day without actions."""
    book = {"name": "session_start"}
    return [
        # n1: a bookkeeping event without a device late on the 7th, then a tablet view after
        # midnight and a desktop cart: its device is 'tablet' over any period
        _event(D + 23.8 * H, "n1", "u80", "other", device=None, **book),
        _event(D + 24.2 * H, "n1", "u80", "view", "W-1", device="Tablet"),
        _event(D + 24.3 * H, "n1", "u80", "cart", "W-1", device="Desktop"),
        # n2: no device at all ('unknown'), a page view without a product then a purchase
        _event(D + 10 * H, "n2", "u81", "other", device=None, name="page_view"),
        _event(D + 10.1 * H, "n2", "u81", "purchase", "G-2", price="7.25", device=None),
        # n3: the device only on a bookkeeping event of the 7th; its actions on the 8th
        _event(D + 23.9 * H, "n3", "u82", "other", device="Desktop", **book),
        _event(D + 24.5 * H, "n3", "u82", "view", "e-100", device=None),
        # a user without a session id on two days: two sessions (user and day)
        _event(D + 5 * H, None, "u83", "view", "W-1", device=None),
        _event(D + 29 * H, None, "u83", "view", "G-2", device="Mobile"),
    ]


@pytest.fixture
def device_store(db):
    db, orders, lines, events = load_product_store(db)
    extra = _device_events()
    insert_canonical(db, schema.KIND_EVENTS, extra)
    return db, events + extra


def _periods(events) -> list[DateRange]:
    days = sorted({e["local_date"] for e in events})
    first, last = days[0] - timedelta(days=1), days[-1] + timedelta(days=1)
    span = (last - first).days + 1
    starts = [first + timedelta(days=i) for i in range(span)]
    return [
        DateRange(start, min(start + timedelta(days=length - 1), last))
        for start in starts
        for length in (1, 2, 3, 7, span)
    ]


def _as_python(sessions) -> list[tuple]:
    pages = ["(no view)" if p < 0 else f"product {sessions.products[p]}" for p in sessions.product]
    first = [date(1970, 1, 1) + timedelta(days=int(d)) for d in sessions.first_day]
    return sorted(
        (page, day, bool(b), bool(n > 0), round(c / 100, 2))
        for page, day, b, n, c in zip(
            pages, first, sessions.bounced, sessions.purchases, sessions.cents, strict=True
        )
    )


def test_every_period_and_device_against_python(device_store) -> None:
    db, events = device_store
    assert session_days(db) is session_days(db)  # read once per data version
    for period in _periods(events):
        for device in DEVICES:
            filters = OrderFilters(segment_dimension="device", segment_value=device) if (
                device) else OrderFilters()  # fmt: skip
            found = _as_python(session_days(db).sessions(period, filters))
            expected = sorted(
                (s["page"], s["first_date"], s["bounced"], s["purchased"], round(s["revenue"], 2))
                for s in _sessions(events, period, device)
            )
            assert found == expected, (period, device)


def test_device_rules_by_hand(db) -> None:
    """The sessions of _device_events alone, counted by hand."""
    insert_canonical(db, schema.KIND_EVENTS, _device_events())

    def found(start: int, end: int, device: str | None = None) -> list[tuple]:
        filters = OrderFilters(segment_dimension="device", segment_value=device) if (
            device) else OrderFilters()  # fmt: skip
        period = DateRange(date(2024, 3, start), date(2024, 3, end))
        return _as_python(session_days(db).sessions(period, filters))

    seventh, eighth = date(2024, 3, 7), date(2024, 3, 8)
    n1 = ("product W-1", eighth, False, False, 0.0)  # its actions are on the 8th
    n2 = ("(no view)", seventh, False, True, 7.25)  # a page view, a purchase at its price
    n3 = ("product e-100", eighth, True, False, 0.0)  # one view: a bounce
    u83_7 = ("product W-1", seventh, True, False, 0.0)
    u83_8 = ("product G-2", eighth, True, False, 0.0)
    assert found(7, 8) == sorted([n1, n2, n3, u83_7, u83_8])
    assert found(7, 7) == sorted([n2, u83_7])  # n1 and n3 have no action on the 7th
    # n1 is a tablet session over both days and over the 8th alone
    assert found(7, 8, "tablet") == [n1] and found(8, 8, "TABLET") == [n1]
    # n3's device is on the 7th only: Desktop over both days, unknown over the 8th
    assert found(7, 8, "desktop") == [n3] and found(8, 8, "desktop") == []
    assert found(8, 8, "unknown") == [n3]
    assert found(7, 8, "unknown") == sorted([n2, u83_7])
    assert found(7, 8, "mobile") == [u83_8]


def test_segment_events_cannot_tell_gives_no_sessions(device_store) -> None:
    db, _events = device_store
    filters = OrderFilters(segment_dimension="customer_type", segment_value="new")
    assert filters.has_segment and filters.segment_event_dimension is None
    week = DateRange(date(2024, 3, 4), date(2024, 3, 10))
    assert len(session_days(db).sessions(week, filters).first_day) == 0


@pytest.mark.parametrize("device", [None, "mobile", "unknown"])
def test_landing_pages_same_by_both_plans(device_store, device, monkeypatch) -> None:
    """The table from the per-day sums (a long period) equals the direct query's and the
    Python sessions; a short period reads the sums only once they are kept."""
    db, events = device_store
    filters = OrderFilters(segment_dimension="device", segment_value=device) if device else (
        OrderFilters())  # fmt: skip
    period = DateRange(date(2024, 2, 20), date(2024, 3, 31))
    scope = Scope(period, "none", filters)
    monkeypatch.setattr(event_sessions_module, "ROLLUP_FROM_DAYS", 10**6)
    direct = landing_pages(db, scope, source="events")
    assert not is_remembered(db, event_sessions_module._KEY)
    monkeypatch.setattr(event_sessions_module, "ROLLUP_FROM_DAYS", 0)
    rolled = landing_pages(db, scope, source="events")
    assert is_remembered(db, event_sessions_module._KEY)
    assert_landing_pages(direct, events, period, device)
    assert_landing_pages(rolled, events, period, device)
    assert rolled.frame.equals(direct.frame) and rolled.days == direct.days
    monkeypatch.setattr(event_sessions_module, "ROLLUP_FROM_DAYS", 10**6)
    week = DateRange(date(2024, 3, 4), date(2024, 3, 10))
    assert event_sessions(db, week, filters) is not None  # kept: a short period uses them too


@pytest.mark.parametrize("device", [None, "desktop", "unknown"])
def test_event_bounce_same_by_both_plans(device_store, device, monkeypatch) -> None:
    """The events' bounce rate (on the Overview) never reads the sums itself, and equals the
    Python sessions' before and after a long period's page read them."""
    db, events = device_store
    filters = OrderFilters(segment_dimension="device", segment_value=device) if device else (
        OrderFilters())  # fmt: skip
    periods = (DateRange(date(2024, 2, 1), date(2024, 6, 30)),
               DateRange(date(2024, 3, 7), date(2024, 3, 8)))  # fmt: skip
    monkeypatch.setattr(event_sessions_module, "ROLLUP_FROM_DAYS", 0)

    def check(period: DateRange) -> None:
        found = event_engagement(db, period, filters)
        sessions = _sessions(events, period, device)
        first = min(s["first_date"] for s in sessions)
        last = max(s["first_date"] for s in sessions)
        assert found.sessions == len(sessions)
        assert found.bounced_sessions == sum(s["bounced"] for s in sessions)
        assert found.note.startswith(f"Event data, {first} to {last}:")

    for period in periods:
        check(period)
    assert not is_remembered(db, event_sessions_module._KEY)
    session_days(db)  # as the landing-page or funnel page reads them for a long period
    for period in periods:
        check(period)


def test_a_store_too_big_for_the_sums_keeps_the_direct_query(device_store, monkeypatch) -> None:
    db, events = device_store
    long = DateRange(date(2024, 2, 1), date(2024, 6, 30))
    monkeypatch.setattr(event_sessions_module, "MAX_EVENTS", len(events) - 1)
    assert event_sessions(db, long) is None and not is_remembered(db, event_sessions_module._KEY)
    assert_landing_pages(
        landing_pages(db, Scope(long, "none"), source="events"), events, long, None
    )
    monkeypatch.setattr(event_sessions_module, "MAX_EVENTS", len(events))
    assert event_sessions(db, long) is not None


def test_a_store_without_events_reads_empty_sums(db, monkeypatch) -> None:
    monkeypatch.setattr(event_sessions_module, "ROLLUP_FROM_DAYS", 0)
    year = DateRange(date(2024, 1, 1), date(2024, 12, 31))
    found = event_sessions(db, year)
    assert found is not None and len(found.first_day) == 0 and found.first_dates() == (None, None)
    assert landing_pages(db, Scope(year, "none"), source="events").frame.empty
    assert event_engagement(db, year) is None
    result = event_funnel(db, year)
    assert result.steps == () and result.note.startswith("No funnel events")
