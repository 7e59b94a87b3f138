"""What an event log's ids cost an import: the one pass's insert with the ids as text (what the
store keeps), read as BIGINT (DuckDB's own typed read does this; not exact: '007' becomes 7),
and read as text with each id checked by a round trip so that only exact integers would be
stored as integers; beside DuckDB's own CREATE TABLE AS read_csv.

    python benchmarks/event_id_types.py [--events 5000000] [--repeat 3] [--threads 1]

Each variant runs in its own process and a fresh database file, alternately; prints each run's
wall and CPU seconds (user + system) and the medians. One DuckDB thread by default: CPU seconds
move less than wall time on a shared machine. The insert is written out here in the shape of
ro_core.ingest.formats.events_rees46.one_pass (the same columns, types and checks).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_TABLE = """CREATE TABLE events (import_id INTEGER NOT NULL, event_time TIMESTAMPTZ NOT NULL,
    local_date DATE NOT NULL, session_id VARCHAR, user_id {id_type}, event_type VARCHAR NOT NULL,
    event_name VARCHAR, product_id {id_type}, price DECIMAL(18,2), revenue DECIMAL(18,2),
    order_id VARCHAR, channel VARCHAR, device VARCHAR, country VARCHAR)"""
_READ = """WITH file_rows AS (SELECT * FROM read_csv('{path}', header = true, delim = ',',
    quote = '"', escape = '"', auto_detect = false, strict_mode = true, null_padding = false,
    timestampformat = '%Y-%m-%d %H:%M:%S UTC', columns = {{'c0': 'TIMESTAMP',
    'c1': 'VARCHAR', 'c2': '{ids}', 'c3': 'VARCHAR', 'c4': 'VARCHAR', 'c5': 'VARCHAR',
    'c6': 'DECIMAL(18,2)', 'c7': '{ids}', 'c8': 'VARCHAR'}}))"""
_SELECT = """SELECT 1, make_timestamptz(epoch_us(c0)), CAST(c0 AS DATE), c8, {user},
    CASE lower(c1) WHEN 'view' THEN 'view' WHEN 'cart' THEN 'cart'
        WHEN 'remove_from_cart' THEN 'remove_from_cart' WHEN 'purchase' THEN 'purchase'
        ELSE 'other' END, c1, {product}, c6, CASE WHEN lower(c1) = 'purchase' THEN c6 END,
    NULL, NULL, NULL, NULL
    FROM file_rows WHERE CASE WHEN {bad} THEN error('a row the text path handles')
        ELSE true END"""
_BLANK = "c8 IS NULL OR c8 = '' OR c1 IS NULL OR c1 = ''"


def _round_trip_bad(column: str) -> str:
    return f"CAST(TRY_CAST({column} AS BIGINT) AS VARCHAR) IS DISTINCT FROM {column}"


def statements(path: Path) -> dict[str, list[str]]:
    """Each variant's statements."""

    def insert(id_type: str, ids: str, user: str, product: str, bad: str) -> list[str]:
        return [
            _TABLE.format(id_type=id_type),
            "INSERT INTO events "
            + _READ.format(path=path, ids=ids)
            + _SELECT.format(user=user, product=product, bad=bad),
        ]

    return {
        "DuckDB read_csv (typed)": [f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')"],
        "insert, ids as text": insert(
            "VARCHAR", "VARCHAR", "nullif(c7, '')", "nullif(c2, '')", _BLANK
        ),
        "insert, ids read as BIGINT": insert("BIGINT", "BIGINT", "c7", "c2", _BLANK),
        "insert, ids checked, BIGINT": insert(
            "BIGINT",
            "VARCHAR",
            "TRY_CAST(c7 AS BIGINT)",
            "TRY_CAST(c2 AS BIGINT)",
            f"{_round_trip_bad('c2')} OR {_round_trip_bad('c7')} OR {_BLANK}",
        ),
    }


def run_variant(sql: list[str], threads: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the statements in a new process and a fresh database."""
    with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
        code = (
            "import duckdb, sys\n"
            f"con = duckdb.connect(sys.argv[1], config={{'threads': {threads}}})\n"
            "con.execute('SET enable_progress_bar = false')\n"
            f"for statement in {sql!r}:\n    con.execute(statement)\n"
            "con.close()\n"
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(Path(tmp) / "x.duckdb")], check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data" / "speed")
    args = parser.parse_args()
    path = args.data / f"events_{args.events}.csv"
    if not path.exists():
        sys.exit(f"{path} is missing: run benchmarks/import_speed.py --events {args.events} first")
    variants = statements(path)
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    wall: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeat):
        for name, sql in variants.items():
            w, c = run_variant(sql, args.threads)
            wall[name].append(w)
            cpu[name].append(c)
            print(f"{name:<30} {w:6.2f} s wall {c:6.2f} s CPU", flush=True)
    print(f"medians, {args.events:,} events, {args.threads} DuckDB thread(s):")
    for name in variants:
        print(
            f"  {name:<30} {statistics.median(wall[name]):6.2f} s wall "
            f"{statistics.median(cpu[name]):6.2f} s CPU"
        )


if __name__ == "__main__":
    main()
