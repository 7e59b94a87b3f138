"""The store-health monitor: bands against hand calculations, known injected problems found on
generated stores, few false alerts on clean ones, the SQL daily aggregates against the rows we
inserted, tracking problems, and `ro check`."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from ro_core import cli
from ro_core.health import detect, tracking
from ro_core.health.daily import check_store, daily_frame
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.store import schema
from ro_core.store.db import reset_databases
from tests.metrics.conftest import insert_canonical, traffic_row
from tests.support.health_store import generate


# --- bands against hand calculations ----------------------------------------------------------------
def test_rate_band_is_pooled_rate_with_binomial_and_between_week_noise() -> None:
    k = np.array([[40.0, 50.0, 45.0, 60.0, 55.0, 50.0]])
    n = np.array([[1000.0] * 6])
    bands = detect._rate_bands(k, n, np.array([800.0]))
    p = 300 / 6000
    rates = k[0] / 1000
    tau2 = max(np.var(rates, ddof=1) - p * (1 - p) / 1000, 0.0)
    assert bands["center"][0] == pytest.approx(p)
    assert bands["spread"][0] == pytest.approx(math.sqrt(p * (1 - p) / 800 + tau2))
    assert (bands["low"][0], bands["high"][0]) == (0.04, 0.06)


def test_count_band_is_a_robust_log_median() -> None:
    lags = np.array([[1000.0, 1100.0, 950.0, 1050.0, 5000.0, 1020.0]])  # one outlier week
    bands = detect._count_bands(np.array([1000.0]), lags, np.array([1000.0]), 0.0)
    logs = np.log1p(lags[0])
    median = np.median(logs)
    mad = 1.4826 * np.median(np.abs(logs - median))
    assert bands["center"][0] == pytest.approx(median)
    assert bands["spread"][0] == pytest.approx(max(mad, math.sqrt(1 / 1000), 0.04))


# --- generated stores ---------------------------------------------------------------------------------
def _alerts(frame: pd.DataFrame) -> list[detect.Alert]:
    first = frame["day"].min() + timedelta(weeks=detect.HISTORY_WEEKS)
    last = frame["day"].max()
    return (
        detect.anomalies(frame, first, last)
        + detect.share_anomalies(frame, "device", first, last)
        + tracking.tracking_alerts(frame, first, last)
    )


def test_clean_stores_raise_at_most_one_false_alert_per_metric_a_month() -> None:
    counts: dict[str, int] = {}
    months = 0.0
    for seed in range(6):
        frame, problems = generate(500 + seed)
        assert problems == []
        months += (len(frame["day"].unique()) - 7 * detect.HISTORY_WEEKS) / 30.4375
        for alert in _alerts(frame):
            counts[alert.metric] = counts.get(alert.metric, 0) + 1
    assert months > 20
    for metric, count in counts.items():
        assert count / months <= 1.0, (metric, count, months)


@pytest.mark.parametrize("problem", ["checkout_mobile", "bot_spike", "no_tracking", "drift"])
def test_injected_problems_are_found(problem: str) -> None:
    found = 0
    stores = 6
    for seed in range(stores):
        frame, [target] = generate(900 + seed, problem=problem)
        if any(
            target.first <= a.date <= target.last
            and a.metric in target.metrics
            and a.segment in target.segments
            for a in _alerts(frame)
        ):
            found += 1
    assert found / stores >= 5 / 6, (problem, found)


def test_a_broken_mobile_checkout_reads_as_a_sentence() -> None:
    frame, [target] = generate(901, problem="checkout_mobile")
    hits = [
        a
        for a in _alerts(frame)
        if a.metric == "checkout_completion" and a.segment == "device = Mobile"
        and target.first <= a.date <= target.last
    ]  # fmt: skip
    assert hits
    alert = hits[0]
    assert alert.direction == detect.DOWN and alert.observed < alert.expected_low
    assert alert.sentence.startswith("Checkout completion on Mobile fell to ")
    assert f"{alert.date:%A}s." in alert.sentence


def test_a_day_without_tracking_is_a_tracking_alert_not_an_anomaly() -> None:
    frame, [target] = generate(902, problem="no_tracking")
    alerts = [a for a in _alerts(frame) if a.date == target.first]
    assert [a.kind for a in alerts] == [detect.TRACKING]
    assert "orders but no sessions" in alerts[0].sentence


# --- the SQL side --------------------------------------------------------------------------------------
FIRST = date(2025, 3, 3)


@pytest.fixture
def store(db):
    """Eight weeks of daily Shopify traffic (store and two devices, 2,000 sessions a day) and web
    orders; on the last Wednesday mobile checkouts stop completing."""
    rng = np.random.default_rng(3)
    traffic, orders = [], []
    for i in range(56):
        day = FIRST + timedelta(days=i)
        broken = i == 51
        per_device = {}
        for device, share in (("Mobile", 0.6), ("Desktop", 0.4)):
            sessions = float(rng.poisson(2000 * share))
            cart = float(rng.binomial(int(sessions), 0.08))
            checkout = float(rng.binomial(int(cart), 0.55))
            converted = float(rng.binomial(int(checkout), 0.1 if broken and device == "Mobile"
                                           else 0.6))  # fmt: skip
            per_device[device] = (sessions, cart, checkout, converted)
            traffic.append(
                traffic_row(
                    day,
                    device=device,
                    sessions=sessions,
                    cart_sessions=cart,
                    checkout_sessions=checkout,
                    converted_sessions=converted,
                )  # fmt: skip
            )
        totals = [sum(v[j] for v in per_device.values()) for j in range(4)]
        traffic.append(traffic_row(day, sessions=totals[0], cart_sessions=totals[1],
                                   checkout_sessions=totals[2], converted_sessions=totals[3]))  # fmt: skip
        for k in range(int(totals[3])):
            orders.append(
                {
                    "order_id": f"{i}-{k}",
                    "local_date": day,
                    "total": 50.0 + (k % 7) * 10,
                    "subtotal": 50.0,
                    "channel": "web",
                    "cancelled": False,
                    "is_test": False,
                    "customer_key": f"c{i}-{k}",
                    "created_at": datetime(day.year, day.month, day.day, 12, k % 60),
                }  # fmt: skip
            )
    # a double submission: the same customer and total 30 seconds apart on the last day
    last = FIRST + timedelta(days=55)
    for suffix, second in (("a", 0), ("b", 30)):
        orders.append(
            {
                "order_id": f"dup-{suffix}",
                "local_date": last,
                "total": 99.0,
                "subtotal": 99.0,
                "channel": "web",
                "cancelled": False,
                "is_test": False,
                "customer_key": "twice",
                "created_at": datetime(last.year, last.month, last.day, 18, 0, second),
            }  # fmt: skip
        )
    insert_canonical(db, schema.KIND_TRAFFIC, traffic, file_format="shopify_analytics")
    insert_canonical(db, schema.KIND_ORDERS, orders, file_format="shopify_orders")
    return db, pd.DataFrame(traffic), pd.DataFrame(orders)


def test_daily_frame_sums_what_was_inserted(store) -> None:
    db, traffic, orders = store
    period = DateRange(FIRST + timedelta(weeks=6), FIRST + timedelta(days=55))
    frame, source = daily_frame(db, period, OrderFilters(traffic_source="shopify"))
    assert source == "shopify"
    store_rows = frame[frame["segment"] == ""].set_index("day")
    by_day = orders.groupby("local_date")["total"]
    assert store_rows["orders"].to_dict() == pytest.approx(by_day.count().astype(float).to_dict())
    assert store_rows["revenue"].to_dict() == pytest.approx(by_day.sum().to_dict())
    squares = orders.assign(sq=orders["total"] ** 2).groupby("local_date")["sq"].sum()
    assert store_rows["revenue_sq"].to_dict() == pytest.approx(squares.to_dict())
    mobile = frame[frame["segment"] == "device = Mobile"].set_index("day")
    expected = traffic[traffic["device"] == "Mobile"].set_index("period_start")["checkout_sessions"]
    assert mobile["checkout"].to_dict() == pytest.approx(expected.to_dict())


def test_check_finds_the_broken_checkout_and_the_duplicate(store) -> None:
    db, _, _ = store
    period = DateRange(FIRST + timedelta(weeks=7), FIRST + timedelta(days=55))
    result = check_store(db, period, OrderFilters(traffic_source="shopify"))
    broken = FIRST + timedelta(days=51)
    assert any(
        a.metric == "checkout_completion" and a.segment == "device = Mobile" and a.date == broken
        for a in result.alerts
    )
    [duplicate] = [a for a in result.alerts if a.metric == "duplicate_orders"]
    assert duplicate.date == FIRST + timedelta(days=55) and duplicate.observed == 1
    assert result.alerts[0].kind == detect.TRACKING  # tracking problems first


def test_ro_check_prints_alerts_and_exits_1(store, capsys, tmp_path) -> None:
    db, _, _ = store
    db.close()
    out_html = tmp_path / "digest.html"
    start = FIRST + timedelta(weeks=7)
    end = FIRST + timedelta(days=55)
    try:
        code = cli.main(["--db", str(db.path), "--json", "check", "--start", str(start),
                         "--end", str(end), "--html", str(out_html)])  # fmt: skip
    finally:
        reset_databases()
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    keys = {"date", "metric", "segment", "direction", "observed", "expected_low",
            "expected_high", "kind"}  # fmt: skip
    assert data["alerts"] and all(keys <= set(a) for a in data["alerts"])
    text = out_html.read_text(encoding="utf-8")
    assert "Checkout completion on Mobile fell" in text


def test_tracking_alerts_compare_with_the_same_weekday_by_hand() -> None:
    """A day with orders and no sessions: 'usually about' the median of the same weekday's
    sessions in the weeks before (a week without a row left out); a day with neither."""
    monday = date(2024, 4, 29)
    rows = [{"day": monday - timedelta(weeks=k), "segment": "", "sessions": s, "orders": 9.0}
            for k, s in ((1, 100.0), (2, 300.0), (4, 200.0), (5, 700.0))]  # fmt: skip
    rows += [{"day": monday - timedelta(days=d), "segment": "", "sessions": 5.0, "orders": 1.0}
             for d in (1, 2, 3)]  # fmt: skip
    rows.append({"day": monday, "segment": "", "sessions": 0.0, "orders": 4.0})
    rows.append({"day": monday - timedelta(days=6), "segment": "", "sessions": 0.0, "orders": 0.0})
    alerts = tracking.tracking_alerts(pd.DataFrame(rows), monday - timedelta(days=6), monday)
    by_day = {a.date: a for a in alerts}
    # Mondays before: 100, 300, (none), 200, 700 -> median of four values: 250
    assert by_day[monday].sentence == (
        "4 orders but no sessions on 29 April 2024: the tracking tag may be missing "
        "(usually about 250)."
    )
    assert by_day[monday].expected_low == 250.0
    # the Tuesday before has no history at all: neither figure is typical, so no alert
    assert monday - timedelta(days=6) not in by_day
    assert set(by_day) == {monday}
