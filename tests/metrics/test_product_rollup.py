"""The product table's per-day rollups (ro_core.metrics.product_rollup): read once per data
version and order filters, refreshed by an import, and giving what the direct queries give (the
plan a store engine runs) and what plain Python gives over every row.

The store and the rules written out again come from test_products_landing_truth.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from ro_core.metrics import product_rollup
from ro_core.metrics import products as products_module
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.products import products
from ro_core.metrics.scope import Scope
from ro_core.store import schema
from tests.metrics.conftest import insert_canonical
from tests.metrics.test_products_landing_truth import (
    WEEK,
    _event,
    assert_product_table,
    load_product_store,
)

MID = DateRange(date(2024, 3, 6), date(2024, 3, 12))  # starts mid-week, ends past the data


@pytest.fixture
def product_store(db):
    return load_product_store(db)


FEB, MAR = (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 3, 1), date(2024, 3, 31))


@pytest.fixture
def reads(monkeypatch) -> dict[str, list]:
    """The runs of months each rollup reads from the database ((first day, last day) each),
    and the runs of months whose pairs of days across months are read."""
    runs: dict[str, list] = {"orders": [], "events": [], "across": []}
    read_orders, read_events = product_rollup._read_order_run, product_rollup._read_event_run
    read_across = product_rollup._read_across

    def orders(db, filters, run):
        runs["orders"].append((run.start, run.end))
        return read_orders(db, filters, run)

    def events(db, run):
        runs["events"].append((run.start, run.end))
        return read_events(db, run)

    def across(db, window):
        runs["across"].append((window.start, window.end))
        return read_across(db, window)

    monkeypatch.setattr(product_rollup, "_read_order_run", orders)
    monkeypatch.setattr(product_rollup, "_read_event_run", events)
    monkeypatch.setattr(product_rollup, "_read_across", across)
    return runs


def test_each_month_read_once_per_data_version_and_an_import_refreshes(
    product_store, reads
) -> None:
    db, orders, lines, events = product_store
    for period in (WEEK, MID, WEEK):
        scope = Scope(period, "previous", OrderFilters())
        assert_product_table(products(db, scope), orders, lines, events, scope)
    # March for the week, February for its comparison (26 Feb - 3 Mar); events: March only (no
    # pairs of days across months to read)
    assert reads == {"orders": [MAR, FEB], "events": [MAR], "across": []}

    # a new import: an order of Widget and Gizmo on a day of the week and a session that views
    # and carts Widget across midnight into the week's last day
    order = {"order_id": "n0001", "order_name": "#9001",
             "created_at": datetime(2024, 3, 10, 12, tzinfo=UTC), "utc_offset_minutes": 0,
             "local_date": date(2024, 3, 10), "currency": "USD", "total": Decimal("40.00"),
             "financial_status": "paid", "cancelled": False, "source": "web", "channel": "web",
             "is_test": False, "country": "US"}  # fmt: skip
    new_lines = [
        {"order_id": "n0001", "line_number": 1, "product": "Widget", "sku": "W-1",
         "quantity": 2, "price": Decimal("10.00"), "discount": None},
        {"order_id": "n0001", "line_number": 2, "product": "Gizmo", "sku": None,
         "quantity": 1, "price": Decimal("19.99"), "discount": Decimal("1.25")},
    ]  # fmt: skip
    late = datetime(2024, 3, 9, 23, 55, tzinfo=UTC)
    new_events = [
        _event(late, "n1", "u93", "view", "W-1"),
        _event(late + timedelta(minutes=10), "n1", "u93", "view", "W-1"),
        _event(late + timedelta(minutes=11), "n1", "u93", "cart", "W-1"),
    ]
    insert_canonical(db, schema.KIND_ORDERS, [order])
    insert_canonical(db, schema.KIND_ORDER_LINES, new_lines)
    insert_canonical(db, schema.KIND_EVENTS, new_events)
    orders, lines, events = [*orders, order], [*lines, *new_lines], [*events, *new_events]
    for period in (WEEK, DateRange(date(2024, 3, 10), date(2024, 3, 10))):
        scope = Scope(period, "previous", OrderFilters())
        assert_product_table(products(db, scope), orders, lines, events, scope)
    assert reads == {"orders": [MAR, FEB, MAR, FEB], "events": [MAR, MAR], "across": []}


def test_a_longer_period_reads_only_the_months_not_read_yet(product_store, reads) -> None:
    """Months outside the data are never read; months read together count as one run."""
    db, orders, lines, events = product_store
    short = Scope(DateRange(date(2024, 3, 5), date(2024, 3, 7)), "none", OrderFilters())
    assert_product_table(products(db, short), orders, lines, events, short)
    assert reads["orders"] == [MAR] and reads["events"] == [MAR]
    year = Scope(DateRange(date(2023, 6, 1), date(2024, 12, 31)), "previous", OrderFilters())
    assert_product_table(products(db, year), orders, lines, events, year)
    # the store's orders run from 26 February to 17 March, its events from 27 February
    assert reads["orders"] == [MAR, FEB] and reads["events"] == [MAR, FEB]
    assert reads["across"] == [(FEB[0], MAR[1])]
    all_orders = OrderFilters(exclude_test=False)
    products(db, Scope(DateRange(date(2024, 2, 20), date(2024, 3, 20)), "none", all_orders))
    assert reads["orders"] == [MAR, FEB, (FEB[0], MAR[1])]  # two months, one statement


FILTERS = {
    "cancelled and test orders too": OrderFilters(exclude_cancelled=False, exclude_test=False),
    "dates at UTC-13 (noon UTC is the day before)": OrderFilters(utc_offset_minutes=-780),
    "orders shipped to Germany": OrderFilters(segment_dimension="country", segment_value="de"),
    "a currency no order has": OrderFilters(currency="EUR"),
    "net revenue, traffic source forced": OrderFilters(revenue_basis="net", traffic_source="ga4"),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_filters_against_python(product_store, name) -> None:
    db, orders, lines, events = product_store
    for period in (WEEK, MID):
        scope = Scope(period, "previous", FILTERS[name])
        assert_product_table(products(db, scope), orders, lines, events, scope)


def test_a_session_segment_gives_the_whole_stores_products(product_store, reads) -> None:
    """Orders carry no device: the table is the whole store's (and reuses its rollup)."""
    db, orders, lines, events = product_store
    products(db, Scope(WEEK, "previous", OrderFilters()))
    device = OrderFilters(segment_dimension="device", segment_value="Mobile")
    table = products(db, Scope(WEEK, "previous", device))
    assert any("carry no device" in note for note in table.notes)
    assert_product_table(table, orders, lines, events, Scope(WEEK, "previous", OrderFilters()))
    assert reads == {"orders": [MAR, FEB], "events": [MAR], "across": []}


def test_filters_that_do_not_change_order_lines_share_a_rollup(product_store, reads) -> None:
    db, *_ = product_store
    for filters in (OrderFilters(), FILTERS["net revenue, traffic source forced"],
                    OrderFilters(online_channels=None)):  # fmt: skip
        products(db, Scope(WEEK, "previous", filters))
    assert reads["orders"] == [MAR, FEB]
    products(db, Scope(WEEK, "previous", FILTERS["orders shipped to Germany"]))
    assert reads["orders"] == [MAR, FEB, MAR, FEB]


def test_dates_at_another_offset_two_days_before_the_exported_first(db) -> None:
    """The store's first order, 00:30 on 10 March at UTC+14, is 20:30 on 8 March at UTC-14:
    a period of 8 March holds it (the months read reach past the exported dates)."""
    order = {"order_id": "e1", "order_name": "#1", "created_at": datetime(2024, 3, 9, 10, 30,
             tzinfo=UTC), "utc_offset_minutes": 840, "local_date": date(2024, 3, 10),
             "currency": "USD", "total": Decimal("10.00"), "financial_status": "paid",
             "cancelled": False, "source": "web", "channel": "web", "is_test": False,
             "country": "NZ"}  # fmt: skip
    line = {"order_id": "e1", "line_number": 1, "product": "Widget", "sku": "W-1",
            "quantity": 1, "price": Decimal("10.00"), "discount": None}  # fmt: skip
    insert_canonical(db, schema.KIND_ORDERS, [order])
    insert_canonical(db, schema.KIND_ORDER_LINES, [line])
    far_west = OrderFilters(utc_offset_minutes=-840)
    for day in (date(2024, 3, 8), date(2024, 3, 10)):
        scope = Scope(DateRange(day, day), "none", far_west)
        assert_product_table(products(db, scope), [order], [line], [], scope)
    only = products(db, Scope(DateRange(date(2024, 3, 8), date(2024, 3, 8)), "none", far_west))
    assert list(only.frame["product"]) == ["Widget"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("product").reset_index(drop=True)


@pytest.mark.parametrize("filters", [OrderFilters(), FILTERS["dates at UTC-13 (noon UTC is "
                                                             "the day before)"]])  # fmt: skip
def test_the_direct_queries_give_the_same_table(product_store, monkeypatch, filters) -> None:
    """The plan a store engine runs (no rollup) and the rollup's sums agree on every column."""
    db, *_ = product_store
    periods = [WEEK, MID, DateRange(date(2024, 3, 7), date(2024, 3, 7)),
               DateRange(date(2023, 1, 1), date(2023, 1, 31))]  # fmt: skip
    scopes = [Scope(p, "previous", filters) for p in periods]
    assert product_rollup.uses_rollup(db)
    with_rollup = [products(db, s) for s in scopes]
    monkeypatch.setattr(products_module, "uses_rollup", lambda db: False)
    for scope, rolled in zip(scopes, with_rollup, strict=True):
        direct = products(db, scope)
        assert direct.notes == rolled.notes
        assert direct.has_events == rolled.has_events
        pd.testing.assert_frame_equal(
            _sorted(rolled.frame), _sorted(direct.frame), check_exact=False, rtol=1e-12
        )
    assert not with_rollup[-1].has_events and with_rollup[-1].frame.empty  # before the store
