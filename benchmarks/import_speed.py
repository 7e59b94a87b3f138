"""Import speed against DuckDB's own typed read, per stage, alternating in one run.

For each file, runs `ro ingest` (the real command, start-up included) and DuckDB's
`CREATE TABLE t AS SELECT * FROM read_csv(path)` in turn, each in its own process and a fresh
database, `--repeat` times, and prints medians: seconds, peak memory (VmHWM), the ratio, and
the import's own stages (RO_IMPORT_TIMINGS). Also times `ro --help` start-up.

    python benchmarks/import_speed.py --orders 100000 300000 --events 1000000 [--pandas]

Ends with a Markdown table for the README (with --pandas, pandas.read_csv of every cell as
text is timed too, as a notebook user would read the file).
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate_store import (  # noqa: E402
    LINES_PER_ORDER,
    write_events,
    write_shopify_orders,
)

DUCKDB_SCRIPT = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "text = ', '.join(f\"'{c}': 'VARCHAR'\" for c in sys.argv[3:])\n"
    "types = f', types = {{{text}}}' if text else ''\n"
    "con.execute(f'CREATE TABLE t AS SELECT * FROM read_csv(?{types})', [sys.argv[2]])\n"
    "con.close()\n"
)
# An event log's ids are text to the store ('007' and '7' are two products). DuckDB's own read
# takes them as integers when its sample of rows holds only integers, and then reads a later
# '007', '+7' or ' 7' as 7: its read with these columns as text, the exact one, is timed too.
EXACT_TEXT_COLUMNS = {"events": ("product_id", "user_id")}
# What a notebook user would do: every cell as text, nothing stored.
PANDAS_SCRIPT = (
    "import pandas, sys\nframe = pandas.read_csv(sys.argv[2], dtype=str, keep_default_na=False)\n"
)


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Run a command: (seconds, peak RSS MB, CPU seconds (user + system), stderr).

    CPU seconds move less than wall time when something else uses the cores."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    while True:
        peak = max(peak, _vm_hwm_mb(proc.pid) or 0.0)
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {err[-500:]}")
    return seconds, peak, usage.ru_utime + usage.ru_stime, err


def files(out: Path, orders: list[int], events: list[int]) -> list[tuple[str, Path]]:
    """Generate (once) the Shopify exports and event logs asked for."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    made = []
    for n in orders:
        path = out / f"orders_{n}.csv"
        if not path.exists():
            write_shopify_orders(con, path, n * LINES_PER_ORDER, 365)
        made.append((f"Shopify orders, {n:,} orders", path))
    for n in events:
        path = out / f"events_{n}.csv"
        if not path.exists():
            write_events(con, path, n, 365)
        made.append((f"events, {n:,} rows", path))
    con.close()
    return made


def bench_file(label: str, path: Path, repeat: int, with_pandas: bool = False) -> dict:
    """Alternate ro ingest and DuckDB's read (and its exact read, and pandas') on one file;
    medians and per-stage figures."""
    ro_s, ro_mb, dk_s, dk_mb, pd_s, pd_mb, exact_s = [], [], [], [], [], [], []
    text_columns = EXACT_TEXT_COLUMNS.get(path.stem.split("_")[0], ())
    ro_cpu, dk_cpu = [], []
    stages: dict[str, list[float]] = defaultdict(list)
    stage_peak: dict[str, float] = {}
    env = {**os.environ, "RO_IMPORT_TIMINGS": "1"}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
            db = str(Path(tmp) / "ro.duckdb")
            s, mb, cpu, err = run(
                [sys.executable, "-m", "ro_core.cli", "--db", db, "ingest", str(path)], env
            )
            ro_s.append(s)
            ro_cpu.append(cpu)
            ro_mb.append(mb)
            for line in err.splitlines():
                if line.startswith("ro-import-stage "):
                    _, name, secs, peak = line.split()
                    stages[name].append(float(secs))
                    stage_peak[name] = max(stage_peak.get(name, 0.0), float(peak))
        with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
            s, mb, cpu, _ = run(
                [sys.executable, "-c", DUCKDB_SCRIPT, str(Path(tmp) / "d.duckdb"), str(path)]
            )
            dk_s.append(s)
            dk_cpu.append(cpu)
            dk_mb.append(mb)
        if text_columns:
            with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
                s, _, _, _ = run(
                    [sys.executable, "-c", DUCKDB_SCRIPT, str(Path(tmp) / "d.duckdb"), str(path)]
                    + list(text_columns)
                )
                exact_s.append(s)
        if with_pandas:
            s, mb, _, _ = run([sys.executable, "-c", PANDAS_SCRIPT, "-", str(path)])
            pd_s.append(s)
            pd_mb.append(mb)
    result = {
        "label": label,
        "mb": path.stat().st_size / 1e6,
        "ro_s": statistics.median(ro_s),
        "ro_mb": max(ro_mb),
        "duckdb_s": statistics.median(dk_s),
        "duckdb_mb": max(dk_mb),
        "ro_cpu": statistics.median(ro_cpu),
        "duckdb_cpu": statistics.median(dk_cpu),
        "exact_s": statistics.median(exact_s) if exact_s else None,
        "pandas_s": statistics.median(pd_s) if pd_s else None,
        "pandas_mb": max(pd_mb) if pd_mb else None,
        "stages": {k: statistics.median(v) for k, v in stages.items()},
        "stage_peak": stage_peak,
        # Each run's ratio to the DuckDB read right after it: the machine's speed drifts (other
        # work on the host), and a pair run together shares the drift.
        "paired": sorted(r / d for r, d in zip(ro_s, dk_s, strict=True)),
    }
    r = result
    print(
        f"{label:<28} {r['mb']:7.0f} MB  ro ingest {r['ro_s']:6.2f} s {r['ro_mb']:5.0f} MB  "
        f"duckdb {r['duckdb_s']:6.2f} s {r['duckdb_mb']:5.0f} MB  "
        f"ratio {r['ro_s'] / r['duckdb_s']:.2f}x time, {r['ro_mb'] / r['duckdb_mb']:.2f}x memory"
    )
    print(
        f"    paired ratios (each run against the DuckDB run after it): median "
        f"{statistics.median(r['paired']):.2f}x, {', '.join(f'{x:.2f}' for x in r['paired'])}"
    )
    if r["exact_s"] is not None:
        print(
            f"    DuckDB reading {', '.join(text_columns)} as text {r['exact_s']:.2f} s: "
            f"ratio {r['ro_s'] / r['exact_s']:.2f}x"
        )
    print(
        f"    CPU (user + system): ro ingest {r['ro_cpu']:.2f} s, duckdb {r['duckdb_cpu']:.2f} s, "
        f"ratio {r['ro_cpu'] / r['duckdb_cpu']:.2f}x"
    )
    print(
        "    stages: "
        + ", ".join(f"{k} {v:.2f} s ({stage_peak[k]:.0f} MB)" for k, v in r["stages"].items())
    )
    if r["pandas_s"] is not None:
        print(f"    pandas read_csv (all text) {r['pandas_s']:.2f} s {r['pandas_mb']:.0f} MB")
    sys.stdout.flush()
    return result


def markdown(results: list[dict]) -> str:
    """The README's table: one row per file, the import's stages in the last column."""
    lines = [
        "| file | MB | `ro ingest` s | DuckDB s | ratio | paired ratio (range) | CPU ratio "
        "| DuckDB, ids as text: s, ratio | pandas s | peak MB: ro / DuckDB / pandas | stages (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items() if v >= 0.05)
        pandas_s = f"{r['pandas_s']:.1f}" if r["pandas_s"] is not None else "-"
        exact = r["exact_s"]
        exact_cell = f"{exact:.1f}, {r['ro_s'] / exact:.2f}x" if exact is not None else "-"
        pandas_mb = f"{r['pandas_mb']:,.0f}" if r["pandas_mb"] is not None else "-"
        lines.append(
            f"| {r['label']} | {r['mb']:,.0f} | {r['ro_s']:.1f} | {r['duckdb_s']:.1f} | "
            f"{r['ro_s'] / r['duckdb_s']:.2f}x | {statistics.median(r['paired']):.2f}x "
            f"({r['paired'][0]:.2f}-{r['paired'][-1]:.2f}) | "
            f"{r['ro_cpu'] / r['duckdb_cpu']:.2f}x | {exact_cell} | {pandas_s} | {r['ro_mb']:,.0f} / "
            f"{r['duckdb_mb']:,.0f} / {pandas_mb} | {stages} |"
        )
    return "\n".join(lines)


def bench_startup(repeat: int = 10) -> None:
    """`ro --help` and `python -c 'import duckdb'` wall time, median of `repeat`."""
    for label, cmd in (
        ("ro --help", [sys.executable, "-m", "ro_core.cli", "--help"]),
        ("ro ingest --help", [sys.executable, "-m", "ro_core.cli", "ingest", "--help"]),
        ("python + import duckdb", [sys.executable, "-c", "import duckdb"]),
    ):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - started)
        print(
            f"start-up {label:<24} median {statistics.median(times):.3f} s (min {min(times):.3f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, nargs="*", default=[100_000, 300_000])
    parser.add_argument("--events", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data" / "speed")
    parser.add_argument("--pandas", action="store_true", help="also time pandas.read_csv")
    args = parser.parse_args()
    # As an installed package would: the project's modules compiled once (this machine sets
    # PYTHONDONTWRITEBYTECODE, so every `ro` process would otherwise compile them again).
    compileall.compile_dir(ROOT / "ro_core", quiet=1)
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}, DuckDB {duckdb.__version__}"
    )
    bench_startup()
    results = [
        bench_file(label, path, args.repeat, args.pandas)
        for label, path in files(args.data, args.orders, args.events)
    ]
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print(markdown(results))


if __name__ == "__main__":
    main()
