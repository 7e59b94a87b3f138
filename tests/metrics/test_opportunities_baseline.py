"""Opportunities (hand calculation) and experiment baseline sums."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from ro_core.errors import InvalidInputError
from ro_core.metrics import DateRange, experiment_baseline_sums, opportunities
from ro_core.metrics.opportunities import DAYS_PER_MONTH, OPPORTUNITY_COLUMNS
from tests.metrics.conftest import DST_WEEK, insert_canonical, traffic_row

START = date(2024, 9, 2)
TEN_DAYS = DateRange(START, START + timedelta(days=9))


@pytest.fixture
def device_store(db):
    plan = {  # device: sessions, orders, revenue over ten days (GA4-like, per-day rows)
        "mobile": (10000.0, 100.0, 5000.0),
        "desktop": (5000.0, 150.0, 9000.0),
        "tablet": (100.0, 5.0, 250.0),
    }
    rows = [
        traffic_row(START + timedelta(days=d), source="ga4", device=device,
                    sessions=s / 10, orders=o / 10, revenue=r / 10)
        for d in range(10)
        for device, (s, o, r) in plan.items()
    ]  # fmt: skip
    insert_canonical(db, "traffic", rows)
    return db


def test_opportunity_hand_calculation(device_store) -> None:
    frame = opportunities(device_store, TEN_DAYS)
    assert list(frame.columns) == OPPORTUNITY_COLUMNS
    assert len(frame) == 1  # desktop is the benchmark; tablet (5%) is already above it
    row = frame.iloc[0]
    assert (row["segment_dimension"], row["segment"], row["step"]) == (
        "device",
        "mobile",
        "purchase",
    )
    assert row["benchmark_rate"] == pytest.approx(150 / 5000)
    assert row["benchmark_source"] == "segment: desktop" and row["benchmark_sessions"] == 5000
    assert row["current_rate"] == pytest.approx(0.01) and row["source"] == "GA4"
    # 1% against 3% is +200%: capped at +20% (low end: a typical +5% win). Revenue through the
    # step: 100 orders x $50 over ten days.
    monthly = 100 * 50.0 * DAYS_PER_MONTH / 10  # $15,218.75
    assert (row["lift"], row["lift_low"], row["lift_high"]) == (0.2, 0.05, 0.2)
    assert 0.2 * monthly == pytest.approx(3043.75)
    assert row["monthly_revenue_gain"] == 3000  # two significant figures
    assert (row["gain_low"], row["gain_high"]) == (760, 3100)  # 760.9 down, 3043.75 up
    assert row["rank"] == 1 and not row["small_sample"]


def test_opportunities_empty_store(db) -> None:
    frame = opportunities(db, TEN_DAYS)
    assert frame.empty and list(frame.columns) == OPPORTUNITY_COLUMNS


def test_baseline_sums(small_store) -> None:
    week = DateRange(*DST_WEEK)
    sums = experiment_baseline_sums(small_store, week)
    values = np.array([100.0, 50.0, 30.0])  # web orders of the week
    assert sums.sessions == 700 and sums.visitors == 560 and sums.orders == 3
    assert sums.revenue == pytest.approx(values.sum())
    assert sums.revenue_sum_squares == pytest.approx((values**2).sum())
    assert sums.daily_sessions == pytest.approx(100) and sums.days == 7
    assert sums.cap_value is None
    capped = experiment_baseline_sums(small_store, week, cap_percentile=0.5)
    cap = np.percentile(values, 50)  # linear interpolation, like quantile_cont
    clipped = np.minimum(values, cap)
    assert capped.cap_value == pytest.approx(cap)
    assert capped.revenue == pytest.approx(clipped.sum())
    assert capped.revenue_sum_squares == pytest.approx((clipped**2).sum())
    with pytest.raises(InvalidInputError):
        experiment_baseline_sums(small_store, week, cap_percentile=1.5)
