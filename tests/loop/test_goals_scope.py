"""Goals measure the whole store in their own currency, whatever the page shows.

Seen in issue 10: under a "Show only" segment the Goals page measured the whole store while the
report's Goals section and `ro goals --segment` measured the segment; and a goal set in USD
showed as "€0.00 of €80,000.00" once a dev store's EUR draft orders were loaded. Figures are
hand-calculated from the small store of tests/loop/conftest.py and the files written here.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from ro_core.cli import main as loop_main
from ro_core.ingest.pipeline import ingest_file
from ro_core.loop import goals as G
from ro_core.metrics.currency import remember_store_currency
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.present.report import build_report
from ro_core.store import schema
from ro_core.store.db import Database, reset_databases
from tests.loop.conftest import WEEK
from tests.metrics.conftest import insert_canonical, write_shopify_orders
from tests.support.currency_orders import EUR_DRAFTS, USD_MAY

US_ONLY = OrderFilters(segment_dimension="country", segment_value="US")
MARCH_TO_10 = DateRange(date(2024, 3, 1), date(2024, 3, 10))
NOTE = "Goals are store-wide targets: measured on the whole store, not only country = US."


class _GoalRows(HTMLParser):
    """Cell texts of the rows of the report's goals section."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.inside = dict(attrs).get("id") == "goals"
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


# --- scope: the whole store -----------------------------------------------------------------------
def test_goals_measure_the_whole_store_under_a_show_only_segment(store: Database, capsys):
    G.set_goal(store, "revenue", "month", date(2024, 3, 1), 1_000)
    # Orders 2024-03-01..10 that count: #0991 80 (US), #1001 100 (US), #1002 50 (CA),
    # #1005 40 (US), #1006 30 (US): the whole store 300, the US segment 250.
    assert kpi_values(store, MARCH_TO_10, US_ONLY).revenue == pytest.approx(250)
    (progress,) = G.goals_progress(store, date(2024, 3, 10), US_ONLY)
    assert progress.actual == pytest.approx(300)
    assert progress.note == NOTE == G.goals_scope_note(US_ONLY)
    assert "$300.00 of $1,000.00" in progress.summary()
    assert G.goals_progress(store, date(2024, 3, 10))[0].note == ""

    # The report's Goals section, under the same segment, to 2024-03-10.
    text = build_report(store, Scope(DateRange(*WEEK), "none", US_ONLY))
    parser = _GoalRows()
    parser.feed(text)
    assert parser.rows[1][:3] == ["Revenue, March 2024", "$1,000.00", "$300.00"]

    # `ro goals --segment`: to the latest day with data (the last order is on 2024-03-12,
    # traffic runs to 2024-03-17); March's orders add #1007 70 and #1010 200 (refunded later;
    # revenue is the total as exported): 570 for the store, 520 for US only.
    path = str(store.path)
    store.close()
    try:
        assert loop_main(["--json", "--db", path, "goals", "--segment", "country=US"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert "2024-03-12" <= data["as_of"] <= "2024-03-17" and data["note"] == NOTE
        assert data["goals"][0]["actual"] == pytest.approx(570)
        assert data["goals"][0]["goal"]["currency"] == "USD"
        assert loop_main(["--db", path, "goals", "--segment", "country=US"]) == 0
        out = capsys.readouterr().out
        assert out.splitlines()[0] == NOTE and "$570.00 of $1,000.00" in out
    finally:
        reset_databases()


# --- currency: the goal's own ---------------------------------------------------------------------


def _usd_goal_beside_eur(db: Database) -> None:
    goal = G.set_goal(db, "revenue", "month", date(2025, 5, 1), 80_000)
    assert goal.currency == "USD" and goal.format_value(goal.target) == "$80,000.00"
    # The view switched to EUR (the old default): EUR shows no order at all.
    eur_view = OrderFilters(currency="EUR")
    assert kpi_values(db, DateRange(date(2025, 5, 1), date(2025, 5, 31)), eur_view).orders == 0
    (progress,) = G.goals_progress(db, date(2025, 5, 31), eur_view)
    # 100 + 50 + 30 in USD, the goal's currency.
    assert progress.actual == pytest.approx(180)
    text = progress.summary()
    assert "$180.00 of $80,000.00" in text and "€" not in text
    frame = G.progress_frame([progress])
    assert frame.loc[0, "currency"] == "USD" and frame.loc[0, "actual"] == pytest.approx(180)


def test_a_goal_set_in_usd_stays_in_usd_beside_eur_drafts(db: Database, tmp_path: Path):
    ingest_file(db, write_shopify_orders(tmp_path / "usd.csv", USD_MAY))
    ingest_file(db, write_shopify_orders(tmp_path / "eur.csv", EUR_DRAFTS))
    _usd_goal_beside_eur(db)


def test_a_goal_set_in_usd_beside_the_real_forezia_drafts(
    db: Database, tmp_path: Path, real_exports: Path
):
    ingest_file(db, write_shopify_orders(tmp_path / "usd.csv", USD_MAY))
    report = ingest_file(db, real_exports / "shopify_orders" / "forezia_devstore_orders_export.csv")
    assert report.counts["orders"] == 19 and report.currencies == ("EUR",)
    _usd_goal_beside_eur(db)


def test_a_goal_keeps_the_currency_it_was_set_in(db: Database):
    insert_canonical(db, schema.KIND_ORDERS, [
        {"order_id": "u1", "local_date": date(2024, 3, 5), "currency": "USD",
         "total": Decimal("300.00"), "channel": "web"},
        {"order_id": "e1", "local_date": date(2024, 3, 6), "currency": "EUR",
         "total": Decimal("40.00"), "channel": "web"},
    ])  # fmt: skip
    usd = G.set_goal(db, "revenue", "month", date(2024, 3, 1), 1_000)
    remember_store_currency(db, "EUR")
    eur = G.set_goal(db, "aov", "month", date(2024, 3, 1), 50)
    assert (usd.currency, eur.currency) == ("USD", "EUR")
    progress = {p.goal.metric: p for p in G.goals_progress(db, date(2024, 3, 31))}
    assert progress["revenue"].actual == pytest.approx(300)
    assert progress["aov"].actual == pytest.approx(40)
    assert "€40.00 against a target of €50.00" in progress["aov"].summary()
    # setting the revenue goal again (now in EUR) replaces it with the new currency
    again = G.set_goal(db, "revenue", "month", date(2024, 3, 1), 900)
    assert again.goal_id == usd.goal_id and again.currency == "EUR"
    assert G.set_goal(db, "rpv", "month", date(2024, 3, 1), 2, currency="usd").currency == "USD"


def test_a_goal_from_before_goals_had_a_currency_takes_the_store_currency(tmp_path: Path):
    path = tmp_path / "v2.duckdb"
    conn = duckdb.connect(str(path))
    for version in (1, 2):
        for statement in schema.MIGRATIONS[version]:
            conn.execute(statement)
    conn.execute(f"INSERT INTO {schema.META} VALUES ('schema_version', '2')")
    conn.execute(
        f"""INSERT INTO {schema.GOALS} (metric, period_kind, period_start, period_end, target)
        VALUES ('revenue', 'month', DATE '2024-03-01', DATE '2024-03-31', 500)"""
    )
    conn.close()
    db = Database(path)
    try:
        assert db.fetch_value(
            f"SELECT value FROM {schema.META} WHERE key = 'schema_version'"
        ) == str(schema.SCHEMA_VERSION)
        (goal,) = G.list_goals(db)
        assert (goal.target, goal.currency) == (500, None)  # no order has a currency yet
        # GBP 120 + 30, an order without a currency (20) counts in the store currency; a
        # smaller USD order (10) does not.
        insert_canonical(db, schema.KIND_ORDERS, [
            {"order_id": "g1", "local_date": date(2024, 3, 5), "currency": "GBP",
             "total": Decimal("120.00"), "channel": "web"},
            {"order_id": "g2", "local_date": date(2024, 3, 6), "currency": "GBP",
             "total": Decimal("30.00"), "channel": "web"},
            {"order_id": "b1", "local_date": date(2024, 3, 7), "currency": None,
             "total": Decimal("20.00"), "channel": "web"},
            {"order_id": "u1", "local_date": date(2024, 3, 7), "currency": "USD",
             "total": Decimal("10.00"), "channel": "web"},
        ])  # fmt: skip
        (goal,) = G.list_goals(db)
        assert goal.currency == "GBP"
        (progress,) = G.goals_progress(db, date(2024, 3, 31))
        assert progress.goal.currency == "GBP" and progress.actual == pytest.approx(170)
        assert "£170.00 of £500.00" in progress.summary()
    finally:
        db.close()
