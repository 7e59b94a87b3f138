"""Measure import speed and memory, and dashboard query latency, at store scale.

Each import runs in its own process so its peak memory (ru_maxrss) is its own:
- `ro ingest` (our pipeline),
- DuckDB's own `CREATE TABLE ... AS SELECT * FROM read_csv(path)` (the floor),
- `pandas.read_csv` (what a notebook user would do).
Query latencies (cold = first call after opening the database, warm = median of 5 more) run
every query the dashboard pages run.

    python benchmarks/run_benchmarks.py --rows 100000 1000000 5000000

Writes benchmarks/out/results.json and prints a Markdown table (pasted into the README).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate_store import generate  # noqa: E402

IMPORT_SCRIPTS = {
    "ro ingest": (
        "from ro_core.store.db import Database\n"
        "from ro_core.ingest.pipeline import ingest_file\n"
        "import sys\n"
        "db = Database(sys.argv[1])\n"
        "ingest_file(db, sys.argv[2])\n"
        "db.close()\n"
    ),
    "duckdb read_csv": (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[2]])\n"
        "con.close()\n"
    ),
    "pandas read_csv": (
        "import pandas, sys\n"
        "frame = pandas.read_csv(sys.argv[2], dtype=str, keep_default_na=False)\n"
    ),
}


def _vm_hwm_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), in MB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_measured(script: str, *args: str) -> tuple[float, float]:
    """Run a Python snippet in a child process: (seconds, peak RSS in MB).

    The peak is read from the child's own VmHWM while it runs (ru_maxrss from wait4 can carry a
    high-water mark over from an earlier child, which made every 5M figure read the same).
    """
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _vm_hwm_mb(proc.pid) or 0.0)
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed with status {proc.returncode}: {script[:60]}")
    return seconds, peak


def bench_imports(files: dict[str, Path]) -> list[dict]:
    """Import each file three ways into fresh databases."""
    results = []
    for kind in ("shopify_orders", "events"):
        path = files[kind]
        size_mb = path.stat().st_size / 1e6
        for name, script in IMPORT_SCRIPTS.items():
            with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
                seconds, peak = run_measured(script, str(Path(tmp) / "bench.duckdb"), str(path))
            results.append(
                {
                    "file": kind,
                    "file_mb": round(size_mb, 1),
                    "method": name,
                    "seconds": round(seconds, 2),
                    "peak_mb": round(peak, 0),
                }
            )
            print(f"  import {kind:<15} {name:<16} {seconds:7.2f} s  {peak:7.0f} MB peak")
    return results


def bench_queries(files: dict[str, Path]) -> list[dict]:
    """Latency of every query the pages run, on a database holding the whole store."""
    from ro_core.ingest.pipeline import ingest_file
    from ro_core.store.db import Database

    try:
        from benchmarks.page_queries import latest_day, page_queries
    except ImportError as e:  # the metrics layer is not there yet
        print(f"  query benchmarks skipped: {e}")
        return []
    results = []
    with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
        db_path = Path(tmp) / "bench.duckdb"
        db = Database(db_path)
        for path in files.values():
            ingest_file(db, path)
        latest_day(db)  # the period's end, once (not part of any query's time)
        db.close()
        for page, name, query in page_queries():
            db = Database(db_path)
            started = time.perf_counter()
            query(db)
            cold = time.perf_counter() - started
            warm_runs = []
            for _ in range(5):
                started = time.perf_counter()
                query(db)
                warm_runs.append(time.perf_counter() - started)
            db.close()
            warm = statistics.median(warm_runs)
            results.append(
                {
                    "page": page,
                    "query": name,
                    "cold_ms": round(cold * 1000, 1),
                    "warm_ms": round(warm * 1000, 1),
                }
            )
            print(
                f"  query {page:<10} {name:<28} cold {cold * 1000:7.1f} ms  warm {warm * 1000:7.1f} ms"
            )
    return results


def markdown(all_results: dict) -> str:
    """The README table."""
    lines = [
        f"Machine: {all_results['machine']}",
        "",
        "| rows | file | MB | ro ingest s | duckdb read_csv s | ratio | pandas s | ro peak MB | peak / file |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows, result in all_results["stores"].items():
        by = {(r["file"], r["method"]): r for r in result["imports"]}
        for kind in ("shopify_orders", "events"):
            ro, floor, pandas = (by[(kind, m)] for m in IMPORT_SCRIPTS)
            lines.append(
                f"| {int(rows):,} | {kind} | {ro['file_mb']} | {ro['seconds']} | {floor['seconds']} "
                f"| {ro['seconds'] / max(floor['seconds'], 1e-9):.2f}x | {pandas['seconds']} "
                f"| {ro['peak_mb']:.0f} | {ro['peak_mb'] / max(ro['file_mb'], 1e-9):.2f}x |"
            )
    queries = [(rows, q) for rows, r in all_results["stores"].items() for q in r["queries"]]
    if queries:
        lines += ["", "| rows | page | query | cold ms | warm ms |", "|---:|---|---|---:|---:|"]
        for rows, q in queries:
            lines.append(
                f"| {int(rows):,} | {q['page']} | {q['query']} | {q['cold_ms']} | {q['warm_ms']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--skip-queries", action="store_true")
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    all_results: dict = {"machine": machine, "stores": {}}
    for rows in args.rows:
        print(f"store with {rows:,} order-line rows and {rows:,} events")
        files = generate(args.data, rows)
        result = {"imports": bench_imports(files)}
        result["queries"] = [] if args.skip_queries else bench_queries(files)
        all_results["stores"][str(rows)] = result
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(all_results, indent=2))
    table = markdown(all_results)
    (out / "results.md").write_text(table + "\n")
    print()
    print(table)


if __name__ == "__main__":
    main()
