"""The very first run in a real browser, on an empty database: the navigation and the sidebar are
drawn at once, the demo store loads behind a progress bar, then the Overview shows the demo
store's figures, compared with the export files read with the csv module (demo_truth.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import demo_truth as T
from tests.e2e.conftest import APP_TIMEOUT_MS
from tests.e2e.helpers import metric_value, wait_for_app

pytestmark = pytest.mark.e2e

DEMO_FILES = 7  # the demo store's exports (tests/e2e/demo_truth.py reads the same files)
STEP = re.compile(r"file (\d+) of (\d+)")

# Installed before the app loads: every text the progress bar shows, in order, with a flag for
# whether the sidebar's navigation and its Period choice were on screen at that moment.
RECORD_PROGRESS = """() => {
    window.__roProgress = [];
    const shown = (el) => !!el && el.checkVisibility() && el.getBoundingClientRect().height > 0;
    const look = () => {
        const bar = document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]');
        if (shown(bar)) {
            const sidebar = document.querySelector('[data-testid="stSidebar"]');
            const nav = sidebar && sidebar.querySelector('[data-testid="stSidebarNav"]');
            const period = sidebar && Array.from(
                sidebar.querySelectorAll('[data-testid="stSelectbox"]')
            ).find(el => el.textContent.includes('Period'));
            const text = bar.textContent.trim();
            const seen = window.__roProgress;
            const withSidebar = shown(nav) && shown(period);
            const last = seen[seen.length - 1];
            if (!last || last.text !== text || last.withSidebar !== withSidebar) {
                seen.push({text, withSidebar});
            }
        }
        requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
}"""

# True once, in one look at the page, the progress bar, the sidebar's navigation links and its
# Period choice are all on screen.
SIDEBAR_WITH_PROGRESS = """() => (window.__roProgress || []).some(s => s.withSidebar)"""

CARDS = ("Revenue", "Sessions", "Orders", "Conversion rate", "AOV", "RPV")


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _expected_cards() -> dict[str, str]:
    """The six cards of the default period (the last 30 days), from the export files."""
    now = T.cards(*T.last_30_days())
    return {
        "Revenue": _money(now.revenue),
        "Sessions": f"{now.sessions:,}",
        "Orders": f"{now.orders:,}",
        "Conversion rate": f"{now.conversion_rate * 100:.2f}%",
        "AOV": _money(now.aov),
        "RPV": _money(now.rpv),
    }


def _overview_settled(page: Page) -> None:
    """The Overview's heading is drawn and the app's run has finished."""
    heading = page.get_by_test_id("stMain").get_by_role("heading", name="Overview", level=1)
    expect(heading).to_be_visible(timeout=APP_TIMEOUT_MS)
    wait_for_app(page)


def test_first_run_shows_the_sidebar_at_once_and_loads_the_demo_behind_a_progress_bar(
    app_server, page
):
    page.add_init_script(f"({RECORD_PROGRESS})()")
    page.goto(app_server["url"])

    # the sidebar (navigation and period) is on screen while the progress bar still is
    page.wait_for_function(SIDEBAR_WITH_PROGRESS, timeout=APP_TIMEOUT_MS)
    nav = page.get_by_test_id("stSidebarNav")
    for title in ("Overview", "Trends", "Funnel", "Data"):
        expect(nav.get_by_role("link", name=title)).to_be_visible()

    # then the Overview with the demo store's figures, and the progress bar gone
    _overview_settled(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stProgress")).to_have_count(0)
    expect(main.get_by_text("Demo store loaded", exact=False)).to_be_visible()
    expect(main.get_by_role("button", name="Remove demo data")).to_be_visible()
    start, end = T.last_30_days()
    expect(main.get_by_text(f"{start} to {end} (30 days)", exact=False).first).to_be_visible()
    for label, value in _expected_cards().items():
        assert metric_value(page, label) == value, label
    expect(page.get_by_test_id("stSidebar").get_by_text("Demo store", exact=True)).to_be_visible()

    # the bar went step by step, one step per demo file, never backwards
    seen = page.evaluate("() => window.__roProgress")
    # Once drawn beside the bar, the sidebar stays while the files load. (The browser may draw
    # the bar a frame before the sidebar's Period box, which the script sends first; and once
    # the load has ended, the rerun onto the Overview redraws the sidebar under the finished
    # bar: neither is checked.)
    loading = [s for s in seen if s["text"].startswith("Importing")]
    first = next((i for i, s in enumerate(loading) if s["withSidebar"]), None)
    assert first is not None, seen
    assert all(s["withSidebar"] for s in loading[first:]), seen
    steps = [tuple(map(int, m.groups())) for s in seen if (m := STEP.search(s["text"]))]
    assert steps, seen
    assert all(total == DEMO_FILES for _, total in steps), seen
    numbers = [n for n, _ in steps]
    assert numbers == sorted(numbers), seen
    assert all(1 <= n <= DEMO_FILES for n in numbers), seen


def test_a_later_session_opens_on_the_loaded_demo_without_loading_it_again(app_server, page):
    """The demo is loaded once: a new session finds it in place, with no progress bar."""
    page.add_init_script(f"({RECORD_PROGRESS})()")
    page.goto(app_server["url"])
    _overview_settled(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("You are looking at the demo store", exact=False)).to_be_visible()
    expect(main.get_by_text("Demo store loaded", exact=False)).to_have_count(0)
    assert page.evaluate("() => window.__roProgress") == []
    for label, value in _expected_cards().items():
        assert metric_value(page, label) == value, label
