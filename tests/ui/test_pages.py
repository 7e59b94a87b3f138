"""AppTest: every page renders on the demo store and shows ro_core's numbers; filters persist."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from ro_core import demo, metrics
from ro_core.ingest.pipeline import has_demo_data, ingest_file
from ro_core.metrics.funnel import traffic_funnel
from ro_core.metrics.segments import segments
from ro_core.store import schema
from ro_core.store.annotations import list_annotations
from ro_core.store.db import Database, get_database
from tests.ui.conftest import assert_clean, metric, number, run_app

PAGES = {
    "pages/overview.py": "Overview",
    "pages/trends.py": "Trends",
    "pages/funnel.py": "Funnel",
    "pages/segments.py": "Segments",
    "pages/products.py": "Products",
    "pages/experiments.py": "Experiments",
    "pages/data.py": "Data",
}
WITH_TABLES = {
    "pages/overview.py",
    "pages/trends.py",
    "pages/funnel.py",
    "pages/segments.py",
    "pages/products.py",
    "pages/data.py",
}


def _last_30_days(db) -> metrics.DateRange:
    return metrics.presets(metrics.coverage(db).latest_date)["last_30_days"]


def test_first_run_loads_the_demo_store_and_says_so(new_db) -> None:
    at = run_app()
    assert_clean(at)
    assert any("Demo store loaded" in m.value for m in at.markdown)
    assert at.button(key="remove_demo").label == "Remove demo data"
    assert metric(at, "Orders").value != "–"


def test_every_page_renders_without_errors(demo_db) -> None:
    at = run_app()
    for path, title in PAGES.items():
        at.switch_page(path).run()
        assert_clean(at)
        assert at.title[0].value == title
        if path in WITH_TABLES:
            assert at.download_button, f"{title}: every table has a CSV download"


def test_overview_cards_show_ro_core_kpis(demo_db) -> None:
    at = run_app()
    assert_clean(at)
    expected = metrics.kpis(demo_db, _last_30_days(demo_db), metrics.OrderFilters(), "previous")
    current = expected.current
    assert number(metric(at, "Revenue").value) == pytest.approx(round(current.revenue, 2))
    assert number(metric(at, "Orders").value) == current.orders
    assert number(metric(at, "Sessions").value) == pytest.approx(round(current.sessions))
    assert number(metric(at, "Conversion rate").value) == pytest.approx(
        round(current.conversion_rate * 100, 2)
    )
    assert number(metric(at, "AOV").value) == pytest.approx(round(current.aov, 2))
    assert number(metric(at, "RPV").value) == pytest.approx(round(current.revenue_per_session, 2))
    revenue_change = expected.changes["revenue"].relative
    assert number(metric(at, "Revenue").delta) == pytest.approx(round(revenue_change * 100, 1))
    # the summary line names the same change
    summary = at.info[0].value.replace("\\", "")
    assert f"{abs(revenue_change) * 100:.1f}%" in summary
    assert ("rose" if revenue_change > 0 else "fell") in summary


def test_filters_persist_across_pages(demo_db) -> None:
    at = run_app()
    at.sidebar.selectbox(key="filter_preset").set_value("last_90_days").run()
    at.sidebar.segmented_control(key="filter_grain").set_value("week").run()
    at.sidebar.selectbox(key="filter_revenue_basis").set_value("net").run()
    for path in ("pages/trends.py", "pages/funnel.py", "pages/overview.py"):
        at.switch_page(path).run()
        assert_clean(at)
        assert at.sidebar.selectbox(key="filter_preset").value == "last_90_days"
        assert at.sidebar.segmented_control(key="filter_grain").value == "week"
        assert at.sidebar.selectbox(key="filter_revenue_basis").value == "net"
    period = metrics.presets(metrics.coverage(demo_db).latest_date)["last_90_days"]
    assert at.caption[0].value.startswith(f"{period.start} to {period.end} (90 days)")
    net = metrics.kpis(demo_db, period, metrics.OrderFilters(revenue_basis="net"), "previous")
    assert number(metric(at, "Revenue").value) == pytest.approx(round(net.current.revenue, 2))


def test_comparison_before_the_data_is_not_shown_as_a_change(demo_db) -> None:
    at = run_app()
    at.sidebar.selectbox(key="filter_compare").set_value("year").run()
    assert_clean(at)
    # the demo store has no data a year earlier: the page says so and shows no change
    assert any("no change shown" in c.value for c in at.caption)
    assert all(not m.delta for m in at.metric)


def test_trends_switch_metric_and_keep_notes(demo_db) -> None:
    at = run_app()
    at.switch_page("pages/trends.py").run()
    assert_clean(at)
    at.segmented_control(key="trend_metric").set_value("conversion_rate").run()
    assert_clean(at)
    expected = metrics.trend(
        demo_db,
        "conversion_rate",
        "day",
        _last_30_days(demo_db),
        metrics.OrderFilters(),
        compare="previous",
    ).frame
    shown = at.dataframe[0].value
    assert shown["value"].tolist() == pytest.approx(
        pd.to_numeric(expected["value"]).tolist(), nan_ok=True
    )
    assert any("converted sessions / sessions" in c.value for c in at.caption)
    at.text_input(key="note_text").input("New checkout launched")
    next(b for b in at.button if b.label == "Add note").click().run()
    assert_clean(at)
    assert [n.text for n in list_annotations(demo_db)] == ["New checkout launched"]
    assert "New checkout launched" in at.selectbox(key="note_choice").options[0]
    at.button(key="delete_note").click().run()
    assert list_annotations(demo_db) == []
    # the chosen metric survives a trip to another page
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/trends.py").run()
    assert at.segmented_control(key="trend_metric").value == "conversion_rate"


def test_segments_table_matches_ro_core(demo_db) -> None:
    at = run_app()
    at.switch_page("pages/segments.py").run()
    at.selectbox(key="segments_dimension").set_value("orders:country").run()
    assert_clean(at)
    expected = segments(
        demo_db, "country", _last_30_days(demo_db), metrics.OrderFilters(), side="orders"
    ).frame
    shown = at.dataframe[0].value
    assert shown["segment"].tolist() == expected["segment"].astype(str).tolist()
    assert shown["orders"].tolist() == pd.to_numeric(expected["orders"]).tolist()
    assert shown["revenue"].tolist() == pytest.approx(pd.to_numeric(expected["revenue"]).tolist())
    small = pd.Series(expected["small_sample"]).fillna(False).astype(bool).tolist()
    assert shown["small_sample"].tolist() == small
    assert any(small), "the demo has small countries, flagged"


def test_funnel_table_matches_ro_core(demo_db) -> None:
    at = run_app()
    at.switch_page("pages/funnel.py").run()
    at.segmented_control(key="funnel_split").set_value("none").run()
    assert_clean(at)
    expected = traffic_funnel(demo_db, _last_30_days(demo_db), metrics.OrderFilters()).frame
    shown = at.dataframe[0].value
    assert shown["step"].tolist() == expected["step"].tolist()
    assert shown["sessions"].tolist() == pytest.approx(expected["sessions"].tolist())
    at.segmented_control(key="funnel_source").set_value("events").run()
    at.segmented_control(key="funnel_closed").set_value("open").run()
    assert_clean(at)
    assert any("open" in c.value.lower() for c in at.caption)


def test_remove_demo_then_empty_state_offers_it_again(demo_db) -> None:
    at = run_app()
    at.button(key="remove_demo").click().run()
    assert_clean(at)
    assert not has_demo_data(demo_db)
    assert any("No data is loaded yet" in i.value for i in at.info)
    assert not at.metric
    at.button(key="load_demo_overview").click().run()
    assert_clean(at)
    assert has_demo_data(demo_db)
    assert metric(at, "Revenue").value.startswith("$")


def test_funnel_opens_on_the_whole_store(demo_db) -> None:
    """What was seen: the Funnel's first view split the store (a single rectangle on a store
    whose split was partial). It now opens on the whole store's funnel."""
    at = run_app()
    at.sidebar.selectbox(key="filter_segment_dimension").set_value("traffic:device").run()
    at.switch_page("pages/funnel.py").run()
    assert_clean(at)
    assert at.segmented_control(key="funnel_split").value == "none"
    expected = traffic_funnel(demo_db, _last_30_days(demo_db))
    shown = at.dataframe[0].value
    assert shown["sessions"].tolist() == pytest.approx(expected.frame["sessions"].tolist())


def test_products_page_shows_the_order_lines(demo_db) -> None:
    import csv

    from ro_core.store.db import SAMPLE_DIR

    at = run_app()
    at.switch_page("pages/products.py").run()
    assert_clean(at)
    period = _last_30_days(demo_db)
    shown = at.dataframe[0].value.set_index("product")
    # independent: the demo's Shopify export read with the csv module (line price x quantity of
    # the orders dated in the period that are not cancelled, voided, test or draft)
    revenue: dict[str, float] = {}
    keep: dict[str, bool] = {}
    with (SAMPLE_DIR / "shopify_orders_export.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["Name"]
            if row["Financial Status"]:
                day = row["Created at"][:10]
                keep[name] = (
                    str(period.start) <= day <= str(period.end)
                    and not row["Cancelled at"]
                    and row["Financial Status"] != "voided"
                    and "test" not in row["Tags"].lower()
                    and row["Source"] != "shopify_draft_order"
                )
            if keep.get(name):
                product = row["Lineitem name"]
                value = float(row["Lineitem price"]) * int(row["Lineitem quantity"])
                revenue[product] = revenue.get(product, 0.0) + value
    top = max(revenue, key=revenue.get)
    assert shown.index[0] == top
    assert number(shown.loc[top, "revenue"]) == pytest.approx(round(revenue[top], 2))


def test_a_demo_load_cut_short_is_completed_on_the_next_start(new_db) -> None:
    # A server stopped during the first run's demo load leaves some demo files in and the demo
    # not marked as offered: the next start loads the rest, counting nothing twice.
    files = demo.demo_files() or demo.generate_demo_files(demo.SAMPLE_DIR)
    database = Database(new_db)
    ingest_file(database, files[0], is_demo=True)
    database.close()
    at = run_app()
    assert_clean(at)
    assert any("Demo store loaded" in m.value for m in at.markdown)
    db = get_database(new_db)
    names = [r[0] for r in db.fetch_all(f"SELECT file_name FROM {schema.IMPORTS} ORDER BY 1")]
    assert sorted(names) == sorted(p.name for p in files)
    with files[0].open(newline="", encoding="utf-8") as fh:
        orders = {row["Name"] for row in csv.DictReader(fh)}
    assert files[0].name == demo.ORDERS_FILE
    assert db.fetch_value(f"SELECT count(*) FROM {schema.ORDERS}") == len(orders)


def test_a_store_with_the_owners_own_data_never_gets_the_demo(new_db, tmp_path) -> None:
    own = tmp_path / "own.csv"
    files = demo.demo_files() or demo.generate_demo_files(demo.SAMPLE_DIR)
    own.write_bytes(files[0].read_bytes())
    database = Database(new_db)
    ingest_file(database, own)
    database.close()
    at = run_app()
    assert_clean(at)
    db = get_database(new_db)
    assert db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS}") == 1
    assert db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS} WHERE is_demo") == 0
