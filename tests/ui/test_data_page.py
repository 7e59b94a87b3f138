"""AppTest: the Data page takes uploads (several at once), maps unknown layouts, removes imports."""

from __future__ import annotations

import pytest

from ro_core.ingest.pipeline import list_imports
from tests.ingest.builders import shopify_order_rows, write_shopify_export
from tests.ui.conftest import assert_clean, metric, number, plain, run_app

# Three web orders and one point-of-sale order on 2-4 March 2024 (store time -05:00).
ORDERS = [
    (1001, "2024-03-02 10:00:00 -0500", "40.00", "web"),
    (1002, "2024-03-03 11:30:00 -0500", "25.50", "web"),
    (1003, "2024-03-04 18:45:00 -0500", "100.00", "web"),
    (1004, "2024-03-04 09:00:00 -0500", "19.99", "pos"),
]
REVENUE = 40.00 + 25.50 + 100.00 + 19.99  # every order counts for revenue, by hand: 185.49
LINES = 2 * len(ORDERS)


def _orders_csv(tmp_path) -> bytes:
    path = write_shopify_export(
        tmp_path / "orders_export.csv",
        [shopify_order_rows(n, created, total, source=src) for n, created, total, src in ORDERS],
    )
    return path.read_bytes()


def _open_data_page():
    at = run_app()
    at.switch_page("pages/data.py").run()
    assert_clean(at)
    return at


def test_orders_without_traffic_show_revenue_orders_aov_and_explain_sessions(
    empty_db, tmp_path
) -> None:
    at = _open_data_page()
    at.file_uploader[0].set_value(("orders_export.csv", _orders_csv(tmp_path), "text/csv")).run()
    assert_clean(at)
    assert number(metric(at, "Rows read").value) == LINES
    assert number(metric(at, "Rows loaded").value) == LINES
    assert number(metric(at, "Rows skipped").value) == 0
    assert any("4 orders, 8 order lines" in c.value for c in at.caption)
    assert at.file_uploader[0].key == "uploader_1", "a fresh uploader: the upload was dropped"
    imports = list_imports(empty_db)
    assert [(r["file_name"], r["format"]) for r in imports] == [
        ("orders_export.csv", "shopify_orders")
    ]

    at.switch_page("pages/overview.py").run()
    assert_clean(at)
    assert number(metric(at, "Revenue").value) == pytest.approx(REVENUE)
    assert number(metric(at, "Orders").value) == len(ORDERS)
    assert number(metric(at, "AOV").value) == pytest.approx(round(REVENUE / len(ORDERS), 2))
    for label in ("Sessions", "Conversion rate", "RPV"):
        assert metric(at, label).value == "–"
    assert any("Sessions, conversion rate (CR)" in i.value for i in at.info)


def test_several_files_at_once_with_a_reimport_and_a_broken_file(empty_db, tmp_path) -> None:
    orders = _orders_csv(tmp_path)
    at = _open_data_page()
    at.file_uploader[0].set_value(
        [
            ("orders_export.csv", orders, "text/csv"),
            ("copy_of_orders.csv", orders, "text/csv"),
            ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/csv"),
        ]
    ).run()
    assert not at.exception
    infos = [plain(i.value) for i in at.info]
    assert any("copy_of_orders.csv" in i and "already imported" in i for i in infos)
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and "photo" in errors[0] and "not a text (CSV) file" in errors[0]
    assert len(list_imports(empty_db)) == 1


def test_unknown_layout_opens_the_mapping_form_and_the_mapping_is_remembered(
    empty_db, tmp_path
) -> None:
    first = "Order ID,Order Date,Amount,Note\nA-1,2024-05-02,12.50,x\nA-2,2024-05-03,7.25,y\n"
    at = _open_data_page()
    at.file_uploader[0].set_value(("shop.csv", first.encode(), "text/csv")).run()
    assert not at.exception
    assert any("Map the columns of shop" in s.value for s in at.subheader)
    preview = at.dataframe[0].value
    assert preview.columns.tolist() == ["Order ID", "Order Date", "Amount", "Note"]
    assert preview["Order ID"].tolist() == ["A-1", "A-2"]
    # suggestions fill the form; the user confirms the money column explicitly
    assert next(s for s in at.selectbox if s.label == "order id").value == "Order ID"
    next(s for s in at.selectbox if s.label == "total").set_value("Amount")
    next(b for b in at.button if b.label == "Import with this mapping").click().run()
    assert_clean(at)
    assert any("2 orders" in c.value for c in at.caption)
    assert not [s for s in at.subheader if "Map the columns" in s.value]

    second = "Order ID,Order Date,Amount,Note\nA-3,2024-05-04,3.00,z\n"
    at.file_uploader[0].set_value(("shop_may.csv", second.encode(), "text/csv")).run()
    assert_clean(at)
    assert not [s for s in at.subheader if "Map the columns" in s.value], "mapping remembered"
    assert [r["file_name"] for r in list_imports(empty_db)] == ["shop_may.csv", "shop.csv"]


def test_remove_an_import(empty_db, tmp_path) -> None:
    at = _open_data_page()
    at.file_uploader[0].set_value(("orders_export.csv", _orders_csv(tmp_path), "text/csv")).run()
    (row,) = list_imports(empty_db)
    at.multiselect(key="remove_choice").set_value([row["import_id"]]).run()
    at.button(key="remove_imports").click().run()
    assert_clean(at)
    assert list_imports(empty_db) == []
    assert any("Nothing imported yet" in c.value for c in at.caption)


def test_stale_upload_copies_are_swept(tmp_path) -> None:
    import os
    import time

    from ro_ui.imports import sweep_stale_uploads

    old, fresh, other = (tmp_path / n for n in ("import-a.csv", "import-b.csv", "keep.csv"))
    for path in (old, fresh, other):
        path.write_text("x")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(other, (two_days_ago, two_days_ago))
    assert sweep_stale_uploads(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["import-b.csv", "keep.csv"]


def test_a_damaged_zip_in_a_batch_does_not_stop_the_files_after_it(empty_db, tmp_path) -> None:
    at = _open_data_page()
    at.file_uploader[0].set_value(
        [
            ("broken.zip", b"PK\x03\x04" + b"\x00" * 40, "application/zip"),
            ("orders_export.csv", _orders_csv(tmp_path), "text/csv"),
        ]
    ).run()
    assert not at.exception
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and "broken.zip" in errors[0] and "damaged" in errors[0]
    assert [r["file_name"] for r in list_imports(empty_db)] == ["orders_export.csv"]
    assert not list((empty_db.path.parent / "tmp").glob("*"))  # no copy left behind


def test_file_text_in_an_error_is_shown_as_text() -> None:
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        from ro_core.errors import ImportFileError
        from ro_ui.widgets import show_error

        show_error(
            ImportFileError(
                "the dates (for example '![](http://host/x.png)') are in a format we do not read.",
                file_name="<b>shop</b>.csv",
            )
        )

    at = AppTest.from_function(page).run()
    body = at.error[0].value
    assert "![](" not in body and "<b>" not in body  # nothing to render as an image or HTML
    assert "\\!\\[\\]\\(http" in body and "\\<b\\>" in body
