"""Traffic and event funnels: closed and open, skipped steps, segments, side by side."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ro_core.metrics import DateRange
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.funnel import compare_funnels, traffic_funnel
from tests.metrics.conftest import event_row, insert_canonical, traffic_row

DAY = DateRange(date(2024, 3, 2), date(2024, 3, 2))


def _events(session: str, types: list[str], device: str) -> list[dict]:
    return [
        event_row(f"2024-03-02 10:{i:02d}:00+00", session, t, device=device)
        for i, t in enumerate(types)
    ]


@pytest.fixture
def event_store(db):
    rows = (
        _events("s1", ["view", "cart", "checkout", "purchase"], "mobile")
        + _events("s2", ["view", "purchase"], "mobile")  # Buy Now: no cart, no checkout
        + _events("s3", ["cart", "view"], "desktop")  # cart before the view: out of order
        + _events("s4", ["view"], "desktop")
        + _events("s5", ["view", "cart", "view", "checkout"], "desktop")
    )
    insert_canonical(db, "events", rows)
    return db


def _steps(frame: pd.DataFrame, segment: str = "All") -> dict[str, dict]:
    part = frame[frame["segment"] == segment]
    return {r["step"]: r for r in part.to_dict(orient="records")}


def test_closed_event_funnel(event_store) -> None:
    result = event_funnel(event_store, DAY, closed=True)
    assert result.steps == ("sessions", "product_view", "cart", "checkout", "purchase")
    s = _steps(result.frame)
    assert s["sessions"]["sessions"] == 5
    assert s["product_view"]["sessions"] == 5
    assert s["cart"]["sessions"] == 2  # s1, s5 (s3's cart came before its view)
    assert s["checkout"]["sessions"] == 2  # s1, s5
    assert s["purchase"]["sessions"] == 1  # s1 only: s2 skipped cart and checkout
    assert s["cart"]["drop_off"] == 3 and s["purchase"]["drop_off"] == 1
    assert s["purchase"]["skipped"] == 1  # s2 purchased without a checkout
    assert s["checkout"]["step_conversion"] == pytest.approx(1.0)
    assert s["purchase"]["from_top_conversion"] == pytest.approx(1 / 5)
    assert (result.frame["drop_off"].dropna() >= 0).all()


def test_open_event_funnel(event_store) -> None:
    result = event_funnel(event_store, DAY, closed=False)
    s = _steps(result.frame)
    assert s["cart"]["sessions"] == 3  # s1, s3, s5
    assert s["checkout"]["sessions"] == 2
    assert s["purchase"]["sessions"] == 2  # s1, s2
    # purchase: of the 2 checkout sessions, s1 purchased: conversion 1/2, drop-off 1
    assert s["purchase"]["step_conversion"] == pytest.approx(0.5)
    assert s["purchase"]["drop_off"] == 1
    assert s["purchase"]["skipped"] == 1  # s2
    assert s["checkout"]["skipped"] == 0


def test_event_funnel_by_segment_and_side_by_side(event_store) -> None:
    result = event_funnel(event_store, DAY, segment_dimension="device")
    mobile = _steps(result.frame, "mobile")
    desktop = _steps(result.frame, "desktop")
    assert mobile["sessions"]["sessions"] == 2 and mobile["purchase"]["sessions"] == 1
    assert desktop["sessions"]["sessions"] == 3 and desktop["purchase"]["sessions"] == 0
    side = compare_funnels(
        event_funnel(event_store, DAY, closed=True), event_funnel(event_store, DAY, closed=False)
    )
    row = side[side["step"] == "purchase"].iloc[0]
    assert row["sessions"] == 1 and row["sessions_comparison"] == 2
    assert row["step_conversion_change"] == pytest.approx(0.5 - 0.5)
    cart = side[side["step"] == "cart"].iloc[0]
    assert cart["step_conversion_change"] == pytest.approx(2 / 5 - 3 / 5)


def test_traffic_funnel_buy_now_is_skipped_not_negative(db) -> None:
    insert_canonical(
        db,
        "traffic",
        [
            traffic_row(
                date(2024, 12, 30), grain="week", sessions=2484.0, cart_sessions=243.0,
                checkout_sessions=248.0, converted_sessions=73.0,
            )
        ],
    )  # fmt: skip
    result = traffic_funnel(db, DateRange(date(2024, 12, 30), date(2025, 1, 5)))
    s = _steps(result.frame)
    assert result.steps == ("sessions", "cart", "checkout", "purchase")
    assert s["checkout"]["drop_off"] == 0
    assert s["checkout"]["skipped"] == 5
    assert s["checkout"]["step_conversion"] == pytest.approx(1.0)
    assert s["purchase"]["drop_off"] == 248 - 73
    assert s["purchase"]["from_top_conversion"] == pytest.approx(73 / 2484)
    assert "viewed a product" in result.note


def _independent_rees46_funnel(path) -> dict[str, int]:
    frame = pd.read_csv(path, usecols=["event_time", "event_type", "user_session"])
    frame = frame.dropna(subset=["user_session"])
    frame["t"] = pd.to_datetime(frame["event_time"].str.replace(" UTC", ""))
    counts = {"sessions": frame["user_session"].nunique()}
    reached = None
    for step in ("view", "cart", "purchase"):
        part = frame[frame["event_type"] == step]
        if reached is not None:
            part = part.merge(reached, on="user_session")
            part = part[part["t"] >= part["t_prev"]]
        first = part.groupby("user_session")["t"].min().rename("t_prev").reset_index()
        counts[step] = len(first)
        reached = first
    has = frame.groupby("user_session")["event_type"].agg(set)
    counts["purchase_without_cart"] = int(
        sum(1 for s in has if "purchase" in s and "cart" not in s)
    )
    counts["open_purchase"] = int(sum(1 for s in has if "purchase" in s))
    return counts


def test_rees46_events_against_pandas(db, real_exports) -> None:
    from ro_core.ingest.pipeline import ingest_file

    path = real_exports / "rees46_events" / "rees46_2019-Oct_head17k_complete_lines.csv"
    ingest_file(db, path)
    expected = _independent_rees46_funnel(path)
    period = DateRange(date(2019, 10, 1), date(2019, 10, 1))
    closed = _steps(event_funnel(db, period, closed=True).frame)
    assert closed["sessions"]["sessions"] == expected["sessions"]
    assert closed["product_view"]["sessions"] == expected["view"]
    assert closed["cart"]["sessions"] == expected["cart"]
    assert closed["purchase"]["sessions"] == expected["purchase"]
    assert closed["purchase"]["skipped"] == expected["purchase_without_cart"]
    opened = _steps(event_funnel(db, period, closed=False).frame)
    assert opened["purchase"]["sessions"] == expected["open_purchase"]
