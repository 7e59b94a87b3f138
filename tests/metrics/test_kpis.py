"""KPIs on a small synthetic Shopify store loaded through the real importer.

Expected values are worked out by hand from the orders in conftest.STORE_ORDERS (a week that
contains the March 2024 daylight-saving change, refunds, cancelled, voided, draft, test and
point-of-sale orders) and 100 sessions / 80 visitors a day of traffic.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from ro_core.metrics import (
    CR_BASIS_CONVERTED,
    CR_BASIS_ORDERS,
    DateRange,
    OrderFilters,
    kpi_values,
    kpis,
)
from tests.metrics.conftest import DST_WEEK, insert_canonical, traffic_row

WEEK = DateRange(*DST_WEEK)


def test_default_filters_hand_calculation(small_store) -> None:
    k = kpi_values(small_store, WEEK)
    # Counted: #1001 100, #1002 50, #1005 40 (pos), #1006 30 (23:30 local on the DST Sunday).
    assert k.orders == 4
    assert k.revenue == pytest.approx(220.0)
    assert k.aov == pytest.approx(55.0)
    # Online (web) only: #1001, #1002, #1006.
    assert k.online_orders == 3
    assert k.online_revenue == pytest.approx(180.0)
    assert k.sessions == 700 and k.visitors == 560
    assert k.conversion_rate_basis == CR_BASIS_ORDERS
    assert k.conversion_rate == pytest.approx(3 / 700)
    assert k.revenue_per_session == pytest.approx(180 / 700)
    assert k.revenue_per_visitor == pytest.approx(180 / 560)
    assert k.online_aov == pytest.approx(60.0)


def test_rpv_equals_cr_times_aov_exactly_when_cr_is_orders_per_session(small_store) -> None:
    for basis in ("total", "net", "product"):
        k = kpi_values(small_store, WEEK, OrderFilters(revenue_basis=basis))
        assert k.conversion_rate_basis == CR_BASIS_ORDERS
        assert math.isclose(k.revenue_per_session, k.conversion_rate * k.online_aov, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("filters", "orders", "revenue"),
    [
        # net of refunds: #1002 had 20 refunded
        (OrderFilters(revenue_basis="net"), 4, 100 + 30 + 40 + 30),
        # product sales (subtotal): 90 + 45 + 40 + 30
        (OrderFilters(revenue_basis="product"), 4, 205),
        # cancelled/voided in: + #1003 80 + #1008 25
        (OrderFilters(exclude_cancelled=False), 6, 220 + 80 + 25),
        # test and draft in: + #1004 60 (draft) + #1009 35 (tag test)
        (OrderFilters(exclude_test=False), 6, 220 + 60 + 35),
    ],
)
def test_filter_switches(small_store, filters, orders, revenue) -> None:
    k = kpi_values(small_store, WEEK, filters)
    assert k.orders == orders
    assert k.revenue == pytest.approx(revenue)


def test_online_channels_switch(small_store) -> None:
    every = kpi_values(small_store, WEEK, OrderFilters(online_channels=None))
    assert every.online_orders == 4 and every.online_revenue == pytest.approx(220)
    assert every.conversion_rate == pytest.approx(4 / 700)
    pos_only = kpi_values(small_store, WEEK, OrderFilters(online_channels=("pos",)))
    assert pos_only.online_orders == 1


def test_utc_offset_override_moves_late_orders(small_store) -> None:
    # At UTC, #1006 (2024-03-10 23:30 -0400) falls on 2024-03-11, out of the week.
    k = kpi_values(small_store, WEEK, OrderFilters(utc_offset_minutes=0))
    assert k.orders == 3
    assert k.revenue == pytest.approx(190)


def test_previous_and_year_comparison(small_store) -> None:
    result = kpis(small_store, WEEK, compare="previous")
    prev = result.comparison
    assert prev.period == DateRange(date(2024, 2, 26), date(2024, 3, 3))
    assert prev.orders == 2 and prev.revenue == pytest.approx(200)
    assert prev.sessions == 700
    change = result.changes["revenue"]
    assert change.absolute == pytest.approx(20)
    assert change.relative == pytest.approx(0.1)
    assert result.changes["conversion_rate"].absolute == pytest.approx(3 / 700 - 2 / 700)

    year = kpis(small_store, WEEK, compare="year")
    assert year.comparison.period == DateRange(date(2023, 3, 4), date(2023, 3, 10))
    # No orders or traffic a year earlier: None, never 0 or NaN.
    assert year.comparison.orders is None and year.comparison.sessions is None
    assert year.changes["revenue"].absolute is None
    assert year.changes["conversion_rate"].relative is None
    data = year.to_dict()
    for key in ("sessions", "orders", "revenue", "conversion_rate", "aov", "rpv"):
        assert key in data
    assert kpis(small_store, WEEK, compare=None).comparison is None


def test_traffic_only_partly_covering_the_range(small_store) -> None:
    # Traffic ends 2024-03-17; orders to 2024-03-12. Range to 2024-03-24.
    k = kpi_values(small_store, DateRange(date(2024, 3, 11), date(2024, 3, 24)))
    assert k.online_range == DateRange(date(2024, 3, 11), date(2024, 3, 17))
    assert k.sessions == 700
    assert k.online_orders == 2  # #1007 and #1010 (refunded, but total basis)
    assert any("covers 7 of the 14 days" in n for n in k.notes)


def test_weekly_traffic_counts_only_whole_weeks_inside(db, load_orders) -> None:
    from tests.metrics.conftest import STORE_ORDERS

    load_orders(STORE_ORDERS)
    insert_canonical(
        db,
        "traffic",
        [
            traffic_row(date(2024, 2, 26), grain="week", sessions=500.0, converted_sessions=5.0),
            traffic_row(date(2024, 3, 4), grain="week", sessions=600.0, converted_sessions=6.0),
            traffic_row(date(2024, 3, 11), grain="week", sessions=700.0, converted_sessions=7.0),
        ],
    )
    # 2024-03-06..2024-03-17: only the week of 03-11 lies fully inside.
    k = kpi_values(db, DateRange(date(2024, 3, 6), date(2024, 3, 17)))
    assert k.traffic.grain == "week" and len(k.traffic.periods) == 1
    assert k.online_range == DateRange(date(2024, 3, 11), date(2024, 3, 17))
    assert k.sessions == 700
    assert k.conversion_rate_basis == CR_BASIS_CONVERTED
    assert k.conversion_rate == pytest.approx(7 / 700)
    assert k.online_orders == 2
    # Orders KPIs still cover the whole range asked for: #1005 (pos, 03-08), #1006 (03-10),
    # #1007 and #1010.
    assert k.orders == 4
    assert k.revenue == pytest.approx(40 + 30 + 70 + 200)


def test_sources_are_never_mixed(small_store) -> None:
    insert_canonical(
        small_store,
        "traffic",
        [traffic_row(d, source="ga4", sessions=1000.0) for d in (date(2024, 3, 4),)],
    )
    k = kpi_values(small_store, WEEK)
    assert k.traffic.source == "shopify"  # orders are Shopify's
    assert k.sessions == 700
    forced = kpi_values(small_store, WEEK, OrderFilters(traffic_source="ga4"))
    assert forced.sessions == 1000 and forced.traffic.source == "ga4"


def test_no_traffic(db, load_orders) -> None:
    from tests.metrics.conftest import STORE_ORDERS

    load_orders(STORE_ORDERS)
    k = kpi_values(db, WEEK)
    assert k.orders == 4 and k.sessions is None
    assert k.conversion_rate is None and k.revenue_per_session is None
    assert k.online_orders == 3


def test_empty_database(db) -> None:
    k = kpis(db, WEEK)
    assert k.current.orders is None and k.current.sessions is None
    assert all(c.absolute is None for c in k.changes.values())
