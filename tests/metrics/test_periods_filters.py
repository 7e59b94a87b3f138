"""Date ranges, presets and filters."""

from __future__ import annotations

from datetime import date

import pytest

from ro_core.errors import InvalidInputError
from ro_core.metrics import DateRange, OrderFilters, parse_date, presets


def test_date_range_days_previous_and_year_before() -> None:
    r = DateRange(date(2024, 3, 4), date(2024, 3, 10))
    assert r.days == 7
    assert r.previous() == DateRange(date(2024, 2, 26), date(2024, 3, 3))
    assert r.year_before() == DateRange(date(2023, 3, 4), date(2023, 3, 10))
    leap = DateRange(date(2024, 2, 1), date(2024, 2, 29))
    assert leap.year_before() == DateRange(date(2023, 2, 1), date(2023, 2, 28))
    assert r.comparison("none") is None and r.comparison(None) is None
    with pytest.raises(InvalidInputError):
        r.comparison("quarter")


def test_date_range_rejects_end_before_start() -> None:
    with pytest.raises(InvalidInputError, match="before the start"):
        DateRange(date(2024, 3, 10), date(2024, 3, 1))


def test_presets() -> None:
    p = presets(date(2024, 3, 15))
    assert p["last_7_days"] == DateRange(date(2024, 3, 9), date(2024, 3, 15))
    assert p["last_30_days"].days == 30 and p["last_90_days"].days == 90
    assert p["this_month"] == DateRange(date(2024, 3, 1), date(2024, 3, 15))
    assert p["last_month"] == DateRange(date(2024, 2, 1), date(2024, 2, 29))
    assert p["year_to_date"] == DateRange(date(2024, 1, 1), date(2024, 3, 15))
    jan = presets(date(2024, 1, 10))
    assert jan["last_month"] == DateRange(date(2023, 12, 1), date(2023, 12, 31))


def test_parse_date_message() -> None:
    assert parse_date("2024-03-31") == date(2024, 3, 31)
    with pytest.raises(InvalidInputError, match="year-month-day"):
        parse_date("31/03/2024")


def test_filters_validation_and_description() -> None:
    with pytest.raises(InvalidInputError, match="revenue basis"):
        OrderFilters(revenue_basis="gross")
    with pytest.raises(InvalidInputError, match="traffic source"):
        OrderFilters(traffic_source="matomo")
    with pytest.raises(InvalidInputError, match="UTC offset"):
        OrderFilters(utc_offset_minutes=24 * 60)
    f = OrderFilters(online_channels=["web", "app"])
    assert f.online_channels == ("web", "app")
    text = " ".join(OrderFilters().describe())
    assert "cancelled" in text and "test and draft" in text and "web" in text
