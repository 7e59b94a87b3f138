"""The events' per-day counts (read once per data version) add up to what the events hold in a
period: checked against a count of the event rows themselves."""

from __future__ import annotations

from datetime import date

from ro_core.metrics.event_days import COUNTED_TYPES, SEGMENT_COLUMNS, event_days
from ro_core.metrics.event_rules import EVENT_SEGMENTS, EVENT_STEP_TYPES
from ro_core.metrics.periods import DateRange
from tests.metrics.conftest import event_row, insert_canonical


def test_the_counts_cover_the_funnel_steps_and_segments() -> None:
    assert set(EVENT_STEP_TYPES.values()) == set(COUNTED_TYPES)
    assert set(EVENT_SEGMENTS) == set(SEGMENT_COLUMNS)


def test_day_counts_add_up_to_the_events_of_a_period(db) -> None:
    rows = [
        event_row("2024-03-01 10:00:00+00", "s1", "view", device="mobile"),
        event_row("2024-03-01 10:01:00+00", "s1", "cart", device="mobile", channel="email"),
        event_row("2024-03-01 10:02:00+00", "s1", "purchase", revenue=40.0, country="US"),
        event_row("2024-03-02 09:00:00+00", "s2", "view"),
        event_row("2024-03-02 09:05:00+00", "s2", "purchase"),  # no revenue
        event_row("2024-03-03 12:00:00+00", "s3", "checkout", device="desktop"),
        event_row("2024-03-03 12:10:00+00", "s3", "purchase", revenue=60.0),
        event_row("2024-03-04 08:00:00+00", "s4", "other"),
    ]
    insert_canonical(db, "events", rows)
    days = event_days(db)
    for first, last in ((1, 4), (2, 3), (4, 4), (5, 9)):
        period = DateRange(date(2024, 3, first), date(2024, 3, last))
        found = days.totals(period)
        # the reference: the event rows of the period, counted one by one
        inside = [r for r in rows if first <= int(r["local_date"][8:]) <= last]
        assert found.events == len(inside)
        for column in SEGMENT_COLUMNS:
            assert found.filled[column] == sum(1 for r in inside if r.get(column))
        for kind in COUNTED_TYPES:
            assert found.by_type[kind] == sum(1 for r in inside if r["event_type"] == kind)
        revenues = [r["revenue"] for r in inside
                    if r["event_type"] == "purchase" and r["revenue"] is not None]  # fmt: skip
        assert found.purchase_revenue_n == len(revenues)
        assert found.purchase_revenue == (sum(revenues) if revenues else None)
