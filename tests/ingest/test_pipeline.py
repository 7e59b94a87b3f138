"""Import pipeline semantics: idempotence, overlap, atomicity, removal, bad files, the lock."""

from __future__ import annotations

import gzip
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ro_core.errors import DatabaseBusyError, ImportFileError, UnknownFormatError
from ro_core.ingest.pipeline import ingest_file, list_imports, remove_import
from ro_core.store import schema
from ro_core.store.db import Database
from tests.ingest.builders import shopify_order_rows, write_shopify_export

CONTENT_TABLES = [
    schema.IMPORTS,
    *schema.ROWS_TABLE.values(),
    *schema.RESOLVED_TABLE.values(),
    schema.COLUMN_MAPPINGS,
]


def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every content table, sorted: equal snapshots mean equal content."""
    return {
        table: sorted(db.fetch_all(f"SELECT * FROM {table}"), key=repr) for table in CONTENT_TABLES
    }


def totals(db: Database) -> tuple[int, Decimal]:
    count, total = db.fetch_one("SELECT count(*), coalesce(sum(total), 0) FROM orders")
    return int(count), Decimal(total)


@pytest.fixture
def first_export(tmp_path: Path) -> Path:
    orders = [
        shopify_order_rows(1001, "2024-03-09 10:00:00 -0500", "100.00"),
        shopify_order_rows(1002, "2024-03-10 23:30:00 -0400", "50.50", lines=3),
        shopify_order_rows(1003, "2024-03-11 09:15:00 -0400", "20.00", lines=1),
    ]
    return write_shopify_export(tmp_path / "orders_march.csv", orders)


def test_import_counts_each_order_once_and_keeps_local_date(db: Database, first_export: Path):
    report = ingest_file(db, first_export)
    assert report.format == "shopify_orders"
    assert report.rows_read == 6
    assert report.counts == {"orders": 3, "order_lines": 6}
    assert totals(db) == (3, Decimal("170.50"))
    # 23:30 at -0400 is 03:30 UTC the next day; the store-local date stays the 10th.
    local_date, offset = db.fetch_one(
        "SELECT local_date, utc_offset_minutes FROM orders WHERE order_name = '#1002'"
    )
    assert str(local_date) == "2024-03-10" and offset == -240
    assert str(report.first_date) == "2024-03-09" and str(report.last_date) == "2024-03-11"


def test_reimport_is_a_noop(db: Database, first_export: Path):
    ingest_file(db, first_export)
    before = snapshot(db)
    again = ingest_file(db, first_export)
    assert again.already_imported
    assert "already imported" in again.summary()
    assert snapshot(db) == before


def test_overlapping_export_updates_and_never_double_counts(
    db: Database, first_export: Path, tmp_path: Path
):
    ingest_file(db, first_export)
    later = write_shopify_export(
        tmp_path / "orders_march_later.csv",
        [
            # 1002 now refunded in part; 1003 unchanged; 1004 new.
            shopify_order_rows(
                1002,
                "2024-03-10 23:30:00 -0400",
                "50.50",
                lines=3,
                status="partially_refunded",
                refunded="10.00",
            ),
            shopify_order_rows(1003, "2024-03-11 09:15:00 -0400", "20.00", lines=1),
            shopify_order_rows(1004, "2024-03-12 12:00:00 -0400", "30.00", lines=1),
        ],
    )
    ingest_file(db, later)
    assert totals(db) == (4, Decimal("200.50"))
    refunded, status = db.fetch_one(
        "SELECT refunded, financial_status FROM orders WHERE order_name = '#1002'"
    )
    assert refunded == Decimal("10.00") and status == "partially_refunded"
    assert db.fetch_value("SELECT count(*) FROM order_lines WHERE order_id = '9001002'") == 3
    assert db.fetch_value("SELECT count(*) FROM order_lines") == 2 + 3 + 1 + 1


def test_remove_import_removes_exactly_its_rows(db: Database, first_export: Path, tmp_path: Path):
    ingest_file(db, first_export)
    after_first = snapshot(db)
    later = write_shopify_export(
        tmp_path / "later.csv",
        [
            shopify_order_rows(
                1001, "2024-03-09 10:00:00 -0500", "100.00", status="refunded", refunded="100.00"
            ),
            shopify_order_rows(1005, "2024-03-13 12:00:00 -0400", "5.00", lines=1),
        ],
    )
    report = ingest_file(db, later)
    assert totals(db) == (4, Decimal("175.50"))
    assert remove_import(db, report.import_id)
    restored = snapshot(db)
    # Everything is back as it was after the first import (the data version aside).
    assert restored == after_first
    assert db.fetch_value("SELECT refunded FROM orders WHERE order_name = '#1001'") == Decimal("0")
    assert not remove_import(db, 999)


def test_failure_late_in_file_leaves_database_unchanged(
    db: Database, first_export: Path, tmp_path: Path
):
    ingest_file(db, first_export)
    before = snapshot(db)
    orders = [
        shopify_order_rows(2000 + i, "2024-04-01 10:00:00 -0400", "10.00", lines=1)
        for i in range(25_000)
    ]
    orders[-1][0]["Total"] = "ten dollars"
    bad = write_shopify_export(tmp_path / "bad_total.csv", orders)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, bad)
    message = str(caught.value)
    assert "bad_total.csv" in message
    assert "line 25001" in message and "'Total'" in message
    assert snapshot(db) == before


@pytest.mark.parametrize("control", ["stop", "rerun"])
def test_streamlit_stop_or_rerun_during_write_rolls_back(
    db: Database, first_export: Path, monkeypatch, control: str
):
    """Streamlit's StopException / RerunException (BaseException subclasses, raised at st.*
    calls) arriving in the middle of the write leave nothing behind."""
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

    from ro_core.store import resolve

    raised = StopException() if control == "stop" else RerunException(None)

    def interrupt(cur, kinds):
        raise raised

    before = snapshot(db)
    monkeypatch.setattr(resolve, "AFTER_REFRESH", [interrupt])
    with pytest.raises(type(raised)):
        ingest_file(db, first_export)
    assert snapshot(db) == before
    monkeypatch.setattr(resolve, "AFTER_REFRESH", [])
    assert ingest_file(db, first_export).counts["orders"] == 3


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text"),
        (b"when,what,how much\n2024-01-01,x,1\n", "not one we recognise"),
    ],
)
def test_bad_files_get_a_clear_message(db: Database, tmp_path: Path, content: bytes, expected: str):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert expected in str(caught.value)
    assert "upload.csv" in str(caught.value)
    assert list_imports(db) == []


def test_unknown_layout_carries_its_header(db: Database, tmp_path: Path):
    path = tmp_path / "mystery.csv"
    path.write_text("ref,when,amount\nA1,2024-01-01,10\n")
    with pytest.raises(UnknownFormatError) as caught:
        ingest_file(db, path)
    assert caught.value.header == ["ref", "when", "amount"]


def test_header_only_file_loads_nothing(db: Database, tmp_path: Path):
    path = write_shopify_export(tmp_path / "header_only.csv", [])
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert "no rows" in str(caught.value)
    assert list_imports(db) == []


def test_ragged_rows_are_skipped_with_line_numbers(
    db: Database, first_export: Path, tmp_path: Path
):
    text = first_export.read_text().splitlines()
    rows = [*text[:3], "#1009,broken,row", *text[3:]]
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(rows) + "\n")
    report = ingest_file(db, path)
    assert report.rows_skipped == 1
    assert report.skipped[0].lines == [4]
    assert "too few columns" in report.skipped[0].reason
    assert report.counts["orders"] == 3


def test_mostly_broken_file_is_refused(db: Database, tmp_path: Path):
    path = tmp_path / "semicolons.csv"
    path.write_text("Name;Total\n" + "\n".join(f"#{i};10,00;extra" for i in range(50)))
    with pytest.raises(ImportFileError):
        ingest_file(db, path)
    assert list_imports(db) == []


def test_compression_bomb_is_refused(db: Database, tmp_path: Path):
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"Name,Total\n")
        chunk = b"0" * (1 << 20)
        for _ in range(200):  # 200 MB of zeros: over 1000x the compressed size
            fh.write(chunk)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert "expands to more than" in str(caught.value)
    leftovers = list((db.path.parent / "tmp").glob("import-*"))
    assert leftovers == []


def test_gzipped_export_imports(db: Database, first_export: Path, tmp_path: Path):
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress(first_export.read_bytes()))
    assert ingest_file(db, path).counts["orders"] == 3


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "utf-8-sig"])
def test_encodings(db: Database, tmp_path: Path, encoding: str):
    rows = shopify_order_rows(1001, "2024-03-09 10:00:00 -0500", "100.00", lines=1)
    rows[0]["Lineitem name"] = "Café crème"
    path = write_shopify_export(tmp_path / "orders.csv", [rows])
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    ingest_file(db, path)
    assert db.fetch_value("SELECT product FROM order_lines") == "Café crème"


def test_second_process_gets_a_one_line_busy_message(tmp_path: Path):
    holder = Database(tmp_path / "ro.duckdb")
    _ = holder.connection  # open and hold the file lock
    try:
        script = (
            "import sys; from ro_core.store.db import Database\n"
            "from ro_core.errors import DatabaseBusyError\n"
            f"db = Database({str(tmp_path / 'ro.duckdb')!r}, lock_wait_seconds=0.5)\n"
            "try:\n    db.connection\nexcept DatabaseBusyError as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 3, result.stderr
        message = result.stdout.strip()
        assert "\n" not in message
        assert "is busy: in use by" in message and "PID" in message
    finally:
        holder.close()
    assert DatabaseBusyError.title == "Database busy"


def test_totals_that_do_not_add_up_are_warned(db: Database, tmp_path: Path):
    fine = shopify_order_rows(1, "2024-03-09 10:00:00 -0500", "100.00")
    fine[0].update({"Subtotal": "90.00", "Shipping": "5.00", "Taxes": "5.00"})
    tax_included = shopify_order_rows(2, "2024-03-09 11:00:00 -0500", "95.00")
    tax_included[0].update({"Subtotal": "90.00", "Shipping": "5.00", "Taxes": "15.00"})
    odd = shopify_order_rows(3, "2024-03-09 12:00:00 -0500", "150.00")
    odd[0].update({"Subtotal": "90.00", "Shipping": "5.00", "Taxes": "5.00"})
    report = ingest_file(db, write_shopify_export(tmp_path / "t.csv", [fine, tax_included, odd]))
    warnings = [w for w in report.warnings if "not subtotal + shipping + tax" in w]
    assert len(warnings) == 1
    assert warnings[0].startswith("1 orders") and "#3" in warnings[0]


def test_import_lowers_the_memory_limit_only_while_it_runs(
    db: Database, first_export: Path, monkeypatch
):
    from ro_core.store import resolve

    setting = "SELECT current_setting('memory_limit')"
    before = db.fetch_value(setting)
    seen = []
    monkeypatch.setattr(
        resolve,
        "AFTER_REFRESH",
        [lambda cur, kinds: seen.append(cur.execute(setting).fetchone()[0])],
    )
    ingest_file(db, first_export)
    assert seen and seen[0] != before and seen[0].startswith("488")  # 512 MB in MiB (a small file)
    assert db.fetch_value(setting) == before


def test_the_import_limit_grows_with_the_file_up_to_1_gb():
    from ro_core.store.db import import_memory_limit_mb

    # 512 MB plus a quarter of the file (in MiB), at most 1 GB.
    assert import_memory_limit_mb(0) == 512
    assert import_memory_limit_mb(686 * 10**6) == 512 + 163  # 686 MB is 654.2 MiB
    assert import_memory_limit_mb(1719 * 10**6) == 512 + 409
    assert import_memory_limit_mb(10 * 10**9) == 1024


def test_file_too_wide_for_the_lowered_limit_loads_with_the_normal_one(
    db: Database, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("RO_IMPORT_MEMORY_LIMIT", "2MB")
    orders = [
        shopify_order_rows(n, "2024-04-01 10:00:00 -0400", "1.00", lines=2) for n in range(20_000)
    ]
    report = ingest_file(db, write_shopify_export(tmp_path / "wide.csv", orders))
    assert report.counts == {"orders": 20_000, "order_lines": 40_000}
    assert db.fetch_value("SELECT sum(total) FROM orders") == Decimal("20000.00")
