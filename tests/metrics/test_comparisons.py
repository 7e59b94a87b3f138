"""Comparisons (issue 10, "What was seen" 3 and 5): calendar-aware periods, changes only on the
days both sides have data for, one CR definition on both sides, and a waterfall that explains
the headline's change with the cards' CR."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from ro_core.metrics.catalog import KPI_CARD_METRICS
from ro_core.metrics.decomposition import explain_change
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, CR_BASIS_ORDERS, compare_kpis
from ro_core.metrics.periods import PRESET_LABELS, DateRange, presets
from ro_core.metrics.scope import Scope
from ro_core.store import schema
from tests.metrics.conftest import insert_canonical, shopify_order, traffic_row

D = date


# --- calendar-aware periods -----------------------------------------------------------------------
def test_previous_period_of_a_calendar_year_is_the_year_before() -> None:
    # was 2022-12-31 .. 2023-12-31 (366 days back from a leap year)
    assert Scope(DateRange(D(2024, 1, 1), D(2024, 12, 31))).comparison == DateRange(
        D(2023, 1, 1), D(2023, 12, 31)
    )


def test_last_month_is_compared_with_the_whole_month_before() -> None:
    last_month = presets(D(2024, 10, 14))["last_month"]
    assert last_month == DateRange(D(2024, 9, 1), D(2024, 9, 30))
    # was 2 August .. 31 August (30 days back)
    assert Scope(last_month, preset="last_month").comparison == DateRange(
        D(2024, 8, 1), D(2024, 8, 31)
    )
    march = Scope(DateRange(D(2024, 3, 1), D(2024, 3, 31))).comparison
    assert march == DateRange(D(2024, 2, 1), D(2024, 2, 29))


def test_to_date_presets_compare_the_same_days_before() -> None:
    anchor = D(2024, 10, 14)
    ranges = presets(anchor)
    ytd = Scope(ranges["year_to_date"], preset="year_to_date")
    # was an arbitrary run of 288 days ending 2023-12-31
    assert ytd.comparison == DateRange(D(2023, 1, 1), D(2023, 10, 14))
    month = Scope(ranges["this_month"], preset="this_month")
    assert month.comparison == DateRange(D(2024, 9, 1), D(2024, 9, 14))
    quarter = Scope(ranges["this_quarter"], preset="this_quarter")  # same days as this_month
    assert quarter.period == month.period
    assert quarter.comparison == DateRange(D(2024, 7, 1), D(2024, 7, 14))


def test_new_presets_exist_and_are_whole_calendar_units() -> None:
    ranges = presets(D(2024, 10, 14))
    assert {"last_year", "last_12_months", "this_quarter", "last_quarter"} <= set(PRESET_LABELS)
    assert ranges["last_year"] == DateRange(D(2023, 1, 1), D(2023, 12, 31))
    assert ranges["last_12_months"] == DateRange(D(2023, 10, 1), D(2024, 9, 30))
    assert ranges["last_quarter"] == DateRange(D(2024, 7, 1), D(2024, 9, 30))
    assert Scope(ranges["last_12_months"]).comparison == DateRange(D(2022, 10, 1), D(2023, 9, 30))


# --- a store with orders from a later start, and converted sessions only in the current period ----
START_ORDERS = D(2024, 1, 10)  # orders were exported from 10 January only


@pytest.fixture
def store(db, load_orders):
    """Daily web orders 2024-01-10 .. 2024-02-29 (one a day worth 100 in January, two a day worth
    60 each in February); daily Shopify traffic 1 January .. 29 February, 200 sessions a day,
    with converted sessions (3 a day) reported in February only."""
    orders = []
    day = START_ORDERS
    while day <= D(2024, 2, 29):
        if day.month == 1:
            orders.append(shopify_order(f"#{day:%m%d}a", f"{day} 12:00:00 -0500", "100.00"))
        else:
            for k in "ab":
                orders.append(shopify_order(f"#{day:%m%d}{k}", f"{day} 12:00:00 -0500", "60.00"))
        day += timedelta(days=1)
    load_orders(orders)
    rows = []
    day = D(2024, 1, 1)
    while day <= D(2024, 2, 29):
        values = {"sessions": 200.0}
        if day.month == 2:
            values["converted_sessions"] = 3.0
        rows.append(traffic_row(day, **values))
        day += timedelta(days=1)
    insert_canonical(db, schema.KIND_TRAFFIC, rows, file_format="shopify_analytics")
    return db


def test_changes_cover_only_the_days_both_sides_have_orders(store) -> None:
    scope = Scope(DateRange(D(2024, 2, 1), D(2024, 2, 29)), "previous")
    assert scope.comparison == DateRange(D(2024, 1, 1), D(2024, 1, 31))
    result = compare_kpis(store, scope)
    orders = result.compared["orders"]
    # January's orders start on the 10th: both months are cut to day 10 onwards.
    assert orders.cut
    assert orders.current == DateRange(D(2024, 2, 10), D(2024, 2, 29))
    assert orders.comparison == DateRange(D(2024, 1, 10), D(2024, 1, 29))
    assert "compare the 20 days" in orders.note
    revenue = result.changes["revenue"]
    assert (revenue.current, revenue.base) == (20 * 2 * 60.0, 20 * 100.0)
    assert revenue.relative == pytest.approx(2400 / 2000 - 1)
    # the card's own value stays the whole month
    assert result.current.revenue == 29 * 2 * 60.0
    # traffic covers both months entirely: sessions compare whole months
    assert not result.compared["traffic"].cut
    assert result.changes["sessions"].base == 31 * 200


def test_both_sides_use_one_cr_definition(store) -> None:
    feb = DateRange(D(2024, 2, 1), D(2024, 2, 29))
    alone = compare_kpis(store, Scope(feb, "none"))
    assert alone.current.conversion_rate_basis == CR_BASIS_CONVERTED  # Shopify's own
    assert alone.current.conversion_rate == pytest.approx(3 / 200)
    result = compare_kpis(store, Scope(feb, "previous"))
    # January reports no converted sessions: both sides are online orders / sessions
    assert result.cr_basis == CR_BASIS_ORDERS
    assert result.current.conversion_rate == pytest.approx(58 / (29 * 200))
    now, before = result.pairs["both"]
    assert now.conversion_rate_basis == before.conversion_rate_basis == CR_BASIS_ORDERS
    cr = result.changes["conversion_rate"]
    assert (cr.current, cr.base) == (pytest.approx(40 / 4000), pytest.approx(20 / 4000))
    assert any("both sides" in n for n in result.notes)


def test_the_waterfall_explains_the_headline_change_with_the_cards_cr(store) -> None:
    feb = DateRange(D(2024, 2, 1), D(2024, 2, 29))
    result = compare_kpis(store, Scope(feb, "previous"))
    dec = explain_change(result)
    revenue = result.changes["revenue"]
    # starts at the headline's comparison revenue and ends at its current revenue
    assert (dec.revenue_base, dec.revenue_current) == (revenue.base, revenue.current)
    assert math.isclose(sum(dec.contributions.values()), dec.change, abs_tol=1e-9)
    # by hand: 4000 sessions both sides; CR 20/4000 -> 40/4000; AOV 100 -> 60; V 2000 -> 2400
    weight = (2400 - 2000) / (math.log(2400) - math.log(2000))
    assert dec.contributions["traffic"] == pytest.approx(0.0, abs=1e-9)
    assert dec.contributions["conversion_rate"] == pytest.approx(weight * math.log(2))
    assert dec.contributions["aov"] == pytest.approx(weight * math.log(0.6))
    assert dec.contributions["other"] == pytest.approx(0.0, abs=1e-9)
    # the CR part has the sign of the card's CR change
    assert math.copysign(1, dec.contributions["conversion_rate"]) == math.copysign(
        1, result.changes["conversion_rate"].absolute
    )


def test_converted_sessions_on_both_sides_keep_shopifys_cr_in_the_waterfall(db, load_orders):
    orders = [
        shopify_order(f"#{i}", f"2024-03-{i:02d} 12:00:00 -0500", "50.00") for i in range(1, 15)
    ]
    orders += [shopify_order("#99", "2024-03-10 13:00:00 -0500", "50.00")]  # 2 orders, 1 session
    load_orders(orders)
    rows = [
        traffic_row(D(2024, 3, i), sessions=100.0, converted_sessions=1.0 if i <= 7 else 2.0)
        for i in range(1, 15)
    ]
    insert_canonical(db, schema.KIND_TRAFFIC, rows, file_format="shopify_analytics")
    week = DateRange(D(2024, 3, 8), D(2024, 3, 14))
    result = compare_kpis(db, Scope(week, "previous"))
    assert result.cr_basis == CR_BASIS_CONVERTED
    assert result.changes["conversion_rate"].relative == pytest.approx(1.0)  # 7 -> 14 of 700
    dec = explain_change(result)
    # revenue 350 -> 400: CR doubled (x2), revenue per converted session 50 -> 400/14
    weight = (400 - 350) / (math.log(400) - math.log(350))
    assert dec.contributions["conversion_rate"] == pytest.approx(weight * math.log(2))
    assert dec.contributions["aov"] == pytest.approx(weight * math.log((400 / 14) / 50))
    labels = dict(zip(dec.factors["factor"], dec.factors["label"], strict=True))
    assert labels["aov"] == "Revenue per converted session"
    assert any("converted session" in n for n in dec.notes)


def test_every_card_change_is_on_named_days(store) -> None:
    result = compare_kpis(store, Scope(DateRange(D(2024, 2, 1), D(2024, 2, 29)), "previous"))
    for key in KPI_CARD_METRICS:
        assert result.changes[key].days is not None, key


# --- defaults (issue 10, "What was seen" 7) -------------------------------------------------------
def test_the_first_period_ends_where_orders_and_sessions_both_exist(db, load_orders) -> None:
    """After an import the default "Last 30 days" had no traffic: orders ran on past the
    analytics export. The default range now ends on the last day with both."""
    from ro_core.metrics.coverage import coverage

    orders = [
        shopify_order(f"#{i}", f"{D(2024, 1, 1) + timedelta(days=i)} 12:00:00 -0500", "10.00")
        for i in range(91)  # 1 January .. 31 March
    ]
    load_orders(orders)
    rows = [traffic_row(D(2024, 1, 1) + timedelta(days=i), sessions=50.0) for i in range(60)]
    insert_canonical(db, schema.KIND_TRAFFIC, rows, file_format="shopify_analytics")
    # a behaviour-only report (no sessions) later than that does not count as traffic for it
    late = [traffic_row(D(2024, 3, 20), cart_sessions=5.0)]
    insert_canonical(db, schema.KIND_TRAFFIC, late, file_format="shopify_analytics")
    cover = coverage(db)
    assert cover.latest_date == D(2024, 2, 29)  # the 60th day of traffic
    assert cover.default_range == DateRange(D(2024, 1, 31), D(2024, 2, 29))
    result = compare_kpis(db, Scope(cover.default_range, "none"))
    assert result.current.sessions == 30 * 50 and result.current.orders == 30
