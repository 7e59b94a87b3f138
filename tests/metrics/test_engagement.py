"""Engagement and bounce (issue 13, part 1): GA4 engaged sessions checked against the real GA4
download read with the csv module; Shopify bounce rate and the event rule by hand; one source
per figure; `ro kpis --json` carries the three figures."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ro_core import cli
from ro_core.errors import ImportFileError
from ro_core.ingest.pipeline import ingest_file
from ro_core.metrics.engagement import (
    engagement,
    engagement_by_segment,
    engagement_trend,
    event_engagement,
    traffic_engagement,
)
from ro_core.metrics.filters import DEFAULT_FILTERS
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.store import schema
from ro_core.store.db import reset_databases
from tests.conftest import write_csv
from tests.metrics.conftest import event_row, insert_canonical, shopify_order, traffic_row

GA4_TRAFFIC = (
    "GA Traffic_acquisition_Session_primary_channel_group_(Default_Channel_Group) 2024.csv"
)
YEAR_2024 = DateRange(date(2024, 1, 1), date(2024, 12, 31))
WEEK = DateRange(date(2024, 3, 4), date(2024, 3, 10))
LANDING = (
    '"Day","Landing page type","Landing page path","Sessions","Bounce rate",'
    '"Sessions that completed checkout"\n'
    '"2024-03-04","Homepage","/",1000,0.40,20\n'
    '"2024-03-04","Product","/products/a",500,"55%",5\n'
    '"2024-03-05","Homepage","/",800,0.35,18\n'
)


def _ga4_rows(path: Path) -> list[dict[str, str]]:
    """The data rows of a GA4 download (after its '#' lines), read with the csv module."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]  # fmt: skip
    return list(csv.DictReader(lines))


def test_ga4_engagement_matches_the_download(db, real_exports) -> None:
    path = real_exports / "ga4_exports" / GA4_TRAFFIC
    rows = _ga4_rows(path)
    assert {"Engaged sessions", "Engagement rate", "Average engagement time per session"} <= set(
        rows[0]
    )
    sessions = sum(float(r["Sessions"]) for r in rows)
    engaged = sum(float(r["Engaged sessions"]) for r in rows)
    by_channel: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        key = r["Session primary channel group (Default Channel Group)"]
        by_channel[key][0] += float(r["Sessions"])
        by_channel[key][1] += float(r["Engaged sessions"])
    ingest_file(db, path)

    found, _note = traffic_engagement(db, YEAR_2024, DEFAULT_FILTERS)
    assert found is not None and found.source == "ga4"
    assert found.sessions == pytest.approx(sessions)
    assert found.engaged_sessions == pytest.approx(engaged)
    assert found.engagement_rate == pytest.approx(engaged / sessions)
    assert found.bounce_rate == pytest.approx(1 - engaged / sessions)  # GA4's own definition
    assert found.engagement_low < found.engagement_rate < found.engagement_high

    kpis = kpi_values(db, YEAR_2024, DEFAULT_FILTERS)
    assert kpis.engaged_sessions == pytest.approx(engaged)
    assert kpis.bounce_rate == pytest.approx(1 - engaged / sessions)

    frame = engagement_by_segment(db, YEAR_2024, DEFAULT_FILTERS, "channel")
    got = {r.segment: (r.sessions, r.engaged_sessions) for r in frame.itertuples()}
    assert got == {k: pytest.approx(tuple(v)) for k, v in by_channel.items()}
    # GA4 weeks (Sunday to Saturday) by period: their sums add up to the year
    trend = engagement_trend(db, Scope(YEAR_2024, "none"))
    assert trend["sessions"].sum() == pytest.approx(sessions)


@pytest.fixture
def shopify_landing(db, tmp_path):
    ingest_file(db, write_csv(tmp_path / "Landing pages - 2024-03-04 - 2024-03-10.csv", LANDING))
    return db


def test_shopify_bounce_rate_by_hand(shopify_landing) -> None:
    db = shopify_landing
    # bounced: 1000 x 0.40 + 500 x 0.55 + 800 x 0.35 = 400 + 275 + 280
    stored = db.fetch_all(
        f"SELECT landing_page, sum(sessions), sum(engaged_sessions) FROM {schema.TRAFFIC} "
        "GROUP BY 1 ORDER BY 1"
    )
    assert stored == [("/", 1800.0, 1120.0), ("/products/a", 500.0, 225.0)]
    found, _ = traffic_engagement(db, WEEK, DEFAULT_FILTERS)
    assert found.source == "shopify"
    assert found.bounced_sessions == 955
    assert found.bounce_rate == pytest.approx(955 / 2300)
    # Shopify reports no engaged sessions: never made up from its bounce rate
    assert found.engaged_sessions is None and found.engagement_rate is None
    frame = engagement_by_segment(db, WEEK, DEFAULT_FILTERS, "landing_page")
    assert dict(zip(frame["segment"], frame["bounce_rate"], strict=True)) == {
        "/": pytest.approx(680 / 1800),
        "/products/a": pytest.approx(275 / 500),
    }


def test_shopify_bounce_rate_in_whole_percent_and_out_of_range(db, tmp_path) -> None:
    text = LANDING.replace("0.40", "40").replace("0.35", "35").replace('"55%"', "55")
    ingest_file(db, write_csv(tmp_path / "lp - 2024-03-04 - 2024-03-10.csv", text))
    found, _ = traffic_engagement(db, WEEK, DEFAULT_FILTERS)
    assert found.bounced_sessions == 955
    bad = LANDING.replace("0.35", '"140%"')  # a bare number above 1 would read as percent
    with pytest.raises(ImportFileError, match="Bounce rate"):
        ingest_file(db, write_csv(tmp_path / "bad - 2024-03-04 - 2024-03-10.csv", bad))


def test_event_bounce_rule(db) -> None:
    insert_canonical(
        db,
        schema.KIND_EVENTS,
        [
            # a: one view and nothing else -> bounce
            event_row("2024-03-04 10:00:00+00", "a", "view", product_id="1"),
            # b: view then cart -> not a bounce
            event_row("2024-03-04 11:00:00+00", "b", "view", product_id="1"),
            event_row("2024-03-04 11:01:00+00", "b", "cart", product_id="1"),
            # c: GA4 bookkeeping + one page view -> bounce (session_start does not count)
            {**event_row("2024-03-05 09:00:00+00", "c", "other"), "event_name": "session_start"},
            {**event_row("2024-03-05 09:00:01+00", "c", "other"), "event_name": "page_view"},
            # d: two views -> not a bounce
            event_row("2024-03-05 12:00:00+00", "d", "view", product_id="2"),
            event_row("2024-03-05 12:02:00+00", "d", "view", product_id="3"),
            # e: a lone purchase is not a page view -> not a bounce
            event_row("2024-03-06 12:00:00+00", "e", "purchase", product_id="2", revenue=10.0),
        ],
    )
    found = event_engagement(db, WEEK)
    assert (found.sessions, found.bounced_sessions) == (5, 2)
    assert found.bounce_rate == pytest.approx(0.4)
    assert found.engaged_sessions is None


def test_sources_are_never_mixed(db, load_orders) -> None:
    load_orders([shopify_order("#1", "2024-03-04 10:00:00 -0500", "10.00")])
    days = [date(2024, 3, 4) + __import__("datetime").timedelta(days=i) for i in range(7)]
    insert_canonical(db, schema.KIND_TRAFFIC, [traffic_row(d, sessions=100.0) for d in days])
    insert_canonical(
        db,
        schema.KIND_TRAFFIC,
        [traffic_row(d, source="ga4", sessions=90.0, engaged_sessions=60.0) for d in days],
    )
    # the store's source is Shopify (orders from Shopify): it has no engagement, GA4's is not
    # borrowed
    found, note = traffic_engagement(db, WEEK, DEFAULT_FILTERS)
    assert found is None and "GA4" in note
    assert kpi_values(db, WEEK, DEFAULT_FILTERS).bounce_rate is None
    ga4 = replace(DEFAULT_FILTERS, traffic_source="ga4")
    found, _ = traffic_engagement(db, WEEK, ga4)
    assert found.engagement_rate == pytest.approx(60 / 90)
    assert engagement(db, Scope(WEEK, "none", ga4)).traffic.sessions == 630


def test_cli_kpis_json_carries_engagement(shopify_landing, capsys) -> None:
    db = shopify_landing
    db.close()
    try:
        code = cli.main(["--db", str(db.path), "--json", "kpis", "--start", "2024-03-04",
                         "--end", "2024-03-05"])  # fmt: skip
    finally:
        reset_databases()
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bounce_rate"] == pytest.approx(955 / 2300)
    assert data["engaged_sessions"] is None and data["engagement_rate"] is None
    assert "bounce_rate" in data["changes"]
