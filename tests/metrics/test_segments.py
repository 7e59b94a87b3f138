"""Segments: CR, AOV, RPV, revenue share, 95% intervals, small-sample flags."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from ro_core.metrics import DateRange
from ro_core.metrics._stats import mean_interval, wilson_interval
from ro_core.metrics.segments import MIN_SEGMENT_ORDERS, segment_dimensions, segments
from tests.metrics.conftest import insert_canonical, traffic_row

START = date(2024, 5, 1)
PERIOD = DateRange(START, START + timedelta(days=9))
US_VALUES = [float(20 + (i * 7) % 53) for i in range(40)]  # 40 US web orders
CA_VALUES = [15.0, 80.0, 42.5, 61.0, 33.0]  # 5 CA web orders
POS_VALUES = [100.0, 50.0]  # 2 US point-of-sale orders


@pytest.fixture
def segment_store(db):
    orders = []
    for i, value in enumerate(US_VALUES):
        orders.append(("us", i, value, "US", "web", "new" if i % 2 else "returning"))
    for i, value in enumerate(CA_VALUES):
        orders.append(("ca", i, value, "CA", "web", "new"))
    for i, value in enumerate(POS_VALUES):
        orders.append(("pos", i, value, "US", "pos", "returning"))
    insert_canonical(
        db,
        "orders",
        [
            {
                "order_id": f"{prefix}{i}", "local_date": START + timedelta(days=i % 10),
                "total": value, "subtotal": value, "country": country, "channel": channel,
                "customer_type": ctype, "cancelled": False, "is_test": False,
                "discount_code": "SAVE" if i % 5 == 0 else None,
            }
            for prefix, i, value, country, channel, ctype in orders
        ],
    )  # fmt: skip
    insert_canonical(
        db,
        "traffic",
        [
            traffic_row(START + timedelta(days=d), sessions=s, country=c)
            for d in range(10)
            for c, s in (("US", 150.0), ("CA", 20.0), ("FR", 5.0))
        ],
    )
    return db


def _row(frame, segment):
    return frame[frame["segment"] == segment].iloc[0]


def test_traffic_side_country_with_orders_matched(segment_store) -> None:
    result = segments(segment_store, "country", PERIOD)
    assert result.side == "traffic" and result.cr_available
    us = _row(result.frame, "US")
    assert us["sessions"] == 1500 and us["orders"] == 40  # web orders only (online)
    assert us["conversion_rate"] == pytest.approx(40 / 1500)
    low, high = proportion_confint(40, 1500, alpha=0.05, method="wilson")
    assert us["cr_low"] == pytest.approx(low) and us["cr_high"] == pytest.approx(high)
    values = np.array(US_VALUES)
    t_low, t_high = stats.t.interval(
        0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
    )
    assert us["aov"] == pytest.approx(values.mean())
    assert us["aov_low"] == pytest.approx(t_low) and us["aov_high"] == pytest.approx(t_high)
    per_session = np.concatenate([values, np.zeros(1500 - len(values))])
    r_low, r_high = stats.t.interval(
        0.95, len(per_session) - 1, loc=per_session.mean(), scale=stats.sem(per_session)
    )
    assert us["rpv"] == pytest.approx(per_session.mean())
    assert us["rpv_low"] == pytest.approx(r_low) and us["rpv_high"] == pytest.approx(r_high)
    # CA: 5 orders and 200 sessions -> small; FR: no orders -> CR 0, small.
    ca, fr = _row(result.frame, "CA"), _row(result.frame, "FR")
    assert bool(ca["small_sample"]) and bool(fr["small_sample"])
    assert fr["conversion_rate"] == 0 and fr["revenue_share"] == 0
    assert us["rank"] == 1 and pd.isna(ca["rank"]) and pd.isna(fr["rank"])
    assert result.frame["revenue_share"].sum() == pytest.approx(1.0)


def test_orders_side_channel_cannot_give_cr(segment_store) -> None:
    result = segments(segment_store, "channel", PERIOD)
    assert result.side == "orders" and not result.cr_available
    assert "cannot be computed" in result.note
    web, pos = _row(result.frame, "web"), _row(result.frame, "pos")
    assert web["orders"] == 45 and pos["orders"] == 2
    total = sum(US_VALUES) + sum(CA_VALUES) + sum(POS_VALUES)
    assert web["revenue_share"] == pytest.approx((sum(US_VALUES) + sum(CA_VALUES)) / total)
    assert web["conversion_rate"] is None or np.isnan(web["conversion_rate"])
    assert not web["small_sample"] and bool(pos["small_sample"])
    assert pos["orders"] < MIN_SEGMENT_ORDERS


def test_discount_code_and_customer_type(segment_store) -> None:
    coded = segments(segment_store, "discount_code", PERIOD)
    counts = dict(zip(coded.frame["segment"], coded.frame["orders"], strict=True))
    # i % 5 == 0: US 8 of 40, CA 1 of 5, POS 1 of 2
    assert counts == {"with code": 10, "no code": 37}
    ctype = segments(segment_store, "customer_type", PERIOD, side="orders")
    counts = dict(zip(ctype.frame["segment"], ctype.frame["orders"], strict=True))
    assert counts == {"new": 25, "returning": 22}


def test_segment_dimensions_lists_both_sides(segment_store) -> None:
    dims = segment_dimensions(segment_store)
    assert ("traffic", "country", "Country (sessions)") in dims
    assert ("orders", "channel", "Sales channel") in dims


def test_wilson_interval_covers_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(20240501)
    p, n, draws = 0.05, 1000, 2000
    hits = 0
    for successes in rng.binomial(n, p, size=draws):
        low, high = wilson_interval(successes, n)
        hits += low <= p <= high
    assert 0.93 <= hits / draws <= 0.97


def test_mean_interval_covers_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(7)
    mu, sigma, n, draws = 3.5, 0.5, 200, 2000
    true_mean = float(np.exp(mu + sigma**2 / 2))
    hits = 0
    for _ in range(draws):
        values = rng.lognormal(mu, sigma, size=n)
        low, high = mean_interval(n, values.sum(), (values**2).sum())
        hits += low <= true_mean <= high
    assert 0.93 <= hits / draws <= 0.97


def test_intervals_degenerate_inputs() -> None:
    assert wilson_interval(0, 0) == (None, None)
    assert mean_interval(1, 10.0, 100.0) == (None, None)
    low, high = wilson_interval(0, 50)
    assert low == pytest.approx(0.0, abs=1e-12) and 0 < high < 0.1
