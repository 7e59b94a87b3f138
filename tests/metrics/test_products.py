"""Products (issue 13, part 3): order-line figures against hand calculations, event rates against
the real REES46 file read with the csv module, and `ro products --json`."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date

import pytest

from ro_core import cli
from ro_core.ingest.pipeline import ingest_file
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.products import products
from ro_core.metrics.scope import Scope
from ro_core.store.db import reset_databases
from tests.metrics.conftest import shopify_order

WEEK = DateRange(date(2024, 3, 4), date(2024, 3, 10))


@pytest.fixture
def shop(db, load_orders):
    load_orders(
        [
            shopify_order("#1", "2024-03-04 10:00:00 -0500", "25.00",
                          lines=(("Widget", 2, "10.00"), ("Gadget", 1, "5.00"))),
            shopify_order("#2", "2024-03-05 10:00:00 -0500", "10.00", lines=(("Widget", 1, "10.00"),)),
            shopify_order("#3", "2024-03-06 10:00:00 -0500", "15.00", lines=(("Gadget", 3, "5.00"),)),
            # the week before: Widget sold 20
            shopify_order("#0", "2024-02-27 10:00:00 -0500", "20.00", lines=(("Widget", 2, "10.00"),)),
            # a test order is left out, as everywhere
            shopify_order("#9", "2024-03-07 10:00:00 -0500", "50.00", tags="test",
                          lines=(("Widget", 5, "10.00"),)),
        ]
    )  # fmt: skip
    return db


def test_order_lines_by_product_by_hand(shop) -> None:
    table = products(shop, Scope(WEEK, "previous", OrderFilters()))
    rows = table.frame.set_index("product")
    # Widget: 2 + 1 units, 20 + 10 revenue, in orders #1 and #2, #1 also has a Gadget
    assert rows.loc["Widget", ["units", "revenue", "orders"]].tolist() == [3, 30.0, 2]
    assert rows.loc["Widget", "attach_rate"] == pytest.approx(1 / 2)
    assert rows.loc["Widget", "revenue_share"] == pytest.approx(30 / 50)
    assert rows.loc["Widget", "avg_price"] == pytest.approx(10.0)
    assert rows.loc["Widget", "revenue_change"] == pytest.approx(30 / 20 - 1)
    assert rows.loc["Gadget", ["units", "revenue", "orders"]].tolist() == [4, 20.0, 2]
    assert rows.loc["Gadget", "attach_rate"] == pytest.approx(1 / 2)
    assert list(rows.index) == ["Widget", "Gadget"]  # biggest revenue first
    assert not table.has_events
    assert any("event-level data" in note for note in table.notes)  # what events would add
    assert rows["add_to_cart_rate"].isna().all()


def test_event_rates_against_the_real_rees46_file(db, real_exports) -> None:
    path = real_exports / "rees46_events" / "rees46_2019-Oct_head17k_complete_lines.csv"
    ingest_file(db, path)
    sessions: dict[tuple[str, str], set[str]] = defaultdict(set)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            sessions[(row["product_id"], row["event_type"])].add(row["user_session"])
    views = {pid: len(s) for (pid, kind), s in sessions.items() if kind == "view"}
    top = max(views, key=views.get)
    day = DateRange(date(2019, 10, 1), date(2019, 10, 1))
    table = products(db, Scope(day, "none", OrderFilters()))
    assert table.has_events
    rows = table.frame.set_index("product")
    row = rows.loc[f"product id {top}"]  # no orders export: listed by product id
    assert row["views"] == views[top]
    carts = len(sessions.get((top, "cart"), set()))
    assert row["add_to_cart_rate"] == pytest.approx(carts / views[top])
    assert rows["views"].sum() == sum(views.values())


def test_cli_products_json(shop, capsys) -> None:
    shop.close()
    try:
        code = cli.main(["--db", str(shop.path), "--json", "products", "--start", "2024-03-04",
                         "--end", "2024-03-10"])  # fmt: skip
    finally:
        reset_databases()
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    first = data["rows"][0]
    assert (first["product"], first["revenue"], first["units"]) == ("Widget", 30.0, 3)
