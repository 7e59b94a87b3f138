"""The store currency (ro_core.metrics.currency) and orders without a currency.

Seen in issue 10: a dev store's 19 EUR draft orders loaded beside a USD store made every new
session open in EUR (the alphabetically first currency) with 0 orders; and with one known
currency the sidebar filtered on it and dropped the orders of a mapped file without a currency
column (`ro kpis` 6 orders / $340, the Overview 4 / $40). Expectations are hand-calculated from
the files the tests write; the real forezia file is checked against the csv module.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ro_core.cli import main as metrics_main
from ro_core.errors import InvalidInputError
from ro_core.ingest.pipeline import ingest_file, remove_import
from ro_core.metrics.coverage import coverage
from ro_core.metrics.currency import (
    ALL_CURRENCIES,
    CurrencyChoice,
    currency_choices,
    remember_store_currency,
    store_currency,
    store_order_filters,
)
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import DateRange
from ro_core.store import schema
from ro_core.store.db import Database, reset_databases
from tests.metrics.conftest import insert_canonical, shopify_order, write_shopify_orders
from tests.support.currency_orders import EUR_DRAFTS, USD_MAY

MAY_2025 = DateRange(date(2025, 5, 1), date(2025, 5, 31))
MARCH_WEEK = DateRange(date(2024, 3, 4), date(2024, 3, 10))


def _order(order_id: str, currency: str | None, total: str, **values) -> dict:
    return {"order_id": order_id, "local_date": date(2024, 3, 5), "currency": currency,
            "total": Decimal(total), "channel": "web", **values}  # fmt: skip


# --- which currency is the store's ------------------------------------------------------------
def test_a_minority_draft_currency_never_switches_the_view(db: Database, tmp_path: Path):
    ingest_file(db, write_shopify_orders(tmp_path / "usd.csv", USD_MAY))
    ingest_file(db, write_shopify_orders(tmp_path / "eur.csv", EUR_DRAFTS))
    # What the old sidebar picked: the alphabetically first currency, where 0 orders count.
    assert coverage(db).currencies[0] == "EUR"
    assert kpi_values(db, MAY_2025, OrderFilters(currency="EUR")).orders == 0
    assert store_currency(db) == "USD"
    assert currency_choices(db) == [
        CurrencyChoice("USD", 3, 180.0, 3),
        CurrencyChoice("EUR", 0, 0.0, 2),
    ]
    values = kpi_values(db, MAY_2025, store_order_filters(db))
    assert (values.orders, values.revenue) == (3, pytest.approx(180.0))


def test_ties_go_to_more_orders_then_to_the_code(db: Database):
    # CAD 60 + 40 = 100 over two orders, GBP 100 in one, EUR 100 in one: all tie on revenue.
    insert_canonical(db, schema.KIND_ORDERS, [
        _order("g1", "GBP", "100.00"), _order("e1", "EUR", "100.00"),
        _order("c1", "CAD", "60.00"), _order("c2", "CAD", "40.00"),
        # a big cancelled JPY order does not count towards the ranking
        _order("j1", "JPY", "900.00", cancelled=True),
    ])  # fmt: skip
    assert [c.currency for c in currency_choices(db)] == ["CAD", "EUR", "GBP", "JPY"]
    assert store_currency(db) == "CAD"


def test_the_users_pick_is_remembered_while_its_orders_exist(db: Database):
    usd = insert_canonical(db, schema.KIND_ORDERS, [_order("u1", "USD", "300.00")])
    eur = insert_canonical(db, schema.KIND_ORDERS, [_order("e1", "EUR", "20.00")])
    assert store_currency(db) == "USD"
    assert remember_store_currency(db, "eur") == "EUR"
    assert store_currency(db) == "EUR"
    with pytest.raises(InvalidInputError, match="No order is in GBP"):
        remember_store_currency(db, "GBP")
    assert store_currency(db) == "EUR"
    # the EUR orders go: back to the currency most revenue is in
    remove_import(db, eur)
    assert store_currency(db) == "USD"
    remember_store_currency(db, None)
    assert store_currency(db) == "USD"
    remove_import(db, usd)
    assert store_currency(db) is None


def test_store_order_filters_keeps_the_other_fields_and_takes_all(db: Database):
    insert_canonical(db, schema.KIND_ORDERS, [_order("u1", "USD", "300.00")])
    filters = store_order_filters(db, revenue_basis="net", exclude_test=False)
    assert (filters.currency, filters.blank_currency_as) == ("USD", "USD")
    assert (filters.revenue_basis, filters.exclude_test) == ("net", False)
    every = store_order_filters(db, ALL_CURRENCIES)
    assert (every.currency, every.blank_currency_as) == (None, "USD")
    assert store_order_filters(db, "eur").currency == "EUR"


# --- orders without a currency ------------------------------------------------------------------
# Four Shopify USD orders of $10 and a mapped file without a currency column: 100 + 200.
USD_FOUR = [shopify_order(f"#30{i}", f"2024-03-0{4 + i} 10:00:00 -0500", "10.00") for i in range(4)]
NO_CURRENCY = "id,placed,paid\nM1,2024-03-05,100.00\nM2,2024-03-06,200.00\n"
MAPPING = {"id": "order_id", "placed": "created_at", "paid": "total"}


@pytest.fixture
def blank_store(db: Database, tmp_path: Path) -> Database:
    ingest_file(db, write_shopify_orders(tmp_path / "usd.csv", USD_FOUR))
    report = ingest_file(db, _write(tmp_path / "mapped.csv", NO_CURRENCY), mapping=MAPPING)
    db.blank_report = report  # type: ignore[attr-defined]
    return db


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_orders_without_a_currency_count_in_the_store_currency(blank_store: Database):
    db = blank_store
    # The old sidebar: one known currency, filtered strictly -> the mapped orders dropped.
    strict = kpi_values(db, MARCH_WEEK, OrderFilters(currency="USD"))
    assert (strict.orders, strict.revenue) == (4, pytest.approx(40.0))
    # The edges now: 4 x 10 + 100 + 200 = 340 over 6 orders.
    assert store_currency(db) == "USD"
    values = kpi_values(db, MARCH_WEEK, store_order_filters(db))
    assert (values.orders, values.revenue) == (6, pytest.approx(340.0))
    # Another currency does not take them.
    assert kpi_values(db, MARCH_WEEK, store_order_filters(db, "EUR")).orders == 0
    assert "orders without a currency count as USD" in " ".join(store_order_filters(db).describe())


def test_the_cli_and_the_edges_count_the_same_orders(blank_store: Database, capsys):
    path = str(blank_store.path)
    blank_store.close()
    try:
        argv = ["--json", "--db", path, "kpis", "--start", "2024-03-04", "--end", "2024-03-10"]
        assert metrics_main([*argv, "--compare", "none"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert (data["orders"], data["revenue"]) == (6, pytest.approx(340.0))
        assert metrics_main([*argv, "--compare", "none", "--currency", "usd"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert (data["orders"], data["revenue"]) == (6, pytest.approx(340.0))
    finally:
        reset_databases()


def test_the_import_report_counts_orders_without_a_currency(blank_store: Database, tmp_path):
    report = blank_store.blank_report  # type: ignore[attr-defined]
    assert report.currencies == ()
    assert "All 2 orders have no currency: they count in the store currency (USD)." in (
        report.warnings
    )
    # Alone in a database, nothing says which currency they are in yet.
    other = Database(tmp_path / "alone.duckdb")
    try:
        alone = ingest_file(other, _write(tmp_path / "m2.csv", NO_CURRENCY), mapping=MAPPING)
        assert any(w.startswith("All 2 orders have no currency, and no stored order has one")
                   for w in alone.warnings)  # fmt: skip
        # Everything counts while no order has a currency.
        values = kpi_values(other, MARCH_WEEK, store_order_filters(other))
        assert (values.orders, values.revenue) == (2, pytest.approx(300.0))
    finally:
        other.close()


def test_currency_values_are_bound_parameters(blank_store: Database):
    hostile = "USD' OR true --"
    none = kpi_values(
        blank_store, MARCH_WEEK, OrderFilters(currency=hostile, blank_currency_as="USD")
    )
    assert none.orders == 0
    # Compared as text: only the two orders without a currency are "in" it.
    blank = kpi_values(
        blank_store, MARCH_WEEK, OrderFilters(currency=hostile, blank_currency_as=hostile)
    )
    assert (blank.orders, blank.revenue) == (2, pytest.approx(300.0))


# --- the real dev-store file beside a USD store -------------------------------------------------
def _forezia_orders(path: Path) -> dict[str, dict[str, str]]:
    """The first row of each order (where Shopify puts the order's money), via the csv module."""
    first: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] not in first and row["Total"]:
                first[row["Name"]] = row
    return first


def test_the_forezia_drafts_beside_a_usd_store(db: Database, tmp_path: Path, real_exports: Path):
    path = real_exports / "shopify_orders" / "forezia_devstore_orders_export.csv"
    orders = _forezia_orders(path)
    expected_total = sum(Decimal(r["Total"]) for r in orders.values())
    assert len(orders) == 19 and expected_total == Decimal("14089.04")
    assert {r["Currency"] for r in orders.values()} == {"EUR"}

    ingest_file(db, write_shopify_orders(tmp_path / "usd.csv", USD_MAY))
    report = ingest_file(db, path)
    assert report.currencies == ("EUR",) and report.counts["orders"] == 19
    assert store_currency(db) == "USD"
    assert currency_choices(db) == [
        CurrencyChoice("USD", 3, 180.0, 3),
        CurrencyChoice("EUR", 0, 0.0, 19),
    ]
    shown = kpi_values(db, MAY_2025, store_order_filters(db))
    assert (shown.orders, shown.revenue) == (3, pytest.approx(180.0))
    # Picking EUR and counting drafts shows the dev store's orders, to the cent.
    drafts = kpi_values(db, MAY_2025, store_order_filters(db, "EUR", exclude_test=False))
    assert drafts.orders == 19
    assert drafts.revenue == pytest.approx(float(expected_total), abs=0.005)
