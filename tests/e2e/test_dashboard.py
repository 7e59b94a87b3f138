"""The dashboard in a real browser: opens on the demo store, then takes a store's real exports
through the Data page and shows their KPIs, trend and funnel with the right numbers."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import REAL_EXPORTS
from tests.e2e.helpers import (
    act,
    choose,
    grid,
    grid_rows,
    metric_value,
    open_page,
    plotly_traces,
    screenshot,
    set_date_range,
    wait_for_app,
)

pytestmark = pytest.mark.e2e

PAGES = [
    "Overview",
    "Trends",
    "Funnel",
    "Segments",
    "Experiments",
    "Goals",
    "Hypotheses",
    "Experiment log",
    "Data",
]
ORDERS_EXPORT = REAL_EXPORTS / "shopify_orders" / "forezia_devstore_orders_export.csv"
SESSIONS_EXPORT = REAL_EXPORTS / "shopify_analytics" / "Shopify 2024 - Visitors Over Time.csv"
BEHAVIOR_EXPORT = REAL_EXPORTS / "shopify_analytics" / "Shopify 2024 - Customer behavior.csv"
REFERRER_EXPORT = REAL_EXPORTS / "shopify_analytics" / "Shopify 2024 - Sessions by referrer.csv"


def _orders_by_hand() -> tuple[int, float, dict[date, float]]:
    """Orders, revenue and revenue per store-local day, read from the export with csv.

    Order-level fields sit on the first row of each order (the row with a Financial Status).
    """
    with ORDERS_EXPORT.open(newline="", encoding="utf-8") as fh:
        firsts = [r for r in csv.DictReader(fh) if r["Financial Status"]]
    per_day: dict[date, float] = defaultdict(float)
    for row in firsts:
        per_day[date.fromisoformat(row["Created at"][:10])] += float(row["Total"])
    return len(firsts), sum(float(r["Total"]) for r in firsts), dict(per_day)


def _column_sum(path, column: str) -> float:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(float(r[column]) for r in csv.DictReader(fh))


def _sessions_by(path, column: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            totals[row[column].strip()] += float(row["Sessions"])
    return dict(totals)


def test_opens_on_the_demo_store_and_every_page_renders(app_server, page, screenshots_dir):
    page.goto(app_server["url"])
    wait_for_app(page)
    expect(page.get_by_text("demo store", exact=False).first).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    for title in PAGES:
        expect(nav.get_by_role("link", name=title)).to_be_visible()
    for title in PAGES:
        open_page(page, title)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        screenshot(page, screenshots_dir, f"demo-{title.lower()}")
    open_page(page, "Overview")
    for label in ("Revenue", "Sessions", "Orders", "Conversion rate", "AOV", "RPV"):
        assert metric_value(page, label) not in ("", "–")
    # the cards' trend lines and the revenue waterfall are SVG images the browser could draw
    figures = page.get_by_test_id("stMain").locator('[data-testid="stImage"] img')
    expect(figures.and_(page.locator('[alt$="over the period"]'))).to_have_count(6)
    expect(figures.and_(page.locator('[alt^="Revenue waterfall"]'))).to_be_visible()
    widths = figures.evaluate_all("els => els.map(e => e.complete && e.naturalWidth)")
    assert len(widths) == 7 and all(widths), widths


def _remove_demo(page: Page) -> None:
    button = page.get_by_role("button", name="Remove demo data")
    if button.count():
        act(page, button.click)
    expect(page.get_by_role("button", name="Remove demo data")).to_have_count(0)


def _include_draft_orders(page: Page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Order filters").click()
    toggle = sidebar.get_by_text("Leave out test and draft orders")
    expect(toggle).to_be_visible()
    act(page, toggle.click)


def test_real_exports_show_kpis_trend_and_funnel(app_server, page, screenshots_dir):
    exports = (ORDERS_EXPORT, SESSIONS_EXPORT, BEHAVIOR_EXPORT, REFERRER_EXPORT)
    if not all(p.is_file() for p in exports):
        pytest.skip(f"real export files not found under {REAL_EXPORTS}")
    orders, revenue, revenue_per_day = _orders_by_hand()
    sessions = _column_sum(SESSIONS_EXPORT, "Sessions")
    completed = _column_sum(BEHAVIOR_EXPORT, "Sessions that completed checkout")
    assert (sessions, completed) == (279_172, 3_096), "the figures the export README states"

    page.goto(app_server["url"])
    wait_for_app(page)
    _remove_demo(page)

    # 1. four files dropped at once on the Data page
    open_page(page, "Data")
    dropzone = page.get_by_test_id("stFileUploaderDropzoneInput")
    act(page, lambda: dropzone.set_input_files([str(p) for p in exports]))
    main = page.get_by_test_id("stMain")
    expect(page.get_by_role("heading", name="Import reports")).to_be_visible()
    expect(main.get_by_text("Shopify orders export", exact=False).first).to_be_visible()
    expect(main.get_by_text(f"{orders} orders, 40 order lines", exact=False)).to_be_visible()
    expect(main.get_by_text("Shopify Analytics report", exact=False)).to_have_count(3)
    screenshot(page, screenshots_dir, "real-data-after-upload")

    # 2. the dev store's orders are all draft orders: include them, then read the KPIs
    open_page(page, "Overview")
    expect(main.get_by_text("draft", exact=False).first).to_be_visible()
    _include_draft_orders(page)
    assert metric_value(page, "Orders") == f"{orders:,}"
    assert metric_value(page, "Revenue") == f"€{revenue:,.2f}"
    assert metric_value(page, "AOV") == f"€{revenue / orders:,.2f}"
    assert metric_value(page, "Sessions") == "–"
    expect(main.get_by_text("Sessions, conversion rate (CR)", exact=False)).to_be_visible()
    screenshot(page, screenshots_dir, "real-overview-orders")

    # 3. the revenue trend: one point per day, the store's own daily totals
    open_page(page, "Trends")
    traces = plotly_traces(page)
    current = next(t for t in traces if t["name"].startswith("20"))
    shown = {
        date.fromisoformat(str(x)[:10]): y
        for x, y in zip(current["x"], current["y"], strict=True)
        if y is not None
    }
    first_day, last_day = min(revenue_per_day), max(revenue_per_day)
    expected = {
        first_day + timedelta(days=i): revenue_per_day.get(first_day + timedelta(days=i), 0.0)
        for i in range((last_day - first_day).days + 1)
    }
    assert shown.keys() == expected.keys()
    for day, value in expected.items():
        assert shown[day] == pytest.approx(value), day
    screenshot(page, screenshots_dir, "real-trends")

    # 4. 2024: the analytics exports give sessions, CR and the funnel
    set_date_range(page, date(2024, 1, 1), date(2024, 12, 31))
    open_page(page, "Overview")
    assert metric_value(page, "Sessions") == f"{sessions:,.0f}"
    assert metric_value(page, "Conversion rate") == f"{completed / sessions * 100:.2f}%"
    screenshot(page, screenshots_dir, "real-overview-2024")
    open_page(page, "Funnel")
    funnel = next(t for t in plotly_traces(page) if t["type"] == "funnel")
    assert funnel["y"][0] == "Sessions" and funnel["y"][-1] == "Purchased"
    assert funnel["x"][0] == pytest.approx(sessions)
    assert funnel["x"][-1] == pytest.approx(completed)
    expect(page.locator(".js-plotly-plot").get_by_text(f"{sessions:,.0f}").first).to_be_visible()
    screenshot(page, screenshots_dir, "real-funnel-2024")

    # 5. 2024 by traffic channel: the complete referrer breakdown, adding up to the sessions
    by_channel = _sessions_by(REFERRER_EXPORT, "Referrer source")
    assert sum(by_channel.values()) == sessions
    open_page(page, "Segments")
    choose(page, "Split by", "Traffic channel")
    rows = grid_rows(grid(page, "Traffic channel"))
    shown = {r["Traffic channel"]: float(r["Sessions"].replace(",", "")) for r in rows}
    expected = {name or "(not set)": value for name, value in by_channel.items()}
    assert shown == expected
    screenshot(page, screenshots_dir, "real-segments-2024")
