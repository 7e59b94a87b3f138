"""How the store keeps its rows: migration 5 stores an order's id, name and customer key
without compression (faster to write, faster to count), and keeps every row of a store it
upgrades."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ro_core.ingest.pipeline import ingest_file
from ro_core.store import schema
from ro_core.store.db import Database
from tests.ingest.builders import shopify_order_rows, write_shopify_export

UNIQUE_TEXT = ("order_id", "order_name", "customer_key")


def _compression(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, set[str]]:
    conn.execute("CHECKPOINT")
    rows = conn.execute(
        f"SELECT column_name, compression FROM pragma_storage_info('{table}') "
        "WHERE segment_type = 'VARCHAR'"
    ).fetchall()
    found: dict[str, set[str]] = {}
    for column, method in rows:
        found.setdefault(column, set()).add(method)
    return found


def _orders(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY order_id, import_id").fetchall()


def test_a_version_4_store_keeps_its_orders_and_stores_unique_text_uncompressed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v4.duckdb"
    conn = duckdb.connect(str(path))
    for version in range(1, 5):
        for statement in schema.MIGRATIONS[version]:
            conn.execute(statement)
    conn.execute(f"INSERT INTO {schema.META} VALUES ('schema_version', '4')")
    # 5,000 orders with unique text: compressed by DuckDB's own choice before the upgrade.
    for table in (schema.ORDERS, schema.ROWS_TABLE[schema.KIND_ORDERS]):
        conn.execute(
            f"""INSERT INTO {table} (import_id, order_id, order_name, customer_key, total,
                local_date)
            SELECT 1, '7' || lpad(i::VARCHAR, 12, '0'), '#' || (1000 + i)::VARCHAR,
                substr(sha256(i::VARCHAR), 1, 20), i / 100, DATE '2024-01-01' + (i % 300)::INT
            FROM range(5000) t(i)"""
        )
    before = {t: _orders(conn, t) for t in (schema.ORDERS, schema.ROWS_TABLE["orders"])}
    assert all("Uncompressed" not in _compression(conn, schema.ORDERS)[c] for c in UNIQUE_TEXT)
    conn.close()

    upgraded = Database(path)
    assert upgraded.fetch_value(f"SELECT count(*) FROM {schema.ORDERS}") == 5000  # migrates
    upgraded.close()

    conn = duckdb.connect(str(path))
    try:
        version = conn.execute(
            f"SELECT value FROM {schema.META} WHERE key = 'schema_version'"
        ).fetchone()[0]
        assert version == "5"
        for table, rows in before.items():
            assert _orders(conn, table) == rows and len(rows) == 5000
            methods = _compression(conn, table)
            assert all(methods[c] == {"Uncompressed"} for c in UNIQUE_TEXT), methods
    finally:
        conn.close()


def test_an_import_into_a_new_store_writes_unique_text_uncompressed(
    db: Database, tmp_path: Path
) -> None:
    orders = [shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00") for n in range(3000)]
    ingest_file(db, write_shopify_export(tmp_path / "orders.csv", orders))
    with db.cursor() as cur:
        methods = _compression(cur, schema.ORDERS)
        assert all(methods[c] == {"Uncompressed"} for c in UNIQUE_TEXT), methods
        assert (
            cur.execute(f"SELECT count(DISTINCT order_name) FROM {schema.ORDERS}").fetchone()[0]
            == 3000
        )
