"""Files read through a column mapping: mapping validation, kinds, several rows per order,
statuses, pinned dates, per-column money, traffic, remembered mappings, suggestions, and the
real Olist files (orders + payments + items, in either order)."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest.formats.mapped import spec_for_mapping
from ro_core.ingest.formats.mapped_fields import FIELD_HELP, MAPPABLE_FIELDS
from ro_core.ingest.mapping_suggestions import suggest_mapping
from ro_core.ingest.pipeline import ingest_file
from ro_core.store import schema
from ro_core.store.db import Database


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def records(db: Database, sql: str) -> list[dict]:
    with db.cursor() as cur:
        rows = cur.execute(sql).fetchall()
        names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def orders(db: Database) -> dict[str, dict]:
    return {r["order_id"]: r for r in records(db, "SELECT * EXCLUDE (created_at) FROM orders")}


# --- the mapping itself -------------------------------------------------------------------------
def test_every_mappable_field_has_help_and_is_a_canonical_column():
    assert set(MAPPABLE_FIELDS) == {"orders", "order_lines", "traffic"}
    for kind, fields in MAPPABLE_FIELDS.items():
        assert set(fields) <= set(schema.column_names(kind)), kind
        for field in fields:
            assert FIELD_HELP[field].strip(), field


@pytest.mark.parametrize(
    ("mapping", "kinds"),
    [
        ({"id": "order_id", "paid": "total"}, ("orders",)),
        ({"id": "order_id", "sku": "product", "n": "quantity"}, ("order_lines",)),
        ({"id": "order_id", "when": "created_at", "sku": "sku"}, ("orders", "order_lines")),
        ({"day": "period_start", "visits": "sessions", "src": "channel"}, ("traffic",)),
        ({"id": "order_id", "Unused": "", "Other": "ignore"}, ("orders",)),
    ],
)
def test_kind_follows_from_the_fields(mapping: dict[str, str], kinds: tuple[str, ...]):
    spec = spec_for_mapping(mapping, "f.csv")
    assert spec.kinds == kinds and spec.name == "mapped"


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"id": "order_id", "when": "order_date"}, "order_date"),
        ({"id": "order_id", "a": "total", "b": "total"}, "mapped twice"),
        ({"when": "created_at", "paid": "total"}, "needs order_id"),
        ({"day": "period_start", "src": "channel"}, "at least one of sessions"),
        ({"day": "period_start", "visits": "sessions", "id": "order_id"}, "mixes traffic"),
    ],
)
def test_bad_mappings_are_refused_with_the_valid_fields(mapping: dict[str, str], expected: str):
    with pytest.raises(ImportFileError) as caught:
        spec_for_mapping(mapping, "shop.csv")
    message = str(caught.value)
    assert message.startswith("shop.csv: ") and expected in message
    if "order_date" in expected or "needs" in expected:
        assert "created_at" in message and "period_start" in message  # the valid fields


def test_a_mapped_column_missing_from_the_file_is_named(db: Database, tmp_path: Path):
    path = write(tmp_path / "o.csv", "id,amount\n1,10\n")
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path, mapping={"id": "order_id", "Order Date": "created_at"})
    message = str(caught.value)
    assert "'Order Date'" in message and "'amount'" in message and caught.value.line == 1
    assert db.fetch_value("SELECT count(*) FROM imports") == 0


# --- orders -----------------------------------------------------------------------------------
def test_payment_rows_are_added_up_and_repeated_totals_counted_once(db: Database, tmp_path: Path):
    payments = write(
        tmp_path / "payments.csv",
        "order,seq,paid\nP1,1,10.00\nP1,2,15.00\nP2,1,5.00\nP2,2,7.00\nP3,1,20.00\nP3,2,20.00\n"
        "P4,1,3.00\n",
    )
    report = ingest_file(db, payments, mapping={"order": "order_id", "paid": "total"})
    assert report.counts == {"orders": 4}
    assert any("added up" in n for n in report.notes)
    # Most multi-row orders differ, so the column holds parts: P3's two equal payments add up.
    assert {k: v["total"] for k, v in orders(db).items()} == {
        "P1": Decimal("25.00"),
        "P2": Decimal("12.00"),
        "P3": Decimal("40.00"),
        "P4": Decimal("3.00"),
    }


def test_an_order_total_repeated_on_product_rows_counts_once(db: Database, tmp_path: Path):
    path = write(
        tmp_path / "items.csv",
        "order,placed,order total,item\n"
        "O1,2024-02-01,50.00,Hat\nO1,2024-02-01,50.00,Scarf\nO1,2024-02-01,50.00,Gloves\n"
        "O2,2024-02-02,30.00,Hat\nO2,2024-02-02,30.00,Mug\nO3,2024-02-03,9.99,Pen\n",
    )
    report = ingest_file(
        db, path, mapping={"order": "order_id", "placed": "created_at", "order total": "total"}
    )
    assert any("counted once" in n for n in report.notes)
    assert db.fetch_value("SELECT sum(total) FROM orders") == Decimal("89.99")
    assert report.counts == {"orders": 3}


def test_status_words_and_refunds(db: Database, tmp_path: Path):
    rows = [
        ("A", "delivered"),
        ("B", "canceled"),
        ("C", "Cancelled"),
        ("D", "unavailable"),
        ("E", "failed"),
        ("F", "voided"),
        ("G", "refunded"),
        ("H", "Shipped"),
        ("I", ""),
    ]
    text = "id,date,status,amount\n" + "".join(
        f"{i},2024-01-0{n + 1},{s},{n + 1}.00\n" for n, (i, s) in enumerate(rows)
    )
    mapping = {"id": "order_id", "date": "created_at", "status": "financial_status",
               "amount": "total"}  # fmt: skip
    ingest_file(db, write(tmp_path / "s.csv", text), mapping=mapping)
    got = orders(db)
    assert {k for k, v in got.items() if v["cancelled"]} == {"B", "C", "D", "E", "F"}
    assert got["I"]["cancelled"] is None  # no status: unknown, not "not cancelled"
    assert got["H"]["financial_status"] == "shipped"
    assert got["G"]["refunded"] == Decimal("7.00") and got["A"]["refunded"] is None
    assert all(v["is_test"] is False for v in got.values())


def test_ambiguous_dates_need_a_date_order(db: Database, tmp_path: Path):
    path = write(tmp_path / "d.csv", "id,when,paid\n1,03/04/2024,1\n2,12/01/2024,2\n3,,3\n")
    mapping = {"id": "order_id", "when": "created_at", "paid": "total"}
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path, mapping=mapping)
    assert caught.value.column == "when" and "12 or less" in str(caught.value)
    with pytest.raises(ImportFileError):
        ingest_file(db, path, mapping=mapping, options={"date_order": "ymd"})
    report = ingest_file(db, path, mapping=mapping, options={"date_order": "mdy"})
    assert {k: str(v["local_date"]) for k, v in orders(db).items()} == {
        "1": "2024-03-04",
        "2": "2024-12-01",
        "3": "None",
    }
    assert any("no date" in w for w in report.warnings)


def test_a_stray_date_fails_with_its_line(db: Database, tmp_path: Path):
    body = "".join(f"{i},2024-02-{1 + i % 28:02d} 10:00:00,1\n" for i in range(100))
    body = body.replace("70,2024-02-15 10:00:00,1", "70,soon,1")
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, write(tmp_path / "s.csv", "id,when,paid\n" + body),
                    mapping={"id": "order_id", "when": "created_at", "paid": "total"})  # fmt: skip
    assert (caught.value.line, caught.value.column) == (72, "when")
    assert "year-month-day" in str(caught.value)


def test_dates_with_offsets_and_z_keep_the_local_date(db: Database, tmp_path: Path):
    path = write(
        tmp_path / "iso.csv",
        "id,ts,paid\n1,2024-03-05T23:30:00-05:00,1\n2,2024-03-06T01:15:00Z,2\n"
        "3,2024-03-06T00:30:00+0530,3\n",
    )
    ingest_file(db, path, mapping={"id": "order_id", "ts": "created_at", "paid": "total"})
    got = records(db, "SELECT order_id, local_date, utc_offset_minutes, epoch(created_at) AS e "
                      "FROM orders ORDER BY 1")  # fmt: skip
    expected = {
        "1": "2024-03-05T23:30:00-05:00",
        "2": "2024-03-06T01:15:00+00:00",
        "3": "2024-03-06T00:30:00+05:30",
    }
    for row in got:
        written = datetime.fromisoformat(expected[row["order_id"]])
        assert str(row["local_date"]) == expected[row["order_id"]][:10]
        assert row["utc_offset_minutes"] == written.utcoffset().total_seconds() // 60
        assert row["e"] == written.timestamp()


def test_money_convention_is_decided_per_column(db: Database, tmp_path: Path):
    path = write(
        tmp_path / "m.csv",
        'id,total,freight\n1,"1.234,56",4.95\n2,"99,90",0.50\n3,"1.000",12.00\n',
    )
    ingest_file(db, path, mapping={"id": "order_id", "total": "total", "freight": "shipping"})
    assert {k: (v["total"], v["shipping"]) for k, v in orders(db).items()} == {
        "1": (Decimal("1234.56"), Decimal("4.95")),
        "2": (Decimal("99.90"), Decimal("0.50")),
        "3": (Decimal("1000.00"), Decimal("12.00")),
    }


def test_a_bad_amount_fails_with_its_line(db: Database, tmp_path: Path):
    body = "".join(f"{i},{i}.50\n" for i in range(200))
    body = body.replace("150,150.50\n", "150,#VALUE!\n")
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, write(tmp_path / "b.csv", "id,paid\n" + body),
                    mapping={"id": "order_id", "paid": "total"})  # fmt: skip
    assert (caught.value.line, caught.value.column) == (152, "paid")


def test_a_remembered_mapping_imports_the_next_file_with_that_header(db: Database, tmp_path: Path):
    header = "Order Ref,Placed On,Grand Total\n"
    first = write(tmp_path / "jan.csv", header + "A1,2024-01-02,10.00\nA2,2024-01-03,20.00\n")
    second = write(tmp_path / "feb.csv", header + "B1,2024-02-02,5.00\n")
    mapping = {"Order Ref": "order_id", "Placed On": "created_at", "Grand Total": "total"}
    ingest_file(db, first, mapping=mapping)
    assert ingest_file(db, first, mapping=mapping).already_imported
    report = ingest_file(db, second)  # no mapping given
    assert report.format == "mapped" and report.counts == {"orders": 1}
    assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (3, Decimal("35.00"))
    assert db.fetch_value("SELECT count(*) FROM column_mappings") == 1


def test_a_later_export_updates_status_without_double_counting(db: Database, tmp_path: Path):
    mapping = {"ref": "order_id", "day": "created_at", "state": "financial_status", "sum": "total"}
    header = "ref,day,state,sum\n"
    v1 = write(tmp_path / "v1.csv", header + "A1,2024-01-02,paid,10\nA2,2024-01-03,paid,20\n")
    v2 = write(tmp_path / "v2.csv", header + "A2,2024-01-03,cancelled,20\nA3,2024-01-04,paid,5\n")
    ingest_file(db, v1, mapping=mapping)
    ingest_file(db, v2, mapping=mapping)
    got = orders(db)
    assert db.fetch_value("SELECT sum(total) FROM orders") == Decimal("35.00")
    assert {k: v["cancelled"] for k, v in got.items()} == {"A1": False, "A2": True, "A3": False}


# --- order lines and traffic --------------------------------------------------------------------
def test_order_lines_with_and_without_line_numbers(db: Database, tmp_path: Path):
    path = write(
        tmp_path / "lines.csv",
        'order,item,sku,qty,unit\nL1,1,HAT,2,"1.250,00"\nL1,2,MUG,1,"9,50"\nL2,1,HAT,1,"12,00"\n',
    )
    mapping = {"order": "order_id", "item": "line_number", "sku": "sku", "qty": "quantity",
               "unit": "price"}  # fmt: skip
    report = ingest_file(db, path, mapping=mapping)
    assert report.kinds == ("order_lines",) and report.counts == {"order_lines": 3}
    assert db.fetch_all(
        "SELECT order_id, line_number, sku, quantity, price FROM order_lines ORDER BY 1, 2"
    ) == [
        ("L1", 1, "HAT", 2, Decimal("1250.00")),
        ("L1", 2, "MUG", 1, Decimal("9.50")),
        ("L2", 1, "HAT", 1, Decimal("12.00")),
    ]
    assert db.fetch_value("SELECT count(*) FROM orders") == 0


def test_traffic_daily_by_channel_and_weekly_totals(db: Database, tmp_path: Path):
    daily = write(
        tmp_path / "daily.csv",
        'Day,Channel,Visits,Users\n2024-03-01,Search,100,80\n2024-03-01,Social,"1,200",900\n'
        "2024-03-02,Search,50,40\n2024-03-02,,7,7\n2024-03-02,Search,5,5\n",
    )
    report = ingest_file(
        db,
        daily,
        mapping={
            "Day": "period_start",
            "Channel": "channel",
            "Visits": "sessions",
            "Users": "visitors",
        },  # fmt: skip
    )
    assert report.kinds == ("traffic",)
    assert any("added together" in n for n in report.notes)  # the repeated 03-02 Search row
    rows = db.fetch_all(
        "SELECT traffic_source, grain, period_start::VARCHAR, period_end::VARCHAR, dimensions, "
        "channel, sessions, visitors FROM traffic ORDER BY period_start, channel"
    )
    assert rows == [
        ("mapped", "day", "2024-03-01", "2024-03-01", "channel", "Search", 100.0, 80.0),
        ("mapped", "day", "2024-03-01", "2024-03-01", "channel", "Social", 1200.0, 900.0),
        ("mapped", "day", "2024-03-02", "2024-03-02", "channel", "(not set)", 7.0, 7.0),
        ("mapped", "day", "2024-03-02", "2024-03-02", "channel", "Search", 55.0, 45.0),
    ]
    weekly = write(tmp_path / "weekly.csv", "Week,Sessions\n2024-03-04,700\n2024-03-11,650\n")
    ingest_file(db, weekly, mapping={"Week": "period_start", "Sessions": "sessions"})
    assert db.fetch_all(
        "SELECT grain, period_start::VARCHAR, period_end::VARCHAR, dimensions, sessions "
        "FROM traffic WHERE grain = 'week' ORDER BY 2"
    ) == [
        ("week", "2024-03-04", "2024-03-10", "", 700.0),
        ("week", "2024-03-11", "2024-03-17", "", 650.0),
    ]


# --- suggestions ----------------------------------------------------------------------------------
OLIST_HEADERS = {
    "olist_orders_dataset.csv": [
        "order_id", "customer_id", "order_status", "order_purchase_timestamp",
        "order_approved_at", "order_delivered_carrier_date", "order_delivered_customer_date",
        "order_estimated_delivery_date",
    ],
    "olist_order_payments_dataset.csv": [
        "order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value",
    ],
    "olist_order_items_dataset.csv": [
        "order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date", "price",
        "freight_value",
    ],
}  # fmt: skip
OLIST_MAPPINGS = {
    "olist_orders_dataset.csv": {
        "order_id": "order_id",
        "customer_id": "customer_key",
        "order_status": "financial_status",
        "order_purchase_timestamp": "created_at",
    },
    "olist_order_payments_dataset.csv": {"order_id": "order_id", "payment_value": "total"},
    "olist_order_items_dataset.csv": {
        "order_id": "order_id",
        "order_item_id": "line_number",
        "product_id": "product",
        "price": "price",
        "freight_value": "shipping",
    },
}


@pytest.mark.parametrize("name", sorted(OLIST_HEADERS))
def test_suggestions_find_the_olist_mappings(name: str):
    suggested = suggest_mapping(OLIST_HEADERS[name])
    assert OLIST_MAPPINGS[name].items() <= suggested.items()
    spec_for_mapping(suggested, name)  # a suggestion is always a valid mapping


def test_suggestions_for_traffic_and_for_nothing_known():
    assert suggest_mapping(["Day", "Sessions", "Users", "Device"]) == {
        "Day": "period_start",
        "Sessions": "sessions",
        "Users": "visitors",
        "Device": "device",
    }
    assert suggest_mapping(["colour", "size"]) == {}


# --- the real Olist files -------------------------------------------------------------------------
def olist_rows(folder: Path, name: str) -> list[dict[str, str]]:
    """Data rows of an Olist file, without the spreadsheet's empty padding rows."""
    with (folder / name).open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if any(v.strip() for v in r.values())]


@pytest.mark.parametrize(
    "order",
    [
        (
            "olist_orders_dataset.csv",
            "olist_order_payments_dataset.csv",
            "olist_order_items_dataset.csv",
        ),
        (
            "olist_order_items_dataset.csv",
            "olist_order_payments_dataset.csv",
            "olist_orders_dataset.csv",
        ),
    ],  # fmt: skip
    ids=["orders-first", "orders-last"],
)
def test_olist_files_load_and_merge_in_either_order(
    db: Database, real_exports: Path, order: tuple[str, ...]
):
    folder = real_exports / "olist"
    data = {name: olist_rows(folder, name) for name in order}
    padding = {}
    for name in order:
        with (folder / name).open(newline="", encoding="utf-8") as fh:
            padding[name] = sum(1 for _ in csv.reader(fh)) - 1 - len(data[name])

    for name in order:
        report = ingest_file(db, folder / name, mapping=OLIST_MAPPINGS[name])
        assert report.format == "mapped"
        assert report.rows_read == len(data[name]) == report.rows_loaded
        assert report.rows_skipped == 0 and report.skipped == ()
        assert padding[name] > 80_000
        assert f"{padding[name]:,} empty rows" in " ".join(report.notes)
        if name == "olist_order_items_dataset.csv":
            assert report.counts == {"order_lines": len(data[name])}

    orders_rows = data["olist_orders_dataset.csv"]
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for row in data["olist_order_payments_dataset.csv"]:
        paid[row["order_id"]] += Decimal(row["payment_value"])
    order_ids = {r["order_id"] for r in orders_rows}
    both = order_ids & set(paid)
    assert len(both) > 500

    assert db.fetch_value("SELECT count(*) FROM orders") == len(order_ids | set(paid))
    assert db.fetch_value("SELECT count(created_at) FROM orders") == len(order_ids)
    merged = db.fetch_value(
        "SELECT count(*) FROM orders WHERE created_at IS NOT NULL AND total IS NOT NULL"
    )
    assert merged == len(both)
    assert db.fetch_value("SELECT sum(total) FROM orders") == sum(paid.values())
    payment_rows: dict[str, int] = defaultdict(int)
    for row in data["olist_order_payments_dataset.csv"]:
        payment_rows[row["order_id"]] += 1
    several = sorted(oid for oid, n in payment_rows.items() if n > 1)
    assert len(several) > 50
    sample = sorted(both)[:10] + several  # several payments per order: all of them
    got = {
        row[0]: {"total": row[1], "local_date": row[2], "status": row[3]}
        for row in db.fetch_all(
            "SELECT order_id, total, local_date, financial_status FROM orders "
            "WHERE list_contains(?, order_id)",
            [sample],
        )
    }
    by_id = {r["order_id"]: r for r in orders_rows}
    for oid in sample:
        assert got[oid]["total"] == paid[oid], oid
        if oid in by_id:
            written = datetime.strptime(by_id[oid]["order_purchase_timestamp"], "%m/%d/%Y %H:%M")
            assert got[oid]["local_date"] == written.date()
            assert got[oid]["status"] == by_id[oid]["order_status"]
    cancelled = sum(r["order_status"] in ("canceled", "unavailable") for r in orders_rows)
    assert db.fetch_value("SELECT count(*) FROM orders WHERE cancelled") == cancelled

    items = data["olist_order_items_dataset.csv"]
    assert db.fetch_one("SELECT count(*), sum(price), sum(shipping) FROM order_lines") == (
        len(items),
        sum(Decimal(r["price"]) for r in items),
        sum(Decimal(r["freight_value"]) for r in items),
    )
