"""WooCommerce exports: the core Analytics orders download (US and European money, refund rows,
browser variant, pinned dates) and order-export plugin layouts (labels or keys, one row per
product). Fixtures are CSV text as the exports write it; expected values are worked out by hand
next to them.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest.base import detect_format
from ro_core.ingest.pipeline import ingest_file
from ro_core.store.db import Database

# Header from WooCommerce core's orders report controller (get_export_columns).
US_REPORT = """\
Date,Order #,N. Revenue (formatted),Status,Customer,Customer type,Product(s),Items sold,Coupon(s),Net Sales,Attribution
2024-03-05 14:22:01,1001,"$1,234.50",completed,Ann A,new,"2× Hoodie, 1× Cap",3,SPRING,1100.00,Organic: Google
2024-03-06 09:00:00,1002,$50.00 $30.00,completed,Bob B,returning,1× Cap,1,,45.00,Direct
2024-03-07 10:00:00,1002,$50.00 $30.00,completed,Bob B,returning,1× Cap,1,,-20.00,Direct
2024-03-08 11:00:00,1003,$20.00,cancelled,Cy C,new,1× Mug,1,,18.00,Web admin
2024-03-09 12:00:00,1004,$99.00,refunded,Di D,returning,1× Mug,1,,90.00,Referral: Facebook.com
2024-03-09 15:00:00,1004,$99.00,refunded,Di D,returning,1× Mug,1,,-90.00,Referral: Facebook.com
2024-03-10 13:00:00,1005,"$12,000.00",wc-processing,Ed E,new,4× Desk,4,,11500.00,Mobile app
2024-03-10 13:30:00,1006,$5.00,checkout-draft,,new,1× Mug,1,,5.00,Unknown
"""
# Lines 4 and 7 are refunds (own rows, the parent's number, negative net); line 9 a draft.
US_TOTALS = {
    "1001": "1234.50",
    "1002": "50.00",  # '$50.00 $30.00' is the original total, then the total after refund
    "1003": "20.00",
    "1004": "99.00",
    "1005": "12000.00",
}

EU_REPORT = """\
Date,Order #,N. Revenue (formatted),Status,Customer,Customer type,Product(s),Items sold,Coupon(s),Net Sales,Attribution
2024-04-01 10:00:00,501,"1.234,56 €",completed,,new,,2,,1020.30,Direct
2024-04-02 10:00:00,502,"99,90 €",completed,,new,,1,,82.56,Direct
2024-04-03 10:00:00,503,1.000 €,on-hold,,returning,,1,,826.45,Direct
"""

BROWSER_REPORT = """\
Date,Order #,Status,Customer,Customer type,Payment method,Product(s),Items sold,Coupon(s),Net sales,Attribution
2024-03-05T14:22:01,71,completed,Ann A,new,Stripe,1× Cap,1,,25.5,Direct
2024-03-06T08:00:00,72,processing,Bob B,returning,PayPal,2× Cap,2,,51,Direct
"""

# Advanced Order Export For WooCommerce, default labels, products as rows (order fields repeat).
PLUGIN_EXPORT = """\
Order Number,Order Status,Order Date,Customer Note,First Name (Billing),Last Name (Billing),Email (Billing),Country Code (Billing),Country Code (Shipping),Payment Method Title,Cart Discount Amount,Order Subtotal Amount,Order Shipping Amount,Order Refund Amount,Order Total Amount,Order Total Tax Amount,Item #,SKU,Item Name,Quantity,Item Cost,Coupon Code,Discount Amount,Discount Amount Tax
2001,Completed,2024-05-01 10:00,,Ann,A,ann@example.com,DE,DE,PayPal,0,"1.000,00","10,00",0,"1.019,00","9,00",1,H-1,Hoodie,2,"450,00",WELCOME,,
2001,Completed,2024-05-01 10:00,,Ann,A,ann@example.com,DE,DE,PayPal,0,"1.000,00","10,00",0,"1.019,00","9,00",2,C-1,Cap,1,"100,00",,,
2002,Refunded,2024-05-02 11:00,,Bob,B,bob@example.com,FR,,PayPal,0,"50,00","5,00",0,"55,00",0,1,M-1,Mug,1,"50,00",,,
2003,Cancelled,2024-05-03 12:00,,Cy,C,cy@example.com,FR,FR,PayPal,0,"20,00",0,0,"20,00",0,1,M-1,Mug,1,"20,00",,,
2004,On hold,2024-05-04 12:00,,Di,D,di@example.com,IT,IT,PayPal,"5,00","40,00",0,"12,50","35,00",0,1,M-1,Mug,2,"20,00",,,
2005,Checkout draft,2024-05-04 13:00,,Ed,E,ed@example.com,IT,IT,PayPal,0,"20,00",0,0,"20,00",0,1,M-1,Mug,1,"20,00",,,
"""

# The same plugin with field keys as headers; product rows leave the order fields blank.
KEYS_EXPORT = """\
order_number,order_date,status,order_total,order_currency,order_subtotal,order_shipping,order_total_tax,cart_discount,billing_email,billing_country,shipping_country,item_name,qty,item_price
3001,2024-06-01 09:00:00,wc-completed,120.00,USD,100.00,20.00,0.00,0.00,x@example.com,US,US,Shirt,1,60.00
,,,,,,,,,,,,Pants,1,40.00
3002,2024-06-02 09:00:00,wc-failed,30.00,USD,30.00,0.00,0.00,0.00,y@example.com,US,,Socks,3,10.00
3003,2024-06-03 09:00:00,wc-processing,80.00,USD,75.00,5.00,0.00,5.00,z@example.com,CA,CA,Shirt,1,60.00
,,,,,,,,,,,,Socks,2,10.00
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def header_of(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


def records(db: Database, sql: str) -> list[dict]:
    with db.cursor() as cur:
        rows = cur.execute(sql).fetchall()
        names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def orders(db: Database) -> dict[str, dict]:
    return {r["order_id"]: r for r in records(db, "SELECT * EXCLUDE (created_at) FROM orders")}


def column(got: dict[str, dict], name: str) -> dict[str, object]:
    return {k: v[name] for k, v in got.items()}


# --- Analytics > Orders --------------------------------------------------------------------
def test_analytics_download_us_money_refunds_and_statuses(db: Database, tmp_path: Path):
    assert detect_format(header_of(US_REPORT)).name == "woocommerce_analytics_orders"
    report = ingest_file(db, write(tmp_path / "wc-orders-report-export.csv", US_REPORT))
    assert report.format == "woocommerce_analytics_orders"
    assert (report.rows_read, report.rows_loaded, report.rows_skipped) == (8, 7, 1)
    assert (report.skipped[0].reason, report.skipped[0].lines) == (
        "checkout draft (not an order)",
        [9],
    )
    assert report.counts == {"orders": 5}
    assert (str(report.first_date), str(report.last_date)) == ("2024-03-05", "2024-03-10")
    assert any("refund rows" in n for n in report.notes)

    got = orders(db)
    assert column(got, "total") == {k: Decimal(v) for k, v in US_TOTALS.items()}
    assert db.fetch_value("SELECT sum(total) FROM orders") == sum(map(Decimal, US_TOTALS.values()))
    assert got["1001"]["subtotal"] == Decimal("1100.00")
    assert got["1002"]["refunded"] == Decimal("20.00")
    assert str(got["1002"]["local_date"]) == "2024-03-06"  # the order's date, not the refund's
    assert got["1004"]["refunded"] == Decimal("99.00")  # fully refunded: the whole total
    assert got["1001"]["refunded"] is None
    assert column(got, "financial_status") == {
        "1001": "paid",
        "1002": "partially_refunded",
        "1003": "cancelled",
        "1004": "refunded",
        "1005": "paid",
    }
    assert {k for k, v in got.items() if v["cancelled"]} == {"1003"}
    assert column(got, "channel") == {
        "1001": "web",
        "1002": "web",
        "1003": "draft",
        "1004": "web",
        "1005": "app",
    }
    assert got["1004"]["source"] == "Referral: Facebook.com"
    assert column(got, "customer_type") == {
        "1001": "new",
        "1002": "returning",
        "1003": "new",
        "1004": "returning",
        "1005": "new",
    }
    assert got["1005"]["item_quantity"] == 4 and got["1001"]["discount_code"] == "SPRING"
    assert got["1001"]["utc_offset_minutes"] is None
    assert db.fetch_value("SELECT count(*) FROM order_lines") == 0


def test_analytics_download_european_money_is_decided_per_column(db: Database, tmp_path: Path):
    ingest_file(db, write(tmp_path / "eu.csv", EU_REPORT))
    got = orders(db)
    # Formatted totals use a decimal comma; Net Sales (a raw number) a dot.
    assert column(got, "total") == {
        "501": Decimal("1234.56"),
        "502": Decimal("99.90"),
        "503": Decimal("1000.00"),
    }
    assert column(got, "subtotal") == {
        "501": Decimal("1020.30"),
        "502": Decimal("82.56"),
        "503": Decimal("826.45"),
    }
    assert set(column(got, "currency").values()) == {"EUR"}
    assert got["503"]["financial_status"] == "pending"


def test_browser_download_uses_net_sales_as_total(db: Database, tmp_path: Path):
    path = write(tmp_path / "browser.csv", BROWSER_REPORT)
    report = ingest_file(db, path, options={"currency": "usd"})
    assert report.format == "woocommerce_analytics_orders"
    assert any("net sales" in n for n in report.notes)
    assert report.currencies == ("USD",)
    got = orders(db)
    assert {k: (v["total"], v["subtotal"]) for k, v in got.items()} == {
        "71": (Decimal("25.50"), Decimal("25.50")),
        "72": (Decimal("51.00"), Decimal("51.00")),
    }


def test_ambiguous_dates_need_a_date_order(db: Database, tmp_path: Path):
    text = (
        US_REPORT.splitlines()[0]
        + "\n"
        + (
            "05/03/2024 10:00,81,$10.00,completed,,new,,1,,10,\n"
            "11/03/2024 10:00,82,$20.00,completed,,new,,1,,20,\n"
        )
    )
    path = write(tmp_path / "resaved.csv", text)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert caught.value.column == "Date" and "date-order" in str(caught.value)
    assert db.fetch_value("SELECT count(*) FROM imports") == 0
    ingest_file(db, path, options={"date_order": "dmy"})
    assert {k: str(v) for k, v in column(orders(db), "local_date").items()} == {
        "81": "2024-03-05",
        "82": "2024-03-11",
    }


def test_analytics_reimport_and_a_later_refund_row(db: Database, tmp_path: Path):
    march = write(tmp_path / "march.csv", "\n".join(US_REPORT.splitlines()[:3]) + "\n")
    ingest_file(db, march)
    before = db.fetch_all("SELECT * FROM orders ORDER BY order_id")
    again = ingest_file(db, march)
    assert again.already_imported
    assert db.fetch_all("SELECT * FROM orders ORDER BY order_id") == before
    # 1001 refunded in April: April's export has only the refund row, plus a new order.
    april = (
        US_REPORT.splitlines()[0]
        + "\n"
        + (
            '2024-04-02 10:00:00,1001,"$1,234.50 $1,034.50",completed,Ann A,new,,3,,-200.00,\n'
            "2024-04-03 10:00:00,1010,$40.00,completed,Fay F,new,,1,,40.00,Direct\n"
        )
    )
    report = ingest_file(db, write(tmp_path / "april.csv", april))
    assert any("only as refunds" in w for w in report.warnings)
    got = orders(db)
    assert set(got) == {"1001", "1002", "1010"}
    assert db.fetch_value("SELECT sum(total) FROM orders") == Decimal("1324.50")  # 1234.5+50+40
    assert got["1001"]["refunded"] == Decimal("200.00")
    assert got["1001"]["total"] == Decimal("1234.50")
    assert str(got["1001"]["local_date"]) == "2024-03-05"  # kept from March's export


# --- plugin exports ------------------------------------------------------------------------
def test_plugin_export_with_labels_one_row_per_product(db: Database, tmp_path: Path):
    assert detect_format(header_of(PLUGIN_EXPORT)).name == "woocommerce_orders"
    report = ingest_file(db, write(tmp_path / "orders-2024-05.csv", PLUGIN_EXPORT))
    assert report.format == "woocommerce_orders"
    assert (report.rows_read, report.rows_loaded, report.rows_skipped) == (6, 5, 1)
    assert report.skipped[0].lines == [7]
    assert report.counts == {"orders": 4, "order_lines": 5}
    got = orders(db)
    # 2001's order fields repeat on both its product rows: its money still counts once.
    assert db.fetch_value("SELECT sum(total) FROM orders") == Decimal("1129.00")
    assert {k: (v["total"], v["subtotal"], v["shipping"], v["tax"]) for k, v in got.items()} == {
        "2001": (Decimal("1019.00"), Decimal("1000.00"), Decimal("10.00"), Decimal("9.00")),
        "2002": (Decimal("55.00"), Decimal("50.00"), Decimal("5.00"), Decimal("0.00")),
        "2003": (Decimal("20.00"), Decimal("20.00"), Decimal("0.00"), Decimal("0.00")),
        "2004": (Decimal("35.00"), Decimal("40.00"), Decimal("0.00"), Decimal("0.00")),
    }
    assert got["2002"]["refunded"] == Decimal("55.00")  # refunded status, no amount given
    assert got["2004"]["refunded"] == Decimal("12.50")
    assert got["2004"]["discounts"] == Decimal("5.00")
    assert column(got, "financial_status") == {
        "2001": "paid",
        "2002": "refunded",
        "2003": "cancelled",
        "2004": "pending",
    }
    assert {k for k, v in got.items() if v["cancelled"]} == {"2003"}
    assert column(got, "country") == {"2001": "DE", "2002": "FR", "2003": "FR", "2004": "IT"}
    assert got["2001"]["item_quantity"] == 3 and got["2001"]["line_count"] == 2
    assert got["2001"]["discount_code"] == "WELCOME"
    lines = db.fetch_all(
        "SELECT order_id, line_number, product, quantity, price FROM order_lines ORDER BY 1, 2"
    )
    assert lines == [
        ("2001", 1, "Hoodie", 2, Decimal("450.00")),
        ("2001", 2, "Cap", 1, Decimal("100.00")),
        ("2002", 1, "Mug", 1, Decimal("50.00")),
        ("2003", 1, "Mug", 1, Decimal("20.00")),
        ("2004", 1, "Mug", 2, Decimal("20.00")),
    ]


def test_plugin_export_with_keys_and_blank_product_rows(db: Database, tmp_path: Path):
    report = ingest_file(db, write(tmp_path / "keys.csv", KEYS_EXPORT))
    assert report.format == "woocommerce_orders"
    assert report.counts == {"orders": 3, "order_lines": 5}
    assert report.currencies == ("USD",)
    got = orders(db)
    assert column(got, "total") == {
        "3001": Decimal("120.00"),
        "3002": Decimal("30.00"),
        "3003": Decimal("80.00"),
    }
    assert {k for k, v in got.items() if v["cancelled"]} == {"3002"}
    assert column(got, "item_quantity") == {"3001": 2, "3002": 3, "3003": 3}
    # 60 + 40 + 3 x 10 + 60 + 2 x 10
    assert db.fetch_value("SELECT sum(price * quantity) FROM order_lines") == Decimal("210.00")


def test_plugin_reimport_and_a_later_refund(db: Database, tmp_path: Path):
    path = write(tmp_path / "keys.csv", KEYS_EXPORT)
    ingest_file(db, path)
    before = db.fetch_all("SELECT * FROM orders ORDER BY order_id")
    assert ingest_file(db, path).already_imported
    assert db.fetch_all("SELECT * FROM orders ORDER BY order_id") == before
    lines = KEYS_EXPORT.splitlines()
    later = "\n".join([lines[0], lines[4].replace("wc-processing", "wc-refunded"), lines[5]]) + "\n"
    ingest_file(db, write(tmp_path / "keys_later.csv", later))
    got = orders(db)
    assert db.fetch_value("SELECT sum(total) FROM orders") == Decimal("230.00")  # unchanged
    assert got["3003"]["refunded"] == Decimal("80.00")
    assert got["3003"]["financial_status"] == "refunded"
    assert db.fetch_value("SELECT count(*) FROM order_lines WHERE order_id = '3003'") == 2


def test_plugin_bad_amount_fails_with_its_line(db: Database, tmp_path: Path):
    lines = KEYS_EXPORT.splitlines()
    rows = [lines[1].replace("3001", str(5000 + i), 1) for i in range(120)]
    rows[100] = rows[100].replace("120.00", "n/a", 1)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, write(tmp_path / "bad.csv", "\n".join([lines[0], *rows]) + "\n"))
    assert (caught.value.line, caught.value.column) == (102, "order_total")
