"""The event funnel's one-pass plan, and its plan from the per (session, day) sums
(ro_core.metrics.event_sessions), against a brute-force recomputation in plain Python.

The closed funnel is defined per session as the earliest-first ordered chain: the first event of
step 1, then the first event of step 2 at or after it, and so on. The brute force below walks
that definition event by event; the SQL (ro_core.metrics.event_funnel) gets there from each step's
first and last time per session plus a narrow second look-up, so the hand-made sessions aim at
the cases where those differ: steps out of order, repeated steps on both sides of an earlier
step, equal times, and sessions keyed by user and day. Every test runs with both plans; sessions
across several days, periods that cut them and the segment rules are checked as well.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from ro_core.metrics import DateRange
from ro_core.metrics import event_sessions as event_sessions_module
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.filters import OrderFilters
from tests.metrics.conftest import insert_canonical

STEPS = ("view", "cart", "checkout", "purchase")
STEP_NAMES = {
    "view": "product_view",
    "cart": "cart",
    "checkout": "checkout",
    "purchase": "purchase",
}
DAY1, DAY2 = date(2024, 3, 1), date(2024, 3, 2)
PERIOD = DateRange(DAY1, DAY2)


def _event(
    day: date, minute: int, event_type: str, session: str | None, user: str | None = None, **more
) -> dict:
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(minutes=minute)
    return {"event_time": when.isoformat(), "local_date": day.isoformat(), "session_id": session,
            "user_id": user, "event_type": event_type, "event_name": event_type, **more}  # fmt: skip


def _session(name: str, types: list[str], day: date = DAY1, *, minutes: list[int] | None = None):
    return [
        _event(day, m, t, name)
        for t, m in zip(types, minutes or list(range(len(types))), strict=True)
    ]


HAND_MADE = (
    _session("in_order", ["view", "cart", "checkout", "purchase"])
    # cart before the view: the chain stops at the view
    + _session("cart_first", ["cart", "view", "checkout", "purchase"])
    # a cart before the first view and another after it (the second look-up finds the later one)
    + _session(
        "carts_around_view", ["cart", "view", "cart", "view", "checkout", "checkout", "purchase"]
    )  # fmt: skip
    # checkouts on both sides of the last purchase, all after the cart: reaches purchase
    + _session("checkouts_around_purchase", ["view", "cart", "checkout", "purchase", "checkout"])
    # a checkout before the cart, the purchase, then a checkout after the purchase: the chain's
    # checkout is the late one, with no purchase after it
    + _session("late_checkout", ["view", "checkout", "cart", "purchase", "checkout"])
    # both straddles in one session
    + _session(
        "both_straddles", ["cart", "view", "checkout", "cart", "checkout", "purchase", "checkout"]
    )  # fmt: skip
    # equal times count as in order (a step at or after the previous one)
    + _session("same_minute", ["view", "cart", "checkout", "purchase"], minutes=[5, 5, 5, 5])
    + _session("purchase_first", ["purchase", "checkout", "cart", "view"])
    + _session("buy_now", ["view", "purchase"])
    + _session("view_only", ["view", "view", "view"])
    + _session("cart_and_other", ["remove_from_cart", "cart", "other"])
    + _session("next_day", ["view", "cart", "cart", "checkout"], DAY2)
    # no session id: one session per user and day
    + [
        _event(DAY1, 1, "view", None, "u1"),
        _event(DAY1, 30, "cart", None, "u1"),
        _event(DAY2, 2, "checkout", None, "u1"),  # another day: another session
        _event(DAY2, 3, "purchase", None, "u1"),
        _event(DAY1, 4, "cart", None, "u2"),
        _event(DAY1, 6, "view", None, "u2"),
        _event(DAY1, 8, "cart", None, "u2"),
        _event(DAY1, 9, "checkout", None, "u2"),
        _event(DAY1, 7, "view", None, None),  # no session and no user: not a session
        _event(DAY1, 8, "purchase", None, None),
    ]
)


@pytest.fixture(autouse=True, params=["direct", "rollup"])
def plan(request, monkeypatch) -> str:
    """Both plans: the direct query, and the per-day sums for any period."""
    days = 10**6 if request.param == "direct" else -1
    monkeypatch.setattr(event_sessions_module, "ROLLUP_FROM_DAYS", days)
    return request.param


def _key(row: dict) -> str | None:
    if row["session_id"] is not None:
        return row["session_id"]
    if row["user_id"] is not None:
        return f"{row['user_id']}|{row['local_date']}"
    return None


def _brute_force(rows: list[dict], steps: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Per step: closed (chain), reached (has the step) and skipped (step without the previous)."""
    sessions: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in rows:
        key = _key(row)
        if key is not None:
            sessions[key].append((datetime.fromisoformat(row["event_time"]), row["event_type"]))
    out = {"sessions": {"closed": len(sessions), "reached": len(sessions), "skipped": 0}}
    for step in steps:
        out[step] = {"closed": 0, "reached": 0, "skipped": 0}
    for events in sessions.values():
        after = None  # the time of the previous step in the chain
        for step in steps:
            times = [t for t, kind in events if kind == step and (after is None or t >= after)]
            if not times:
                break
            after = min(times)
            out[step]["closed"] += 1
        kinds = {kind for _, kind in events}
        for k, step in enumerate(steps):
            out[step]["reached"] += step in kinds
            if k > 0:
                out[step]["skipped"] += step in kinds and steps[k - 1] not in kinds
    return out


def _by_step(frame) -> dict[str, dict]:
    return {r["step"]: r for r in frame.to_dict(orient="records")}


def _assert_matches(db, rows: list[dict], period: DateRange = PERIOD) -> None:
    rows = [
        r for r in rows if period.start.isoformat() <= r["local_date"] <= period.end.isoformat()
    ]
    present = tuple(s for s in STEPS if any(r["event_type"] == s for r in rows))
    expected = _brute_force(rows, present)
    closed = _by_step(event_funnel(db, period, closed=True).frame)
    opened = _by_step(event_funnel(db, period, closed=False).frame)
    if not present:
        assert closed == {} and opened == {}
        return
    assert closed["sessions"]["sessions"] == expected["sessions"]["closed"]
    for step in present:
        name = STEP_NAMES[step]
        assert closed[name]["sessions"] == expected[step]["closed"], step
        assert opened[name]["sessions"] == expected[step]["reached"], step
        assert closed[name]["skipped"] == expected[step]["skipped"], step
        assert opened[name]["skipped"] == expected[step]["skipped"], step


def test_hand_made_sessions_against_brute_force(db) -> None:
    insert_canonical(db, "events", HAND_MADE)
    expected = _brute_force(HAND_MADE, STEPS)
    # the hand count, so the brute force itself is checked too: 15 sessions (12 ids, u1 on two
    # days, u2); view: all but cart_and_other and u1 on day 2; cart after the view: in_order,
    # carts_around_view, checkouts_around_purchase, late_checkout, both_straddles, same_minute,
    # next_day, u1 day 1, u2; checkout after that: in_order, carts_around_view,
    # checkouts_around_purchase, late_checkout, both_straddles, same_minute, next_day, u2;
    # purchase after that: in_order, carts_around_view, checkouts_around_purchase,
    # both_straddles, same_minute
    assert {s: v["closed"] for s, v in expected.items()} == {
        "sessions": 15,
        "view": 13,
        "cart": 9,
        "checkout": 8,
        "purchase": 5,
    }
    _assert_matches(db, HAND_MADE)
    result = event_funnel(db, PERIOD, closed=True)
    assert result.steps == ("sessions", "product_view", "cart", "checkout", "purchase")
    assert result.note == (
        "Closed funnel: a session counts at a step only after doing every earlier step in order."
        " Sessions from event session ids (else user and day)."
    )


def test_segment_is_the_first_events_value(db) -> None:
    rows = [
        _event(DAY1, 0, "view", "a", device="mobile"),
        _event(DAY1, 1, "cart", "a", device="desktop"),
        _event(DAY1, 2, "cart", "b", device="desktop"),
        _event(DAY1, 3, "view", "b", device="mobile"),
        _event(DAY1, 4, "cart", "b", device="mobile"),
        _event(DAY1, 5, "view", None, "u1", device="mobile"),
        _event(DAY1, 6, "cart", None, "u1", device="mobile"),
    ]
    insert_canonical(db, "events", rows)
    frame = event_funnel(db, PERIOD, segment_dimension="device").frame
    mobile = _by_step(frame[frame["segment"] == "mobile"])
    desktop = _by_step(frame[frame["segment"] == "desktop"])
    assert mobile["sessions"]["sessions"] == 2 and mobile["cart"]["sessions"] == 2  # a, u1
    assert desktop["sessions"]["sessions"] == 1 and desktop["cart"]["sessions"] == 1  # b


def _random_rows(rng: random.Random, present: list[str]) -> list[dict]:
    rows = []
    for n in range(40):
        session = f"s{n}" if rng.random() < 0.7 else None
        user = f"u{rng.randint(0, 4)}" if session is None else None
        day = rng.choice([DAY1, DAY2])
        for _ in range(rng.randint(1, 9)):
            kind = rng.choice([*present, "remove_from_cart", "other"])
            rows.append(_event(day, rng.randint(0, 5), kind, session, user))  # many equal times
    return rows


@pytest.mark.parametrize(
    "present",
    [["view", "cart", "checkout", "purchase"], ["view", "cart", "purchase"],
     ["cart", "checkout", "purchase"], ["view", "purchase"], ["checkout"]],
)  # fmt: skip
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sessions_against_brute_force(db, present: list[str], seed: int) -> None:
    rows = _random_rows(random.Random(seed), present)
    insert_canonical(db, "events", rows)
    _assert_matches(db, rows)


def _rows_over_days(rng: random.Random, days: list[date]) -> list[dict]:
    """Sessions whose events fall on several days (an id seen again days later), devices that
    are missing or change within a session."""
    rows = []
    for n in range(60):
        session = f"m{n}" if rng.random() < 0.8 else None
        user = f"u{rng.randint(0, 4)}" if session is None else None
        for _ in range(rng.randint(1, 10)):
            kind = rng.choice([*STEPS, "remove_from_cart", "other"])
            device = rng.choice([None, "mobile", "Desktop", "MOBILE"])
            rows.append(_event(rng.choice(days), rng.randint(-700, 700), kind, session, user,
                               device=device))  # fmt: skip
    return rows


DAYS = [DAY1 + timedelta(days=i) for i in range(4)]
PERIODS = [DateRange(a, b) for i, a in enumerate(DAYS) for b in DAYS[i:]]


@pytest.mark.parametrize("seed", [4, 5])
def test_sessions_over_days_against_brute_force(db, seed: int) -> None:
    """Every period of four days: the chain of a session counts its events in the period."""
    rows = _rows_over_days(random.Random(seed), DAYS)
    insert_canonical(db, "events", rows)
    for period in PERIODS:
        _assert_matches(db, rows, period)


def _first_device(rows: list[dict]) -> dict[str, str]:
    """Per session its segment: the device of its first event that names one, else unknown."""
    found: dict[str, tuple[datetime, str]] = {}
    for row in rows:
        key, device = _key(row), row.get("device")
        when = datetime.fromisoformat(row["event_time"])
        if key is not None and device is not None and (key not in found or when < found[key][0]):
            found[key] = (when, device)
    keys = {_key(r) for r in rows} - {None}
    return {key: found[key][1] if key in found else "unknown" for key in keys}


@pytest.mark.parametrize("seed", [6, 7])
def test_segments_over_days_against_brute_force(db, seed: int) -> None:
    """The breakdown by device and the filter to one device, over every period."""
    rows = _rows_over_days(random.Random(seed), DAYS)
    insert_canonical(db, "events", rows)
    for period in PERIODS:
        inside = [r for r in rows
                  if period.start.isoformat() <= r["local_date"] <= period.end.isoformat()]  # fmt: skip
        devices = _first_device(inside)
        present = tuple(s for s in STEPS if any(r["event_type"] == s for r in inside))
        frame = event_funnel(db, period, closed=True, segment_dimension="device").frame
        for segment in set(devices.values()):
            mine = [r for r in inside if devices.get(_key(r)) == segment]
            expected = _brute_force(mine, present)
            shown = _by_step(frame[frame["segment"] == segment])
            assert shown["sessions"]["sessions"] == expected["sessions"]["closed"], segment
            for step in present:
                assert shown[STEP_NAMES[step]]["sessions"] == expected[step]["closed"], step
        assert set(frame["segment"]) == set(devices.values())
        order = frame.drop_duplicates("segment")[["segment"]].merge(
            frame[frame["step"] == "sessions"], on="segment")  # fmt: skip
        assert list(order["segment"]) == sorted(
            set(devices.values()), key=lambda d: (-list(devices.values()).count(d), d)
        )
        filters = OrderFilters(segment_dimension="device", segment_value="mobile")
        kept = [r for r in inside if devices.get(_key(r), "").lower() == "mobile"]
        kept_present = tuple(s for s in STEPS if any(r["event_type"] == s for r in kept))
        expected = _brute_force(kept, kept_present)
        shown = _by_step(event_funnel(db, period, closed=True, filters=filters).frame)
        if not kept_present:
            assert shown == {}
            continue
        assert shown["sessions"]["sessions"] == expected["sessions"]["closed"], period
        for step in kept_present:
            assert shown[STEP_NAMES[step]]["sessions"] == expected[step]["closed"], (period, step)


def test_a_segment_events_cannot_tell_gives_an_empty_funnel_that_says_why(db) -> None:
    insert_canonical(db, "events", HAND_MADE)
    filters = OrderFilters(segment_dimension="customer_type", segment_value="new")
    result = event_funnel(db, PERIOD, filters=filters)
    assert result.frame.empty and result.steps == ()
    assert result.note == (
        "Events carry no new vs returning. The event funnel cannot show only new vs returning = new."
    )
