"""Trends by day, ISO week and month in the store's time zone."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ro_core.errors import InvalidInputError
from ro_core.metrics import DateRange, OrderFilters, trend
from tests.metrics.conftest import STORE_ORDERS, insert_canonical, traffic_row

THREE_WEEKS = DateRange(date(2024, 2, 26), date(2024, 3, 17))


def _by_start(result) -> dict[date, object]:
    return {
        pd.Timestamp(s).date(): v
        for s, v in zip(result.frame["period_start"], result.frame["value"], strict=True)
    }


def test_weekly_revenue_iso_weeks_across_dst(small_store) -> None:
    result = trend(small_store, "revenue", "week", THREE_WEEKS)
    assert result.grain == "week" and result.reason is None
    values = _by_start(result)
    # Weeks start on Monday; #1006 at 23:30 on the DST Sunday stays in the week of 03-04.
    assert values == {
        date(2024, 2, 26): pytest.approx(200.0),
        date(2024, 3, 4): pytest.approx(220.0),
        date(2024, 3, 11): pytest.approx(270.0),
    }
    assert result.frame["partial"].tolist() == [False, False, False]
    # At UTC the Sunday-evening order moves into the next week.
    utc = _by_start(
        trend(small_store, "revenue", "week", THREE_WEEKS, OrderFilters(utc_offset_minutes=0))
    )
    assert utc[date(2024, 3, 4)] == pytest.approx(190.0)
    assert utc[date(2024, 3, 11)] == pytest.approx(300.0)


def test_daily_cr_and_partial_month(small_store) -> None:
    result = trend(small_store, "cr", "day", DateRange(date(2024, 3, 9), date(2024, 3, 11)))
    assert result.metric == "conversion_rate" and result.grain == "day"
    values = _by_start(result)
    assert values[date(2024, 3, 9)] == pytest.approx(0.0)  # only voided/test orders that day
    assert values[date(2024, 3, 10)] == pytest.approx(1 / 100)
    assert values[date(2024, 3, 11)] == pytest.approx(1 / 100)
    month = trend(small_store, "orders", "month", DateRange(date(2024, 2, 26), date(2024, 3, 12)))
    frame = month.frame
    assert [pd.Timestamp(d).date() for d in frame["period_start"]] == [
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]
    assert frame["days"].tolist() == [4, 12]
    assert frame["partial"].tolist() == [True, True]
    assert frame["value"].tolist() == [1.0, 7.0]


def test_rpv_components_and_identity(small_store) -> None:
    result = trend(small_store, "rpv", "week", THREE_WEEKS)
    frame = result.frame
    week = frame[frame["period_start"] == pd.Timestamp("2024-03-04")].iloc[0]
    assert week["sessions"] == 700 and week["online_orders"] == 3
    assert week["online_revenue"] == pytest.approx(180)
    assert week["value"] == pytest.approx(180 / 700)


def test_weekly_only_traffic_raises_the_grain(db, load_orders) -> None:
    load_orders(STORE_ORDERS)
    insert_canonical(
        db,
        "traffic",
        [
            traffic_row(date(2024, 2, 26), grain="week", source="ga4", sessions=500.0),
            traffic_row(date(2024, 3, 4), grain="week", source="ga4", sessions=600.0),
        ],
    )
    result = trend(db, "cr", "day", DateRange(date(2024, 2, 26), date(2024, 3, 10)))
    assert result.grain == "week"
    assert "daily rates are not invented" in result.reason
    values = _by_start(result)
    assert values[date(2024, 3, 4)] == pytest.approx(3 / 600)
    assert values[date(2024, 2, 26)] == pytest.approx(2 / 500)
    # Orders-only metrics keep the daily grain.
    assert (
        trend(db, "revenue", "day", DateRange(date(2024, 3, 4), date(2024, 3, 10))).grain == "day"
    )
    # Weeks do not fit into months: the monthly trend stays weekly, with the reason.
    monthly = trend(db, "sessions", "month", DateRange(date(2024, 2, 26), date(2024, 3, 10)))
    assert monthly.grain == "week" and "weeks do not fit into months" in monthly.reason


def test_daily_traffic_summed_into_weeks(small_store) -> None:
    result = trend(small_store, "sessions", "week", DateRange(date(2024, 3, 1), date(2024, 3, 17)))
    frame = result.frame
    assert frame["value"].tolist() == [300.0, 700.0, 700.0]
    assert frame["partial"].tolist() == [True, False, False]


def test_comparison_matched_by_position(small_store) -> None:
    result = trend(
        small_store,
        "revenue",
        "week",
        DateRange(date(2024, 3, 4), date(2024, 3, 17)),
        compare="previous",
    )
    assert result.comparison_period == DateRange(date(2024, 2, 19), date(2024, 3, 3))
    frame = result.frame
    # The week of 2024-02-19 has no orders imported: missing, not zero.
    assert frame["comparison_value"].iloc[0] is None or pd.isna(frame["comparison_value"].iloc[0])
    assert frame["comparison_value"].iloc[1] == pytest.approx(200.0)
    record = result.to_dict()["rows"][1]
    assert (
        record["period_start"] == "2024-03-11" and record["comparison_period_start"] == "2024-02-26"
    )


def test_bad_metric_and_grain(small_store) -> None:
    with pytest.raises(InvalidInputError, match="Unknown metric"):
        trend(small_store, "bounce", "day", THREE_WEEKS)
    with pytest.raises(InvalidInputError, match="Unknown grain"):
        trend(small_store, "revenue", "year", THREE_WEEKS)
