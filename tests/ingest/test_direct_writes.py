"""A first import of orders or events writes its rows straight into the store's tables
(ro_core.ingest.direct). What must hold: the stored rows are the file's (csv module), a failure
after the rows were written leaves the store as it was, duplicated orders still count once, and
two imports racing into an empty store resolve as if they came one after the other."""

from __future__ import annotations

import csv
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest import staging
from ro_core.ingest.pipeline import ingest_file, list_imports
from ro_core.store.db import Database
from tests.ingest.builders import shopify_order_rows, write_shopify_export
from tests.ingest.test_integrity import _exports, _newer_values, many_orders
from tests.ingest.test_pipeline import snapshot


def _csv_truth(path: Path) -> tuple[int, Decimal, int]:
    """(orders, sum of totals, item rows) read with the csv module."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    totals = [Decimal(r["Total"]) for r in rows if r["Total"]]
    return len(totals), sum(totals, Decimal(0)), sum(1 for r in rows if r["Lineitem name"])


def test_a_first_import_stores_the_files_rows_once_under_its_id(db: Database, tmp_path: Path):
    export = write_shopify_export(tmp_path / "orders_export.csv", many_orders(40))
    report = ingest_file(db, export)
    orders, revenue, lines = _csv_truth(export)
    assert (orders, lines) == (40, 80)
    assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (orders, revenue)
    assert db.fetch_value("SELECT count(*) FROM order_lines") == lines
    assert db.fetch_all("SELECT DISTINCT import_id FROM orders") == [(report.import_id,)]
    assert db.fetch_all("SELECT DISTINCT import_id FROM order_lines") == [(report.import_id,)]
    # the first import's rows live in the resolved tables only, as before
    assert db.fetch_value("SELECT count(*) FROM order_rows") == 0
    assert db.fetch_value("SELECT count(*) FROM order_line_rows") == 0
    assert report.counts == {"orders": orders, "order_lines": lines}


def test_a_failure_after_the_rows_were_written_leaves_the_store_as_it_was(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    export = write_shopify_export(tmp_path / "orders_export.csv", many_orders(30))
    before = snapshot(db)
    seen: list[int] = []

    def fail_after_checks(cur, ctx, kinds) -> None:
        # the rows are in the store's table inside the open transaction...
        seen.append(cur.execute("SELECT count(*) FROM orders").fetchone()[0])
        raise ImportFileError("a check failed after staging.", file_name=ctx.file_name)

    monkeypatch.setattr(staging, "validate_and_warn", fail_after_checks)
    with pytest.raises(ImportFileError, match="a check failed after staging"):
        ingest_file(db, export)
    assert seen == [30]
    # ...and nowhere once it failed: not in the tables, not in the import list
    assert snapshot(db) == before
    assert list_imports(db) == []
    monkeypatch.undo()
    report = ingest_file(db, export)
    orders, revenue, lines = _csv_truth(export)
    assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (orders, revenue)
    assert db.fetch_value("SELECT count(*) FROM order_lines") == lines
    assert [i["import_id"] for i in list_imports(db)] == [report.import_id]


def _with_a_repeated_id(tmp_path: Path) -> Path:
    """20 orders, and a 21st under another Name with order 7's Id and money (an export edited
    by hand): 20 order ids."""
    orders = many_orders(20)
    again = shopify_order_rows(21, "2024-02-01 10:21:00 -0500", orders[6][0]["Total"])
    again[0]["Id"] = orders[6][0]["Id"]
    return write_shopify_export(tmp_path / "orders_edited.csv", [*orders, again])


def test_a_repeated_order_id_counts_once_in_a_first_import(db: Database, tmp_path: Path):
    export = _with_a_repeated_id(tmp_path)
    with export.open(newline="") as fh:
        first_rows = [r for r in csv.DictReader(fh) if r["Total"]]
    by_id = {r["Id"]: Decimal(r["Total"]) for r in first_rows}
    assert (len(first_rows), len(by_id)) == (21, 20)
    report = ingest_file(db, export)
    assert any("1 duplicated order rows" in w for w in report.warnings)
    assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (20, sum(by_id.values()))
    assert db.fetch_value("SELECT count(DISTINCT order_id) FROM orders") == 20
    assert report.counts["orders"] == 20


def test_a_repeated_order_id_counts_the_same_after_other_orders(db: Database, tmp_path: Path):
    other = [shopify_order_rows(n, "2023-05-01 10:00:00 -0500", "5.00") for n in range(500, 503)]
    ingest_file(db, write_shopify_export(tmp_path / "older.csv", other))
    export = _with_a_repeated_id(tmp_path)
    report = ingest_file(db, export)
    assert any("1 duplicated order rows" in w for w in report.warnings)
    assert report.counts["orders"] == 20
    ids = db.fetch_value("SELECT count(DISTINCT order_id) FROM orders WHERE order_id < '9000500'")
    assert ids == 20
    assert db.fetch_value("SELECT count(*) FROM orders") == 23


def test_two_overlapping_exports_imported_at_once_into_an_empty_store(db: Database, tmp_path: Path):
    older, newer = _exports(tmp_path)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        barrier.wait()
        try:
            ingest_file(db, path)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(p,)) for p in (older, newer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(list_imports(db)) == 2
    _newer_values(db)
