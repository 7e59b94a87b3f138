"""The metrics suite on DuckDB, chDB and Spark over generated warehouse Parquet, at several sizes.

For each size (events in a year; orders, order lines and traffic rows in proportion) the
warehouse is written straight in the documented layout (ro_core/engines/layout.py) by DuckDB
``COPY ... PARTITION_BY (month)`` with its manifest.json: the path of a user's own pipeline, no
DuckDB store file and no ``ro warehouse export``. Then, for each engine, a child process opens the
engine once (the start-up time), and runs every metrics command through ``ro --json ...`` in that
process on the warm engine: the first run is discarded, the median of the next ones is kept.
Each command's JSON is compared with the duckdb engine's on the same data.

    python benchmarks/engines_scale.py --sizes 10M 25M 50M --engines duckdb clickhouse spark

Warehouses go under --data (default /tmp/ro_engines_scale, outside the repository) and are
reused when their manifest matches; results are also written to --out as JSON. On 2 cores the
DuckDB and chDB runs of all three sizes take about 15 minutes, Spark 4-12 minutes per size with
``--repeat 1``: run it in parts (``--reuse`` keeps earlier results, e.g. ``--engines spark
--repeat 1 --reuse``), then ``--report-only`` prints the tables of everything measured.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ro_core.engines.layout import (  # noqa: E402
    COLUMN_TYPES,
    LAYOUT_VERSION,
    NO_MONTH,
    WAREHOUSE_TABLES,
    Manifest,
)
from ro_core.store import schema  # noqa: E402

FIRST_DAY = dt.date(2025, 1, 1)
DAYS = 365
EVENTS_PER_SESSION = 5
EVENTS_PER_ORDER = 100  # orders = events / 100 (a 4% purchase rate over 5-event sessions)
UTC_OFFSET_MINUTES = -300  # orders: the store's offset as exported
LAST_DAY = FIRST_DAY + dt.timedelta(days=DAYS - 1)
MID_DAY = FIRST_DAY + dt.timedelta(days=DAYS // 2)

# The suite: each command with its arguments; {start}/{end} come from the range.
COMMANDS: dict[str, list[str]] = {
    "kpis": ["kpis"],
    "trend": ["trend", "--metric", "revenue"],
    "funnel --events": ["funnel", "--events"],
    "segments --by device": ["segments", "--by", "device"],
    "decompose": ["decompose"],
    "opportunities": ["opportunities"],
}
# Ranges: (start, end). decompose compares with the period before; over the year it compares
# the second half with the first, so it reads the whole year of data too.
RANGES: dict[str, tuple[dt.date, dt.date]] = {
    "year": (FIRST_DAY, LAST_DAY),
    "30 days": (LAST_DAY - dt.timedelta(days=29), LAST_DAY),
}
DECOMPOSE_RANGE = {"year": (MID_DAY, LAST_DAY)}
ENGINES = ("duckdb", "clickhouse", "spark")


# --- sizes -----------------------------------------------------------------------------------
def parse_size(text: str) -> int:
    """'10M' -> 10_000_000, '500k' -> 500_000, '2000000' -> 2_000_000."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    return int(float(number) * factor)


def size_label(events: int) -> str:
    """10_000_000 -> '10M'."""
    if events >= 1_000_000:
        return f"{events / 1_000_000:g}M"
    return f"{events / 1_000:g}k"


# --- the warehouse, written by SQL in the documented layout ------------------------------------
def _select(table: str, expressions: str) -> str:
    """The canonical columns of `table`, in order, each cast to its type: from 'name: SQL' lines
    (a bare name: the column of that name), NULL for a column not given."""
    given = dict((line.strip().split(": ", 1) * 2)[:2] for line in expressions.strip().splitlines())
    columns, _ = WAREHOUSE_TABLES[table]
    types = COLUMN_TYPES[table]
    return ", ".join(f"CAST({given.get(c, 'NULL')} AS {types[c]}) AS {c}" for c in columns)


def _events_sql(events: int) -> str:
    """Sessions of 5 events 40 s apart: view, view, cart (30%), checkout (12%), purchase (4%)."""
    n, sessions = EVENTS_PER_SESSION, math.ceil(events / EVENTS_PER_SESSION)
    columns = f"""
        import_id: 3
        event_time: ts
        local_date: CAST(ts AS DATE)
        session_id: md5(CAST(s AS VARCHAR))
        user_id: CAST(500000000 + s // 3 AS VARCHAR)
        event_type
        event_name: CASE event_type WHEN 'view' THEN 'view_item' WHEN 'cart' THEN 'add_to_cart' WHEN 'checkout' THEN 'begin_checkout' ELSE event_type END
        product_id: CAST(1000000 + (s * 13 + e % {n} * 7) % 20000 AS VARCHAR)
        price: 5 + (s * 7) % 300
        revenue: CASE WHEN event_type = 'purchase' THEN 5 + (s * 7) % 300 END
        order_id: CASE WHEN event_type = 'purchase' THEN CAST(8000000000 + s AS VARCHAR) END
        channel: (['direct', 'search', 'social', 'email', 'paid'])[1 + s % 5]
        device: (['Desktop', 'Mobile', 'Mobile', 'Tablet'])[1 + (s // 5) % 4]
        country: (['US', 'US', 'US', 'CA', 'GB', 'DE', 'AU'])[1 + s % 7]"""
    return f"""
        WITH base AS (
            SELECT e, e // {n} AS s, ((e // {n}) * 2654435761 % 4294967296) % 100 AS h,
                TIMESTAMPTZ '{FIRST_DAY} 00:00:00+00' + to_seconds(
                    CAST((e // {n}) * ({DAYS} * 86400.0 - 600) / {sessions} AS BIGINT)
                    + (e % {n}) * 40) AS ts
            FROM range({events}) t(e)
        ), typed AS (
            SELECT *, CASE e % {n}
                WHEN 2 THEN CASE WHEN h < 30 THEN 'cart' ELSE 'view' END
                WHEN 3 THEN CASE WHEN h < 12 THEN 'checkout' WHEN h < 15 THEN 'remove_from_cart'
                                 ELSE 'view' END
                WHEN 4 THEN CASE WHEN h < 4 THEN 'purchase' ELSE 'view' END
                ELSE 'view' END AS event_type
            FROM base)
        SELECT {_select(schema.EVENTS, columns)}, strftime(CAST(ts AS DATE), '%Y-%m') AS month
        FROM typed"""


def _orders_sql(orders: int, table: str) -> str:
    """Orders of 1-3 lines placed evenly over the year (refunds, cancellations, POS, app, draft
    orders, discounts), or their lines."""
    lines = """
        import_id: 1
        order_id: CAST(7000000000 + o AS VARCHAR)
        line_number: l + 1
        product: 'Product ' || ((o * 7 + l) % 500)
        sku: 'SKU-' || ((o * 7 + l) % 500)
        vendor: 'Vendor ' || (o % 20)
        quantity: qty
        price: unit_price
        discount: 0"""
    header = f"""
        import_id: 1
        order_id: CAST(7000000000 + o AS VARCHAR)
        order_name: '#' || (1001 + o)
        created_at: created
        utc_offset_minutes: {UTC_OFFSET_MINUTES}
        local_date: day
        currency: 'USD'
        subtotal: sub
        discounts: disc
        shipping: ship
        tax
        total: gross
        refunded: CASE WHEN o % 40 = 0 THEN gross WHEN o % 23 = 0 THEN 5 ELSE 0 END
        financial_status: CASE WHEN o % 97 = 0 THEN 'voided' WHEN o % 40 = 0 THEN 'refunded' WHEN o % 23 = 0 THEN 'partially_refunded' WHEN o % 61 = 0 THEN 'pending' ELSE 'paid' END
        fulfillment_status: 'fulfilled'
        cancelled: o % 97 = 0
        source: CASE WHEN o % 11 = 0 THEN 'pos' WHEN o % 13 = 0 THEN '580111' WHEN o % 50 = 0 THEN 'shopify_draft_order' ELSE 'web' END
        channel: CASE WHEN o % 11 = 0 THEN 'pos' WHEN o % 13 = 0 THEN 'app' WHEN o % 50 = 0 THEN 'draft' ELSE 'web' END
        customer_key: left(md5('c' || (o % {max(orders // 3, 1)})), 20)
        country: (['US', 'US', 'US', 'CA', 'GB', 'DE', 'AU'])[1 + o % 7]
        is_test: false
        discount_code: CASE WHEN o % 10 = 0 THEN 'WELCOME10' END
        item_quantity: items
        line_count: n"""
    ctes = f"""WITH lines AS (
            SELECT o, l, 1 + (o + l) % 2 AS qty, 10 + (o * 7 + l) % 90 AS unit_price
            FROM range({orders}) t(o), range(3) u(l) WHERE l < 1 + o % 3
        ), placed AS (
            SELECT o, TIMESTAMPTZ '{FIRST_DAY} 05:00:00+00' + to_seconds(
                CAST(o * ({DAYS} * 86400.0 - 60) / {orders} AS BIGINT)) AS created
            FROM range({orders}) t(o)
        ), local AS (
            SELECT o, created, CAST(created + INTERVAL ({UTC_OFFSET_MINUTES}) MINUTE AS DATE) AS day
            FROM placed
        )"""
    if table == schema.ORDER_LINES:
        return f"""{ctes}
        SELECT {_select(table, lines)}, strftime(day, '%Y-%m') AS month
        FROM lines JOIN local USING (o)"""
    return f"""{ctes}, sums AS (
            SELECT o, sum(qty * unit_price) AS sub, sum(qty) AS items, count(*) AS n
            FROM lines GROUP BY o
        ), money AS (
            SELECT s.*, created, day,
                CASE WHEN o % 10 = 0 THEN round(sub * 0.1, 2) ELSE 0 END AS disc,
                CASE WHEN sub >= 75 THEN 0 ELSE 5.95 END AS ship
            FROM sums s JOIN local USING (o)
        ), taxed AS (SELECT *, round((sub - disc) * 0.08, 2) AS tax FROM money),
        totals AS (SELECT *, sub - disc + ship + tax AS gross FROM taxed)
        SELECT {_select(table, header)}, strftime(day, '%Y-%m') AS month
        FROM totals"""


def _traffic_sql(events: int, landing_pages: int) -> str:
    """Daily Shopify-style rows: the store, by device, by channel and referrer, by landing page."""
    daily = events / EVENTS_PER_SESSION / DAYS
    converted = events / EVENTS_PER_ORDER * 0.85 / DAYS / daily  # web orders per session
    harmonic = sum(1 / (k + 1) for k in range(landing_pages))
    segments = [("''", "NULL", "NULL", "NULL", "1.0")]
    segments += [
        ("'device'", "NULL", "NULL", f"'{d}'", str(share))
        for d, share in (("Desktop", 0.40), ("Mobile", 0.52), ("Tablet", 0.08))
    ]
    segments += [("'channel,referrer'", f"'{c}'", f"'{r}'", "NULL", str(share)) for c, r, share in (
        ("direct", "(not set)", 0.30), ("search", "google", 0.25), ("search", "bing", 0.04),
        ("search", "duckduckgo", 0.02), ("social", "facebook", 0.12), ("social", "instagram", 0.09),
        ("social", "pinterest", 0.03), ("social", "tiktok", 0.03), ("email", "gmail", 0.05),
        ("paid", "google", 0.06), ("unknown", "(not set)", 0.01))]  # fmt: skip
    values = ",\n".join(f"({', '.join(row)}, NULL)" for row in segments)
    rate = {"cart": 0.30, "checkout": 0.12, "converted": converted}
    columns = """
        import_id: 2
        traffic_source: 'shopify'
        grain: 'day'
        period_start: day
        period_end: day
        dimensions: dims
        channel
        referrer
        device
        landing_page
        sessions
        visitors
        cart_sessions: cart
        checkout_sessions: checkout
        converted_sessions: converted"""
    return f"""
        WITH segs(dims, channel, referrer, device, share, landing_page) AS (
            VALUES {values}
            UNION ALL
            SELECT 'landing_page', NULL, NULL, NULL, 1.0 / (k + 1) / {harmonic},
                CASE WHEN k = 0 THEN '/' ELSE '/products/item-' || k END
            FROM range({landing_pages}) p(k)
        ), days AS (
            SELECT DATE '{FIRST_DAY}' + CAST(d AS INTEGER) AS day,
                1 + 0.15 * ((d % 7) - 3) / 3.0 AS wk
            FROM range({DAYS}) t(d)
        ), rows AS (
            SELECT d.day, d.wk, s.*, {daily} AS daily,
                CASE WHEN s.device = 'Desktop' THEN 1.3 WHEN s.device = 'Tablet' THEN 0.8
                     WHEN s.device = 'Mobile' THEN 0.85 ELSE 1.0 END AS q
            FROM days d, segs s
        ), measured AS (
            SELECT *, round(daily * share * wk) AS sessions,
                CASE WHEN dims <> 'landing_page' THEN round(daily * share * wk * 0.8) END AS visitors,
                {", ".join(f"round(daily * share * wk * {r} * q) AS {m}" for m, r in rate.items())}
            FROM rows)
        SELECT {_select(schema.TRAFFIC, columns)}, strftime(day, '%Y-%m') AS month
        FROM measured"""


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _copy_partitioned(con: duckdb.DuckDBPyConnection, sql: str, target: Path) -> dict[str, Any]:
    """COPY a query with a month column to target/month=.../part-N.parquet; rows and months."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW staged AS {sql}")
    con.execute(
        f"COPY (SELECT * FROM staged) TO {_quoted(target)} "
        "(FORMAT parquet, PARTITION_BY (month), FILENAME_PATTERN 'part-{i}')"
    )
    rows, months = con.execute(
        f"SELECT count(*), list(DISTINCT month ORDER BY month) "
        f"FROM read_parquet({_quoted(target / '*' / '*.parquet')}, hive_partitioning = true)"
    ).fetchone()
    return {"rows": int(rows), "months": list(months)}


def _write_empty(con: duckdb.DuckDBPyConnection, table: str, target: Path) -> dict[str, Any]:
    """A table without rows: one file in month=none that carries its columns."""
    (target / f"month={NO_MONTH}").mkdir(parents=True)
    con.execute(
        f"COPY (SELECT {_select(table, '')} LIMIT 0) TO "
        f"{_quoted(target / f'month={NO_MONTH}' / 'part-0.parquet')} (FORMAT parquet)"
    )
    return {"rows": 0, "months": []}


def _write_imports(con: duckdb.DuckDBPyConnection, target: Path, tables: dict) -> dict[str, Any]:
    """The import list: one entry per source this pipeline stands for (the schema's table)."""
    from ro_core.store.db import migrate

    migrate(con)
    first, last = FIRST_DAY.isoformat(), LAST_DAY.isoformat()
    sources = [
        (1, "orders_pipeline.parquet", "shopify_orders", "orders,order_lines", schema.ORDERS),
        (2, "traffic_pipeline.parquet", "shopify_analytics", "traffic", schema.TRAFFIC),
        (3, "events_pipeline.parquet", "rees46_events", "events", schema.EVENTS),
    ]
    for import_id, name, fmt, kinds, table in sources:
        rows = tables[table]["rows"]
        con.execute(
            f"""INSERT INTO {schema.IMPORTS} (import_id, file_name, file_sha256, file_size, format,
                kinds, rows_read, rows_loaded, rows_skipped, first_date, last_date, is_demo,
                report_json) VALUES (?, ?, ?, 0, ?, ?, ?, ?, 0, ?, ?, false, '{{}}')""",
            [import_id, name, f"generated-{import_id}", fmt, kinds, rows, rows, first, last],
        )
    target.mkdir(parents=True)
    con.execute(
        f"COPY (SELECT * FROM {schema.IMPORTS}) TO "
        f"{_quoted(target / f'{schema.IMPORTS}.parquet')} (FORMAT parquet)"
    )
    return {"rows": len(sources), "months": []}


def generate_warehouse(data: Path, events: int) -> Path:
    """The warehouse of a store with `events` events in a year (written once, then reused)."""
    folder = data / f"events_{size_label(events)}"
    manifest_path = folder / "manifest.json"
    if manifest_path.exists():
        rows = json.loads(manifest_path.read_text())["tables"][schema.EVENTS]["rows"]
        if rows == events:
            return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    orders = max(events // EVENTS_PER_ORDER, 1)
    landing_pages = max(20, events // 100_000)
    started = time.perf_counter()
    con = duckdb.connect(config={"preserve_insertion_order": False})
    con.execute("SET TimeZone = 'UTC'")
    tables: dict[str, dict[str, Any]] = {}
    queries = {
        schema.ORDERS: _orders_sql(orders, schema.ORDERS),
        schema.ORDER_LINES: _orders_sql(orders, schema.ORDER_LINES),
        schema.TRAFFIC: _traffic_sql(events, landing_pages),
        schema.EVENTS: _events_sql(events),
    }
    for table in WAREHOUSE_TABLES:
        if table in queries:
            tables[table] = _copy_partitioned(con, queries[table], folder / table)
        elif table != schema.IMPORTS:
            tables[table] = _write_empty(con, table, folder / table)
    tables[schema.IMPORTS] = _write_imports(con, folder / schema.IMPORTS, tables)
    con.close()
    manifest = Manifest(
        layout_version=LAYOUT_VERSION,
        schema_version=schema.SCHEMA_VERSION,
        data_version=1,
        exported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        store=None,
        tables={table: tables[table] for table in WAREHOUSE_TABLES},
    )
    manifest_path.write_text(json.dumps(manifest.to_dict(), indent=2) + "\n", encoding="utf-8")
    size = warehouse_bytes(folder)
    print(
        f"  wrote {folder}: {events:,} events, {tables[schema.ORDERS]['rows']:,} orders, "
        f"{tables[schema.ORDER_LINES]['rows']:,} lines, {tables[schema.TRAFFIC]['rows']:,} traffic "
        f"rows, {size / 2**20:,.0f} MiB in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return folder


def warehouse_bytes(folder: Path) -> int:
    """Bytes of Parquet in a warehouse."""
    return sum(f.stat().st_size for f in folder.rglob("*.parquet"))


# --- timing (in a child process per engine and size) ------------------------------------------
def command_argv(name: str, range_name: str) -> list[str]:
    """`ro` arguments of one command over one range."""
    start, end = RANGES[range_name]
    if name == "decompose":
        start, end = DECOMPOSE_RANGE.get(range_name, (start, end))
    return [*COMMANDS[name], "--start", start.isoformat(), "--end", end.isoformat()]


def time_engine(engine: str, warehouse: Path, local_db: Path, repeat: int) -> dict[str, Any]:
    """Start-up time, then every command over every range: first run and the median of `repeat`."""
    from ro_core.cli.main import main
    from ro_core.engines.base import engine_choice, open_store_engine

    started = time.perf_counter()
    opened = open_store_engine(engine_choice(engine, str(warehouse)))
    startup = time.perf_counter() - started
    results: dict[str, Any] = {
        "startup_s": startup,
        "repeat": repeat,
        "load_before": os.getloadavg()[0],
        "commands": {},
    }
    base = ["--json", "--db", str(local_db), "--engine", engine, "--warehouse", str(warehouse)]
    # every command gets the one engine, kept open when the command ends (a warm engine)
    warm = mock.patch("ro_core.cli.main.open_store_engine", lambda choice: opened)
    try:
        with warm, mock.patch.object(opened, "close", lambda: None):
            for range_name in RANGES:
                for name in COMMANDS:
                    argv = base + command_argv(name, range_name)
                    runs, output, code = [], "", 0
                    for _ in range(repeat + 1):
                        buffer = io.StringIO()
                        started = time.perf_counter()
                        with contextlib.redirect_stdout(buffer):
                            code = main(argv)
                        runs.append(time.perf_counter() - started)
                        output = buffer.getvalue()
                        if code != 0:
                            break
                    key = f"{name} | {range_name}"
                    results["commands"][key] = {
                        "argv": ["ro", *argv],
                        "code": code,
                        "first_s": runs[0],
                        "median_s": statistics.median(runs[1:]) if code == 0 else None,
                        "output": json.loads(output) if output.strip() else None,
                    }
                    shown = f"{statistics.median(runs[1:]):7.2f} s" if code == 0 else "FAILED"
                    print(f"    {engine:<10} {key:<32} {shown}", file=sys.stderr, flush=True)
    finally:
        opened.close()
    results["load_after"] = os.getloadavg()[0]
    return results


def run_child(
    engine: str, warehouse: Path, repeat: int, data: Path, *, reuse: bool = False
) -> dict[str, Any]:
    """Time one engine on one warehouse in a fresh process (its start-up is a cold start).

    With `reuse`, the result of an earlier run on the same warehouse is read back instead
    (so a long run can be done in parts and reported together)."""
    out = data / f"result_{engine}_{warehouse.name}.json"
    if reuse and out.exists():
        return json.loads(out.read_text())
    local_db = data / f"local_{engine}_{warehouse.name}.duckdb"
    for stale in (out, local_db, local_db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--child", engine, "--warehouse", str(warehouse),
               "--repeat", str(repeat), "--data", str(data), "--child-out", str(out)]  # fmt: skip
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if finished.returncode != 0 or not out.exists():
        return {"error": f"exit {finished.returncode}", "wall_s": wall}
    result = json.loads(out.read_text())
    result["wall_s"] = wall
    out.write_text(json.dumps(result, default=str))
    return result


# --- report ----------------------------------------------------------------------------------
def compare_outputs(results: dict, labels: list[str], engines: list[str]) -> list[str]:
    """Commands whose JSON on an engine differs from the duckdb engine's (or failed)."""
    from tests.engines.compare import differences

    problems = []
    for label in labels:
        reference = results[label].get("duckdb", {}).get("commands", {})
        for engine in engines:
            found = results[label].get(engine, {})
            if "error" in found:
                problems.append(f"{label} {engine}: the run failed ({found['error']})")
                continue
            for key, entry in found.get("commands", {}).items():
                if entry["code"] != 0:
                    problems.append(
                        f"{label} {engine} `{' '.join(entry['argv'])}`: {entry['output']}"
                    )
                elif engine != "duckdb" and key in reference:
                    diff = differences(reference[key]["output"], entry["output"])
                    if diff:
                        problems.append(f"{label} {engine} {key}: " + "; ".join(diff[:3]))
    return problems


def _median(results: dict, label: str, engine: str, key: str) -> float | None:
    entry = results[label].get(engine, {}).get("commands", {}).get(key)
    return entry["median_s"] if entry else None


def _suite(results: dict, label: str, engine: str, range_name: str) -> float | None:
    values = [_median(results, label, engine, f"{name} | {range_name}") for name in COMMANDS]
    return None if any(v is None for v in values) else sum(values)


def _growth(values: list[float | None]) -> str:
    """'2.1x, 1.9x': each size's time over the previous size's."""
    pairs = zip(values, values[1:], strict=False)
    return ", ".join(f"{b / a:.1f}x" if a and b is not None else "-" for a, b in pairs)


def report(results: dict, labels: list[str], engines: list[str], sizes: dict) -> str:
    """Markdown: seconds per command, engine and size with the growth between sizes; start-up;
    the estimate at a billion events."""
    steps = ", ".join(
        f"{b}/{a} = {sizes[b] / sizes[a]:.1f}x" for a, b in zip(labels, labels[1:], strict=False)
    )
    head = " | ".join(" | ".join(f"{e} {lb}" for lb in labels) + " | growth" for e in engines)
    lines = [
        "Seconds per command (first run discarded, median of the next; growth: each size over "
        f"the one before, events {steps or 'one size'}):",
        "",
        f"| command | range | {head} |",
        "|---|---|" + "---:|" * (len(engines) * (len(labels) + 1)),
    ]
    rows = [(f"{n} | {r}", n, r, None) for r in RANGES for n in COMMANDS]
    rows += [("", "**all six**", r, r) for r in RANGES]
    for key, name, range_name, suite in rows:
        cells = []
        for engine in engines:
            values = [
                _suite(results, lb, engine, suite) if suite else _median(results, lb, engine, key)
                for lb in labels
            ]
            cells += ["" if v is None else f"{v:.2f}" for v in values] + [_growth(values)]
        lines.append(f"| {name} | {range_name} | {' | '.join(cells)} |")
    lines += [
        "",
        "Engine start-up, s (a fresh process: imports, the JVM for Spark, the views):",
        "",
    ]
    lines += ["| engine | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for engine in engines:
        found = [results[lb].get(engine, {}) for lb in labels]
        cells = [f"{f['startup_s']:.2f}" if "startup_s" in f else "" for f in found]
        lines.append(f"| {engine} | {' | '.join(cells)} |")
    lines += ["", "Runs (timed runs after the first; load average before and after):"]
    for engine in engines:
        for label in labels:
            f = results[label].get(engine, {})
            if "repeat" in f:
                load = [f"{f[k]:.1f}" if k in f else "?" for k in ("load_before", "load_after")]
                lines.append(
                    f"- {engine} {label}: {f['repeat']} timed, load {load[0]} -> {load[1]}, "
                    f"{f.get('wall_s', 0):.0f} s in all"
                )
    return "\n".join([*lines, "", extrapolate(results, labels, engines, sizes)])


def extrapolate(results: dict, labels: list[str], engines: list[str], sizes: dict) -> str:
    """The six commands at a billion events on this machine, from the least-squares line through
    the sizes measured (seconds = fixed + cost per event x events): an estimate, which assumes
    the work stays in memory (past it, engines spill to disk and grow faster than the line)."""
    lines = ["Estimate at 1,000M events on this machine (least-squares line through the sizes "
             "measured: seconds = fixed + per-event cost x events):"]  # fmt: skip
    for engine in engines:
        parts = []
        for range_name in RANGES:
            measured = [(sizes[lb], _suite(results, lb, engine, range_name)) for lb in labels]
            measured = [(n, t) for n, t in measured if t is not None]
            if len(measured) < 2:
                continue
            mean_n = statistics.fmean(n for n, _ in measured)
            mean_t = statistics.fmean(t for _, t in measured)
            per_event = sum((n - mean_n) * (t - mean_t) for n, t in measured) / sum(
                (n - mean_n) ** 2 for n, _ in measured
            )
            fixed = mean_t - per_event * mean_n
            parts.append(
                f"{range_name}: {fixed + per_event * 1e9:,.0f} s ({per_event * 1e6:.2f} s per "
                f"million events, fixed {fixed:.0f} s)"
            )
        lines.append(f"- {engine}: " + ("; ".join(parts) or "fewer than two sizes"))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", default=["10M", "25M", "50M"], help="events")
    parser.add_argument(
        "--engines", nargs="+", default=list(ENGINES), choices=ENGINES
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the first")
    parser.add_argument("--data", type=Path, default=Path("/tmp/ro_engines_scale"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/ro_engines_scale/results.json"))
    parser.add_argument(
        "--reuse", action="store_true", help="read back the results of earlier runs (same --data)"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="print the tables of earlier runs, run nothing"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        local_db = args.data / f"local_{args.child}_{args.warehouse.name}.duckdb"
        result = time_engine(args.child, args.warehouse, local_db, args.repeat)
        args.child_out.write_text(json.dumps(result, default=str))
        return
    engines = sorted(set(args.engines), key=ENGINES.index)  # duckdb first: the reference
    sizes = {size_label(parse_size(s)): parse_size(s) for s in args.sizes}
    labels = sorted(sizes, key=sizes.get)
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}"
    )
    print(f"machine: {machine}", flush=True)
    args.data.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    disk: dict[str, int] = {}
    for label in labels:
        if args.report_only:
            folder = args.data / f"events_{label}"
            found = {e: args.data / f"result_{e}_{folder.name}.json" for e in engines}
            results[label] = {e: json.loads(p.read_text()) for e, p in found.items() if p.exists()}
            disk[label] = warehouse_bytes(folder)
            continue
        print(f"size {label}: {sizes[label]:,} events", flush=True)
        folder = generate_warehouse(args.data, sizes[label])
        disk[label] = warehouse_bytes(folder)
        results[label] = {}
        for engine in engines:
            results[label][engine] = run_child(
                engine, folder, args.repeat, args.data, reuse=args.reuse
            )
            print(f"  {engine}: {results[label][engine]['wall_s']:.0f} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"machine": machine, "sizes": sizes, "disk_bytes": disk, "results": results},
            default=str,
        )
    )
    print()
    print(f"Machine: {machine}")
    print("Warehouse Parquet: " + ", ".join(f"{lb} {disk[lb] / 2**20:,.0f} MiB" for lb in labels))
    print()
    print(report(results, labels, engines, sizes))
    problems = compare_outputs(results, labels, engines)
    print()
    print("Every command printed the same JSON on every engine." if not problems else "Problems:")
    for problem in problems:
        print(f"  {problem}")


if __name__ == "__main__":
    main()
