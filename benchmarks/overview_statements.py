"""Statements and time of the period overview (`build_overview`) for a new period (issue 15).

Opens a store's DuckDB file read-only and builds the Overview for one period after another, each
against its previous period: first on a fresh Database (nothing read yet for the data version),
then for periods not built before (what a visitor picking another month costs). Counts the
statements through the Database methods every query goes through and prints the load average
before and after, since other jobs on the machine slow every figure.

    python benchmarks/overview_statements.py --db /tmp/ro_query_ranges/orders1000000_events5000000/store.duckdb

With --code DIR the ro_core package is imported from DIR instead (a checkout of an older commit,
e.g. `git archive COMMIT | tar -x -C DIR`), to time the code before a change on the same store.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

DEFAULT_DB = Path("/tmp/ro_query_ranges/orders1000000_events5000000/store.duckdb")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def month_ranges(last: date, count: int) -> list[tuple[date, date]]:
    """The `count` whole months before the month of `last`, latest first."""
    out = []
    end = last.replace(day=1) - timedelta(days=1)
    for _ in range(count):
        start = end.replace(day=1)
        out.append((start, end))
        end = start - timedelta(days=1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--periods", type=int, default=6, help="new periods timed (months)")
    parser.add_argument("--code", type=Path, help="import ro_core from this folder")
    args = parser.parse_args(argv)
    root = args.code or Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from ro_core.cli.main import build_parser
    from ro_core.cli.metrics import scope_from_args
    from ro_core.overview import build_overview
    from ro_core.store.db import Database

    statements = [0]
    for name in ("fetch_df", "fetch_all", "fetch_one"):  # fetch_value calls fetch_one
        original = getattr(Database, name)

        def counted(self, sql, params=None, _original=original):
            statements[0] += 1
            return _original(self, sql, params)

        setattr(Database, name, counted)

    def scope(db: Database, *options: str):
        return scope_from_args(build_parser().parse_args(["overview", *options]), db)

    def timed(db: Database, the_scope) -> tuple[int, float]:
        statements[0] = 0
        started = time.perf_counter()
        build_overview(db, the_scope)
        return statements[0], time.perf_counter() - started

    print(f"code: {root}\nstore: {args.db}\nload average before: {load_average()}")
    db = Database(args.db, read_only=True)
    first = scope(db)  # the sidebar's default: the last 30 days against the 30 before
    db.close()
    db = Database(args.db, read_only=True)  # a fresh Database: nothing read for this version
    n, seconds = timed(db, first)
    print(f"first overview ({first.period.label()}): {n} statements, {seconds:.3f} s")
    rows = []
    for start, end in month_ranges(first.period.end, args.periods):
        n, seconds = timed(db, scope(db, "--start", str(start), "--end", str(end)))
        rows.append((f"{start:%Y-%m}", n, seconds))
        print(f"new period {start:%Y-%m} vs the month before: {n} statements, {seconds:.3f} s")
    n, seconds = timed(db, first)
    print(f"the first period again: {n} statements, {seconds:.3f} s")
    times = [s for _m, _n, s in rows]
    print(
        f"new period: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s, max {max(times):.3f} s, "
        f"statements {sorted({n for _m, n, _s in rows})}"
    )
    print(f"load average after: {load_average()}")
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
