"""The HTML report in a real browser, opened from disk with the network cut off: every section,
the KPI numbers, the charts drawn by the inlined plotly.js, and no script run from data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ro_core.experiment import VariantData, analyze_experiment
from ro_core.loop import experiment_log as E
from ro_core.loop import goals as G
from ro_core.loop import hypotheses as H
from ro_core.metrics import DateRange
from ro_core.metrics.scope import Scope
from ro_core.present.report import REPORT_SECTIONS, write_report
from ro_core.store.db import Database
from tests.e2e.helpers import metric_value, screenshot, wait_for_app
from tests.loop.conftest import HOSTILE, WEEK, load_store

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the small synthetic store's week, with a goal and a test named with HTML."""
    folder = tmp_path_factory.mktemp("report")
    db = Database(folder / "ro.duckdb")
    try:
        load_store(db, folder)
        G.set_goal(db, "revenue", "month", date(2024, 3, 1), 1_000)
        hypothesis = H.add_hypothesis(db, title=f"Hypothesis {HOSTILE}")
        test = E.plan_experiment(db, hypothesis.hypothesis_id, f"Test {HOSTILE}", expected_days=7)
        E.start_experiment(db, test.experiment_id, date(2024, 3, 4))
        analysis = analyze_experiment(
            VariantData("Control", 20_000, 400), [VariantData("B", 20_000, 520)], days=7
        )
        E.end_experiment(db, test.experiment_id, date(2024, 3, 10), analysis)
        return write_report(db, Scope(DateRange(*WEEK)), folder / "report.html")
    finally:
        db.close()


def test_report_opens_offline_with_sections_numbers_and_charts(
    page: Page, report_file: Path, screenshots_dir: Path
) -> None:
    outside: list[str] = []
    dialogs: list[str] = []

    def block(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(report_file.as_uri())

    for key, heading in REPORT_SECTIONS.items():
        expect(page.locator(f"section#{key} h2")).to_have_text(heading)
    # KPIs by hand from the fixture: 220 revenue (200 the week before), 4 orders, 7 days of
    # 1,000 sessions (tests/loop/conftest.load_store)
    revenue_row = page.locator("section#kpis tr", has_text="Revenue").first
    expect(revenue_row.locator("td").nth(1)).to_have_text("$220.00")
    expect(revenue_row.locator("td").nth(2)).to_have_text("$200.00")
    expect(revenue_row.locator("td").nth(3)).to_have_text("+10.0%")
    expect(page.locator("section#kpis tr", has_text="Sessions").locator("td").nth(1)).to_have_text(
        "7,000"
    )
    # the names written as HTML show as text
    expect(page.locator("section#experiments td", has_text=f"Test {HOSTILE}")).to_have_count(1)
    expect(page.locator("section#opportunities td", has_text=HOSTILE)).to_have_count(1)

    # the three charts are drawn by the inlined plotly.js
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(3)
    expect(page.locator("section#kpis .js-plotly-plot .main-svg").first).to_be_visible()
    daily = page.locator("section#kpis .js-plotly-plot").evaluate(
        "el => el.data.filter(t => t.mode === 'lines+markers')[0].y"
    )
    # 2024-03-04 .. 10: #1001 100, #1002 50, #1005 40, #1006 30
    assert sum(v for v in daily if v is not None) == pytest.approx(220)
    shapes = page.locator("section#kpis .js-plotly-plot").evaluate("el => el.layout.shapes.length")
    assert shapes == 1  # the test's dates as a band on the revenue trend
    assert outside == [] and dialogs == []
    screenshot(page, screenshots_dir, "report")


def test_report_button_downloads_the_overview_period(
    page: Page, app_server: dict, tmp_path: Path
) -> None:
    page.goto(app_server["url"])
    wait_for_app(page)
    revenue = metric_value(page, "Revenue")
    with page.expect_download() as download:
        page.get_by_role("button", name="Report (HTML)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("ro-report-") and saved.suffix == ".html"
    text = saved.read_text(encoding="utf-8")
    assert all(f'<section id="{key}">' in text for key in REPORT_SECTIONS)
    # the report's revenue is the Overview card's
    page.goto(saved.as_uri())
    row = page.locator("section#kpis tr", has_text="Revenue").first
    expect(row.locator("td").nth(1)).to_have_text(revenue)
