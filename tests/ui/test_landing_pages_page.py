"""AppTest: the Landing pages page on the demo store shows ro_core's table, and the Overview shows
the bounce rate of the store's source below the six cards."""

from __future__ import annotations

import csv

from ro_core import metrics
from ro_core.demo import LANDING_FILE, SAMPLE_DIR
from tests.ui.conftest import assert_clean, metric, number, run_app


def test_landing_pages_page_on_the_demo(demo_db) -> None:
    at = run_app()
    at.switch_page("pages/landing_pages.py").run()
    assert_clean(at)
    period = metrics.presets(metrics.coverage(demo_db).latest_date)["last_30_days"]
    # independent: the demo's landing-page report read with the csv module
    sessions: dict[str, int] = {}
    with (SAMPLE_DIR / LANDING_FILE).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if str(period.start) <= row["Day"] <= str(period.end):
                page = row["Landing page path"]
                sessions[page] = sessions.get(page, 0) + int(row["Sessions"])
    shown = at.dataframe[0].value.set_index("landing_page")  # labels live in column_config
    assert {page: number(v) for page, v in shown["sessions"].items()} == sessions
    assert shown["bounce_rate"].str.endswith("%").all()


def test_overview_shows_the_bounce_rate_below_the_cards(demo_db) -> None:
    at = run_app()
    assert_clean(at)
    bounce = metric(at, "Bounce rate")
    assert 20 < number(bounce.value) < 60  # Shopify's bounce rate of the demo's landing pages
    assert len([m for m in at.metric if m.label in ("Engaged sessions", "Engagement rate")]) == 0


def test_segments_show_bounce_per_landing_page(demo_db) -> None:
    at = run_app()
    at.switch_page("pages/segments.py").run()
    at.selectbox(key="segments_dimension").set_value("traffic:landing_page").run()
    assert_clean(at)
    period = metrics.presets(metrics.coverage(demo_db).latest_date)["last_30_days"]
    sessions: dict[str, float] = {}
    bounced: dict[str, float] = {}
    with (SAMPLE_DIR / LANDING_FILE).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if str(period.start) <= row["Day"] <= str(period.end):
                page = row["Landing page path"]
                sessions[page] = sessions.get(page, 0) + int(row["Sessions"])
                bounced[page] = bounced.get(page, 0) + int(row["Sessions"]) * float(
                    row["Bounce rate"]
                )
    table = next(f.value for f in at.dataframe if "bounce_rate" in f.value.columns)
    shown = table.set_index("segment")
    top = max(sessions, key=sessions.get)
    assert number(shown.loc[top, "bounce_rate"]) == round(bounced[top] / sessions[top] * 100, 2)
