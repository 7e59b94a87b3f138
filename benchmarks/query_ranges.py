"""Page query latency over 30 days, 90 days and a full year, at store scale.

For each store (orders and events, one year of data from benchmarks/generate_store.py's
writers), imports the files once into a database kept beside them, then times every query of
benchmarks/page_queries.py over the last 30, 90 and 365 days: cold (first call after opening
the database) and warm (median of the next runs). Prints one table per store and how the
slowest query grows with the range and with the store.

    python benchmarks/query_ranges.py --stores 1000000:5000000 2500000:5000000

Stores and databases go under --data (default /tmp/ro_query_ranges, outside the repository);
a store already there is reused. Results are also written to --out as JSON. --only times the
queries whose page and name hold a text (e.g. --only "product table"); --keep-open keeps one
database open across the ranges, so a range's cold call finds what earlier ranges read (the
product table's months, the per-version sums), as a page does when its preset changes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate_store import (  # noqa: E402
    LINES_PER_ORDER,
    write_events,
    write_shopify_orders,
    write_shopify_traffic,
)
from benchmarks.page_queries import latest_day, page_queries  # noqa: E402
from ro_core.errors import RoError  # noqa: E402
from ro_core.store.db import Database  # noqa: E402

DAYS_OF_DATA = 365


def parse_store(text: str) -> tuple[int, int]:
    """'1000000:5000000' -> (orders, events)."""
    orders, _, events = text.partition(":")
    return int(orders), int(events or orders)


def build_store(data: Path, orders: int, events: int) -> Path:
    """The database of a store with `orders` orders and `events` events (made once, reused)."""
    folder = data / f"orders{orders}_events{events}"
    db_path = folder / "store.duckdb"
    if db_path.exists():
        return db_path
    folder.mkdir(parents=True, exist_ok=True)
    lines = orders * LINES_PER_ORDER
    con = duckdb.connect()
    files = {
        "orders": folder / "orders_export.csv",
        "sessions": folder / "sessions_over_time.csv",
        "behavior": folder / "customer_behavior.csv",
        "events": folder / "events.csv",
    }
    started = time.perf_counter()
    if not files["orders"].exists():
        write_shopify_orders(con, files["orders"], lines, DAYS_OF_DATA)
    if not files["sessions"].exists():
        write_shopify_traffic(con, folder, lines, DAYS_OF_DATA)
    if not files["events"].exists():
        write_events(con, files["events"], events, DAYS_OF_DATA)
    con.close()
    print(f"  generated {folder} in {time.perf_counter() - started:.0f} s", flush=True)
    from ro_core.ingest.pipeline import ingest_file

    partial = folder / "store.duckdb.partial"
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    db = Database(partial)
    for path in files.values():
        ingest_file(db, path)
    db.close()
    partial.rename(db_path)
    print(f"  imported into {db_path} in {time.perf_counter() - started:.0f} s", flush=True)
    return db_path


def time_queries(
    db_path: Path, days: int, runs: int, only: str | None, kept: Database | None = None
) -> list[dict]:
    """Cold and warm latency of every page query over the last `days` days. Cold is the first
    call on a database just opened, or with `kept` the first call at this range on a database
    that earlier ranges used (what switching a period preset costs in the app)."""
    results = []
    db = Database(db_path, read_only=True)
    latest_day(db)  # the period's end, once (not part of any query's time)
    db.close()
    for page, name, query in page_queries(days):
        if only and only.lower() not in f"{page} {name}".lower():
            continue
        db = kept or Database(db_path, read_only=True)
        cold, error = _timed(query, db)
        warm = statistics.median(_timed(query, db)[0] for _ in range(runs))
        if kept is None:
            db.close()
        results.append(
            {
                "page": page,
                "query": name,
                "days": days,
                "cold_ms": round(cold * 1000, 1),
                "warm_ms": round(warm * 1000, 1),
                "error": error,
            }
        )
        print(
            f"    {days:>3} d  {page:<13} {name:<34} cold {cold * 1000:7.1f} ms  "
            f"warm {warm * 1000:7.1f} ms" + (f"  ({error})" if error else ""),
            flush=True,
        )
    return results


def _timed(query, db: Database) -> tuple[float, str | None]:
    """Seconds one call takes, and the message of the error it ends with, if any (a page shows
    that message instead, e.g. a year compared with a year before the data starts)."""
    started = time.perf_counter()
    try:
        query(db)
    except RoError as error:
        return time.perf_counter() - started, type(error).__name__
    return time.perf_counter() - started, None


def store_table(label: str, results: list[dict], days: list[int]) -> str:
    """Markdown: one row per query, warm ms (cold) per range, and year / 30 days."""
    by = {(r["page"], r["query"], r["days"]): r for r in results}
    names = list(dict.fromkeys((r["page"], r["query"]) for r in results))
    head = " | ".join(f"{d} days" for d in days)
    lines = [
        f"Warm ms (cold in brackets), {label}:",
        "",
        f"| page | query | {head} | {days[-1]} / {days[0]} days |",
        "|---|---|" + "---:|" * (len(days) + 1),
    ]
    for page, name in names:
        cells = []
        for d in days:
            r = by.get((page, name, d))
            mark = "*" if r and r.get("error") else ""
            cells.append(f"{r['warm_ms']:.0f} ({r['cold_ms']:.0f}){mark}" if r else "")
        first, last = by.get((page, name, days[0])), by.get((page, name, days[-1]))
        growth = f"{last['warm_ms'] / max(first['warm_ms'], 1e-9):.1f}x" if first and last else ""
        lines.append(f"| {page} | {name} | {' | '.join(cells)} | {growth} |")
    errors = sorted(
        {f"{r['query']} at {r['days']} days: {r['error']}" for r in results if r["error"]}
    )
    if errors:
        lines += ["", "* ended with an error the page shows instead: " + "; ".join(errors)]
    return "\n".join(lines)


def slowest_growth(stores: dict[str, list[dict]], days: list[int]) -> str:
    """The slowest warm query of each store and its latency across ranges and stores."""
    lines = []
    for label, results in stores.items():
        if not results:
            continue
        worst = max(results, key=lambda r: r["warm_ms"])
        series = [
            f"{r['warm_ms']:.0f} ms at {r['days']} d"
            for d in days
            for r in results
            if r["days"] == d and (r["page"], r["query"]) == (worst["page"], worst["query"])
        ]
        lines.append(
            f"Slowest at {label}: {worst['page']} / {worst['query']}, " + ", ".join(series) + "."
        )
    if len(stores) > 1:
        labels = list(stores)
        pairs = {}
        for label in labels:
            for r in stores[label]:
                pairs.setdefault((r["page"], r["query"], r["days"]), {})[label] = r["warm_ms"]
        year = days[-1]
        lines.append(f"Growth with the store, {year} days (warm ms):")
        for (page, name, d), values in pairs.items():
            if d == year and len(values) == len(labels):
                row = " -> ".join(f"{values[lb]:.0f}" for lb in labels)
                ratio = values[labels[-1]] / max(values[labels[0]], 1e-9)
                lines.append(f"  {page} / {name}: {row} ({ratio:.1f}x)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", nargs="+", default=["1000000:5000000"])
    parser.add_argument("--days", type=int, nargs="+", default=[30, 90, 365])
    parser.add_argument("--runs", type=int, default=5, help="warm runs per query (median)")
    parser.add_argument("--only", help="only queries whose 'page name' contains this text")
    parser.add_argument(
        "--keep-open",
        action="store_true",
        help="one database per store for every range (cold = first call at a range after the "
        "earlier ranges, as when a page switches preset), instead of one per query and range",
    )
    parser.add_argument("--data", type=Path, default=Path("/tmp/ro_query_ranges"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/ro_query_ranges/results.json"))
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}, DuckDB {duckdb.__version__}")
    stores: dict[str, list[dict]] = {}
    for text in args.stores:
        orders, events = parse_store(text)
        label = f"{orders:,} orders / {events:,} events"
        print(f"store: {label}", flush=True)
        db_path = build_store(args.data, orders, events)
        results: list[dict] = []
        before = os.getloadavg()[0]
        kept = Database(db_path, read_only=True) if args.keep_open else None
        for days in args.days:
            results += time_queries(db_path, days, args.runs, args.only, kept)
        if kept is not None:
            kept.close()
        # other work on the machine slows every figure: say how busy it was
        label += f" (load average {before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
        label += "; one database kept open across ranges)" if kept is not None else ")"
        stores[label] = results
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "stores": stores}, indent=2))
    print()
    print(f"Machine: {machine}, DuckDB {duckdb.__version__}")
    for label, results in stores.items():
        print()
        print(store_table(label, results, args.days))
    print()
    print(slowest_growth(stores, args.days))


if __name__ == "__main__":
    main()
