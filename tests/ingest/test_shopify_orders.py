"""Shopify orders and abandoned-checkouts exports: detection, money once per order, local dates
across daylight saving, statuses and sources, line-numbered failures, re-import and overlap.

Expected values are computed here with the csv module from the fixture files, never read back
from the importer.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest.base import detect_format
from ro_core.ingest.formats import shopify_checkouts, shopify_orders
from ro_core.ingest.pipeline import ingest_file
from ro_core.store.db import Database
from tests.ingest.builders import SHOPIFY_HEADER, shopify_order_rows, write_shopify_export

REAL_FILE = "shopify_orders/forezia_devstore_orders_export.csv"


def key_of(email: str) -> str | None:
    """The customer key the importers promise: sha256 of the trimmed lower-case email, 20 hex."""
    email = email.strip().lower()
    return hashlib.sha256(email.encode()).hexdigest()[:20] if email else None


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def first_rows_by_name(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """The row carrying each order's fields (the first with a Financial Status)."""
    first: dict[str, dict[str, str]] = {}
    for row in rows:
        if row["Financial Status"].strip() and row["Name"] not in first:
            first[row["Name"]] = row
    return first


def records(db: Database, sql: str) -> list[dict]:
    """Rows as dicts with Python values (None for NULL)."""
    with db.cursor() as cur:
        rows = cur.execute(sql).fetchall()
        names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def orders_by_name(db: Database) -> dict[str, dict]:
    rows = records(
        db, "SELECT * EXCLUDE (created_at), epoch(created_at) AS epoch_seconds FROM orders"
    )
    return {row["order_name"]: row for row in rows}


# --- the real export ---------------------------------------------------------------------------
def test_real_export_loads_every_order_once(db: Database, real_exports: Path):
    path = real_exports / REAL_FILE
    rows = read_rows(path)
    first = first_rows_by_name(rows)
    assert len(rows) == 40 and len(first) == 19 and len(rows[0]) == 79

    report = ingest_file(db, path)

    local_dates = sorted(r["Created at"][:10] for r in first.values())
    assert report.format == "shopify_orders"
    assert (report.rows_read, report.rows_loaded, report.rows_skipped) == (40, 40, 0)
    assert report.skipped == ()
    assert report.counts == {"orders": 19, "order_lines": 40}
    assert report.currencies == ("EUR",)
    assert (str(report.first_date), str(report.last_date)) == (local_dates[0], local_dates[-1])
    assert report.warnings == ()

    expected_total = sum(Decimal(r["Total"]) for r in first.values())
    assert db.fetch_value("SELECT sum(total) FROM orders") == expected_total
    lines_by_name: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        lines_by_name[row["Name"]].append(row)
    loaded = orders_by_name(db)
    assert set(loaded) == set(first)
    for name, row in first.items():
        order = loaded[name]
        assert order["order_id"] == row["Id"]
        assert order["total"] == Decimal(row["Total"])
        assert order["financial_status"] == row["Financial Status"]
        assert order["currency"] == row["Currency"]
        assert str(order["local_date"])[:10] == row["Created at"][:10]
        assert order["utc_offset_minutes"] == -240  # every row of this store is -0400
        assert order["customer_key"] == key_of(row["Email"])
        assert order["item_quantity"] == sum(
            int(r["Lineitem quantity"]) for r in lines_by_name[name]
        )
        assert order["line_count"] == len(lines_by_name[name])
        is_draft = row["Source"] == "shopify_draft_order"
        assert (order["channel"] == "draft") == is_draft
        assert bool(order["is_test"]) == is_draft  # every order here is a draft order
        assert order["cancelled"] == bool(row["Cancelled at"].strip())

    line_value = sum(Decimal(r["Lineitem price"]) * int(r["Lineitem quantity"]) for r in rows)
    assert db.fetch_value("SELECT sum(price * quantity) FROM order_lines") == line_value
    pending = [n for n, r in first.items() if r["Financial Status"] == "pending"]
    assert pending and all(loaded[n]["financial_status"] == "pending" for n in pending)


def test_real_header_is_recognised_only_as_orders(real_exports: Path):
    with (real_exports / REAL_FILE).open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert shopify_orders.detect(header)
    assert not shopify_checkouts.detect(header)
    assert detect_format(header).name == "shopify_orders"


# --- synthetic exports -------------------------------------------------------------------------
def test_daylight_saving_week_keeps_the_date_as_written(db: Database, tmp_path: Path):
    times = {
        1001: "2024-03-09 23:30:00 -0800",  # Saturday night, still PST
        1002: "2024-03-10 01:59:59 -0800",
        1003: "2024-03-10 03:00:00 -0700",  # clocks went forward
        1004: "2024-03-10 23:30:00 -0700",
        1005: "2024-11-03 01:30:00 -0700",  # the first 01:30 of the fall-back night
        1006: "2024-11-03 01:30:00 -0800",  # the second 01:30, one hour later
        1007: "2024-11-03 23:30:00 -0800",
    }
    path = write_shopify_export(
        tmp_path / "dst.csv", [shopify_order_rows(n, t, "10.00") for n, t in times.items()]
    )
    report = ingest_file(db, path)
    assert report.counts["orders"] == len(times)
    loaded = orders_by_name(db)
    utc_dates_differ = 0
    for number, written in times.items():
        order = loaded[f"#{number}"]
        instant = datetime.strptime(written, "%Y-%m-%d %H:%M:%S %z")
        assert str(order["local_date"])[:10] == written[:10]
        assert order["utc_offset_minutes"] == int(instant.utcoffset().total_seconds() // 60)
        assert order["epoch_seconds"] == instant.timestamp()
        utc_dates_differ += instant.astimezone(UTC).date().isoformat() != written[:10]
    assert utc_dates_differ == 3  # the test would catch bucketing by UTC date
    assert loaded["#1006"]["epoch_seconds"] - loaded["#1005"]["epoch_seconds"] == 3600
    assert (str(report.first_date), str(report.last_date)) == ("2024-03-09", "2024-11-03")


def _order(number: int, total: str, **fields: str) -> list[dict[str, str]]:
    """A 2-line order whose first row gets extra Shopify columns."""
    rows = shopify_order_rows(number, "2024-05-01 10:00:00 -0400", total)
    rows[0].update(fields)
    return rows


def test_statuses_sources_refunds_and_cancellations(db: Database, tmp_path: Path):
    orders = [
        _order(1001, "60.00", **{"Financial Status": "paid", "Source": "web"}),
        _order(1002, "30.00", **{"Financial Status": "refunded", "Refunded Amount": "30.00"}),
        _order(
            1003,
            "45.00",
            **{
                "Financial Status": "partially_refunded",
                "Refunded Amount": "5.00",
                "Source": "580111",
            },
        ),
        _order(
            1004,
            "20.00",
            **{
                "Financial Status": "voided",
                "Cancelled at": "2024-05-02 09:00:00 -0400",
                "Source": "shopify_draft_order",
            },
        ),
        _order(1005, "15.00", **{"Financial Status": "pending", "Source": "pos"}),
        _order(1006, "25.00", **{"Financial Status": "authorized", "Source": "iphone"}),
        _order(1007, "12.00", **{"Cancelled at": "2024-05-03 08:00:00 -0400"}),
        _order(1008, "9.00", **{"Tags": "vip, test"}),
        _order(1009, "8.00", **{"Payment Method": "Bogus Gateway", "Billing Zip": "'02134"}),
    ]
    # 1001 gets a third line and quantities 1, 2, 3.
    orders[0].append(dict(orders[0][1], **{"Lineitem name": "Product 3"}))
    for row, quantity in zip(orders[0], ("1", "2", "3"), strict=True):
        row["Lineitem quantity"] = quantity
    path = write_shopify_export(tmp_path / "statuses.csv", orders)
    report = ingest_file(db, path)
    assert report.counts == {"orders": 9, "order_lines": 19}
    assert report.rows_read == 19 and report.rows_skipped == 0

    loaded = orders_by_name(db)
    expected_total = sum(Decimal(o[0]["Total"]) for o in orders)
    assert db.fetch_value("SELECT sum(total) FROM orders") == expected_total
    status = {n: loaded[n]["financial_status"] for n in loaded}
    assert status == {
        "#1001": "paid",
        "#1002": "refunded",
        "#1003": "partially_refunded",
        "#1004": "voided",
        "#1005": "pending",
        "#1006": "authorized",
        "#1007": "paid",
        "#1008": "paid",
        "#1009": "paid",
    }
    assert {n for n in loaded if loaded[n]["cancelled"]} == {"#1004", "#1007"}
    assert {n: loaded[n]["refunded"] for n in ("#1002", "#1003", "#1001")} == {
        "#1002": Decimal("30.00"),
        "#1003": Decimal("5.00"),
        "#1001": Decimal("0"),
    }
    channels = {n: loaded[n]["channel"] for n in ("#1001", "#1003", "#1004", "#1005", "#1006")}
    assert channels == {
        "#1001": "web",
        "#1003": "app",
        "#1004": "draft",
        "#1005": "pos",
        "#1006": "app",
    }
    assert loaded["#1003"]["source"] == "580111"
    assert {n for n in loaded if loaded[n]["is_test"]} == {"#1004", "#1008", "#1009"}
    assert loaded["#1001"]["item_quantity"] == 6 and loaded["#1001"]["line_count"] == 3
    assert loaded["#1001"]["customer_key"] == key_of("customer1001@example.com")


def test_repeated_money_on_line_rows_is_counted_once(db: Database, tmp_path: Path):
    orders = [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "40.00", lines=4) for n in (1, 2)]
    for order in orders:  # an export tool that copies order money onto every line row
        for row in order[1:]:
            row.update({"Total": "40.00", "Subtotal": "40.00"})
    ingest_file(db, write_shopify_export(tmp_path / "repeated.csv", orders))
    assert db.fetch_value("SELECT sum(total) FROM orders") == Decimal("80.00")
    assert db.fetch_value("SELECT count(*) FROM order_lines") == 8


@pytest.mark.parametrize("bad", ["12,50", "$12.50", "1,234.50", "twelve"])
def test_bad_total_after_many_rows_fails_with_its_line(db: Database, tmp_path: Path, bad: str):
    orders = [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00") for n in range(300)]
    orders[249][0]["Total"] = bad  # order 249's first row: line 2 + 2 * 249
    path = write_shopify_export(tmp_path / "bad_total.csv", orders)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert caught.value.line == 2 + 2 * 249
    assert caught.value.column == "Total"
    assert "bad_total.csv, line 500" in str(caught.value)
    assert db.fetch_value("SELECT count(*) FROM imports") == 0
    assert db.fetch_value("SELECT count(*) FROM orders") == 0


# Shopify's plain amount, written out independently of the importer.
PLAIN = re.compile(r"-?[0-9]{1,16}(\.[0-9]+)?")


def _suspect_cells(cells: list[str]) -> set[str]:
    """The cells the importer's cheap first look flags (run by DuckDB, as the import does)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (c VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[c] for c in cells])
    sql = f"SELECT c FROM t WHERE {shopify_orders.plain_amount_suspect_sql('c')}"
    return {row[0] for row in con.execute(sql).fetchall()}


def test_every_cell_the_amount_check_refuses_is_a_suspect():
    # Every string of up to 6 characters over digits, signs, dots, 'e' and a space, plus long
    # ones around the 16-digit limit: a cell that is not a plain amount must be a suspect
    # (then the exact check runs), and a plain amount must not be.
    short = ["".join(p) for n in range(1, 7) for p in itertools.product("0-.9e+ ", repeat=n)]
    digits = ["1" * n for n in range(14, 20)] + ["0" * n + "1" for n in range(14, 20)]
    odd = ["1e3", "+5", ".5", "-.5", "5.", "-5.", "5..5", "5-5"]
    long = digits + [d + ".5" for d in digits] + ["-" + d for d in digits] + odd
    cells = short + long
    suspects = _suspect_cells(cells)
    refused = {c for c in cells if not PLAIN.fullmatch(c)}
    assert refused <= suspects
    assert not {c for c in cells if PLAIN.fullmatch(c)} & suspects
    assert {"1e3", "+5", ".5", "-.5", "5.", "0" * 16 + "1", " 9"} <= suspects


def test_amounts_with_spaces_around_them_still_load(db: Database, tmp_path: Path):
    # A suspect cell that the exact check accepts: the import goes on with its value.
    orders = [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00") for n in range(3)]
    orders[1][0]["Total"] = " 12.50 "
    orders[2][0]["Subtotal"] = "12345678901234.50"
    ingest_file(db, write_shopify_export(tmp_path / "spaced.csv", orders))
    totals = dict(db.fetch_all("SELECT order_name, total FROM orders"))
    assert totals == {"#0": Decimal("10.00"), "#1": Decimal("12.50"), "#2": Decimal("10.00")}
    assert db.fetch_value("SELECT subtotal FROM orders WHERE order_name = '#2'") == Decimal(
        "12345678901234.50"
    )


def test_blank_amounts_and_quantities_of_spaces_load_as_empty(db: Database, tmp_path: Path):
    orders = [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00") for n in range(3)]
    orders[1][0]["Discount Amount"] = "   "
    orders[1][1]["Lineitem quantity"] = "  "
    orders[2][1]["Lineitem price"] = " 7.5 "
    orders[2][1]["Lineitem quantity"] = " 3 "
    ingest_file(db, write_shopify_export(tmp_path / "blank_cells.csv", orders))
    assert db.fetch_value("SELECT discounts FROM orders WHERE order_name = '#1'") is None
    lines = {
        (name, number): (quantity, price)
        for name, number, quantity, price in db.fetch_all(
            "SELECT o.order_name, l.line_number, l.quantity, l.price FROM order_lines l "
            "JOIN orders o USING (order_id)"
        )
    }
    assert lines[("#1", 2)] == (None, Decimal("10.00"))
    assert lines[("#2", 2)] == (3, Decimal("7.50"))
    assert lines[("#0", 1)] == (1, Decimal("10.00"))


@pytest.mark.parametrize("quantity", ["2.5", "1e2", "ten", "1234567890"])
def test_a_quantity_that_is_not_a_whole_number_fails_with_its_line(
    db: Database, tmp_path: Path, quantity: str
):
    # DuckDB's cast to INTEGER would have read 2.5 as 3.
    orders = [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00") for n in range(4)]
    orders[3][1]["Lineitem quantity"] = quantity
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, write_shopify_export(tmp_path / "quantity.csv", orders))
    assert (caught.value.line, caught.value.column) == (2 + 2 * 3 + 1, "Lineitem quantity")


def _line_numbers(db: Database) -> dict[tuple[str, int], str]:
    rows = db.fetch_all(
        "SELECT o.order_name, l.line_number, l.product FROM order_lines l "
        "JOIN orders o USING (order_id)"
    )
    return {(name, number): product for name, number, product in rows}


def test_line_numbers_count_each_orders_items_in_file_order(db: Database, tmp_path: Path):
    # As Shopify writes the file (each order's rows together), and with two orders' rows
    # interleaved, a row without an item between them: each order's items are numbered 1, 2,
    # 3 in the order of the file.
    a = shopify_order_rows(1, "2024-05-01 10:00:00 -0400", "30.00", lines=3)
    b = shopify_order_rows(2, "2024-05-01 11:00:00 -0400", "20.00", lines=2)
    ingest_file(db, write_shopify_export(tmp_path / "together.csv", [a, b]))
    expected = {
        ("#1", 1): "Product 1",
        ("#1", 2): "Product 2",
        ("#1", 3): "Product 3",
        ("#2", 1): "Product 1",
        ("#2", 2): "Product 2",
    }
    assert _line_numbers(db) == expected

    other = Database(tmp_path / "interleaved.duckdb")
    no_item = dict(a[2], **{"Lineitem name": "", "Lineitem quantity": ""})
    rows = [[a[0]], [b[0]], [no_item], [a[1]], [b[1]], [a[2]]]
    ingest_file(other, write_shopify_export(tmp_path / "interleaved.csv", rows))
    assert _line_numbers(other) == {
        ("#1", 1): "Product 1",
        ("#1", 2): "Product 2",
        ("#1", 3): "Product 3",
        ("#2", 1): "Product 1",
        ("#2", 2): "Product 2",
    }
    other.close()


def test_each_line_lands_in_its_order_across_rows_left_out(db: Database, tmp_path: Path):
    # Orders as Shopify writes them, with rows without a Name (left out with a note) between
    # them: every item stays with its own order, numbered in file order (truth: csv module).
    orders = [
        shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00", lines=lines)
        for n, lines in ((1, 3), (2, 2), (3, 1), (4, 2))
    ]
    for order in orders:
        for i, row in enumerate(order, start=1):
            row["Lineitem name"] = f"{row['Name']} item {i}"
    stray = dict(orders[0][1], **{"Name": "", "Lineitem name": "stray item"})
    rows = [orders[0], [stray], orders[1], orders[2], [dict(stray)], orders[3]]
    path = write_shopify_export(tmp_path / "gaps.csv", rows)
    expected: dict[tuple[str, int], str] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Name"]:
                number = 1 + sum(1 for name, _ in expected if name == row["Name"])
                expected[(row["Name"], number)] = row["Lineitem name"]
    report = ingest_file(db, path)
    assert len(expected) == 8
    assert _line_numbers(db) == expected
    assert sum(s.count for s in report.skipped) == 2


def test_bad_created_at_fails_with_its_line(db: Database, tmp_path: Path):
    orders = [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00") for n in range(5)]
    orders[3][1]["Created at"] = "05/01/2024 10:00"
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, write_shopify_export(tmp_path / "bad_time.csv", orders))
    assert (caught.value.line, caught.value.column) == (2 + 2 * 3 + 1, "Created at")


@pytest.mark.parametrize("written", ["2024-5-1 10:00:00 -0400", "2024-05-01 10:00:00 -04"])
def test_a_time_strptime_takes_but_shopify_never_writes_fails_with_its_line(
    db: Database, tmp_path: Path, written: str
):
    # DuckDB's strptime takes both; the date and offset are read at Shopify's fixed places.
    orders = [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00") for n in range(5)]
    for row in orders[2]:
        row["Created at"] = written
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, write_shopify_export(tmp_path / "odd_time.csv", orders))
    assert (caught.value.line, caught.value.column) == (2 + 2 * 2, "Created at")


def test_offsets_are_the_ones_written(db: Database, tmp_path: Path):
    times = {
        1: "2024-05-01 10:00:00 +0530",
        2: "2024-05-01 10:00:00 -0930",
        3: "2024-05-01 00:15:00 +0000",
        4: "2024-05-01 23:59:59 -04:00",
        5: "2024-12-31 23:00:00 +1400",
    }
    path = write_shopify_export(
        tmp_path / "offsets.csv", [shopify_order_rows(n, t, "10.00") for n, t in times.items()]
    )
    ingest_file(db, path)
    loaded = orders_by_name(db)
    for number, written in times.items():
        instant = datetime.strptime(written, "%Y-%m-%d %H:%M:%S %z")
        order = loaded[f"#{number}"]
        assert order["utc_offset_minutes"] == instant.utcoffset().total_seconds() // 60, written
        assert order["epoch_seconds"] == instant.timestamp()
        assert str(order["local_date"]) == written[:10]


def test_reimport_is_a_noop_and_a_later_export_updates_a_refund(db: Database, tmp_path: Path):
    first = write_shopify_export(
        tmp_path / "may.csv",
        [
            shopify_order_rows(1001, "2024-05-01 10:00:00 -0400", "100.00"),
            shopify_order_rows(1002, "2024-05-02 10:00:00 -0400", "50.50", lines=3),
            shopify_order_rows(1003, "2024-05-03 10:00:00 -0400", "20.00", lines=1),
        ],
    )
    ingest_file(db, first)
    before = db.fetch_all("SELECT * FROM orders ORDER BY order_id")
    again = ingest_file(db, first)
    assert again.already_imported and "already imported" in again.summary()
    assert db.fetch_all("SELECT * FROM orders ORDER BY order_id") == before
    assert db.fetch_value("SELECT count(*) FROM imports") == 1

    later = write_shopify_export(
        tmp_path / "may_later.csv",
        [
            shopify_order_rows(
                1002,
                "2024-05-02 10:00:00 -0400",
                "50.50",
                lines=3,
                status="refunded",
                refunded="50.50",
            ),
            shopify_order_rows(1003, "2024-05-03 10:00:00 -0400", "20.00", lines=1),
            shopify_order_rows(1004, "2024-05-04 10:00:00 -0400", "7.25"),
        ],
    )
    report = ingest_file(db, later)
    assert report.counts == {"orders": 3, "order_lines": 6}
    assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (4, Decimal("177.75"))
    assert db.fetch_one(
        "SELECT financial_status, refunded FROM orders WHERE order_name = '#1002'"
    ) == ("refunded", Decimal("50.50"))
    assert db.fetch_value("SELECT count(*) FROM order_lines WHERE order_id = '9001002'") == 3


# --- abandoned checkouts -----------------------------------------------------------------------
# Closest documented layout: the orders-export family (Id, Name, money, Created at, Lineitem
# columns, addresses) plus the abandoned checkout's own columns; no Financial Status.
_CHECKOUT_COLUMNS = (
    "Id,Name,Email,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,"
    "Discount Amount,Shipping Method,Created at,Completed at,Lineitem quantity,Lineitem name,"
    "Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,"
    "Lineitem taxable,Billing Name,Billing Street,Billing Address1,Billing Address2,"
    "Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,"
    "Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,"
    "Shipping City,Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,"
    "Note Attributes,Abandoned Checkout URL,Vendor,Source,Lineitem discount,Tax 1 Name,"
    "Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,"
    "Tax 5 Name,Tax 5 Value,Phone"
)
CHECKOUT_HEADER = _CHECKOUT_COLUMNS.split(",")


def checkout_rows(
    number: int,
    created: str,
    total: str,
    *,
    quantities: tuple[int, ...] = (1,),
    completed: str = "",
    email: str = "",
    ship_country: str = "",
    bill_country: str = "",
    continuation_names: bool = True,
) -> list[dict[str, str]]:
    rows = []
    for i, quantity in enumerate(quantities):
        row = dict.fromkeys(CHECKOUT_HEADER, "")
        row.update({"Lineitem quantity": str(quantity), "Lineitem name": f"Item {i + 1}"})
        if i == 0 or continuation_names:
            row.update({"Name": f"#{number}", "Created at": created})
        if i == 0:
            row.update(
                {
                    "Id": str(number),
                    "Email": email,
                    "Currency": "USD",
                    "Subtotal": total,
                    "Total": total,
                    "Completed at": completed,
                    "Shipping Country": ship_country,
                    "Billing Country": bill_country,
                    "Abandoned Checkout URL": f"https://shop.example/checkouts/{number}/recover",
                }
            )
        rows.append(row)
    return rows


def write_checkouts(path: Path, checkouts: list[list[dict[str, str]]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CHECKOUT_HEADER)
        writer.writeheader()
        for rows in checkouts:
            writer.writerows(rows)
    return path


def test_checkout_and_order_detectors_never_collide():
    assert shopify_checkouts.detect(CHECKOUT_HEADER)
    assert not shopify_orders.detect(CHECKOUT_HEADER)
    assert not shopify_checkouts.detect(SHOPIFY_HEADER)
    assert detect_format(CHECKOUT_HEADER).name == "shopify_checkouts"
    assert detect_format(SHOPIFY_HEADER).name == "shopify_orders"
    # Even an orders header that somehow carries a checkout URL column stays out of orders.
    assert not shopify_orders.detect([*SHOPIFY_HEADER, "Abandoned Checkout URL"])


def test_abandoned_checkouts_load_once_per_checkout(db: Database, tmp_path: Path):
    checkouts = [
        checkout_rows(
            31,
            "2024-03-09 23:30:00 -0800",
            "44.00",
            quantities=(1, 2),
            email="A@Example.com ",
            ship_country="us",
        ),
        checkout_rows(
            32,
            "2024-03-10 23:30:00 -0700",
            "10.00",
            completed="2024-03-11 10:00:00 -0700",
            bill_country="CA",
            continuation_names=False,
        ),
        checkout_rows(
            33, "2024-03-11 08:00:00 -0700", "99.90", quantities=(3, 1, 1), continuation_names=False
        ),
    ]
    path = write_checkouts(tmp_path / "checkouts_export.csv", checkouts)
    report = ingest_file(db, path)
    assert report.format == "shopify_checkouts"
    assert report.counts == {"abandoned_checkouts": 3}
    assert (report.rows_read, report.rows_loaded, report.rows_skipped) == (6, 6, 0)
    assert (str(report.first_date), str(report.last_date)) == ("2024-03-09", "2024-03-11")

    rows = records(db, "SELECT * EXCLUDE (created_at) FROM abandoned_checkouts")
    got = {r["checkout_id"]: r for r in rows}
    assert set(got) == {"31", "32", "33"}
    expected_total = sum(Decimal(rows[0]["Total"]) for rows in checkouts)
    assert db.fetch_value("SELECT sum(total) FROM abandoned_checkouts") == expected_total
    assert {k: str(v["local_date"])[:10] for k, v in got.items()} == {
        "31": "2024-03-09",
        "32": "2024-03-10",
        "33": "2024-03-11",
    }
    assert got["31"]["utc_offset_minutes"] == -480 and got["32"]["utc_offset_minutes"] == -420
    assert {k: v["item_quantity"] for k, v in got.items()} == {"31": 3, "32": 1, "33": 5}
    assert {k: v["recovered"] for k, v in got.items()} == {"31": False, "32": True, "33": False}
    assert (
        got["31"]["customer_key"] == key_of("a@example.com") and got["33"]["customer_key"] is None
    )
    assert {k: v["country"] for k, v in got.items()} == {"31": "US", "32": "CA", "33": None}


def test_checkouts_reimport_and_a_later_recovery(db: Database, tmp_path: Path):
    first = write_checkouts(
        tmp_path / "checkouts_1.csv",
        [
            checkout_rows(41, "2024-04-01 10:00:00 -0400", "20.00"),
            checkout_rows(42, "2024-04-02 10:00:00 -0400", "30.00"),
        ],
    )
    ingest_file(db, first)
    assert ingest_file(db, first).already_imported
    later = write_checkouts(
        tmp_path / "checkouts_2.csv",
        [
            checkout_rows(
                42, "2024-04-02 10:00:00 -0400", "30.00", completed="2024-04-03 09:00:00 -0400"
            ),
            checkout_rows(43, "2024-04-03 10:00:00 -0400", "5.00"),
        ],
    )
    ingest_file(db, later)
    assert db.fetch_one("SELECT count(*), sum(total) FROM abandoned_checkouts") == (
        3,
        Decimal("55.00"),
    )
    assert db.fetch_value("SELECT recovered FROM abandoned_checkouts WHERE checkout_id = '42'")


def test_checkout_bad_total_fails_with_its_line(db: Database, tmp_path: Path):
    checkouts = [checkout_rows(n, "2024-04-01 10:00:00 -0400", "20.00") for n in range(50)]
    checkouts[40][0]["Total"] = "20,00"
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, write_checkouts(tmp_path / "bad.csv", checkouts))
    assert (caught.value.line, caught.value.column) == (42, "Total")


# --- only the columns the importer reads are loaded ----------------------------------------------
def test_padding_rows_and_rows_with_only_unread_columns_are_told_apart(
    db: Database, tmp_path: Path
):
    # The importer loads the ~25 columns it reads, not all 79. A row blank in those columns is
    # spreadsheet padding only when it is blank everywhere; one with a note in an address
    # column is a row missing its Name, reported with its line.
    orders = [
        shopify_order_rows(1, "2024-03-01 10:00:00 -0500", "20.00"),
        shopify_order_rows(2, "2024-03-02 10:00:00 -0500", "30.00"),
    ]
    padding = dict.fromkeys(SHOPIFY_HEADER, "")
    stray = {**padding, "Billing City": "Lyon"}
    path = write_shopify_export(tmp_path / "orders.csv", [orders[0], [padding], orders[1]])
    report = ingest_file(db, path)
    assert report.counts == {"orders": 2, "order_lines": 4}
    assert report.rows_skipped == 0
    assert any("1 empty rows" in note for note in report.notes)

    other = tmp_path / "other.duckdb"
    stray_db = Database(other)
    try:
        path = write_shopify_export(tmp_path / "stray.csv", [orders[0], [stray], orders[1]])
        report = ingest_file(stray_db, path)
        assert report.counts == {"orders": 2, "order_lines": 4}
        # header line 1, order 1 on lines 2-3: the stray row is line 4
        assert [(s.reason, s.count, s.lines) for s in report.skipped] == [("no order Name", 1, [4])]
    finally:
        stray_db.close()


def test_the_columns_loaded_are_the_ones_read():
    # Each column the importer reads is in the real export's header (a typo would leave it out).
    header = SHOPIFY_HEADER
    positions = shopify_orders.SPEC.loaded_positions(header)
    assert positions is not None
    assert {header[i] for i in positions} == set(shopify_orders.READS)
    assert len(positions) < len(header) / 2
