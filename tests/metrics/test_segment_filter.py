"""The segment filter ("show only device = Mobile"): KPIs, trends, funnels, breakdowns,
decomposition and opportunities of one segment, on a small synthetic store computed by hand.

The store, Monday 2024-06-03 (D0) to Sunday 2024-06-09 (D6), Shopify daily traffic:
- store totals: 100 sessions, 80 visitors, 4 converted sessions a day (700 / 28 in the week);
- by device: Mobile 60 sessions (1 converted) D0-D5 and 100 (4 converted) on D6; Desktop 40
  (3 converted) D0-D5 and no row on D6 (no desktop session that day). Mobile: 460 sessions,
  10 converted; Desktop: 240 sessions, 18 converted;
- by channel and referrer: social/facebook 10 (1 converted), social/instagram 5 (0), search/
  google 85 (3) a day. Social: 105 sessions, 7 converted;
- by country (no converted sessions): US 70, CA 30 a day. US: 490 sessions.
Orders (mapped export, no device or traffic channel):
- US web: D0 100 (code SAVE), D1 50, D2 30, D5 20; US pos: D2 80; US web cancelled: D4 500;
- CA web: D1 40, D3 60 (code SAVE); web without a country: D6 10.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from ro_core.errors import InvalidInputError
from ro_core.metrics import (
    CR_BASIS_CONVERTED,
    CR_BASIS_ORDERS,
    DateRange,
    OrderFilters,
    decompose,
    kpi_values,
    kpis,
    opportunities,
    segment_values,
    select_traffic,
    trend,
)
from ro_core.metrics.baseline import experiment_baseline_sums
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.funnel import traffic_funnel
from ro_core.metrics.opportunity_rows import event_aov
from ro_core.metrics.segments import segments
from ro_core.store import schema
from tests.metrics.conftest import event_row, insert_canonical, traffic_row

D0 = date(2024, 6, 3)
DAYS = [D0 + timedelta(days=i) for i in range(7)]
WEEK = DateRange(DAYS[0], DAYS[-1])

MOBILE = OrderFilters(segment_dimension="device", segment_value="Mobile")
DESKTOP = OrderFilters(segment_dimension="device", segment_value="Desktop")
SOCIAL = OrderFilters(segment_dimension="channel", segment_value="social")
US = OrderFilters(segment_dimension="country", segment_value="US", segment_side="orders")
WITH_CODE = OrderFilters(segment_dimension="discount_code", segment_value="with code")


def _order(order_id: str, day: int, total: float, **values) -> dict:
    row = {
        "order_id": order_id,
        "local_date": DAYS[day],
        "total": total,
        "subtotal": total,
        "channel": "web",
        "country": "US",
        "cancelled": False,
        "is_test": False,
    }
    row.update(values)
    return row


@pytest.fixture
def store(db):
    insert_canonical(
        db,
        "orders",
        [
            _order("us1", 0, 100.0, discount_code="SAVE"),
            _order("us2", 1, 50.0),
            _order("us3", 2, 30.0),
            _order("us4", 5, 20.0),
            _order("pos1", 2, 80.0, channel="pos"),
            _order("cancelled", 4, 500.0, cancelled=True),
            _order("ca1", 1, 40.0, country="CA"),
            _order("ca2", 3, 60.0, country="CA", discount_code="SAVE"),
            _order("nowhere", 6, 10.0, country=None),
        ],
    )
    rows = []
    for i, day in enumerate(DAYS):
        rows.append(traffic_row(day, sessions=100.0, visitors=80.0, converted_sessions=4.0))
        if i < 6:
            rows.append(traffic_row(day, device="Mobile", sessions=60.0, converted_sessions=1.0))
            rows.append(traffic_row(day, device="Desktop", sessions=40.0, converted_sessions=3.0))
        else:
            rows.append(traffic_row(day, device="Mobile", sessions=100.0, converted_sessions=4.0))
        for channel, referrer, sessions, converted in (
            ("social", "facebook", 10.0, 1.0),
            ("social", "instagram", 5.0, 0.0),
            ("search", "google", 85.0, 3.0),
        ):
            rows.append(
                traffic_row(
                    day,
                    channel=channel,
                    referrer=referrer,
                    sessions=sessions,
                    converted_sessions=converted,
                )
            )
        rows.append(traffic_row(day, country="US", sessions=70.0))
        rows.append(traffic_row(day, country="CA", sessions=30.0))
    insert_canonical(db, "traffic", rows, file_format="shopify_analytics")
    return db


# --- filters ---------------------------------------------------------------------------------
def test_filter_validation_uses_an_allow_list() -> None:
    with pytest.raises(InvalidInputError, match="use one of"):
        OrderFilters(segment_dimension="browser", segment_value="Chrome")
    with pytest.raises(InvalidInputError, match="use one of"):
        OrderFilters(segment_dimension="device; DROP TABLE orders", segment_value="x")
    with pytest.raises(InvalidInputError, match="use one of"):  # orders carry no device
        OrderFilters(segment_dimension="device", segment_value="Mobile", segment_side="orders")
    with pytest.raises(InvalidInputError, match="segment value is empty"):
        OrderFilters(segment_dimension="device", segment_value=" ")
    with pytest.raises(InvalidInputError, match="needs a segment dimension"):
        OrderFilters(segment_value="Mobile")
    with pytest.raises(InvalidInputError, match="Unknown segment side"):
        OrderFilters(segment_dimension="device", segment_value="Mobile", segment_side="both")


def test_filter_sides_round_trip_and_description() -> None:
    assert MOBILE.segment_side == "traffic" and WITH_CODE.segment_side == "orders"
    assert (MOBILE.segment_traffic_dimension, MOBILE.segment_applies_to_orders) == ("device", False)
    assert MOBILE.segment_event_dimension == "device"
    assert (US.segment_traffic_dimension, US.segment_applies_to_orders) == ("country", True)
    assert (WITH_CODE.segment_traffic_dimension, WITH_CODE.segment_event_dimension) == (None, None)
    sales = OrderFilters(segment_dimension="channel", segment_value="pos", segment_side="orders")
    assert sales.segment_traffic_dimension is None and sales.segment_event_dimension is None
    assert sales.segment_label() == "sales channel = pos"
    assert SOCIAL.segment_label() == "traffic channel = social"
    for filters in (MOBILE, US, WITH_CODE, sales):
        assert OrderFilters(**filters.to_dict()) == filters
    assert any("only device = Mobile" in part for part in MOBILE.describe())
    assert any("orders, revenue, AOV and RPV are not available" in p for p in MOBILE.describe())
    assert any("sessions, CR and RPV are not available" in p for p in WITH_CODE.describe())
    assert MOBILE.without_segment() == OrderFilters()


# --- which traffic rows ------------------------------------------------------------------------
def test_select_traffic_picks_the_breakdown_with_the_segment(store) -> None:
    mobile = select_traffic(store, WEEK, MOBILE)
    assert (mobile.dimensions_key, mobile.segment_dimension, mobile.segment_value) == (
        "device",
        "device",
        "Mobile",
    )
    assert mobile.effective_range == WEEK and mobile.covered_days == 7
    social = select_traffic(store, WEEK, SOCIAL)
    assert social.dimensions_key == "channel,referrer"
    assert select_traffic(store, WEEK, OrderFilters()).dimensions_key == ""
    assert select_traffic(store, WEEK, WITH_CODE) is None  # never the whole store's sessions


# --- KPIs ----------------------------------------------------------------------------------------
def test_traffic_side_filter_gives_the_segments_sessions_and_cr(store) -> None:
    mobile = kpi_values(store, WEEK, MOBILE)
    assert mobile.sessions == 460  # 6 x 60 + 100
    assert mobile.converted_sessions == 10  # 6 x 1 + 4
    assert mobile.conversion_rate == pytest.approx(10 / 460)
    assert mobile.conversion_rate_basis == CR_BASIS_CONVERTED
    # The orders carry no device: nothing order-based, never the store's 7 orders.
    for name in ("orders", "revenue", "aov", "online_orders", "online_revenue", "rpv"):
        assert mobile.value(name) is None, name
    assert mobile.revenue_per_visitor is None
    assert any("orders carry no device" in note for note in mobile.notes)

    desktop = kpi_values(store, WEEK, DESKTOP)  # no desktop row on D6: zero sessions that day
    assert desktop.sessions == 240 and desktop.conversion_rate == pytest.approx(18 / 240)
    assert desktop.online_range == WEEK
    assert kpi_values(store, WEEK, OrderFilters(segment_dimension="device", segment_value="mObIlE")).sessions == 460  # fmt: skip


def test_traffic_channel_is_summed_over_referrers(store) -> None:
    social = kpi_values(store, WEEK, SOCIAL)
    assert social.sessions == 7 * 15 and social.converted_sessions == 7
    assert social.conversion_rate == pytest.approx(7 / 105)
    assert social.orders is None


def test_orders_side_filter_gives_the_countrys_orders_and_cr(store) -> None:
    whole = kpi_values(store, WEEK)
    assert (whole.orders, whole.revenue, whole.sessions) == (8, 390.0, 700.0)
    us = kpi_values(store, WEEK, US)
    assert us.orders == 5  # 4 web + 1 pos; the cancelled order stays out
    assert us.revenue == pytest.approx(280.0)
    assert us.aov == pytest.approx(56.0)
    assert (us.online_orders, us.online_revenue) == (4, pytest.approx(200.0))
    assert us.sessions == 490  # 7 x 70 from the country breakdown
    assert us.conversion_rate_basis == CR_BASIS_ORDERS  # country rows have no converted sessions
    assert us.conversion_rate == pytest.approx(4 / 490)
    assert us.revenue_per_session == pytest.approx(200 / 490)
    assert us.revenue_per_session == pytest.approx(us.conversion_rate * us.online_aov)
    # the same figures when the filter is named from the traffic side
    traffic_us = kpi_values(
        store, WEEK, OrderFilters(segment_dimension="country", segment_value="US")
    )
    assert (traffic_us.orders, traffic_us.sessions) == (5, 490)


def test_orders_only_dimension_gives_orders_and_no_sessions(store) -> None:
    coded = kpi_values(store, WEEK, WITH_CODE)
    assert (coded.orders, coded.revenue) == (2, pytest.approx(160.0))
    assert coded.sessions is None and coded.conversion_rate is None
    assert coded.revenue_per_session is None
    assert any("traffic has no sessions by discount code" in note for note in coded.notes)


def test_a_dimension_the_data_lacks_gives_none_with_a_note(store) -> None:
    region = OrderFilters(segment_dimension="region", segment_value="Bavaria")
    values = kpi_values(store, WEEK, region)
    assert values.sessions is None and values.conversion_rate is None
    assert values.orders is None and values.revenue is None  # orders carry no region
    assert any("No traffic split by region" in note for note in values.notes)


def test_values_are_bound_parameters(store) -> None:
    sneaky = "x' OR '1'='1"
    country = kpi_values(
        store, WEEK, OrderFilters(segment_dimension="country", segment_value=sneaky)
    )
    assert (country.orders, country.revenue) == (0, 0.0)
    assert country.sessions is None and country.conversion_rate is None
    assert any("no sessions with country = x' OR '1'='1" in n for n in country.notes)
    sneaky_device = OrderFilters(segment_dimension="device", segment_value=sneaky)
    assert kpi_values(store, WEEK, sneaky_device).sessions is None
    sessions = trend(store, "sessions", "day", WEEK, sneaky_device).frame["value"]
    assert len(sessions) == 7 and all(v is None for v in sessions)
    assert event_funnel(
        store, WEEK, filters=OrderFilters(segment_dimension="device", segment_value=sneaky)
    ).frame.empty
    assert store.fetch_value(f"SELECT count(*) FROM {schema.ORDERS}") == 9


def test_kpis_compare_the_segment_with_its_own_previous_period(store) -> None:
    result = kpis(store, WEEK, MOBILE, compare="previous")
    assert result.current.sessions == 460
    assert result.comparison is not None and result.comparison.sessions is None  # no traffic then
    assert result.filters == MOBILE


# --- trends ----------------------------------------------------------------------------------------
def test_trends_of_a_segment(store) -> None:
    sessions = trend(store, "sessions", "day", WEEK, MOBILE)
    assert list(sessions.frame["value"]) == [60.0] * 6 + [100.0]
    cr = trend(store, "cr", "day", WEEK, DESKTOP)
    assert list(cr.frame["sessions"]) == [40.0] * 6 + [0.0]  # D6: no desktop row, zero sessions
    assert cr.frame["value"][0] == pytest.approx(3 / 40) and cr.frame["value"][6] is None
    weekly = trend(store, "sessions", "week", WEEK, SOCIAL)
    assert list(weekly.frame["value"]) == [105.0]  # referrers summed, not one row picked
    revenue = trend(store, "revenue", "day", WEEK, MOBILE)
    assert all(v is None for v in revenue.frame["value"])
    assert "orders carry no device" in revenue.reason
    us = trend(store, "revenue", "day", WEEK, US)
    assert list(us.frame["value"]) == [100.0, 50.0, 110.0, 0.0, 0.0, 20.0, 0.0]
    us_cr = trend(store, "cr", "week", WEEK, US)
    assert us_cr.frame["value"][0] == pytest.approx(4 / 490)
    store_sessions = trend(store, "sessions", "day", WEEK)
    assert list(store_sessions.frame["value"]) == [100.0] * 7


# --- funnels ----------------------------------------------------------------------------------------
def test_traffic_funnel_of_a_segment(store) -> None:
    funnel = traffic_funnel(store, WEEK, MOBILE)
    steps = dict(zip(funnel.frame["step"], funnel.frame["sessions"], strict=True))
    assert steps == {"sessions": 460.0, "purchase": 10.0}
    assert "only sessions with device = Mobile" in funnel.note
    empty = traffic_funnel(store, WEEK, WITH_CODE)
    assert empty.frame.empty and "traffic has no sessions by discount code" in empty.note


def test_event_funnel_keeps_the_segments_sessions(store) -> None:
    day = "2024-06-04"
    insert_canonical(
        store,
        "events",
        [
            event_row(f"{day} 10:00:00+00", "s1", "view", device="mobile", country="US"),
            event_row(f"{day} 10:01:00+00", "s1", "cart", device="mobile", country="US"),
            event_row(f"{day} 10:02:00+00", "s1", "purchase", device="mobile", revenue=50.0),
            event_row(f"{day} 11:00:00+00", "s2", "view", device="desktop", country="US"),
            event_row(f"{day} 11:01:00+00", "s2", "cart", device="desktop", country="US"),
            event_row(f"{day} 12:00:00+00", "s3", "view", device="mobile", country="CA"),
            event_row(f"{day} 13:00:00+00", "s4", "view"),
        ],
    )
    mobile = event_funnel(store, WEEK, filters=MOBILE)  # "Mobile" matches "mobile"
    steps = dict(zip(mobile.frame["step"], mobile.frame["sessions"], strict=True))
    assert steps == {"sessions": 2.0, "product_view": 2.0, "cart": 1.0, "purchase": 1.0}
    us = event_funnel(store, WEEK, filters=US, closed=False)
    steps = dict(zip(us.frame["step"], us.frame["sessions"], strict=True))
    assert steps == {"sessions": 2.0, "product_view": 2.0, "cart": 2.0, "purchase": 1.0}
    whole = event_funnel(store, WEEK)
    assert whole.frame["sessions"].iloc[0] == 4
    coded = event_funnel(store, WEEK, filters=WITH_CODE)
    assert coded.frame.empty and "Events carry no discount code" in coded.note
    # events have no channel values here: the social filter matches no session
    social = event_funnel(store, WEEK, filters=SOCIAL)
    assert social.frame.empty and "with traffic channel = social" in social.note
    # the event values merge case-insensitively with the traffic's in the value list
    assert segment_values(store, "device", WEEK) == ["Mobile", "Desktop"]


# --- breakdowns, value lists ---------------------------------------------------------------------
def test_breakdowns_inside_a_segment(store) -> None:
    by_device = segments(store, "device", WEEK, MOBILE)
    assert list(by_device.frame["segment"]) == ["Mobile"]
    assert by_device.frame["sessions"][0] == 460
    assert by_device.frame["conversion_rate"][0] == pytest.approx(10 / 460)
    assert by_device.note.startswith("Showing only device = Mobile")
    by_country = segments(store, "country", WEEK, US)
    assert list(by_country.frame["segment"]) == ["US"]
    us = by_country.frame.iloc[0]
    assert (us["sessions"], us["orders"]) == (490, 4)  # online orders matched on country
    assert us["conversion_rate"] == pytest.approx(4 / 490)
    coded = segments(store, "country", WEEK, WITH_CODE, side="orders")
    rows = {r["segment"]: r for r in coded.frame.to_dict("records")}
    assert set(rows) == {"US", "CA"}
    assert (rows["US"]["orders"], rows["US"]["revenue"]) == (1, 100.0)
    assert (rows["CA"]["orders"], rows["CA"]["revenue"]) == (1, 60.0)
    assert not coded.cr_available and coded.frame["sessions"].isna().all()
    # no breakdown by channel within a device in this store
    assert segments(store, "channel", WEEK, MOBILE).frame.empty
    # device segments without order figures: orders-side breakdowns are empty, with a note
    empty = segments(store, "discount_code", WEEK, MOBILE, side="orders")
    assert empty.frame.empty and "orders carry no device" in empty.note


def test_segment_values_biggest_first(store) -> None:
    assert segment_values(store, "device", WEEK) == ["Mobile", "Desktop"]
    assert segment_values(store, "channel", WEEK) == ["search", "social"]
    # country: sessions first (US 490, CA 210), then values only the orders have
    assert segment_values(store, "country", WEEK, side="orders") == ["US", "CA", "unknown"]
    assert segment_values(store, "discount_code", WEEK) == ["no code", "with code"]
    assert segment_values(store, "channel", WEEK, side="orders") == ["web", "pos"]
    assert segment_values(store, "device", DateRange(date(2023, 1, 1), date(2023, 1, 7))) == []
    with pytest.raises(InvalidInputError):
        segment_values(store, "browser", WEEK)


# --- decomposition, opportunities, baseline -------------------------------------------------------
def test_decomposition_of_a_segment(store) -> None:
    base, current = DateRange(DAYS[1], DAYS[3]), DateRange(DAYS[4], DAYS[6])
    # US: base D1-D3 online orders 50 + 30 on 3 x 70 sessions; current D4-D6 one order of 20
    # (D4's order was cancelled). Revenue 80 -> 20: CR halves and AOV halves, so each takes
    # half of the -60 online change and traffic (210 -> 210 sessions) none. The headline also
    # held a point-of-sale order of 80 in the base days: revenue 160 -> 20, other revenue -80.
    result = decompose(store, current, base, US)
    assert result.method == "sessions x CR x AOV"
    assert (result.revenue_base, result.revenue_current) == (pytest.approx(160.0), 20.0)
    assert result.contributions["other"] == pytest.approx(-80.0)
    assert result.contributions["traffic"] == pytest.approx(0.0, abs=1e-9)
    assert result.contributions["conversion_rate"] == pytest.approx(-30.0)
    assert result.contributions["aov"] == pytest.approx(-30.0)
    with pytest.raises(InvalidInputError, match="orders carry no such field"):
        decompose(store, current, base, MOBILE)


def test_opportunities_stay_inside_the_segment(store) -> None:
    # The small store is far below the benchmark minimums: add GA4 traffic big enough for a
    # referrer opportunity (instagram 10 of 2,000 a day against google's 150 of 5,000).
    rows = []
    for day in DAYS:
        rows.append(traffic_row(day, source="ga4", sessions=7000.0))
        rows.append(traffic_row(day, source="ga4", device="Mobile", sessions=4000.0))
        rows.append(traffic_row(day, source="ga4", device="Desktop", sessions=3000.0))
        for channel, referrer, sessions, converted in (
            ("search", "google", 5000.0, 150.0),
            ("social", "instagram", 2000.0, 10.0),
        ):
            rows.append(
                traffic_row(
                    day,
                    source="ga4",
                    channel=channel,
                    referrer=referrer,
                    sessions=sessions,
                    converted_sessions=converted,
                )  # fmt: skip
            )
    insert_canonical(store, "traffic", rows, file_format="ga4_reports")
    ga4 = OrderFilters(traffic_source="ga4")
    whole = opportunities(store, WEEK, ga4, compare_previous=False)
    assert "referrer" in set(whole["segment_dimension"])
    mobile = opportunities(
        store, WEEK, replace(ga4, segment_dimension="device", segment_value="Mobile"),
        compare_previous=False,
    )  # fmt: skip
    assert not set(mobile["segment_dimension"]) & {"device", "channel", "referrer", "country"}


def test_experiment_baseline_needs_both_sides(store) -> None:
    us = experiment_baseline_sums(store, WEEK, US)
    assert (us.sessions, us.orders, us.revenue) == (490, 4, pytest.approx(200.0))
    with pytest.raises(InvalidInputError, match="orders carry no device"):
        experiment_baseline_sums(store, WEEK, MOBILE)
    with pytest.raises(InvalidInputError, match="traffic carries no discount code"):
        experiment_baseline_sums(store, WEEK, WITH_CODE)


def test_event_aov_of_a_segment_is_of_the_funnels_sessions(store) -> None:
    # s1 is mobile by its first event; its purchase event carries no device. s2 is desktop.
    day = "2024-06-05"
    insert_canonical(
        store,
        "events",
        [
            event_row(f"{day} 10:00:00+00", "s1", "view", device="mobile"),
            event_row(f"{day} 10:05:00+00", "s1", "purchase", revenue=50.0),
            event_row(f"{day} 10:06:00+00", "s1", "purchase", revenue=30.0),
            event_row(f"{day} 11:00:00+00", "s2", "view", device="desktop"),
            event_row(f"{day} 11:05:00+00", "s2", "purchase", device="desktop", revenue=20.0),
        ],
    )
    mobile_funnel = event_funnel(store, WEEK, filters=MOBILE)
    assert mobile_funnel.frame["sessions"].iloc[-1] == 1  # s1 purchased, in the segment
    assert event_aov(store, WEEK, None, MOBILE) == {"All": 40.0}  # (50 + 30) / 2
    assert event_aov(store, WEEK, None, DESKTOP) == {"All": 20.0}
    assert event_aov(store, WEEK, None) == {"All": 100.0 / 3}
    # by the purchase event's own device, inside the mobile sessions
    assert event_aov(store, WEEK, "device", MOBILE) == {"unknown": 40.0}
    assert event_aov(store, WEEK, None, WITH_CODE) == {}  # events carry no discount code
