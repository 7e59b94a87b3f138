"""Which traffic rows answer a question (issue 10, "Sources").

Against the real exports (csv-module sums as the independent source) and small synthetic stores
built here: the breakdown that adds up to the total wins; a partial one says its share; store
totals come from a breakdown partitioning sessions when no total rows exist; a funnel keeps the
steps it has without a sessions report; KPIs and segments agree on a segment; one traffic source
per store, named in every note.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from ro_core.cli import main
from ro_core.ingest.pipeline import ingest_file
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.funnel import traffic_funnel
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import DateRange
from ro_core.metrics.segments import segment_values, segments
from ro_core.metrics.sources import default_traffic_source
from ro_core.metrics.traffic import grain_coverage, select_traffic
from ro_core.metrics.trends import trend
from ro_core.store.db import reset_databases
from tests.metrics.conftest import insert_canonical, traffic_row

YEAR_2024 = DateRange(date(2024, 1, 1), date(2024, 12, 31))
REFERRER = "Shopify 2024 - Sessions by referrer.csv"
SOCIAL = "Shopify 2024 - Sessions by social referrer.csv"
VISITORS = "Shopify 2024 - Visitors Over Time.csv"
BEHAVIOUR_2025 = "Shopify 2025 YTD - Customer behavior.csv"
GA4_CHANNELS = (
    "GA Traffic_acquisition_Session_primary_channel_group_(Default_Channel_Group) 2024.csv"
)
GA4_FIRST_USER = (
    "GA User_acquisition_First_user_primary_channel_group_(Default_Channel_Group) 2024.csv"
)


def _rows(path: Path, skip_comments: bool = False) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = [line for line in fh if not (skip_comments and line.startswith("#"))]
    return list(csv.DictReader(line for line in lines if line.strip()))


def _sum_by(rows: list[dict[str, str]], key: str, value: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for row in rows:
        out[row[key]] += float(row[value])
    return dict(out)


# --- the real Shopify referrer files -------------------------------------------------------------
@pytest.fixture
def referrer_store(db, real_exports):
    folder = real_exports / "shopify_analytics"
    for name in (REFERRER, SOCIAL, VISITORS):
        ingest_file(db, folder / name)
    by_source = _sum_by(_rows(folder / REFERRER), "Referrer source", "Sessions")
    total = sum(float(r["Sessions"]) for r in _rows(folder / VISITORS))
    return db, by_source, total


def test_complete_referrer_breakdown_wins_over_the_social_file(referrer_store) -> None:
    db, by_source, total = referrer_store
    assert total == 279_172 and sum(by_source.values()) == total  # the breakdown is complete
    result = segments(db, "channel", YEAR_2024)
    got = dict(zip(result.frame["segment"], result.frame["sessions"], strict=True))
    assert sum(got.values()) == total
    named = {k: v for k, v in by_source.items() if k}  # direct, social, search, unknown...
    assert {k: got[k] for k in named} == named
    assert got["direct"] == 151_440 and got["social"] == 83_762 and got["email"] == 623
    (blank,) = set(got) - set(named)  # the rows without a referrer source, as one segment
    assert got[blank] == by_source[""]
    assert result.traffic.dimensions_key == "channel,referrer"
    assert result.traffic.share == pytest.approx(1.0)
    assert result.note.startswith("Shopify traffic")
    assert "covers only" not in result.note


def test_ro_segments_by_channel_shows_every_channel(referrer_store, capsys) -> None:
    db, by_source, _total = referrer_store
    db.close()
    try:
        code = main(
            ["--json", "--db", str(db.path), "segments", "--by", "channel",
             "--start", "2024-01-01", "--end", "2024-12-31"]
        )  # fmt: skip
        data = json.loads(capsys.readouterr().out)
    finally:
        reset_databases()
    assert code == 0
    got = {row["segment"]: row["sessions"] for row in data["rows"]}
    assert len(got) == len(by_source) == 7
    assert got["direct"] == by_source["direct"] == 151_440
    assert data["traffic"]["source"] == "shopify"


def test_funnel_by_channel_is_not_a_single_rectangle(referrer_store) -> None:
    db, by_source, _total = referrer_store
    funnel = traffic_funnel(db, YEAR_2024, segment_dimension="channel")
    tops = funnel.frame[funnel.frame["step"] == "sessions"]
    got = dict(zip(tops["segment"], tops["sessions"], strict=True))
    assert len(got) == 7 and got["direct"] == by_source["direct"]
    assert got["search"] == by_source["search"] == 33_406
    assert "Shopify traffic" in funnel.note


def test_kpis_and_segments_agree_on_one_referrer_channel(referrer_store) -> None:
    db, by_source, _total = referrer_store
    frame = segments(db, "channel", YEAR_2024).frame.set_index("segment")
    for channel in ("direct", "social", "email"):
        k = kpi_values(
            db, YEAR_2024, OrderFilters(segment_dimension="channel", segment_value=channel)
        )
        assert k.sessions == by_source[channel] == frame.loc[channel, "sessions"]
        assert not any("no sessions with" in note for note in k.notes)
        # neither side has conversions by referrer channel: no CR on either
        assert k.conversion_rate is None and frame.loc[channel, "conversion_rate"] is None


def test_the_social_file_alone_says_what_share_it_covers(db, real_exports) -> None:
    folder = real_exports / "shopify_analytics"
    for name in (SOCIAL, VISITORS):
        ingest_file(db, folder / name)
    social = sum(float(r["Sessions"]) for r in _rows(folder / SOCIAL))
    total = sum(float(r["Sessions"]) for r in _rows(folder / VISITORS))
    result = segments(db, "channel", YEAR_2024)
    assert list(result.frame["segment"]) == ["social"]
    assert result.frame["sessions"].iloc[0] == social == 83_762
    assert result.traffic.share == pytest.approx(social / total)
    assert f"covers only {social / total:.1%}" in result.note  # 30.0%


# --- the real GA4 channel report ----------------------------------------------------------------
@pytest.fixture
def ga4_store(db, real_exports):
    folder = real_exports / "ga4_exports"
    for name in (GA4_CHANNELS, GA4_FIRST_USER):
        ingest_file(db, folder / name)
    rows = _rows(folder / GA4_CHANNELS, skip_comments=True)
    channel = next(iter(rows[0]))
    return db, _sum_by(rows, channel, "Sessions"), _sum_by(rows, channel, "Key events")


def test_ga4_channels_give_the_store_totals(ga4_store) -> None:
    db, sessions, _key_events = ga4_store
    assert sum(sessions.values()) == 512_460
    k = kpi_values(db, YEAR_2024)
    assert k.sessions == 512_460
    assert not any("No traffic data" in note for note in k.notes)
    assert k.traffic.totals_from_breakdown and k.traffic.dimensions_key == "channel"
    assert any("sum of its channel breakdown" in note for note in k.notes)
    assert any(note.startswith("GA4 traffic") for note in k.notes)
    weekly = trend(db, "sessions", "week", YEAR_2024)
    assert sum(weekly.frame["sessions"]) == 512_460
    assert weekly.traffic.source == "ga4"


def test_kpis_and_segments_agree_on_a_ga4_channel_sessions(ga4_store) -> None:
    db, sessions, _key_events = ga4_store
    frame = segments(db, "channel", YEAR_2024).frame.set_index("segment")
    for channel in ("Email", "Direct", "Organic Search"):
        k = kpi_values(
            db, YEAR_2024, OrderFilters(segment_dimension="channel", segment_value=channel)
        )
        assert k.sessions == sessions[channel] == frame.loc[channel, "sessions"]


def test_kpis_and_segments_agree_on_a_ga4_channel_cr(ga4_store) -> None:
    db, sessions, key_events = ga4_store
    frame = segments(db, "channel", YEAR_2024).frame.set_index("segment")
    k = kpi_values(db, YEAR_2024, OrderFilters(segment_dimension="channel", segment_value="Email"))
    expected = key_events["Email"] / sessions["Email"]
    assert frame.loc["Email", "conversion_rate"] == pytest.approx(expected)
    assert k.conversion_rate == pytest.approx(expected)


# --- the real 2025 customer-behaviour report without a sessions report --------------------------
def test_funnel_without_a_sessions_report_starts_at_its_first_step(db, real_exports) -> None:
    path = real_exports / "shopify_analytics" / BEHAVIOUR_2025
    ingest_file(db, path)
    period = DateRange(date(2025, 1, 6), date(2025, 11, 30))
    weeks = [
        r for r in _rows(path) if r["Week"] >= "2025-01-06" and r["Week"] <= "2025-11-24"
    ]  # weeks whose seven days lie inside the period
    expected = {
        "cart": sum(int(r["Sessions with cart additions"]) for r in weeks),
        "checkout": sum(int(r["Sessions that reached checkout"]) for r in weeks),
        "purchase": sum(int(r["Sessions that completed checkout"]) for r in weeks),
    }
    assert expected == {"cart": 7_498, "checkout": 6_697, "purchase": 2_272}
    funnel = traffic_funnel(db, period)
    assert funnel.steps == ("cart", "checkout", "purchase")
    assert dict(zip(funnel.frame["step"], funnel.frame["sessions"], strict=True)) == expected
    purchase = funnel.frame.set_index("step").loc["purchase"]
    assert purchase["from_top_conversion"] == pytest.approx(2_272 / 7_498)
    assert "No sessions report" in funnel.note and "'Added to cart'" in funnel.note
    assert funnel.note.startswith("Shopify traffic")
    # sessions-based figures stay honest: no sessions, no CR
    assert kpi_values(db, period).sessions is None


# --- synthetic stores ----------------------------------------------------------------------------
D0 = date(2024, 6, 3)  # a Monday
DAYS = [D0 + timedelta(days=i) for i in range(7)]
WEEK = DateRange(DAYS[0], DAYS[-1])


def _totals(source: str = "shopify", sessions: float = 100.0, **values) -> list[dict]:
    return [traffic_row(d, source=source, sessions=sessions, **values) for d in DAYS]


def test_partial_breakdown_never_poses_as_the_whole(db) -> None:
    rows = _totals(converted_sessions=4.0)
    rows += [traffic_row(d, channel="social", sessions=30.0, converted_sessions=2.0) for d in DAYS]
    insert_canonical(db, "traffic", rows, file_format="shopify_analytics")
    result = segments(db, "channel", WEEK)
    assert result.frame["sessions"].tolist() == [210.0]
    assert result.traffic.share == pytest.approx(210 / 700)
    assert "covers only 30.0% of the Shopify sessions" in result.note


def test_complete_breakdown_beats_an_exact_partial_one(db) -> None:
    rows = _totals(converted_sessions=4.0)
    rows += [traffic_row(d, channel="social", sessions=30.0, converted_sessions=2.0) for d in DAYS]
    for channel, referrer, sessions, converted in (
        ("direct", None, 50.0, 1.0),
        ("social", "facebook", 30.0, 2.0),
        ("search", "google", 20.0, 1.0),
    ):
        rows += [
            traffic_row(d, channel=channel, referrer=referrer or "(none)", sessions=sessions,
                        converted_sessions=converted)
            for d in DAYS
        ]  # fmt: skip
    insert_canonical(db, "traffic", rows, file_format="shopify_analytics")
    result = segments(db, "channel", WEEK)
    got = dict(zip(result.frame["segment"], result.frame["sessions"], strict=True))
    assert got == {"direct": 350.0, "social": 210.0, "search": 140.0}
    assert "covers only" not in result.note
    direct = kpi_values(db, WEEK, OrderFilters(segment_dimension="channel", segment_value="direct"))
    row = result.frame.set_index("segment").loc["direct"]
    assert direct.sessions == row["sessions"] == 350
    assert direct.conversion_rate == pytest.approx(7 / 350) == row["conversion_rate"]


def test_weekly_breakdown_is_checked_against_daily_totals(db) -> None:
    rows = _totals()
    rows.append(traffic_row(D0, grain="week", channel="social", sessions=210.0))
    for channel, sessions in (("direct", 350.0), ("social", 210.0), ("search", 140.0)):
        rows.append(traffic_row(D0, grain="week", channel=channel, referrer="x", sessions=sessions))
    insert_canonical(db, "traffic", rows, file_format="shopify_analytics")
    (candidate,) = grain_coverage(db, WEEK, "channel", "shopify")
    assert candidate.dimensions_key == "channel,referrer" and candidate.share == pytest.approx(1)


def test_no_totals_a_session_partition_gives_them(db) -> None:
    rows = []
    for channel, sessions in (("Email", 50.0), ("Direct", 30.0), ("Organic Search", 20.0)):
        rows += [
            traffic_row(d, source="ga4", channel=channel, sessions=sessions, orders=1.0)
            for d in DAYS
        ]
    insert_canonical(db, "traffic", rows, file_format="ga4_reports")
    k = kpi_values(db, WEEK)
    assert k.sessions == 700
    assert k.traffic.totals_from_breakdown
    assert any("each session has exactly one channel" in note for note in k.notes)


def test_no_totals_never_from_first_user_channel_or_a_single_channel(db) -> None:
    rows = []
    for channel, sessions in (("Email", 50.0), ("Direct", 30.0)):
        rows += [
            traffic_row(d, source="mapped", first_user_channel=channel, sessions=sessions)
            for d in DAYS
        ]
    rows += [traffic_row(d, source="mapped", channel="social", sessions=30.0) for d in DAYS]
    insert_canonical(db, "traffic", rows)
    k = kpi_values(db, WEEK)
    assert k.sessions is None and k.traffic is None
    assert select_traffic(db, WEEK, OrderFilters()) is None


def test_funnel_steps_without_sessions_synthetic(db) -> None:
    rows = [
        traffic_row(d, cart_sessions=10.0, checkout_sessions=8.0, converted_sessions=4.0)
        for d in DAYS
    ]
    insert_canonical(db, "traffic", rows, file_format="shopify_analytics")
    funnel = traffic_funnel(db, WEEK)
    frame = funnel.frame.set_index("step")
    assert funnel.steps == ("cart", "checkout", "purchase")
    assert frame["sessions"].tolist() == [70.0, 56.0, 28.0]
    assert frame.loc["checkout", "step_conversion"] == pytest.approx(0.8)
    assert frame.loc["purchase", "from_top_conversion"] == pytest.approx(0.4)


def _order(order_id: str, day: int, total: float) -> dict:
    return {"order_id": order_id, "local_date": DAYS[day], "total": total, "subtotal": total,
            "channel": "web", "country": "US", "cancelled": False, "is_test": False}  # fmt: skip


@pytest.fixture
def two_sources(db):
    """Shopify orders and Shopify store totals; GA4 sessions by channel only."""
    insert_canonical(
        db, "orders", [_order(f"o{i}", i, 50.0) for i in range(7)], file_format="shopify_orders"
    )
    rows = _totals(converted_sessions=1.0)
    for channel, sessions in (("Email", 60.0), ("Direct", 40.0)):
        rows += [
            traffic_row(d, source="ga4", channel=channel, sessions=sessions, orders=1.0)
            for d in DAYS
        ]
    insert_canonical(db, "traffic", [r for r in rows if r["traffic_source"] == "shopify"],
                     file_format="shopify_analytics")  # fmt: skip
    insert_canonical(db, "traffic", [r for r in rows if r["traffic_source"] == "ga4"],
                     file_format="ga4_reports")  # fmt: skip
    return db


def test_one_traffic_source_per_store(two_sources) -> None:
    db = two_sources
    assert default_traffic_source(db) == "shopify"
    by_channel = segments(db, "channel", WEEK)
    assert by_channel.traffic is None and by_channel.frame.empty
    assert "No Shopify traffic split by channel" in by_channel.note
    assert "GA4 traffic has it" in by_channel.note
    funnel = traffic_funnel(db, WEEK, segment_dimension="channel")
    assert funnel.frame.empty and "No Shopify traffic" in funnel.note
    k = kpi_values(db, WEEK, OrderFilters(segment_dimension="channel", segment_value="Email"))
    assert k.sessions is None  # never GA4's Email sessions beside Shopify's store figures
    store = kpi_values(db, WEEK)
    assert store.traffic.source == "shopify" and store.sessions == 700
    assert trend(db, "sessions", "day", WEEK).traffic.source == "shopify"
    # the "show only" picker offers the store source's values, not another source's
    assert segment_values(db, "channel", WEEK, side="traffic") == []
    assert segment_values(db, "channel", WEEK, side="traffic", traffic_source="ga4") == [
        "Email",
        "Direct",
    ]
    # picking GA4 uses GA4 everywhere, and says so
    ga4 = OrderFilters(traffic_source="ga4")
    chosen = segments(db, "channel", WEEK, ga4)
    assert dict(zip(chosen.frame["segment"], chosen.frame["sessions"], strict=True)) == {
        "Email": 420.0,
        "Direct": 280.0,
    }
    assert chosen.note.startswith("GA4 traffic (the chosen traffic source)")
    assert kpi_values(db, WEEK, ga4).sessions == 700
    assert trend(db, "sessions", "day", WEEK, ga4).traffic.source == "ga4"
