"""Memory of the Streamlit server while a ~200 MB Shopify orders export is uploaded and imported.

Generates the export with benchmarks/generate_store.py (600k line-item rows are about 206 MB;
kept in benchmarks/data/ for the next run), starts ``streamlit run app.py`` on an empty
temporary database (the demo store is marked as already offered, so the first run does not load
it), uploads the file through the Data page in chromium and samples the server's RSS (VmRSS of
the process and any children, /proc/PID/status) every 0.1 s.

Printed and written to benchmarks/out/upload_memory.json: baseline RSS, peak RSS during the
upload and import, RSS when the import finished, after IDLE_SECONDS idle on the Data page, after
the tab moved to another page, and after the browser tab closed (the session ended), plus VmHWM
and the bytes Streamlit's UploadedFileManager still holds at each step (its /_stcore/metrics),
which says whether the upload itself is still in memory. For comparison, the same file goes
through ``ingest_file`` in a plain Python process (no Streamlit, no upload).

What holds the upload (streamlit 1.67, found with this script and a gc referrer dump): the
bytes live in ``MemoryUploadedFileManager.file_storage[session_id][file_id]`` (an
``UploadedFileRec``). ro_ui/imports.py ``upload_section`` drops the widget by changing its key
and calling ``st.rerun()``, which clears the widget value but not that record: the browser never
sends the DELETE request that would remove it (it only does when the user removes the file in
the widget), and Streamlit frees a session's files only in ``AppSession.shutdown``, which is not
called when a closed tab's session expires from its reconnect storage. So the bytes stay until
the server restarts (streamlit/streamlit#12607, #9218). Streamlit's own ``st.chat_input`` and
``st.audio_input`` remove the record right after reading it with
``ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id, file_id=...)``.

    python benchmarks/upload_memory.py --rows 600000
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks._browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    OUT_DIR,
    RssSampler,
    machine,
    read_status_kb,
    start_app,
    stop_app,
    upload_manager_bytes,
)
from benchmarks.generate_store import LINES_PER_ORDER, write_shopify_orders  # noqa: E402
from ro_core import schema  # noqa: E402
from ro_core.store.db import Database  # noqa: E402
from ro_core.store.settings import DEMO_OFFERED, set_setting  # noqa: E402
from tests.e2e.helpers import open_page, wait_for_app  # noqa: E402

DATA_DIR = ROOT / "benchmarks" / "data"
IDLE_SECONDS = 10.0
SETTLE_SECONDS = 3.0
IMPORT_TIMEOUT_MS = 900_000
_REPORT_SECONDS = re.compile(r"·\s*([0-9.]+)\s*s\b")

# The same import without Streamlit: ingest_file in a plain Python process (RSS in MB before,
# right after with the connection open, VmHWM, and after closing the database).
REFERENCE_SCRIPT = """
import json, re, sys, tempfile, time
from pathlib import Path
def mb(name):
    text = Path('/proc/self/status').read_text()
    return int(re.search(rf'^{name}:\\s+(\\d+) kB', text, re.M).group(1)) / 1024
from ro_core.store.db import Database
from ro_core.ingest.pipeline import ingest_file
with tempfile.TemporaryDirectory() as folder:
    db = Database(Path(folder) / 'ro.duckdb')
    db.is_empty()
    base = mb('VmRSS')
    started = time.perf_counter()
    ingest_file(db, Path(sys.argv[1]))
    seconds = time.perf_counter() - started
    after = mb('VmRSS')
    db.close()
    print(json.dumps({'baseline_rss_mb': base, 'rss_after_import_mb': after,
                      'vmhwm_mb': mb('VmHWM'), 'rss_after_close_mb': mb('VmRSS'),
                      'import_seconds': seconds}))
"""


def export_file(rows: int) -> Path:
    """The generated Shopify orders export of `rows` line-item rows (made once, then reused)."""
    path = DATA_DIR / f"upload_{rows}_orders_export.csv"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        con = duckdb.connect()
        write_shopify_orders(con, partial, rows, 365)
        con.close()
        partial.rename(path)
    return path


def empty_database(path: Path) -> None:
    """A new database on which the app's first run does not load the demo store."""
    db = Database(path)
    set_setting(db, DEMO_OFFERED, "yes")
    db.close()


def reference_import(file: Path) -> dict:
    """The same file through ingest_file in a plain Python process (no Streamlit, no upload)."""
    done = subprocess.run(
        [sys.executable, "-c", REFERENCE_SCRIPT, str(file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: round(v, 1) for k, v in figures.items()}


def mb(kb: int) -> float:
    return round(kb / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=600_000, help="line-item rows (600k ~ 206 MB)")
    parser.add_argument(
        "--after-close",
        type=float,
        default=0.0,
        help="also wait this long after the tab closed (Streamlit keeps a closed tab's session "
        "for server.disconnectedSessionTTL, 120 s by default)",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2

    started = time.perf_counter()
    file = export_file(args.rows)
    file_mb = file.stat().st_size / 1024 / 1024
    print(
        f"export: {file} ({file_mb:.1f} MB, {args.rows:,} rows; {time.perf_counter() - started:.1f} s)"
    )

    result: dict = {"machine": machine(), "file": str(file), "file_mb": round(file_mb, 1)}
    with tempfile.TemporaryDirectory(prefix="ro-upload-") as tmp:
        folder = Path(tmp)
        db_path = folder / "ro.duckdb"
        empty_database(db_path)
        log = folder / "streamlit.log"
        url, process = start_app(db_path, log)
        sampler = RssSampler(process.pid).start()
        deletes: list[str] = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.set_default_timeout(60_000)
                page = context.new_page()
                page.on(
                    "request",
                    lambda r: deletes.append(r.url) if r.method == "DELETE" else None,
                )
                page.goto(url)
                wait_for_app(page)
                open_page(page, "Data")
                time.sleep(SETTLE_SECONDS)
                t_base = time.monotonic()
                time.sleep(2.0)
                baseline = sampler.mean(t_base, time.monotonic())

                t_upload = time.monotonic()
                page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(file))
                page.get_by_role("heading", name="Import reports").wait_for(
                    timeout=IMPORT_TIMEOUT_MS
                )
                wait_for_app(page, timeout=IMPORT_TIMEOUT_MS)
                t_done = time.monotonic()
                report = page.get_by_test_id("stMain").get_by_text("Loaded:").first.inner_text()
                exceptions = page.get_by_test_id("stException").count()
                steps = {"import finished": (sampler.now(), upload_manager_bytes(url))}

                time.sleep(IDLE_SECONDS)
                steps[f"{IDLE_SECONDS:.0f} s idle on Data"] = (
                    sampler.now(),
                    upload_manager_bytes(url),
                )
                open_page(page, "Overview")
                time.sleep(SETTLE_SECONDS)
                steps["after moving to Overview"] = (sampler.now(), upload_manager_bytes(url))
                context.close()
                time.sleep(SETTLE_SECONDS + 2)
                steps["after the tab closed"] = (sampler.now(), upload_manager_bytes(url))
                browser.close()
                if args.after_close > 0:
                    time.sleep(args.after_close)
                    steps[f"{args.after_close:.0f} s after the tab closed"] = (
                        sampler.now(),
                        upload_manager_bytes(url),
                    )
            hwm = read_status_kb(process.pid, "VmHWM")
        finally:
            sampler.stop()
            stop_app(process)
        peak = sampler.peak(t_upload, t_done)
        db = Database(db_path, read_only=True)
        orders = db.fetch_value(f"SELECT count(*) FROM {schema.ORDERS}")
        db.close()

    reference = reference_import(file)
    match = _REPORT_SECONDS.search(report)
    expected_orders = max(args.rows // LINES_PER_ORDER, 1)
    result.update(
        {
            "rows": args.rows,
            "baseline_rss_mb": round(baseline, 1),
            "peak_rss_mb": round(peak, 1),
            "peak_over_baseline_mb": round(peak - baseline, 1),
            "peak_over_baseline_x_file": round((peak - baseline) / file_mb, 2),
            "vmhwm_mb": mb(hwm),
            "upload_and_import_seconds": round(t_done - t_upload, 1),
            "import_seconds_in_report": float(match.group(1)) if match else None,
            "steps": {
                name: {
                    "rss_mb": round(rss, 1),
                    "over_baseline_mb": round(rss - baseline, 1),
                    "uploaded_file_manager_mb": None if held is None else round(held / 2**20, 1),
                }
                for name, (rss, held) in steps.items()
            },
            "reference_plain_process": reference,
            "browser_delete_requests": deletes,
            "orders_loaded": orders,
            "orders_expected": expected_orders,
            "page_exceptions": exceptions,
            "report": report,
            "samples": [(round(t - t_upload, 2), round(v, 1)) for t, v in sampler.samples],
        }
    )
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "upload_memory.json"
    target.write_text(json.dumps(result, indent=2))

    print(f"machine: {result['machine']}")
    print(f"baseline RSS: {result['baseline_rss_mb']} MB")
    print(
        f"peak RSS during upload + import: {result['peak_rss_mb']} MB "
        f"(+{result['peak_over_baseline_mb']} MB = {result['peak_over_baseline_x_file']} x the "
        f"file); VmHWM {result['vmhwm_mb']} MB"
    )
    print(
        f"upload + import: {result['upload_and_import_seconds']} s in the browser; import "
        f"{result['import_seconds_in_report']} s in the report"
    )
    for name, step in result["steps"].items():
        print(
            f"RSS {name}: {step['rss_mb']} MB (+{step['over_baseline_mb']} MB); "
            f"UploadedFileManager holds {step['uploaded_file_manager_mb']} MB"
        )
    ref = result["reference_plain_process"]
    print(
        f"reference, ingest_file in a plain process: +{ref['vmhwm_mb'] - ref['baseline_rss_mb']:.0f}"
        f" MB peak, +{ref['rss_after_import_mb'] - ref['baseline_rss_mb']:.0f} MB right after "
        f"(connection open), +{ref['rss_after_close_mb'] - ref['baseline_rss_mb']:.0f} MB after "
        f"closing; {ref['import_seconds']} s"
    )
    print(f"browser DELETE requests for uploads: {len(deletes)}")
    held = [s["uploaded_file_manager_mb"] for s in result["steps"].values()]
    if held and held[-1]:
        print(
            f"NOT RELEASED: Streamlit's MemoryUploadedFileManager still holds {held[-1]} MB of "
            "upload bytes at the last step (see the module docstring)"
        )
    print(f"orders loaded: {orders:,} of {expected_orders:,}; page exceptions: {exceptions}")
    print(f"wrote {target}")
    ok = orders == expected_orders and not exceptions
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
