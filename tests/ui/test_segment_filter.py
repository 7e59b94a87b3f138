"""AppTest: the sidebar's "Show only" segment filter narrows every page to one segment."""

from __future__ import annotations

import pytest

from ro_core import metrics
from ro_core.store import schema
from tests.ui.conftest import assert_clean, metric, number, plain, run_app

PAGES = (  # every page that shows the header caption
    "pages/trends.py",
    "pages/funnel.py",
    "pages/segments.py",
    "pages/experiments.py",
    "pages/overview.py",
)
OTHER_PAGES = ("pages/goals.py", "pages/hypotheses.py", "pages/experiment_log.py", "pages/data.py")


def _last_30_days(db) -> metrics.DateRange:
    return metrics.presets(metrics.coverage(db).latest_date)["last_30_days"]


def _traffic_sum(db, measure: str, period: metrics.DateRange, device: str | None) -> float:
    """Shopify daily sessions of the period, by hand: store totals or one device's rows."""
    if device is None:
        where, params = "dimensions = ''", []
    else:
        where, params = "dimensions = 'device' AND device = ?", [device]
    return float(
        db.fetch_value(
            f"SELECT sum({measure}) FROM {schema.TRAFFIC} WHERE traffic_source = 'shopify' "
            f"AND grain = 'day' AND {where} AND period_start >= ? AND period_end <= ?",
            [*params, period.start, period.end],
        )
    )


def test_show_only_mobile_changes_the_sessions_card(demo_db) -> None:
    at = run_app()
    period = _last_30_days(demo_db)
    whole_store = _traffic_sum(demo_db, "sessions", period, None)
    assert number(metric(at, "Sessions").value) == pytest.approx(round(whole_store))

    at.sidebar.selectbox(key="filter_show_only").set_value("traffic:device").run()
    assert_clean(at)
    values = at.sidebar.selectbox(key="filter_show_only_value")
    assert values.options == metrics.segment_values(demo_db, "device", period, side="traffic")
    values.set_value("Mobile").run()
    assert_clean(at)

    mobile = _traffic_sum(demo_db, "sessions", period, "Mobile")
    converted = _traffic_sum(demo_db, "converted_sessions", period, "Mobile")
    assert 0 < mobile < whole_store
    core = metrics.kpi_values(
        demo_db,
        period,
        metrics.OrderFilters(segment_dimension="device", segment_value="Mobile"),
    )
    assert core.sessions == pytest.approx(mobile)
    assert number(metric(at, "Sessions").value) == pytest.approx(round(mobile))
    assert number(metric(at, "Conversion rate").value) == pytest.approx(
        round(converted / mobile * 100, 2)
    )
    # Shopify orders carry no device: no whole-store revenue beside the segment's sessions.
    for label in ("Revenue", "Orders", "AOV", "RPV"):
        assert number_or_none(metric(at, label).value) is None, label
    captions = " ".join(plain(c.value) for c in at.caption)
    assert "Showing only device = Mobile" in captions


def number_or_none(text: str) -> float | None:
    """The number shown, or None for the missing-value dash."""
    return None if not any(ch.isdigit() for ch in text) else number(text)


def test_show_only_persists_across_pages(demo_db) -> None:
    at = run_app()
    at.sidebar.selectbox(key="filter_show_only").set_value("traffic:channel").run()
    at.sidebar.selectbox(key="filter_show_only_value").set_value("social").run()
    for path in PAGES:
        at.switch_page(path).run()
        assert_clean(at)
        assert at.sidebar.selectbox(key="filter_show_only").value == "traffic:channel"
        assert at.sidebar.selectbox(key="filter_show_only_value").value == "social"
        captions = " ".join(plain(c.value) for c in at.caption)
        assert "Showing only traffic channel = social" in captions, path
    for path in OTHER_PAGES:
        at.switch_page(path).run()
        assert_clean(at)
        assert at.sidebar.selectbox(key="filter_show_only_value").value == "social"


def test_show_only_an_order_field_narrows_orders(demo_db) -> None:
    at = run_app()
    period = _last_30_days(demo_db)
    at.sidebar.selectbox(key="filter_show_only").set_value("orders:country").run()
    at.sidebar.selectbox(key="filter_show_only_value").set_value("CA").run()
    assert_clean(at)
    store = metrics.kpi_values(demo_db, period, metrics.OrderFilters())
    canada = metrics.kpi_values(
        demo_db, period, metrics.OrderFilters(segment_dimension="country", segment_value="CA")
    )
    assert 0 < canada.orders < store.orders
    assert number(metric(at, "Orders").value) == canada.orders
    assert number(metric(at, "Revenue").value) == pytest.approx(round(canada.revenue, 2))
    # the demo's traffic has no country breakdown: no store sessions beside Canada's orders
    assert number_or_none(metric(at, "Sessions").value) is None
