"""The `ro` command's data commands: ingest, datasets, datasets rm, demo, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ro_core.cli import main
from ro_core.store.db import Database
from tests.ingest.builders import shopify_order_rows, write_shopify_export

OLIST_MAPS = {
    "olist_orders_dataset.csv": [
        "order_id=order_id",
        "customer_id=customer_key",
        "order_status=financial_status",
        "order_purchase_timestamp=created_at",
    ],
    "olist_order_payments_dataset.csv": ["order_id=order_id", "payment_value=total"],
    "olist_order_items_dataset.csv": [
        "order_id=order_id",
        "order_item_id=line_number",
        "product_id=product",
        "price=price",
        "freight_value=shipping",
    ],
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def table_counts(db_path: Path) -> dict[str, tuple]:
    db = Database(db_path)
    try:
        return {
            "orders": db.fetch_one("SELECT count(*), sum(total), sum(refunded) FROM orders"),
            "order_lines": db.fetch_one("SELECT count(*), sum(price) FROM order_lines"),
            "traffic": db.fetch_one(
                "SELECT count(*), sum(sessions), sum(converted_sessions) FROM traffic"
            ),
            "events": db.fetch_one("SELECT count(*), sum(revenue) FROM events"),
        }
    finally:
        db.close()


def test_ingest_every_real_export_twice_changes_nothing(capsys, tmp_path: Path, real_exports: Path):
    db_path = tmp_path / "ro.duckdb"
    detected = [
        *sorted((real_exports / "shopify_orders").glob("*.csv")),
        *sorted((real_exports / "shopify_analytics").glob("*.csv")),
        *sorted((real_exports / "ga4_exports").glob("*.csv")),
        *sorted((real_exports / "rees46_events").glob("*.csv")),
    ]
    code, out, err = run(capsys, "--db", str(db_path), "--json", "ingest", *map(str, detected))
    assert code == 0, err
    result = json.loads(out)
    assert result["errors"] == []
    formats = {item["file_name"]: item["format"] for item in result["imports"]}
    assert formats["forezia_devstore_orders_export.csv"] == "shopify_orders"
    assert formats["Shopify 2024 - Visitors Over Time.csv"] == "shopify_analytics"
    assert formats["rees46_2019-Oct_head17k_complete_lines.csv"] == "rees46_events"
    assert all(fmt == "ga4_reports" for name, fmt in formats.items() if name.startswith("GA "))
    for name, maps in OLIST_MAPS.items():
        args = [arg for m in maps for arg in ("--map", m)]
        code, out, err = run(
            capsys, "--db", str(db_path), "ingest", str(real_exports / "olist" / name), *args
        )
        assert code == 0, err
        assert "empty rows (padding from a spreadsheet) ignored" in out
    first = table_counts(db_path)
    assert first["orders"][0] > 9_999 and first["events"][0] == 17_434

    everything = [*detected, *sorted((real_exports / "olist").glob("*.csv"))]
    code, out, err = run(capsys, "--db", str(db_path), "--json", "ingest", *map(str, everything))
    assert code == 0, err
    again = json.loads(out)["imports"]
    assert len(again) == len(everything)
    assert all(item["already_imported"] for item in again)
    assert table_counts(db_path) == first


def test_datasets_list_and_remove(capsys, tmp_path: Path):
    db_path = tmp_path / "ro.duckdb"
    export = write_shopify_export(
        tmp_path / "orders.csv",
        [shopify_order_rows(1, "2024-05-01 10:00:00 -0400", "12.00", lines=1)],
    )
    assert run(capsys, "--db", str(db_path), "ingest", str(export))[0] == 0
    code, out, _ = run(capsys, "--db", str(db_path), "datasets", "--json")
    listed = json.loads(out)["imports"]
    assert code == 0 and len(listed) == 1 and listed[0]["rows_loaded"] == 1
    import_id = listed[0]["import_id"]
    code, out, _ = run(capsys, "--db", str(db_path), "datasets", "rm", str(import_id))
    assert code == 0 and f"Removed import #{import_id}" in out
    assert table_counts(db_path)["orders"][0] == 0
    code, _, err = run(capsys, "--db", str(db_path), "datasets", "rm", str(import_id))
    assert code == 2 and "there is no import" in err


def test_bad_file_exits_2_with_one_line(capsys, tmp_path: Path):
    bad = tmp_path / "notes.csv"
    bad.write_text("something,else\n1,2\n")
    code, out, err = run(capsys, "--db", str(tmp_path / "ro.duckdb"), "ingest", str(bad))
    assert code == 2
    first_line = err.splitlines()[0]
    assert first_line.startswith("error: notes.csv:") and "not one we recognise" in first_line
    assert "Traceback" not in err
    code, out, _ = run(capsys, "--db", str(tmp_path / "ro.duckdb"), "--json", "ingest", str(bad))
    assert code == 2 and json.loads(out)["errors"][0]["file_name"] == "notes.csv"


def test_bad_mapping_syntax_is_a_user_error(capsys, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    code, _, err = run(
        capsys, "--db", str(tmp_path / "ro.duckdb"), "ingest", str(path), "--map", "oops"
    )
    assert code == 2 and "COLUMN=FIELD" in err


def test_demo_loads_and_removes(capsys, tmp_path: Path):
    db_path = tmp_path / "ro.duckdb"
    code, out, err = run(capsys, "--db", str(db_path), "--json", "demo")
    assert code == 0, err
    imports = json.loads(out)["imports"]
    assert imports and all(item["is_demo"] for item in imports)
    assert table_counts(db_path)["orders"][0] > 1000
    code, out, _ = run(capsys, "--db", str(db_path), "demo", "--remove")
    assert code == 0 and "Removed" in out
    assert table_counts(db_path)["orders"][0] == 0


def test_fields_lists_what_a_mapping_can_use(capsys, tmp_path: Path):
    from ro_core.ingest.formats.mapped_fields import MAPPABLE_FIELDS

    code, out, _ = run(capsys, "--db", str(tmp_path / "ro.duckdb"), "--json", "fields")
    assert code == 0
    listed = json.loads(out)
    assert listed == {kind: list(fields) for kind, fields in MAPPABLE_FIELDS.items()}
    assert "created_at" in listed["orders"] and "sessions" in listed["traffic"]


def test_every_help_page_renders(capsys):
    from ro_core.cli import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert {"ingest", "kpis", "sample-size", "analyze", "report"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0, name
    assert "usage: ro" in capsys.readouterr().out
