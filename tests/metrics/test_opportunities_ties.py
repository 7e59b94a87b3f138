"""Opportunities that tie exactly come out in one order whatever order the rows arrive in (the
engines return groups in their own order): by dimension, segment, then funnel step."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ro_core.metrics import DateRange, opportunities
from ro_core.metrics.opportunities import OPPORTUNITY_COLUMNS, _rank
from tests.metrics.conftest import insert_canonical, traffic_row

START = date(2024, 9, 2)
TEN_DAYS = DateRange(START, START + timedelta(days=9))


def _ga4_days(plan: dict[str, dict[str, tuple[float, float, float]]], order: list[str]) -> list:
    """GA4 daily rows (sessions, orders, revenue a day per segment), segments in `order`."""
    return [
        traffic_row(START + timedelta(days=d), source="ga4", sessions=s, orders=o, revenue=r,
                    **{dimension: segment})
        for d in range(10)
        for segment in order
        for dimension, segments in plan.items()
        if segment in segments
        for s, o, r in [segments[segment]]
    ]  # fmt: skip


# social and direct are the same sessions and orders; so are tablet and mobile
PLAN = {
    "channel": {
        "search": (3000.0, 90.0, 4500.0),
        "social": (1500.0, 10.0, 500.0),
        "direct": (1500.0, 10.0, 500.0),
    },
    "device": {
        "desktop": (3000.0, 90.0, 4500.0),
        "tablet": (400.0, 3.0, 150.0),
        "mobile": (400.0, 3.0, 150.0),
    },
}


def _listed(db, order: list[str]) -> list[tuple]:
    insert_canonical(db, "traffic", _ga4_days(PLAN, order))
    frame = opportunities(db, TEN_DAYS, compare_previous=False)
    return list(
        zip(frame["segment_dimension"], frame["segment"], frame["monthly_revenue_gain"],
            frame["rank"].astype(object).where(frame["rank"].notna(), None), strict=True)
    )  # fmt: skip


def test_tied_segments_are_listed_by_name(db, tmp_path) -> None:
    from ro_core.store.db import Database

    forward = _listed(db, ["search", "desktop", "social", "direct", "tablet", "mobile"])
    other = Database(tmp_path / "other.duckdb")
    backward = _listed(other, ["mobile", "tablet", "direct", "social", "desktop", "search"])
    other.close()
    assert forward == backward
    # social and direct gain the same (1,500 sessions, 10 orders a day: capped at +20%), and
    # so do tablet and mobile; channel gains more in total, so it is ranked at purchase
    (ch1, seg1, gain1, rank1), (ch2, seg2, gain2, rank2) = forward[:2]
    assert (ch1, seg1, rank1, ch2, seg2, rank2) == ("channel", "direct", 1, "channel", "social", 2)
    assert gain1 == gain2 > 0
    (d1, seg3, gain3, rank3), (d2, seg4, gain4, rank4) = forward[2:]
    assert (d1, seg3, d2, seg4) == ("device", "mobile", "device", "tablet")
    assert gain3 == gain4 > 0 and rank3 is None and rank4 is None


def _rows(specs: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    columns = [c for c in OPPORTUNITY_COLUMNS if c != "rank"]
    rows = []
    for dimension, segment, step, gain in specs:
        row = dict.fromkeys(columns)
        row.update(segment_dimension=dimension, segment=segment, step=step, source="GA4",
                   monthly_revenue_gain=gain, small_sample=False)  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def test_rank_breaks_exact_ties_by_dimension_segment_and_step() -> None:
    specs = [
        ("device", "mobile", "purchase", 100.0),
        ("device", "desktop", "cart", 100.0),
        ("device", "desktop", "purchase", 100.0),
        ("device", "desktop", "product_view", 100.0),
        ("channel", "social", "purchase", 100.0),
        ("channel", "email", "purchase", 100.0),
        ("device", "tablet", "purchase", 300.0),
    ]
    # by hand: at purchase device gains 500 against channel's 200, so device is ranked there;
    # at cart and product view only device has rows. Ranked rows by gain, ties by segment, then
    # the funnel's order of steps (product view, cart, purchase); channel overlaps last.
    expected = [
        ("device", "tablet", "purchase", 1),
        ("device", "desktop", "product_view", 2),
        ("device", "desktop", "cart", 3),
        ("device", "desktop", "purchase", 4),
        ("device", "mobile", "purchase", 5),
        ("channel", "email", "purchase", None),
        ("channel", "social", "purchase", None),
    ]
    for order in (specs, specs[::-1], specs[3:] + specs[:3]):
        frame = _rank(_rows(order))
        got = [
            (d, s, step, None if pd.isna(rank) else int(rank))
            for d, s, step, rank in zip(frame["segment_dimension"], frame["segment"],
                                        frame["step"], frame["rank"], strict=True)
        ]  # fmt: skip
        assert got == expected
        assert list(frame.loc[frame["rank"].isna(), "overlaps_with"]) == ["device", "device"]
