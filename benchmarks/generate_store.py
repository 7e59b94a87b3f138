"""Generate synthetic stores at scale in the real export formats (for benchmarks).

Uses DuckDB to write the CSVs (fast, no Python loop over rows):
- Shopify orders export (the real 79-column header, one row per line item, order fields only
  on the first row of each order),
- Shopify Analytics daily sessions and customer behaviour reports,
- REES46-layout events.

    python benchmarks/generate_store.py --rows 1000000 --out benchmarks/data
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ingest.builders import SHOPIFY_HEADER  # noqa: E402

LINES_PER_ORDER = 2  # every order has two line items: rows = 2 x orders


def _column_expr(name: str) -> str:
    """SQL for one Shopify column given `o` (order number), `l` (line 0/1) and `first`."""
    first_only = {
        "Email": "'customer' || (o % 50000) || '@example.com'",
        "Financial Status": "CASE WHEN o % 40 = 0 THEN 'refunded' WHEN o % 23 = 0 THEN "
        "'partially_refunded' ELSE 'paid' END",
        "Paid at": "created",
        "Fulfillment Status": "'fulfilled'",
        "Currency": "'USD'",
        "Subtotal": "printf('%.2f', sub)",
        "Shipping": "'5.00'",
        "Taxes": "printf('%.2f', round(sub * 0.08, 2))",
        "Total": "printf('%.2f', sub + 5.0 + round(sub * 0.08, 2))",
        "Discount Amount": "'0.00'",
        "Refunded Amount": "CASE WHEN o % 40 = 0 THEN printf('%.2f', sub + 5.0 + "
        "round(sub * 0.08, 2)) WHEN o % 23 = 0 THEN '5.00' ELSE '0.00' END",
        "Cancelled at": "CASE WHEN o % 97 = 0 THEN created ELSE '' END",
        "Id": "CAST(7000000000 + o AS VARCHAR)",
        "Source": "CASE WHEN o % 11 = 0 THEN 'pos' WHEN o % 13 = 0 THEN '580111' ELSE 'web' END",
        "Shipping Country": "(['US','US','US','CA','GB','DE','AU'])[1 + o % 7]",
        "Billing Country": "(['US','US','US','CA','GB','DE','AU'])[1 + o % 7]",
        "Payment Method": "'Shopify Payments'",
    }
    every_row = {
        "Name": "'#' || (1000 + o)",
        "Created at": "created",
        "Lineitem quantity": "CAST(1 + (o + l) % 3 AS VARCHAR)",
        "Lineitem name": "'Product ' || ((o * 7 + l) % 500)",
        "Lineitem price": "printf('%.2f', CAST(10 + (o * 7 + l) % 90 AS DOUBLE))",
        "Lineitem sku": "'SKU-' || ((o * 7 + l) % 500)",
        "Lineitem requires shipping": "'true'",
        "Lineitem taxable": "'true'",
        "Vendor": "'Vendor ' || (o % 20)",
        "Lineitem discount": "'0.00'",
    }
    if name in every_row:
        return every_row[name]
    if name in first_only:
        return f"CASE WHEN l = 0 THEN {first_only[name]} ELSE '' END"
    return "''"


def write_shopify_orders(con: duckdb.DuckDBPyConnection, path: Path, rows: int, days: int) -> None:
    """A Shopify orders export with `rows` line-item rows over `days` days."""
    orders = max(rows // LINES_PER_ORDER, 1)
    select_list = ",\n".join(f'{_column_expr(name)} AS "{name}"' for name in SHOPIFY_HEADER)
    con.execute(
        f"""COPY (
            WITH base AS (
                SELECT o, l,
                    strftime(TIMESTAMP '2025-01-01' + INTERVAL (CAST(o * {days} * 86400.0 / {orders} AS BIGINT)) SECOND,
                             '%Y-%m-%d %H:%M:%S') || ' -0500' AS created
                FROM range({orders}) t(o), range({LINES_PER_ORDER}) u(l)
            ), priced AS (
                SELECT *, CAST((10 + (o * 7) % 90) * (1 + o % 3) + (10 + (o * 7 + 1) % 90) * (1 + (o + 1) % 3) AS DOUBLE) AS sub
                FROM base
            )
            SELECT {select_list} FROM priced ORDER BY o, l
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )


def write_shopify_traffic(
    con: duckdb.DuckDBPyConnection, folder: Path, rows: int, days: int
) -> None:
    """Daily sessions and customer-behaviour reports agreeing in scale with the orders."""
    orders_per_day = max(rows // LINES_PER_ORDER // days, 1)
    con.execute(
        f"""COPY (
            SELECT strftime(DATE '2025-01-01' + INTERVAL (d) DAY, '%Y-%m-%d') AS "Day",
                   CAST({orders_per_day} * 30 AS BIGINT) AS "Online store visitors",
                   CAST({orders_per_day} * 40 AS BIGINT) AS "Sessions"
            FROM range({days}) t(d)
        ) TO '{folder / "sessions_over_time.csv"}' (HEADER, FORCE_QUOTE ("Day"))"""
    )
    con.execute(
        f"""COPY (
            SELECT strftime(DATE '2025-01-01' + INTERVAL (d) DAY, '%Y-%m-%d') AS "Day",
                   CAST({orders_per_day} * 4 AS BIGINT) AS "Sessions with cart additions",
                   CAST({orders_per_day} * 2 AS BIGINT) AS "Sessions that reached checkout",
                   CAST({orders_per_day} AS BIGINT) AS "Sessions that completed checkout"
            FROM range({days}) t(d)
        ) TO '{folder / "customer_behavior.csv"}' (HEADER, FORCE_QUOTE ("Day"))"""
    )


def write_events(con: duckdb.DuckDBPyConnection, path: Path, rows: int, days: int) -> None:
    """REES46-layout events: sessions of views, some carts and purchases."""
    con.execute(
        f"""COPY (
            SELECT
                strftime(TIMESTAMP '2025-01-01' + INTERVAL (CAST(e * {days} * 86400.0 / {rows} AS BIGINT)) SECOND,
                         '%Y-%m-%d %H:%M:%S') || ' UTC' AS event_time,
                CASE WHEN e % 10 < 7 THEN 'view' WHEN e % 10 < 9 THEN 'cart'
                     WHEN e % 20 = 9 THEN 'remove_from_cart' ELSE 'purchase' END AS event_type,
                CAST(1000000 + (e * 13) % 20000 AS VARCHAR) AS product_id,
                '2053013555631882655' AS category_id,
                'electronics.smartphone' AS category_code,
                'brand' || (e % 50) AS brand,
                printf('%.2f', CAST(5 + (e * 7) % 300 AS DOUBLE)) AS price,
                CAST(500000000 + (e // 10) % 400000 AS VARCHAR) AS user_id,
                md5(CAST(e // 10 AS VARCHAR)) AS user_session
            FROM range({rows}) t(e)
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )


def generate(out: Path, rows: int, days: int = 365) -> dict[str, Path]:
    """Write a store of `rows` order-line rows and `rows` events into `out`; returns the paths."""
    folder = out / f"store_{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "shopify_orders": folder / "orders_export.csv",
        "sessions": folder / "sessions_over_time.csv",
        "behavior": folder / "customer_behavior.csv",
        "events": folder / "events.csv",
    }
    con = duckdb.connect()
    if not paths["shopify_orders"].exists():
        write_shopify_orders(con, paths["shopify_orders"], rows, days)
    if not paths["sessions"].exists():
        write_shopify_traffic(con, folder, rows, days)
    if not paths["events"].exists():
        write_events(con, paths["events"], rows, days)
    con.close()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()
    for rows in args.rows:
        for name, path in generate(args.out, rows).items():
            print(f"{rows:>9,} {name:<15} {path} {path.stat().st_size / 1e6:,.1f} MB")


if __name__ == "__main__":
    main()
