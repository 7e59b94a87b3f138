"""LMDI revenue decomposition: exact sums, zero handling, per segment."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ro_core.metrics import DateRange, decompose, lmdi
from ro_core.metrics.decomposition import METHOD_FULL, METHOD_ORDERS, log_mean
from tests.metrics.conftest import DST_WEEK, insert_canonical, traffic_row

WEEK = DateRange(*DST_WEEK)


def test_hand_example() -> None:
    # V0 = 100 x 0.02 x 50 = 100; V1 = 120 x 0.025 x 40 = 120.
    v0, v1, parts = lmdi(
        {"traffic": 100, "conversion_rate": 0.02, "aov": 50},
        {"traffic": 120, "conversion_rate": 0.025, "aov": 40},
    )
    assert (v0, v1) == pytest.approx((100, 120))
    weight = (120 - 100) / (math.log(120) - math.log(100))
    assert parts["traffic"] == pytest.approx(20.0)
    assert parts["conversion_rate"] == pytest.approx(weight * math.log(1.25))
    assert parts["aov"] == pytest.approx(weight * math.log(0.8))
    assert sum(parts.values()) == pytest.approx(20.0, abs=1e-9)


def test_only_traffic_moved() -> None:
    _v0, _v1, parts = lmdi(
        {"traffic": 1000, "conversion_rate": 0.03, "aov": 80},
        {"traffic": 2000, "conversion_rate": 0.03, "aov": 80},
    )
    assert parts["traffic"] == pytest.approx(2400.0)
    assert parts["conversion_rate"] == 0 and parts["aov"] == 0


# Realistic ranges (revenue up to 1e9): beyond ~1e13 a double cannot hold cents at all.
sessions = st.floats(min_value=1.0, max_value=1e8, allow_nan=False)
rates = st.floats(min_value=1e-4, max_value=1.0, allow_nan=False)
values = st.floats(min_value=0.01, max_value=1e5, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(sessions, rates, values, sessions, rates, values)
def test_contributions_sum_to_the_change_to_the_cent(s0, c0, a0, s1, c1, a1) -> None:
    v0, v1, parts = lmdi(
        {"traffic": s0, "conversion_rate": c0, "aov": a0},
        {"traffic": s1, "conversion_rate": c1, "aov": a1},
    )
    assert abs(sum(parts.values()) - (v1 - v0)) < 0.005
    assert all(math.isfinite(p) for p in parts.values())


def test_zero_and_missing_factors_never_nan() -> None:
    # No orders in the base period: CR 0, AOV undefined -> the whole change is conversion.
    v0, v1, parts = lmdi(
        {"traffic": 500, "conversion_rate": 0.0, "aov": None},
        {"traffic": 600, "conversion_rate": 0.01, "aov": 50},
    )
    assert v0 == 0 and v1 == pytest.approx(300)
    assert parts == {"traffic": 0.0, "conversion_rate": pytest.approx(300), "aov": 0.0}
    # No sessions in the base period (a new segment): the whole change is traffic.
    _v0, _v1, parts = lmdi(
        {"traffic": 0.0, "conversion_rate": None, "aov": None},
        {"traffic": 100, "conversion_rate": 0.02, "aov": 40},
    )
    assert parts["traffic"] == pytest.approx(80) and parts["aov"] == 0
    # Segment gone in the current period.
    _v0, _v1, parts = lmdi(
        {"traffic": 100, "conversion_rate": 0.02, "aov": 40},
        {"traffic": 0.0, "conversion_rate": None, "aov": None},
    )
    assert parts["traffic"] == pytest.approx(-80)
    # Nothing either side.
    assert lmdi({"orders": 0.0, "aov": None}, {"orders": 0.0, "aov": None})[2] == {
        "orders": 0.0,
        "aov": 0.0,
    }
    assert log_mean(5.0, 0.0) == 0.0 and log_mean(3.0, 3.0) == 3.0


def test_decompose_store_week(small_store) -> None:
    result = decompose(small_store, WEEK, WEEK.previous())
    assert result.method == METHOD_FULL
    # Base week: 700 sessions, 2 web orders, 200 revenue. Current: 700, 3 web orders, 180 web
    # revenue, plus one point-of-sale order of 40: the headline revenue is 220 against 200.
    assert result.revenue_base == pytest.approx(200) and result.revenue_current == pytest.approx(
        220
    )
    assert result.contributions["other"] == pytest.approx(40)  # +40 POS, while online fell 20
    weight = (180 - 200) / (math.log(180) - math.log(200))
    assert result.contributions["traffic"] == pytest.approx(0.0, abs=1e-9)
    assert result.contributions["conversion_rate"] == pytest.approx(weight * math.log(3 / 2))
    assert result.contributions["aov"] == pytest.approx(weight * math.log(60 / 100))
    assert abs(sum(result.contributions.values()) - result.change) < 0.005
    factors = result.factors.set_index("factor")
    assert factors.loc["aov", "base"] == pytest.approx(100) and factors.loc["aov", "current"] == 60


def test_decompose_without_traffic_uses_orders_x_aov(db, load_orders) -> None:
    from tests.metrics.conftest import STORE_ORDERS

    load_orders(STORE_ORDERS)
    result = decompose(db, WEEK, WEEK.previous())
    assert result.method == METHOD_ORDERS
    # 4 orders / 220 vs 2 orders / 200
    assert result.change == pytest.approx(20)
    weight = 20 / (math.log(220) - math.log(200))
    assert result.contributions["orders"] == pytest.approx(weight * math.log(2))
    assert result.contributions["aov"] == pytest.approx(weight * math.log(55 / 100))
    assert abs(sum(result.contributions.values()) - 20) < 0.005


def test_decompose_per_segment(db) -> None:
    start = date(2024, 6, 3)
    base, current = (
        DateRange(start, start + timedelta(days=6)),
        DateRange(start + timedelta(days=7), start + timedelta(days=13)),
    )
    orders, traffic = [], []
    plan = {  # device -> (sessions/day, orders in base, orders in current, value)
        "US": ((100.0, 120.0), 7, 14, 50.0),
        "CA": ((50.0, 50.0), 7, 3, 80.0),
        "FR": ((0.0, 30.0), 0, 2, 40.0),
    }
    for country, ((s0, s1), n0, n1, value) in plan.items():
        for day in range(14):
            sessions = s0 if day < 7 else s1
            if sessions:
                traffic.append(
                    traffic_row(start + timedelta(days=day), sessions=sessions, country=country)
                )
        for k in range(n0):
            orders.append((f"{country}b{k}", start + timedelta(days=k % 7), value, country))
        for k in range(n1):
            orders.append((f"{country}c{k}", start + timedelta(days=7 + k % 7), value, country))
    insert_canonical(
        db,
        "orders",
        [
            {"order_id": i, "local_date": d, "total": v, "country": c, "channel": "web",
             "cancelled": False, "is_test": False}
            for i, d, v, c in orders
        ],
    )  # fmt: skip
    insert_canonical(db, "traffic", traffic)
    result = decompose(db, current, base, segment_dimension="country")
    seg = result.segments.set_index("segment")
    assert seg.loc["US", "change"] == pytest.approx(14 * 50 - 7 * 50)
    assert seg.loc["FR", "traffic"] == pytest.approx(80)  # new segment: all traffic
    assert seg.loc["CA", "main_driver"] == "conversion_rate"
    for _, row in result.segments.iterrows():
        parts = [row["traffic"], row["conversion_rate"], row["aov"]]
        assert abs(sum(parts) - row["change"]) < 0.005
    assert result.segments["change"].sum() == pytest.approx(
        (14 * 50 + 3 * 80 + 2 * 40) - (7 * 50 + 7 * 80)
    )
