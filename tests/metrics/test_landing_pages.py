"""Landing pages (issue 13, part 2): a synthetic Shopify landing-page report by hand (rates,
Wilson intervals against statsmodels, revenue at stake by the opportunity rules), event data's
first page, the demo store's report against the csv module, and `ro landing-pages --json`."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from statsmodels.stats.proportion import proportion_confint

from ro_core import cli
from ro_core.demo import LANDING_FILE, SAMPLE_DIR, SESSIONS_FILE, load_demo
from ro_core.ingest.pipeline import ingest_file
from ro_core.metrics.landing_pages import landing_pages, page_type
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.store import schema
from ro_core.store.db import reset_databases
from tests.conftest import write_csv
from tests.metrics.conftest import event_row, insert_canonical, shopify_order

DAY = DateRange(date(2024, 3, 4), date(2024, 3, 4))
REPORT = (
    '"Day","Landing page type","Landing page path","Sessions","Bounce rate",'
    '"Sessions that completed checkout"\n'
    '"2024-03-04","Product","/products/good",4000,0.30,160\n'
    '"2024-03-04","Product","/products/bad",3000,0.50,45\n'
    '"2024-03-04","Homepage","/",2000,0.40,40\n'
    '"2024-03-04","Blog post","/blogs/news/x",1000,0.70,2\n'
)


@pytest.fixture
def store(db, load_orders, tmp_path):
    # online revenue 494 on the day over 247 converted sessions: 2.00 per conversion
    load_orders([shopify_order("#1", "2024-03-04 10:00:00 -0500", "100.00"),
                 shopify_order("#2", "2024-03-04 11:00:00 -0500", "394.00")])  # fmt: skip
    ingest_file(db, write_csv(tmp_path / "Landing - 2024-03-04 - 2024-03-04.csv", REPORT))
    return db


def test_page_types() -> None:
    assert [page_type(p) for p in ("/", "/products/a", "https://x.io/en/collections/b?q=1",
                                   "/blogs/n/a", "/pages/about", "/search?q=mug", "/cart",
                                   "product 5100023")] == [
        "home", "product", "collection", "content", "content", "search", "other", "product"]  # fmt: skip


def test_landing_page_table_by_hand(store) -> None:
    table = landing_pages(store, Scope(DAY, "none"))
    assert table.source == "shopify" and table.cr_basis == "converted sessions / sessions"
    rows = {r["landing_page"]: r for r in table.frame.to_dict("records")}
    assert list(rows) == ["/products/good", "/products/bad", "/", "/blogs/news/x"]
    bad = rows["/products/bad"]
    assert bad["sessions"] == 3000 and bad["bounced_sessions"] == 1500
    assert bad["bounce_rate"] == pytest.approx(0.5)
    assert bad["conversion_rate"] == pytest.approx(0.015)
    low, high = proportion_confint(45, 3000, alpha=0.05, method="wilson")
    assert (bad["cr_low"], bad["cr_high"]) == (pytest.approx(low), pytest.approx(high))
    low, high = proportion_confint(1500, 3000, alpha=0.05, method="wilson")
    assert (bad["bounce_low"], bad["bounce_high"]) == (pytest.approx(low), pytest.approx(high))
    # no revenue per page in a Shopify report: conversions x 494 / 247
    assert bad["revenue"] == pytest.approx(90.0) and bad["rpv_estimated"]
    assert bad["rpv"] == pytest.approx(0.03)
    # at stake: lift capped at +20% (gap 2.5 points on 1.5%), 90 x 30.4375 a month
    assert bad["benchmark_page"] == "/products/good"
    assert bad["lift"] == pytest.approx(0.2) and bad["capped"]
    assert bad["at_stake"] == 550  # 0.2 x 2739.4 = 547.9 -> two significant figures
    assert bad["at_stake_low"] == 130  # +5% typical lift: 137.0 rounded down
    assert bad["at_stake_high"] == 550
    assert bad["rank"] == 1
    # the benchmark itself, the only home page and the small blog post are not at stake
    for page in ("/products/good", "/", "/blogs/news/x"):
        assert pd_isna(rows[page]["at_stake"]), page
    assert rows["/blogs/news/x"]["small_sample"] and not bad["small_sample"]
    assert sum(r["session_share"] for r in rows.values()) == pytest.approx(1.0)


def pd_isna(value) -> bool:
    return value is None or value != value


def test_event_landing_pages_first_view(db) -> None:
    insert_canonical(
        db,
        schema.KIND_EVENTS,
        [
            event_row("2024-03-04 10:00:00+00", "a", "view", product_id="7"),
            event_row("2024-03-04 11:00:00+00", "b", "view", product_id="7"),
            event_row("2024-03-04 11:01:00+00", "b", "view", product_id="8"),
            event_row("2024-03-04 11:02:00+00", "b", "purchase", product_id="8", revenue=30.0),
            event_row("2024-03-04 12:00:00+00", "c", "view", product_id="8"),
        ],
    )
    table = landing_pages(db, Scope(DAY, "none"))
    assert table.source == "events"
    rows = {r["landing_page"]: r for r in table.frame.to_dict("records")}
    # b lands on product 7 (its first view) and buys product 8
    assert rows["product 7"]["sessions"] == 2 and rows["product 7"]["bounced_sessions"] == 1
    assert rows["product 7"]["conversions"] == 1 and rows["product 7"]["revenue"] == 30.0
    assert rows["product 7"]["rpv"] == pytest.approx(15.0)
    assert rows["product 8"]["bounce_rate"] == 1.0


def test_demo_landing_pages_match_the_csv(db) -> None:
    load_demo(db)
    period = DateRange(date(2025, 10, 1), date(2025, 10, 31))
    with (SAMPLE_DIR / LANDING_FILE).open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Day"].startswith("2025-10")]
    with (SAMPLE_DIR / SESSIONS_FILE).open(newline="", encoding="utf-8") as fh:
        store_sessions = sum(int(r["Sessions"]) for r in csv.DictReader(fh)
                             if r["Day"].startswith("2025-10"))  # fmt: skip
    sessions: dict[str, int] = {}
    bounced: dict[str, float] = {}
    for r in rows:
        page = r["Landing page path"]
        sessions[page] = sessions.get(page, 0) + int(r["Sessions"])
        kept = round(int(r["Sessions"]) * (1 - float(r["Bounce rate"])))
        bounced[page] = bounced.get(page, 0) + int(r["Sessions"]) - kept
    table = landing_pages(db, Scope(period, "none"))
    frame = table.frame.set_index("landing_page")
    assert frame["sessions"].sum() == store_sessions  # the report splits every session
    for page, n in sessions.items():
        assert frame.at[page, "sessions"] == n
        assert frame.at[page, "bounced_sessions"] == pytest.approx(bounced[page])
    # realistic behaviour: blog readers bounce most and buy least; a page is found at stake
    blog = frame.loc["/blogs/brew-guides/pour-over-basics"]
    assert blog["bounce_rate"] > 0.6 and blog["conversion_rate"] < 0.01
    quarter = DateRange(date(2025, 8, 1), date(2025, 10, 31))
    ranked = landing_pages(db, Scope(quarter, "none")).frame.dropna(subset=["rank"])
    assert "/products/cold-brew-maker" in set(ranked["landing_page"])


def test_cli_landing_pages_json(store, capsys) -> None:
    store.close()
    try:
        code = cli.main(["--db", str(store.path), "--json", "landing-pages", "--start",
                         "2024-03-04", "--end", "2024-03-04"])  # fmt: skip
    finally:
        reset_databases()
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == "shopify"
    first = data["rows"][0]
    assert (first["landing_page"], first["sessions"]) == ("/products/good", 4000)
    assert {r["landing_page"]: r["at_stake"] for r in data["rows"]}["/products/bad"] == 550
