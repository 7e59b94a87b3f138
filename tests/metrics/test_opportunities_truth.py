"""Opportunities a CRO specialist would sign (issue 10): like with like, the scope's traffic
source, capped lifts, gains as ranges, overlapping dimensions never added.

Small synthetic stores with hand-calculated expectations (gap intervals from statsmodels), then
the invariants on the demo store and on a store built from the real export files (figures
computed from the CSVs with the csv module).
"""

from __future__ import annotations

import csv
import math
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from ro_core import demo
from ro_core.ingest.pipeline import ingest_file
from ro_core.loop import hypotheses as H
from ro_core.metrics import DateRange, OrderFilters, opportunities
from ro_core.metrics.opportunities import (
    DAYS_PER_MONTH,
    MAX_RELATIVE_LIFT,
    MIN_BENCHMARK_CONVERSIONS,
    MIN_BENCHMARK_SESSIONS,
    OPPORTUNITY_COLUMNS,
    TOTAL_COLUMNS,
    TYPICAL_RELATIVE_LIFT,
    round_money,
    total_gain_by_dimension,
)
from ro_core.store.db import Database
from tests.conftest import REAL_EXPORTS
from tests.metrics.conftest import insert_canonical, shopify_order, traffic_row

START = date(2024, 9, 2)
TEN_DAYS = DateRange(START, START + timedelta(days=9))
BEFORE = DateRange(START - timedelta(days=10), START - timedelta(days=1))
PER_MONTH = DAYS_PER_MONTH / 10  # ten days of data scaled to a month


def _sig2(value: float, how) -> float:
    """Two significant figures by hand: 3043.75 -> 30.4375 hundreds -> how(30.4375) * 100."""
    unit = 10 ** max(len(str(int(value))) - 2, 0)
    return how(value / unit) * unit


def _ga4_days(plan: dict[str, dict[str, tuple[float, float, float]]]) -> list[dict]:
    """GA4-like daily rows: {dimension: {segment: (sessions, orders, revenue) per day}}."""
    return [
        traffic_row(START + timedelta(days=d), source="ga4", sessions=s, orders=o, revenue=r,
                    **{dimension: segment})
        for d in range(10)
        for dimension, segments in plan.items()
        for segment, (s, o, r) in segments.items()
    ]  # fmt: skip


# The same 3,080 sessions a day seen by device and by channel; AOV $50 everywhere.
TWO_VIEWS = {
    "device": {
        "mobile": (2000.0, 20.0, 1000.0),
        "desktop": (1080.0, 34.0, 1700.0),
        # 1,200 sessions but 20 orders: too few conversions to set a bar
        "tablet": (120.0, 2.0, 100.0),
    },
    "channel": {
        "social": (1500.0, 10.0, 500.0),
        "search": (1500.0, 40.0, 2000.0),
        # 5% on 800 sessions: a small lucky segment (40 orders, but under 1,000 sessions)
        "email": (80.0, 4.0, 200.0),
    },
}


@pytest.fixture
def two_views(db):
    insert_canonical(db, "traffic", _ga4_days(TWO_VIEWS))
    return db


def _row(frame, dimension: str, segment: str):
    rows = frame[(frame["segment_dimension"] == dimension) & (frame["segment"] == segment)]
    assert len(rows) == 1, f"{dimension} = {segment}: {len(rows)} rows"
    return rows.iloc[0]


# --- money rounding --------------------------------------------------------------------------------
def test_money_is_rounded_to_two_significant_figures() -> None:
    assert round_money(3043.75) == 3000 and round_money(3043.75, "up") == 3100
    assert round_money(760.9375, "down") == 760 and round_money(12_345.0) == 12_000
    assert round_money(99.6, "up") == 100 and round_money(7.4) == 7 and round_money(0.0) == 0
    assert round_money(6000.000000001, "up") == 6000  # float noise is not a step up
    assert round_money(None) is None


# --- like with like, the cap, the range -------------------------------------------------------------
def test_capped_lift_and_gain_range_by_hand(two_views) -> None:
    frame = opportunities(two_views, TEN_DAYS)
    assert list(frame.columns) == OPPORTUNITY_COLUMNS
    mobile = _row(frame, "device", "mobile")
    # desktop 340 / 10,800 is the bar; tablet (20 orders) cannot be one
    assert mobile["benchmark_source"] == "segment: desktop"
    assert mobile["benchmark_sessions"] == 10_800
    assert mobile["benchmark_rate"] == pytest.approx(340 / 10_800)
    assert mobile["source"] == "GA4"
    # 1% against 3.15% is +215%: capped at +20%; the low end is a typical +5% win
    assert (mobile["lift"], mobile["lift_low"], mobile["lift_high"]) == (0.2, 0.05, 0.2)
    assert bool(mobile["capped"]) and mobile["target_rate"] == pytest.approx(0.012)
    through = 200 * 50.0 * PER_MONTH  # $30,437.50 a month through mobile's purchases
    assert mobile["monthly_revenue_gain"] == _sig2(0.2 * through, round) == 6100
    assert mobile["gain_low"] == _sig2(0.05 * through, math.floor) == 1500
    assert mobile["gain_high"] == _sig2(0.2 * through, math.ceil) == 6100
    tablet = _row(frame, "device", "tablet")  # 1.67% against 3.15%: capped too
    assert tablet["monthly_revenue_gain"] == _sig2(0.2 * 20 * 50.0 * PER_MONTH, round) == 610
    assert "desktop" not in set(frame["segment"])  # the bar itself has nothing to catch up


def test_a_small_lucky_segment_never_sets_the_bar(two_views) -> None:
    frame = opportunities(two_views, TEN_DAYS)
    social = _row(frame, "channel", "social")
    # email converts 5% but on 800 sessions (< MIN_BENCHMARK_SESSIONS): search is the bar
    assert (MIN_BENCHMARK_SESSIONS, MIN_BENCHMARK_CONVERSIONS) == (1000, 30)
    assert social["benchmark_source"] == "segment: search"
    assert social["benchmark_rate"] == pytest.approx(400 / 15_000)
    assert set(frame["benchmark_sessions"]) == {10_800, 15_000}
    assert (frame["lift_high"] <= MAX_RELATIVE_LIFT).all()


def test_gap_range_follows_newcombes_interval(db) -> None:
    # search 800 / 30,000 (2.67%) against direct 1,410 / 60,000 (2.35%): +13.5%, under the cap
    plan = {"channel": {"search": (3000.0, 80.0, 4000.0), "direct": (6000.0, 141.0, 7050.0)}}
    insert_canonical(db, "traffic", _ga4_days(plan))
    [row] = opportunities(db, TEN_DAYS).to_dict("records")
    low, high = confint_proportions_2indep(800, 30_000, 1410, 60_000, method="newcomb")
    rate = 1410 / 60_000
    lift, lift_low = (800 / 30_000) / rate - 1, low / rate
    assert lift == pytest.approx(0.13475, abs=1e-5) and not row["capped"]
    assert row["lift"] == pytest.approx(lift)
    assert row["lift_low"] == pytest.approx(lift_low) and lift_low < TYPICAL_RELATIVE_LIFT
    assert high / rate > MAX_RELATIVE_LIFT and row["lift_high"] == MAX_RELATIVE_LIFT
    through = 1410 * 50.0 * PER_MONTH
    assert row["monthly_revenue_gain"] == _sig2(lift * through, round)
    assert row["gain_low"] == _sig2(lift_low * through, math.floor)
    assert row["gain_high"] == _sig2(0.2 * through, math.ceil)
    assert row["gain_low"] <= row["monthly_revenue_gain"] <= row["gain_high"]


def test_a_gap_within_the_noise_is_not_listed(db) -> None:
    # 2.45% against 2.67%: the 95% interval of the gap includes zero
    plan = {"channel": {"search": (3000.0, 80.0, 4000.0), "direct": (6000.0, 147.0, 7350.0)}}
    insert_canonical(db, "traffic", _ga4_days(plan))
    low, _ = confint_proportions_2indep(800, 30_000, 1470, 60_000, method="newcomb")
    assert low < 0
    assert opportunities(db, TEN_DAYS).empty


# --- overlap: different dimensions are the same sessions ---------------------------------------------
def test_one_dimension_is_ranked_per_step_and_totals_stay_per_dimension(two_views) -> None:
    frame = opportunities(two_views, TEN_DAYS)
    # purchase step: device gains 6,100 + 610 against channel's 3,000: device is ranked
    ranked = frame[frame["rank"].notna()]
    assert list(zip(ranked["segment"], ranked["rank"], strict=True)) == [
        ("mobile", 1),
        ("tablet", 2),
    ]
    social = _row(frame, "channel", "social")
    assert pd.isna(social["rank"]) and social["overlaps_with"] == "device"
    assert social["monthly_revenue_gain"] == _sig2(0.2 * 100 * 50.0 * PER_MONTH, round) == 3000
    assert list(frame["segment"][:2]) == ["mobile", "tablet"]  # ranked rows come first
    totals = total_gain_by_dimension(frame)
    assert list(totals.columns) == TOTAL_COLUMNS
    assert totals.to_dict("records") == [
        {"segment_dimension": "device", "source": "GA4", "rows": 2,
         "monthly_revenue_gain": 6710.0, "gain_low": 1650.0, "gain_high": 6710.0},
        {"segment_dimension": "channel", "source": "GA4", "rows": 1,
         "monthly_revenue_gain": 3000.0, "gain_low": 760.0, "gain_high": 3100.0},
    ]  # fmt: skip
    assert "counted again" in frame.attrs["note"] and "+20%" in frame.attrs["note"]


# --- the traffic source is the scope's ---------------------------------------------------------------
def test_the_scope_traffic_source_is_used_and_named(two_views) -> None:
    # Shopify store totals for the same ten days: the default source is Shopify (the KPIs' one)
    shopify = [
        traffic_row(START + timedelta(days=d), sessions=3080.0, converted_sessions=54.0)
        for d in range(10)
    ]
    insert_canonical(two_views, "traffic", shopify)
    default = opportunities(two_views, TEN_DAYS)
    assert default.attrs["traffic_source"] == "shopify"
    assert default.attrs["source_label"] == "Shopify" and "Shopify" in default.attrs["note"]
    assert default.empty  # Shopify has no breakdown with conversions: no GA4 rows borrowed
    chosen = opportunities(two_views, TEN_DAYS, OrderFilters(traffic_source="ga4"))
    assert set(chosen["source"]) == {"GA4"} and len(chosen) == 3


def test_previous_period_is_compared_only_with_the_same_step(db) -> None:
    # Before: sessions -> checkout -> purchase; now only sessions -> purchase. The purchase rate
    # from checkout (600 of 1,500: 40%) must not be the bar for the rate from sessions (2%).
    rows = [
        traffic_row(BEFORE.start + timedelta(days=d), sessions=1000.0, checkout_sessions=150.0,
                    converted_sessions=60.0)
        for d in range(10)
    ] + [
        traffic_row(START + timedelta(days=d), sessions=1000.0, converted_sessions=20.0)
        for d in range(10)
    ]  # fmt: skip
    insert_canonical(db, "traffic", rows)
    assert opportunities(db, TEN_DAYS).empty


def test_previous_period_benchmark_of_the_same_step(db) -> None:
    rows = [
        traffic_row(day.start + timedelta(days=d), sessions=1000.0, converted_sessions=per_day)
        for day, per_day in ((BEFORE, 25.0), (TEN_DAYS, 15.0))
        for d in range(10)
    ]
    insert_canonical(db, "traffic", rows)
    [row] = opportunities(db, TEN_DAYS).to_dict("records")
    assert (row["segment_dimension"], row["step"], row["source"]) == (
        "store",
        "purchase",
        "Shopify",
    )
    assert row["benchmark_source"] == "previous period" and row["benchmark_sessions"] == 10_000
    assert row["lift"] == MAX_RELATIVE_LIFT  # 1.5% against 2.5% is +67%: capped
    assert pd.isna(row["monthly_revenue_gain"])  # no orders, so no AOV: no money


# --- money never above the store's -----------------------------------------------------------------
def test_a_dimension_never_claims_more_than_the_store_took(db, load_orders) -> None:
    # GA4 says the channels brought $25,000 (key events x $50); the store took $1,000 online
    load_orders(
        [
            shopify_order(f"#{1000 + d}", f"{START + timedelta(days=d)} 10:00:00 -0400", "100.00")
            for d in range(10)
        ]
    )
    plan = {"channel": {"social": (1500.0, 10.0, 500.0), "search": (1500.0, 40.0, 2000.0)}}
    insert_canonical(db, "traffic", _ga4_days(plan))
    frame = opportunities(db, TEN_DAYS)
    social = _row(frame, "channel", "social")
    scaled = 100 * 50.0 * (1000 / 25_000) * PER_MONTH  # social's $5,000 scaled to $200
    assert social["monthly_revenue_gain"] == _sig2(0.2 * scaled, round) == 120
    assert social["gain_high"] == _sig2(0.2 * scaled, math.ceil) == 130
    assert total_gain_by_dimension(frame)["gain_high"].max() < 1000 * PER_MONTH


# --- hypothesis from an opportunity ----------------------------------------------------------------
def test_a_hypothesis_carries_the_capped_range(two_views) -> None:
    top = opportunities(two_views, TEN_DAYS).iloc[0].to_dict()
    item = H.hypothesis_from_opportunity(two_views, top, currency_symbol="$")
    assert item.expected_lift == pytest.approx(0.2)  # not 340/10,800 / 1% - 1 = +215%
    assert "a realistic lift is +5% to +20% (capped at +20%" in item.observation
    assert "about $1,500 to $6,100 a month" in item.observation
    assert "10,800 sessions, GA4 data" in item.observation and "215" not in item.observation
    detail = item.source_detail
    assert (detail["expected_lift_low"], detail["expected_lift_high"]) == (0.05, 0.2)
    assert (detail["gain_low"], detail["gain_high"], detail["source"]) == (1500, 6100, "GA4")


# --- invariants: the demo store ------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Database:
    database = Database(tmp_path_factory.mktemp("demo-opportunities") / "ro.duckdb")
    demo.load_demo(database)
    yield database
    database.close()


def _demo_revenue(period: DateRange) -> float:
    """Revenue of the period from the demo orders export: first rows, not cancelled, no drafts."""
    [path] = [p for p in demo.demo_files() if p.name == demo.ORDERS_FILE]
    seen: set[str] = set()
    total = 0.0
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] in seen:
                continue
            seen.add(row["Name"])
            day = date.fromisoformat(row["Created at"][:10])  # the store's local date
            if (
                period.start <= day <= period.end
                and not row["Cancelled at"]
                and row["Source"] != "shopify_draft_order"
            ):
                total += float(row["Total"])
    return total


def _check_invariants(frame, monthly_revenue: float) -> None:
    with_gain = frame[frame["monthly_revenue_gain"].notna()]
    assert (with_gain["gain_low"] <= with_gain["monthly_revenue_gain"]).all()
    assert (with_gain["monthly_revenue_gain"] <= with_gain["gain_high"]).all()
    assert (with_gain["lift_high"] <= MAX_RELATIVE_LIFT).all()
    assert (frame["benchmark_sessions"] >= MIN_BENCHMARK_SESSIONS).all()
    for dimension, part in with_gain.groupby("segment_dimension"):
        assert part["gain_high"].sum() < monthly_revenue, dimension
    ranked = frame[frame["rank"].notna()]
    assert (ranked.groupby("step")["segment_dimension"].nunique() <= 1).all()
    assert ranked["gain_high"].sum() < monthly_revenue


@pytest.mark.parametrize("days", [30, 92])
def test_demo_gains_stay_below_the_months_revenue(demo_store, days: int) -> None:
    period = DateRange(demo.END_DATE - timedelta(days=days - 1), demo.END_DATE)
    revenue = _demo_revenue(period)
    frame = opportunities(demo_store, period)
    assert len(frame) and set(frame["source"]) == {"Shopify"}
    _check_invariants(frame, revenue * DAYS_PER_MONTH / period.days)
    if days == 30:
        # what was seen: channel social, device mobile and referrer google all ranked, adding
        # up to more than the month's revenue
        top = frame.head(5)
        assert top["rank"].notna().all() and top["segment_dimension"].nunique() == 1
        assert top["gain_high"].sum() < 0.25 * revenue * DAYS_PER_MONTH / period.days
        mobile = _row(frame, "device", "Mobile")
        assert (
            pd.isna(mobile["rank"]) and mobile["overlaps_with"] == top["segment_dimension"].iloc[0]
        )


# --- invariants: a store built from the real export files ----------------------------------------------
YEAR_2024 = DateRange(date(2024, 1, 1), date(2024, 12, 31))
GA4_CHANNELS = (
    "GA Traffic_acquisition_Session_primary_channel_group_(Default_Channel_Group) 2024.csv"
)


@pytest.fixture(scope="module")
def _real_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with every Shopify Analytics and GA4 file loaded, built once per module."""
    path = tmp_path_factory.mktemp("real-opportunities") / "ro.duckdb"
    database = Database(path)
    for folder in ("shopify_analytics", "ga4_exports"):
        for file in sorted((REAL_EXPORTS / folder).glob("*.csv")):
            ingest_file(database, file)
    database.close()
    return path


@pytest.fixture
def real_store(real_exports, request: pytest.FixtureRequest, tmp_path: Path):
    template = request.getfixturevalue("_real_template")  # only once the folder is known
    path = tmp_path / "ro.duckdb"
    shutil.copyfile(template, path)
    database = Database(path)
    yield database
    database.close()


def _ga4_channels(real_exports: Path) -> dict[str, tuple[int, int, float]]:
    """Channel -> (sessions, key events, revenue) of 2024 from the GA4 download."""
    out: dict[str, tuple[int, int, float]] = {}
    with (real_exports / "ga4_exports" / GA4_CHANNELS).open(encoding="utf-8-sig") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    for row in csv.DictReader(lines):
        name = row["Session primary channel group (Default Channel Group)"]
        s, k, r = out.get(name, (0, 0, 0.0))
        out[name] = (s + int(row["Sessions"]), k + int(row["Key events"]),
                     r + float(row["Total revenue"] or 0))  # fmt: skip
    return out


def test_real_store_uses_the_kpis_traffic_source(real_store) -> None:
    # What was seen: all ten from GA4 channels while the KPIs use Shopify's sessions.
    for period in (YEAR_2024, DateRange(date(2025, 1, 1), date(2025, 11, 30))):
        frame = opportunities(real_store, period)
        assert frame.attrs["source_label"] == "Shopify"
        assert set(frame["source"]) <= {"Shopify"}


def test_real_store_ga4_channels_honest(real_store, real_exports) -> None:
    channels = _ga4_channels(real_exports)
    monthly_revenue = sum(r for _, _, r in channels.values()) * DAYS_PER_MONTH / YEAR_2024.days
    assert monthly_revenue == pytest.approx(881_549.95 * DAYS_PER_MONTH / 366, abs=1)
    frame = opportunities(real_store, YEAR_2024, OrderFilters(traffic_source="ga4"))
    assert len(frame) and set(frame["source"]) == {"GA4"}
    # The bar: the channel with the highest lower 95% bound among those with enough sample
    # (not Organic Shopping's 822 sessions).
    eligible = {
        name: proportion_confint(k, s, method="wilson")[0]
        for name, (s, k, _) in channels.items()
        if s >= MIN_BENCHMARK_SESSIONS and k >= MIN_BENCHMARK_CONVERSIONS
    }
    bar = max(eligible, key=eligible.get)
    assert bar == "Organic Search" and channels["Organic Shopping"][0] == 822
    assert set(frame["benchmark_source"]) == {f"segment: {bar}"}
    assert set(frame["benchmark_sessions"]) == {channels[bar][0]}
    # What was seen: ten gains adding up to ~$165k a month against ~$73k of revenue.
    _check_invariants(frame, monthly_revenue)
    top = frame.iloc[0].to_dict()
    fields = H.opportunity_hypothesis_fields(top, currency_symbol="$")
    assert fields["expected_lift"] == pytest.approx(MAX_RELATIVE_LIFT)  # was +485.5%
    assert "a realistic lift is +5% to +20%" in fields["observation"]
    assert "485" not in fields["observation"]
