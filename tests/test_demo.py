"""The demo store: deterministic files that look like real exports and agree with each other.

Expected values are computed here from the generated CSVs with the csv module and pandas,
never taken from ro_core.demo's own numbers.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ro_core import demo
from ro_core.ingest.pipeline import remove_demo_data

STORE_TZ = "America/New_York"


def _cents(text: str) -> int:
    """'12.34' -> 1234 (exact, no floats)."""
    units, _, hundredths = text.partition(".")
    return int(units) * 100 + int((hundredths + "00")[:2])


def _hashes(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo year, generated once for this module."""
    target = tmp_path_factory.mktemp("demo_full")
    demo.generate_demo_files(target)
    return target


@pytest.fixture(scope="module")
def orders(full_demo: Path) -> list[dict[str, str]]:
    """Rows of the orders export (one per line item) as read by the csv module."""
    with (full_demo / demo.ORDERS_FILE).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def first_rows(orders: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each order's first row (the one with the order-level fields)."""
    seen: set[str] = set()
    firsts = []
    for row in orders:
        if row["Name"] not in seen:
            seen.add(row["Name"])
            firsts.append(row)
    return firsts


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, keep_default_na=False, na_values=[""])


# --- determinism ------------------------------------------------------------------------------
def test_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first = demo.generate_demo_files(tmp_path / "a", days=40, event_days=5)
    second = demo.generate_demo_files(tmp_path / "b", days=40, event_days=5)
    other_seed = demo.generate_demo_files(tmp_path / "c", seed=8, days=40, event_days=5)
    assert [p.name for p in first] == list(demo.DEMO_FILE_NAMES)
    assert _hashes(first) == _hashes(second)
    assert _hashes(first)[demo.ORDERS_FILE] != _hashes(other_seed)[demo.ORDERS_FILE]
    assert not list((tmp_path / "a").glob("*.tmp"))


def test_committed_sample_is_what_the_generator_writes(full_demo: Path) -> None:
    committed = [demo.SAMPLE_DIR / name for name in demo.DEMO_FILE_NAMES]
    missing = [p.name for p in committed if not p.is_file()]
    assert not missing, f"run scripts/make_demo_data.py: missing {missing}"
    assert demo.demo_files() == committed
    fresh = [full_demo / name for name in demo.DEMO_FILE_NAMES]
    assert _hashes(committed) == _hashes(fresh), "data/sample is stale: run make_demo_data.py"


def test_files_stay_small(full_demo: Path) -> None:
    sizes = {name: (full_demo / name).stat().st_size for name in demo.DEMO_FILE_NAMES}
    assert sizes[demo.ORDERS_FILE] < 8_000_000
    assert sizes[demo.EVENTS_FILE] < 25_000_000
    assert sum(sizes.values()) < 35_000_000


# --- orders export ------------------------------------------------------------------------
def test_orders_header_is_the_real_shopify_header(full_demo: Path, real_exports: Path) -> None:
    real = real_exports / "shopify_orders" / "forezia_devstore_orders_export.csv"
    real_header = real.read_text(encoding="utf-8").splitlines()[0]
    ours = (full_demo / demo.ORDERS_FILE).read_text(encoding="utf-8").split("\n", 1)[0]
    assert ours == real_header
    assert len(ours.split(",")) == 79


def test_every_row_has_79_cells_and_later_rows_only_line_fields(
    full_demo: Path, orders: list[dict[str, str]]
) -> None:
    with (full_demo / demo.ORDERS_FILE).open(newline="", encoding="utf-8") as fh:
        lengths = Counter(len(row) for row in csv.reader(fh))
    assert lengths == Counter({79: len(orders) + 1})
    previous = None
    order_fields = ("Financial Status", "Subtotal", "Total", "Currency", "Id", "Source")
    later_rows = 0
    for row in orders:
        if row["Name"] == previous:
            later_rows += 1
            assert all(row[f] == "" for f in order_fields), row["Name"]
            assert row["Lineitem name"] and row["Created at"]
        previous = row["Name"]
    assert later_rows > 3000  # plenty of multi-line orders


def test_order_money_adds_up_like_shopify(
    orders: list[dict[str, str]], first_rows: list[dict[str, str]]
) -> None:
    """Subtotal is after the discount (lines - Discount); Total = Subtotal + Shipping + Taxes."""
    line_sums: dict[str, int] = defaultdict(int)
    for row in orders:
        line_sums[row["Name"]] += _cents(row["Lineitem price"]) * int(row["Lineitem quantity"])
    discounted = 0
    for row in first_rows:
        subtotal, discount = _cents(row["Subtotal"]), _cents(row["Discount Amount"])
        shipping, taxes, total = _cents(row["Shipping"]), _cents(row["Taxes"]), _cents(row["Total"])
        tax_lines = sum(_cents(row[f"Tax {i} Value"]) for i in range(1, 6) if row[f"Tax {i} Value"])
        assert line_sums[row["Name"]] - discount == subtotal, row["Name"]
        assert subtotal + shipping + taxes == total, row["Name"]
        assert tax_lines == taxes, row["Name"]
        assert (discount > 0) == (row["Discount Code"] != ""), row["Name"]
        discounted += discount > 0
    assert discounted > 500


def test_created_at_offsets_follow_daylight_saving(first_rows: list[dict[str, str]]) -> None:
    pattern = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
    by_month: dict[str, set[str]] = defaultdict(set)
    for row in first_rows:
        created = row["Created at"]
        assert pattern.match(created), created
        by_month[created[:7]].add(created[-5:])
        if row["Paid at"]:
            assert pattern.match(row["Paid at"]), row["Paid at"]
    # New York: EST (-0500) in winter, EDT (-0400) in summer.
    assert by_month["2025-01"] == {"-0500"}
    assert by_month["2025-07"] == {"-0400"}
    # The changes: 2024-11-03 and 2025-03-09 hold both offsets around 2 a.m.
    march_9 = [r["Created at"] for r in first_rows if r["Created at"].startswith("2025-03-09")]
    assert all(c.endswith("-0400") == (c[11:13] >= "03") for c in march_9)


def test_order_mix_is_realistic(first_rows: list[dict[str, str]]) -> None:
    assert 8_000 <= len(first_rows) <= 12_000
    statuses = Counter(r["Financial Status"] for r in first_rows)
    assert statuses["paid"] > 0.85 * len(first_rows)
    for status in ("refunded", "partially_refunded", "voided", "pending"):
        assert statuses[status] >= 20, status
    for row in first_rows:
        refunded, total = _cents(row["Refunded Amount"]), _cents(row["Total"])
        if row["Financial Status"] == "refunded":
            assert refunded == total
        elif row["Financial Status"] == "partially_refunded":
            assert 0 < refunded < total
        else:
            assert refunded == 0
    cancelled = [r for r in first_rows if r["Cancelled at"]]
    assert len(cancelled) >= 50
    assert {r["Financial Status"] for r in cancelled} <= {"refunded", "voided"}
    sources = Counter(r["Source"] for r in first_rows)
    assert set(sources) == {"web", "pos", "580111", "shopify_draft_order"}
    assert sources["web"] > 0.8 * len(first_rows)
    countries = Counter(r["Shipping Country"] or r["Billing Country"] for r in first_rows)
    assert countries.most_common(1)[0][0] == "US"
    assert {"CA", "GB", "DE", "AU"} <= set(countries)
    assert {r["Currency"] for r in first_rows} == {"USD"}
    emails = Counter(r["Email"] for r in first_rows if r["Email"])
    assert all(re.fullmatch(r"customer\d+@example\.com", e) for e in emails)
    assert sum(1 for n in emails.values() if n > 1) > 1000  # repeat customers


def test_orders_have_weekly_and_seasonal_patterns(first_rows: list[dict[str, str]]) -> None:
    per_day = Counter(date.fromisoformat(r["Created at"][:10]) for r in first_rows)
    days = sorted(per_day)
    assert days[0] == date(2024, 11, 1) and days[-1] == date(2025, 10, 31)
    assert len(days) == 365
    median = sorted(per_day.values())[len(per_day) // 2]
    assert per_day[date(2024, 11, 29)] > 2.5 * median  # Black Friday
    assert per_day[date(2024, 12, 2)] > 1.8 * median  # Cyber Monday
    month = Counter(d.strftime("%Y-%m") for d in per_day.elements())
    assert month["2024-12"] > 1.2 * month["2025-07"]  # holiday peak, summer dip
    assert month["2025-10"] > month["2025-02"]  # growth
    weekend = [n for d, n in per_day.items() if d.weekday() >= 5]
    weekday = [n for d, n in per_day.items() if d.weekday() < 5]
    assert sum(weekend) / len(weekend) > 1.1 * sum(weekday) / len(weekday)


# --- analytics ------------------------------------------------------------------------------
def test_analytics_headers_match_shopify_layouts(full_demo: Path, real_exports: Path) -> None:
    real = real_exports / "shopify_analytics"
    weekly = (real / "Shopify 2024 - Visitors Over Time.csv").read_text().splitlines()[0]
    behavior = (real / "Shopify 2024 - Customer behavior.csv").read_text().splitlines()[0]
    ours = {name: (full_demo / name).read_text().splitlines() for name in demo.DEMO_FILE_NAMES}
    assert ours[demo.SESSIONS_FILE][0] == weekly.replace('"Week"', '"Day"')
    assert ours[demo.BEHAVIOR_FILE][0] == behavior.replace('"Week"', '"Day"')
    # Quoting like the real files: text quoted, counts bare, an empty name left empty.
    assert re.fullmatch(r'"\d{4}-\d{2}-\d{2}",\d+,\d+', ours[demo.SESSIONS_FILE][1])
    assert any(',"direct",,' in line for line in ours[demo.REFERRER_FILE][1:50])


def test_completed_checkouts_equal_web_orders_per_day(
    full_demo: Path, first_rows: list[dict[str, str]]
) -> None:
    web_orders = Counter(r["Created at"][:10] for r in first_rows if r["Source"] == "web")
    behavior = _read(full_demo, demo.BEHAVIOR_FILE)
    sessions = _read(full_demo, demo.SESSIONS_FILE)
    assert list(behavior["Day"]) == list(sessions["Day"])
    completed = dict(
        zip(behavior["Day"], behavior["Sessions that completed checkout"], strict=True)
    )
    assert completed == {day: web_orders.get(day, 0) for day in behavior["Day"]}
    cart = behavior["Sessions with cart additions"]
    checkout = behavior["Sessions that reached checkout"]
    assert (sessions["Sessions"] > cart).all()
    assert (cart > checkout).all()
    assert (checkout > behavior["Sessions that completed checkout"]).all()
    assert (sessions["Online store visitors"] <= sessions["Sessions"]).all()
    rate = behavior["Sessions that completed checkout"].sum() / sessions["Sessions"].sum()
    assert 0.02 <= rate <= 0.03


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        (demo.DEVICE_FILE, ["Session device type"]),
        (demo.REFERRER_FILE, ["Referrer source", "Referrer name"]),
    ],
)
def test_breakdowns_sum_to_store_totals(full_demo: Path, name: str, keys: list[str]) -> None:
    breakdown = _read(full_demo, name)
    totals = _read(full_demo, demo.SESSIONS_FILE).merge(
        _read(full_demo, demo.BEHAVIOR_FILE), on="Day"
    )
    assert not breakdown.duplicated(["Day", *keys]).any()
    measures = [c for c in totals.columns if c != "Day"]
    summed = breakdown.groupby("Day", as_index=False)[measures].sum()
    merged = summed.merge(totals, on="Day", suffixes=("_parts", ""))
    assert len(merged) == len(totals)
    for measure in measures:
        assert (merged[f"{measure}_parts"] == merged[measure]).all(), measure
    funnel = ["Sessions", *demo.BEHAVIOR_HEADER[1:]]
    for wider, narrower in zip(funnel, funnel[1:], strict=False):
        assert (breakdown[wider] >= breakdown[narrower]).all(), (wider, narrower)


def test_mobile_converts_worse_than_desktop(full_demo: Path) -> None:
    devices = (
        _read(full_demo, demo.DEVICE_FILE).groupby("Session device type").sum(numeric_only=True)
    )
    cr = devices["Sessions that completed checkout"] / devices["Sessions"]
    assert cr["Desktop"] > 1.5 * cr["Mobile"]
    assert devices["Sessions"]["Mobile"] > devices["Sessions"]["Desktop"]


# --- events ---------------------------------------------------------------------------------
def test_events_use_the_rees46_layout(full_demo: Path, real_exports: Path) -> None:
    real = real_exports / "rees46_events" / "rees46_2019-Oct_head17k_complete_lines.csv"
    real_header = real.read_text(encoding="utf-8").splitlines()[0]
    lines = (full_demo / demo.EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    assert lines[0] == real_header
    assert 150_000 <= len(lines) - 1 <= 300_000
    assert re.match(r"^2025-10-\d{2} \d{2}:\d{2}:\d{2} UTC,view,\d+,\d+,", lines[1])


def test_events_agree_with_the_analytics(
    full_demo: Path, orders: list[dict[str, str]], first_rows: list[dict[str, str]]
) -> None:
    events = pd.read_csv(full_demo / demo.EVENTS_FILE, dtype={"user_session": str})
    assert set(events["event_type"]) == {"view", "cart", "remove_from_cart", "purchase"}
    assert events["event_time"].is_monotonic_increasing
    utc = pd.to_datetime(events["event_time"].str[:19]).dt.tz_localize("UTC")
    events["day"] = utc.dt.tz_convert(STORE_TZ).dt.strftime("%Y-%m-%d")
    events["cart"] = events["event_type"] == "cart"
    events["purchase"] = events["event_type"] == "purchase"
    per_session = events.groupby("user_session").agg(
        day=("day", "min"), cart=("cart", "max"), purchase=("purchase", "max")
    )
    buy_now = per_session["purchase"] & ~per_session["cart"]
    assert 20 <= buy_now.sum() < 0.2 * per_session["purchase"].sum()
    sessions = _read(full_demo, demo.SESSIONS_FILE).merge(
        _read(full_demo, demo.BEHAVIOR_FILE), on="Day"
    )
    last_30 = sessions[sessions["Day"] >= "2025-10-02"].set_index("Day")
    assert len(last_30) == 30
    by_day = per_session.groupby("day").agg(
        sessions=("cart", "size"), cart=("cart", "sum"), purchase=("purchase", "sum")
    )
    assert by_day["sessions"].to_dict() == last_30["Sessions"].to_dict()
    assert by_day["cart"].to_dict() == last_30["Sessions with cart additions"].to_dict()
    assert by_day["purchase"].to_dict() == last_30["Sessions that completed checkout"].to_dict()
    # One purchase row per line of the web orders of those days.
    web = {r["Name"] for r in first_rows if r["Source"] == "web"}
    web_lines = sum(1 for r in orders if r["Name"] in web and r["Created at"][:10] >= "2025-10-02")
    assert (events["event_type"] == "purchase").sum() == web_lines


# --- loading ------------------------------------------------------------------------------
def test_load_demo_imports_everything_and_removes_in_one_step(
    db, orders: list[dict[str, str]], first_rows: list[dict[str, str]], full_demo: Path
) -> None:
    reports = demo.load_demo(db)
    assert [r.file_name for r in reports] == list(demo.DEMO_FILE_NAMES)
    for report in reports:
        assert report.is_demo and not report.already_imported
        assert report.rows_skipped == 0 and report.rows_loaded == report.rows_read, report
        assert not report.warnings, report.warnings
    counts = {t: db.fetch_value(f"SELECT count(*) FROM {t}") for t in ("orders", "events")}
    assert counts["orders"] == len(first_rows)
    event_lines = (full_demo / demo.EVENTS_FILE).read_text().count("\n") - 1
    assert counts["events"] == event_lines
    assert db.fetch_value("SELECT count(*) FROM order_lines") == len(orders)
    dims = dict(db.fetch_all("SELECT dimensions, count(*) FROM traffic GROUP BY 1"))
    landing_rows = (full_demo / demo.LANDING_FILE).read_text().count("\n") - 1
    assert dims == {"": 365, "device": 365 * 3, "channel,referrer": dims["channel,referrer"],
                    "landing_page": landing_rows}  # fmt: skip
    # Events' days are store-local: the first event day is 2 October in New York.
    assert db.fetch_value("SELECT min(local_date) FROM events") == date(2025, 10, 2)

    again = demo.load_demo(db)
    assert all(r.already_imported for r in again)

    assert remove_demo_data(db) == len(demo.DEMO_FILE_NAMES)
    for table in ("orders", "order_lines", "traffic", "events", "order_rows", "event_rows"):
        assert db.fetch_value(f"SELECT count(*) FROM {table}") == 0, table
    assert db.fetch_value("SELECT count(*) FROM imports") == 0


def test_load_demo_writes_missing_files_first(
    db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = tmp_path / "sample"
    monkeypatch.setattr(demo, "SAMPLE_DIR", sample)
    small = functools.partial(demo.generate_demo_files, days=20, event_days=2)
    monkeypatch.setattr(demo, "generate_demo_files", small)
    assert demo.demo_files() == []
    reports = demo.load_demo(db)
    assert [p.name for p in demo.demo_files()] == list(demo.DEMO_FILE_NAMES)
    assert len(reports) == len(demo.DEMO_FILE_NAMES)
    assert all(r.rows_skipped == 0 for r in reports)
