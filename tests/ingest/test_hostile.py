"""Hostile and broken input: each case ends in a clear message and an unchanged database,
or in a correct import."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest.layout import copy_to_work_dir
from ro_core.ingest.pipeline import ingest_file
from ro_core.present.export import csv_bytes
from ro_core.store.db import Database
from tests.ingest.builders import shopify_order_rows, write_shopify_export
from tests.ingest.test_pipeline import snapshot


@pytest.fixture
def loaded(db: Database, tmp_path: Path) -> Database:
    """A database holding one small Shopify import, so 'unchanged' means something."""
    export = write_shopify_export(
        tmp_path / "base.csv",
        [shopify_order_rows(n, "2024-02-01 10:00:00 -0500", "10.00") for n in range(1, 4)],
    )
    ingest_file(db, export)
    return db


def refused(db: Database, path: Path, **kwargs) -> str:
    """Import must fail with ImportFileError and leave the database exactly as it was."""
    before = snapshot(db)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path, **kwargs)
    assert snapshot(db) == before
    return str(caught.value)


def test_known_format_given_to_the_wrong_importer(loaded: Database, tmp_path: Path):
    path = tmp_path / "sessions.csv"
    path.write_text('"Week","Online store visitors","Sessions"\n"2024-01-01",10,12\n')
    message = refused(loaded, path, format_name="shopify_orders")
    assert "sessions.csv" in message and "is missing" in message


def test_unknown_format_name(loaded: Database, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    assert "Unknown format" in refused(loaded, path, format_name="no_such_format")


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_other_delimiters_are_read_by_the_header(db: Database, tmp_path: Path, delimiter: str):
    path = write_shopify_export(
        tmp_path / "orders.csv",
        [shopify_order_rows(n, "2024-02-01 10:00:00 -0500", "10.50") for n in range(1, 6)],
    )
    text = path.read_text().replace(",", delimiter)
    path.write_text(text)
    report = ingest_file(db, path)
    assert report.counts["orders"] == 5
    assert db.fetch_value("SELECT sum(total) FROM orders") == Decimal("52.50")


def test_a_3_mb_line_loads(db: Database, tmp_path: Path):
    rows = shopify_order_rows(1, "2024-02-01 10:00:00 -0500", "10.00", lines=1)
    rows[0]["Notes"] = "x" * (3 << 20)
    path = write_shopify_export(tmp_path / "long.csv", [rows])
    assert ingest_file(db, path).counts["orders"] == 1


def test_20000_columns_are_refused(loaded: Database, tmp_path: Path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join("1" * 20_000) + "\n")
    assert "20000 columns" in refused(loaded, path)


def test_stray_bytes_late_in_a_file_without_utf8_accents_lose_no_row(
    loaded: Database, tmp_path: Path
):
    """Bytes past the first megabyte that are not UTF-8, in a file with no UTF-8 accent: the
    file is Windows-1252 as a whole, and every row loads (the old reader skipped the row)."""
    orders = [
        shopify_order_rows(n, "2024-02-01 10:00:00 -0500", "1.00", lines=1) for n in range(6000)
    ]
    orders[5990][0]["Lineitem name"] = "BADHERE"
    path = write_shopify_export(tmp_path / "bytes.csv", orders)
    data = path.read_bytes()
    assert len(data) > 1 << 20  # past the first megabyte
    path.write_bytes(data.replace(b"BADHERE", b"Bad \xff\xfe name"))
    report = ingest_file(loaded, path)
    assert report.rows_skipped == 0 and report.counts["orders"] == 6000
    assert loaded.fetch_value("SELECT count(*) FROM order_lines WHERE product = 'Bad ÿþ name'") == 1


def test_stray_bytes_in_a_utf8_file_skip_only_their_row(loaded: Database, tmp_path: Path):
    """A UTF-8 file (accents encoded as UTF-8) with one broken byte sequence: UTF-8 it stays,
    and the broken row is skipped and reported with its line."""
    orders = [
        shopify_order_rows(n, "2024-02-01 10:00:00 -0500", "1.00", lines=2) for n in range(3000)
    ]
    orders[0][1]["Lineitem name"] = "Café crème"
    orders[2990][1]["Lineitem name"] = "BADHERE"
    path = write_shopify_export(tmp_path / "bytes.csv", orders)
    path.write_bytes(path.read_bytes().replace(b"BADHERE", b"Bad \xff\xfe name"))
    report = ingest_file(loaded, path)
    assert report.rows_skipped == 1
    assert "not valid text" in report.skipped[0].reason
    assert report.counts["orders"] == 3000  # a line row: the order is whole without it
    assert loaded.fetch_value("SELECT count(*) FROM order_lines WHERE product = 'Café crème'") == 1


def test_us_dates_with_every_day_12_or_less_need_an_order(loaded: Database, tmp_path: Path):
    path = tmp_path / "orders.csv"
    path.write_text("ref,when,amount\nA1,01/02/2024,10\nA2,03/04/2024,20\nA3,12/11/2024,5\n")
    mapping = {"ref": "order_id", "when": "created_at", "amount": "total"}
    message = refused(loaded, path, mapping=mapping)
    assert "12 or less" in message and "--date-order" in message
    report = ingest_file(loaded, path, mapping=mapping, options={"date_order": "mdy"})
    assert report.counts["orders"] == 3
    assert str(loaded.fetch_value("SELECT local_date FROM orders WHERE order_id = 'A1'")) == (
        "2024-01-02"
    )


def test_mixed_currencies_are_loaded_with_a_warning(db: Database, tmp_path: Path):
    euro = shopify_order_rows(2, "2024-02-01 10:00:00 -0500", "20.00")
    euro[0]["Currency"] = "EUR"
    path = write_shopify_export(
        tmp_path / "mixed.csv", [shopify_order_rows(1, "2024-02-01 10:00:00 -0500", "10.00"), euro]
    )
    report = ingest_file(db, path)
    assert report.currencies == ("EUR", "USD")
    assert any("several currencies" in w for w in report.warnings)


def test_duplicated_order_rows_count_once(db: Database, tmp_path: Path):
    order = shopify_order_rows(7, "2024-02-01 10:00:00 -0500", "10.00", lines=1)
    duplicated = [order, order, shopify_order_rows(8, "2024-02-01 11:00:00 -0500", "5.00", lines=1)]
    path = write_shopify_export(tmp_path / "dupes.csv", duplicated)
    ingest_file(db, path)
    assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (2, Decimal("15.00"))


def test_sql_and_formula_looking_values_are_just_text(db: Database, tmp_path: Path):
    rows = shopify_order_rows(1, "2024-02-01 10:00:00 -0500", "10.00", lines=2)
    rows[0]["Lineitem name"] = "'); DROP TABLE orders; --"
    rows[1]["Lineitem name"] = '=HYPERLINK("http://evil.example","click")'
    path = write_shopify_export(tmp_path / "nasty.csv", [rows])
    ingest_file(db, path)
    products = db.fetch_df("SELECT product FROM order_lines ORDER BY line_number")
    assert products["product"].tolist() == [
        "'); DROP TABLE orders; --",
        '=HYPERLINK("http://evil.example","click")',
    ]
    assert db.fetch_value("SELECT count(*) FROM orders") == 1
    exported = csv_bytes(products).decode("utf-8-sig").splitlines()
    assert exported[2] == '"\'=HYPERLINK(""http://evil.example"",""click"")"'


def test_sql_looking_header_in_an_unknown_layout(loaded: Database, tmp_path: Path):
    path = tmp_path / "evil_header.csv"
    path.write_text('"id""; DROP TABLE orders; --",=SUM(A1),amount\nA1,x,10\n')
    mapping = {'id"; DROP TABLE orders; --': "order_id", "amount": "total"}
    before = loaded.fetch_value("SELECT count(*) FROM orders")
    ingest_file(loaded, path, mapping=mapping)
    assert loaded.fetch_value("SELECT count(*) FROM orders") == before + 1
    assert loaded.fetch_value("SELECT total FROM orders WHERE order_id = 'A1'") == Decimal("10.00")


def test_upload_named_with_a_path_stays_in_the_work_dir(db: Database, tmp_path: Path):
    work_dir = tmp_path / "work"
    stored = copy_to_work_dir(io.BytesIO(b"a,b\n1,2\n"), work_dir)
    assert stored.parent == work_dir and stored.name.startswith("import-")
    export = write_shopify_export(
        tmp_path / "orders.csv", [shopify_order_rows(1, "2024-02-01 10:00:00 -0500", "3.00")]
    )
    with export.open("rb") as fh:
        copy = copy_to_work_dir(fh, work_dir)
    report = ingest_file(db, copy, file_name="../../x.csv")
    assert report.file_name == "../../x.csv"  # shown to the user, never used as a path
    assert not (tmp_path.parent.parent / "x.csv").exists()


def test_file_access_is_limited_to_the_data_folder(tmp_path: Path):
    data = tmp_path / "data"
    outside = tmp_path / "elsewhere"
    data.mkdir()
    outside.mkdir()
    (outside / "secret.csv").write_text("a\n1\n")
    (data / "ok.csv").write_text("a\n2\n")
    db = Database(data / "ro.duckdb", allowed_directories=[])
    try:
        assert db.fetch_value("SELECT a FROM read_csv(?)", [str(data / "ok.csv")]) == 2
        with pytest.raises(duckdb.Error):
            db.fetch_value("SELECT a FROM read_csv(?)", [str(outside / "secret.csv")])
        with pytest.raises(duckdb.Error):
            db.fetch_value("SET enable_external_access = true")
    finally:
        db.close()


# The SIGKILL test with fixed sleeps lived here: tests/ingest/test_fault_injection.py kills the
# import at named steps (the commit included) over 24 runs instead.
