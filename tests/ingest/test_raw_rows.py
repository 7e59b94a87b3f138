"""The rows as read (ro_core.ingest.raw_read): kept in an in-memory database of their own while
a file is staged, numbered by their line in the file, made a table of their own when a step
removes rows, and freed when the import ends, whether it succeeded or failed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest import raw_read
from ro_core.ingest.pipeline import ingest_file
from ro_core.store import schema
from ro_core.store.db import Database
from tests.ingest.builders import shopify_order_rows, write_shopify_export


def _raw_databases(db: Database) -> list[str]:
    return [
        r[0]
        for r in db.fetch_all(
            "SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'ro_raw%'"
        )
    ]


def _line_of(path: Path, column: str, value: str) -> int:
    """The file line (header = 1) of the first row whose `column` holds `value`, by the csv
    module (no row in these files spans lines)."""
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            if row[column] == value:
                return line
    raise AssertionError(f"{value!r} not in {column}")


def _orders(count: int) -> list[list[dict[str, str]]]:
    return [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "25.00") for n in range(count)]


def test_a_clean_import_and_a_failed_one_leave_no_rows_as_read_behind(
    db: Database, tmp_path: Path
) -> None:
    ingest_file(db, write_shopify_export(tmp_path / "clean.csv", _orders(50)))
    assert _raw_databases(db) == []

    orders = _orders(50)
    orders[30][0]["Total"] = "25,00"  # a spreadsheet's decimal comma
    bad = write_shopify_export(tmp_path / "bad.csv", orders)
    with pytest.raises(ImportFileError) as failed:
        ingest_file(db, bad)
    assert failed.value.line == _line_of(bad, "Total", "25,00")
    assert _raw_databases(db) == []
    assert db.fetch_value(f"SELECT count(*) FROM {schema.ORDERS}") == 50


def test_rows_removed_mid_file_keep_every_later_line_number(db: Database, tmp_path: Path) -> None:
    orders = _orders(40)
    orders[5][1]["Name"] = ""  # an item row without its order's name: skipped with its line
    orders[20][0]["Total"] = "abc"  # refused after the skip: its line must still be the file's
    path = write_shopify_export(tmp_path / "orders.csv", orders)
    with pytest.raises(ImportFileError) as failed:
        ingest_file(db, path)
    assert failed.value.line == _line_of(path, "Total", "abc")
    assert _raw_databases(db) == []

    orders[20][0]["Total"] = "25.00"
    path = write_shopify_export(tmp_path / "orders_fixed.csv", orders)
    report = ingest_file(db, path)
    (skipped,) = report.skipped
    with path.open(newline="", encoding="utf-8") as f:
        blank_name = [n for n, row in enumerate(csv.DictReader(f), start=2) if not row["Name"]]
    assert skipped.lines == blank_name and skipped.count == 1
    assert report.counts[schema.KIND_ORDERS] == 40
    assert report.counts[schema.KIND_ORDER_LINES] == 79
    assert _raw_databases(db) == []


def test_rows_held_compressed_give_the_same_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file larger than the import's memory limit has its rows compressed while it is read:
    # the same file imported both ways stores the same rows and reports the same skips.
    orders = _orders(60)
    orders[7][1]["Name"] = ""  # skipped with its line (the rows become a table of their own)
    orders[33][0]["Email"] = " Someone@Example.com "
    path = write_shopify_export(tmp_path / "orders.csv", orders)
    stored = []
    for limit_mb in (4096, 0):
        monkeypatch.setattr(raw_read, "import_memory_limit_mb", lambda size, mb=limit_mb: mb)
        db = Database(tmp_path / f"store_{limit_mb}.duckdb")
        report = ingest_file(db, path)
        stored.append(
            (
                [(s.reason, s.count, s.lines) for s in report.skipped],
                db.fetch_all(f"SELECT * EXCLUDE (import_id) FROM {schema.ORDERS} ORDER BY 1"),
                db.fetch_all("SELECT * EXCLUDE (import_id) FROM order_lines ORDER BY 1, 2"),
            )
        )
        db.close()
    assert stored[0] == stored[1]
    skipped, orders_stored, lines_stored = stored[0]
    assert skipped[0][1:] == (1, [2 + 2 * 7 + 1])  # order 7's second row
    assert _line_of(path, "Lineitem name", "Product 2") == 3  # (order 0's second row)
    assert len(orders_stored) == 60 and len(lines_stored) == 119
