"""AppTest: a script run reads the data version once (one statement on a cached rerun, not one
per cached lookup), an import committed outside the session (another browser session, `ro
ingest`) shows on the session's next run, and a pick the sidebar remembers counts in the run
that remembers it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ro_core.ingest.pipeline import ingest_file
from ro_core.store.db import Database
from tests.metrics.conftest import shopify_order, write_shopify_orders
from tests.ui.conftest import assert_clean, metric, number, run_app

FIRST = [  # three web orders on 2-4 March 2024: 40 + 25.50 + 100
    shopify_order("#1001", "2024-03-02 10:00:00 -0500", "40.00"),
    shopify_order("#1002", "2024-03-03 11:30:00 -0500", "25.50"),
    shopify_order("#1003", "2024-03-04 18:45:00 -0500", "100.00"),
]
LATER = [  # two more on 5 March: 60 + 14.50
    shopify_order("#1004", "2024-03-05 09:00:00 -0500", "60.00"),
    shopify_order("#1005", "2024-03-05 15:00:00 -0500", "14.50"),
]


def _import(db: Database, path: Path, orders: list[list[dict[str, str]]]) -> None:
    """An import committed outside the app's session, as another session's upload would be."""
    ingest_file(db, write_shopify_orders(path, orders))


def test_an_import_from_elsewhere_shows_on_the_next_run(empty_db, tmp_path) -> None:
    _import(empty_db, tmp_path / "first.csv", FIRST)
    at = run_app()
    assert_clean(at)
    assert number(metric(at, "Orders").value) == 3
    assert number(metric(at, "Revenue").value) == pytest.approx(165.50)

    _import(empty_db, tmp_path / "later.csv", LATER)
    at.run()
    assert_clean(at)
    assert number(metric(at, "Orders").value) == 5
    assert number(metric(at, "Revenue").value) == pytest.approx(165.50 + 74.50)
    assert any(c.value == "Data from 2024-03-02 to 2024-03-05." for c in at.sidebar.caption)


def test_a_cached_rerun_asks_the_database_one_statement(demo_db, monkeypatch) -> None:
    at = run_app()
    preset = at.sidebar.selectbox(key="filter_preset")
    preset.set_value("last_7_days").run()
    at.sidebar.selectbox(key="filter_preset").set_value("last_30_days").run()
    assert_clean(at)

    statements: list[str] = []
    for name in ("fetch_df", "fetch_all", "fetch_one"):
        method = getattr(Database, name)

        def logged(self, sql, params=None, _method=method):
            statements.append(" ".join(sql.split()))
            return _method(self, sql, params)

        monkeypatch.setattr(Database, name, logged)
    at.sidebar.selectbox(key="filter_preset").set_value("last_7_days").run()  # seen before
    assert_clean(at)
    assert len(statements) == 1, statements
    assert "data_version" in statements[0]


def test_a_currency_picked_in_the_sidebar_counts_in_the_run_that_remembers_it(
    empty_db, tmp_path
) -> None:
    # EUR has the most revenue, so it is the store currency until the user picks USD; the order
    # without a currency counts in the store currency (USD from the run that picks it).
    orders = [
        shopify_order("#2001", "2025-05-12 10:00:00 -0400", "100.00"),
        shopify_order("#2002", "2025-05-13 10:00:00 -0400", "50.00"),
        shopify_order("#3001", "2025-05-12 11:00:00 -0400", "400.00", currency="EUR"),
        shopify_order("#3002", "2025-05-13 11:00:00 -0400", "300.00", currency="EUR"),
        shopify_order("#4001", "2025-05-14 12:00:00 -0400", "20.00", currency=""),
    ]
    _import(empty_db, tmp_path / "orders.csv", orders)
    at = run_app()
    assert_clean(at)
    assert at.sidebar.selectbox(key="filter_currency").value == "EUR"
    assert number(metric(at, "Revenue").value) == pytest.approx(400 + 300 + 20)

    at.sidebar.selectbox(key="filter_currency").set_value("USD").run()
    assert_clean(at)
    assert number(metric(at, "Orders").value) == 3
    assert number(metric(at, "Revenue").value) == pytest.approx(100 + 50 + 20)
