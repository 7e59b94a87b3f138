"""The hostile-input suite: 30 refused files (HOSTILE_CASES), each run through `ro ingest` in this
process on a database that already holds an import. Every one must end in exactly one line on
stderr starting with 'error:', exit status 2, no traceback, the database exactly as it was and
nothing left in the database folder's tmp/. A good file given after the bad one in the same
command still loads (one bad file in a batch never stops the rest).

Causes covered (issue 11): analytics values that are not counts (6), values too large for their
column, damaged / encrypted / truncated archives (7), refused compressed and split files leaving
copies in tmp/ (8), and the classic broken files.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from ro_core.cli import main
from ro_core.store.db import Database
from tests.ingest.builders import SHOPIFY_HEADER, shopify_order_rows, write_shopify_export
from tests.ingest.test_ga4_reports import PREAMBLE
from tests.ingest.test_pipeline import snapshot

HOSTILE_CASE_COUNT = 30


def _weeks(value: str) -> bytes:
    return f"Week,Online store visitors,Sessions\n2024-01-01,10,12\n2024-01-08,9,{value}\n".encode()


def _ga4(value: str) -> bytes:
    return (
        PREAMBLE.format(start="20240301", end="20240302")
        + f"Date,Sessions,Total users\n20240301,10,9\n20240302,{value},8\n"
    ).encode()


def _shopify(field: str, value: str) -> bytes:
    order = shopify_order_rows(1, "2024-02-01 10:00:00 -0500", "10.00")
    order[0][field] = value
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SHOPIFY_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(order)
    return buffer.getvalue().encode()


def _zip(data: bytes, name: str = "orders.csv") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _encrypted_zip() -> bytes:
    """A zip whose member says it is encrypted (flag bit 0), as a password-protected one does."""
    data = bytearray(_zip(_weeks("5")))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 6] |= 0x01
    data[central + 8] |= 0x01
    return bytes(data)


def _gz_bomb() -> bytes:
    """~80 KB of gzip that expands to 80 MB (more than 100 times its size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"0" * (1 << 20)
    return b"".join(compressor.compress(chunk) for _ in range(80)) + compressor.flush()


def _ga4_with_wide_second_table() -> bytes:
    return (
        PREAMBLE.format(start="20240301", end="20240302")
        + "Date,Sessions\n20240301,10\n\n# Start date: 20240301\n# End date: 20240302\n"
        + ",".join(f"c{i}" for i in range(2500))
        + "\n"
        + ",".join("1" for _ in range(2500))
        + "\n"
    ).encode()


CASES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    # name: (file name, bytes, part of the message)
    # 6. analytics values that cannot be counts
    "shopify sessions inf": ("Sessions over time.csv", lambda: _weeks("inf"), "not a number"),
    "shopify sessions NaN": ("Sessions over time.csv", lambda: _weeks("NaN"), "not a number"),
    "shopify sessions 1e308": ("Sessions over time.csv", lambda: _weeks("1e308"), "not a number"),
    "shopify sessions -500": (
        "Sessions over time.csv",
        lambda: _weeks("-500"),
        "cannot be a count",
    ),
    "shopify sessions -1e3": (
        "Sessions over time.csv",
        lambda: _weeks("-1e3"),
        "cannot be a count",
    ),
    "ga4 sessions inf": ("daily.csv", lambda: _ga4("inf"), "not a number"),
    "ga4 sessions NaN": ("daily.csv", lambda: _ga4("NaN"), "not a number"),
    "ga4 sessions 1e308": ("daily.csv", lambda: _ga4("1e308"), "not a number"),
    "ga4 sessions -500": ("daily.csv", lambda: _ga4("-500"), "cannot be a count"),
    # 7. values too large for their column, archives that cannot be opened
    "shopify total 20 digits": (
        "orders_export.csv",
        lambda: _shopify("Total", "12345678901234567890.00"),
        "more than 16 digits",
    ),
    "shopify refund 17 digits": (
        "orders_export.csv",
        lambda: _shopify("Refunded Amount", "99999999999999999"),
        "more than 16 digits",
    ),
    "shopify line price 30 digits": (
        "orders_export.csv",
        lambda: _shopify("Lineitem price", "9" * 30),
        "more than 16 digits",
    ),
    "damaged zip": ("orders.zip", lambda: _zip(_weeks("5"))[:60], "damaged"),
    "zip with a broken member": (
        "orders.zip",
        lambda: _zip(_weeks("5")).replace(b"Week", b"W\x00ek", 1)[:-30] + b"\x00" * 30,
        "damaged",
    ),
    "password-protected zip": ("orders.zip", _encrypted_zip, "password-protected"),
    "zip of two files": (
        "two.zip",
        lambda: _two_member_zip(),
        "holds 2 files",
    ),
    "truncated gzip": ("orders.csv.gz", lambda: gzip.compress(_weeks("5") * 50)[:40], "damaged"),
    "gzip with a bad checksum": (
        "orders.csv.gz",
        lambda: gzip.compress(_weeks("5"))[:-8] + b"\x00" * 8,
        "damaged",
    ),
    # 8. refused after a copy was made in tmp/
    "gzip expanding 1000 times": ("bomb.csv.gz", _gz_bomb, "expands to more than"),
    "gzip of a binary file": (
        "photo.csv.gz",
        lambda: gzip.compress(b"\x89PNG\r\n\x1a\n\x00\x00" * 1000),
        "not a text",
    ),
    "ga4 with a 2,500-column second table": (
        "wide.csv",
        _ga4_with_wide_second_table,
        "2500 columns",
    ),
    "gzipped ga4 with a 2,500-column table": (
        "wide.csv.gz",
        lambda: gzip.compress(_ga4_with_wide_second_table()),
        "2500 columns",
    ),
    "windows-1252 file with a bad amount": (
        "orders_export.csv",
        lambda: _shopify("Total", "12,50 €").replace(b"\xe2\x82\xac", b"\x80"),
        "not an amount",
    ),
    # the classic broken files
    "empty file": ("empty.csv", lambda: b"", "empty"),
    "blank lines only": ("blank.csv", lambda: b"\n\n  \n", "empty"),
    "header only": ("header.csv", lambda: b"Week,Sessions\n", "no rows"),
    "binary file": ("photo.csv", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text"),
    "20,000 columns": (
        "wide.csv",
        lambda: (",".join(f"c{i}" for i in range(20_000)) + "\n").encode(),
        "20000 columns",
    ),
    "html page": (
        "export.csv",
        lambda: b"<!DOCTYPE html><html><body>Session expired</body></html>\n",
        "not one we recognise",
    ),
    "unknown date format in a report": (
        "Sessions over time.csv",
        lambda: b"Week,Sessions\nlast week,5\n",
        "format we do not read",
    ),
}


def _two_member_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", _weeks("5"))
        archive.writestr("b.csv", _weeks("6"))
    return buffer.getvalue()


def test_the_suite_runs_the_number_of_cases_it_states():
    assert len(CASES) == HOSTILE_CASE_COUNT


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    """A database holding one Shopify import, so 'unchanged' means something."""
    db_path = tmp_path / "data" / "ro.duckdb"
    export = write_shopify_export(
        tmp_path / "base.csv",
        [shopify_order_rows(n, "2024-02-01 10:00:00 -0500", "10.00") for n in range(1, 4)],
    )
    assert main(["--db", str(db_path), "ingest", str(export)]) == 0
    return db_path


def _state(db_path: Path) -> dict:
    db = Database(db_path)
    try:
        return snapshot(db)
    finally:
        db.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_file_is_one_clean_refusal(capsys, tmp_path: Path, loaded: Path, case: str):
    name, build, expected = CASES[case]
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    bad.write_bytes(build())
    good = tmp_path / "in" / "Visitors over time.csv"
    good.write_bytes(b"Day,Sessions\n2024-03-01,40\n2024-03-02,2\n")
    before = _state(loaded)
    capsys.readouterr()

    code = main(["--db", str(loaded), "ingest", str(bad)])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: ") and expected in err, err
    errors = [line for line in err.splitlines() if not line.startswith("  columns in the file")]
    assert len(errors) == 1 and "Traceback" not in err
    assert _state(loaded) == before
    assert not list((loaded.parent / "tmp").glob("*"))

    # the same bad file first in a batch: the good one after it still loads
    code = main(["--db", str(loaded), "ingest", str(bad), str(good)])
    capsys.readouterr()
    assert code == 2
    db = Database(loaded)
    try:
        assert db.fetch_value("SELECT sum(sessions) FROM traffic") == 42
    finally:
        db.close()
    assert not list((loaded.parent / "tmp").glob("*"))
