"""How long a store owner waits for the first page: a new browser session opening the Overview of
the loaded demo store, against a bare Streamlit page with one st.metric, timed alternately in
the same run on the same machine (prints the figures).

    python benchmarks/first_page.py [--runs 5]

Also times the first visitor of a freshly started server (module imports included). Settled =
the app reports its script finished and the page's last section is drawn. Debian's chromium is
driven by playwright (its own browser download is never used).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks._browser import CHROMIUM, CHROMIUM_ARGS, machine, start_app, stop_app  # noqa: E402
from ro_core import demo  # noqa: E402
from ro_core.store.db import Database  # noqa: E402
from ro_core.store.settings import DEMO_OFFERED, set_setting  # noqa: E402

BARE_APP = """import streamlit as st
st.set_page_config(page_title="bare", layout="wide")
st.metric("Revenue", "$58,415.36", "+10.6%")
"""


def _settled_after_goto(browser, url: str, marker: str) -> float:
    """Seconds from opening a new session until the page's marker text is drawn and the run
    has finished."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.get_by_text(marker, exact=False).first.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=120_000,
    )
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ro-first-page-"))
    db_path = work / "ro.duckdb"
    database = Database(db_path)
    demo.load_demo(database)
    set_setting(database, DEMO_OFFERED, "yes")
    database.close()
    bare_dir = work / "bare"
    bare_dir.mkdir()
    (bare_dir / "app.py").write_text(BARE_APP)
    results: dict[str, list[float]] = {"overview": [], "bare": [], "first visitor": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        url, server = start_app(db_path, work / "app.log")
        bare_url, bare = _start_bare(bare_dir, work / "bare.log")
        try:
            results["first visitor"].append(
                _settled_after_goto(browser, url, "Where the change came from")
            )
            _settled_after_goto(browser, bare_url, "Revenue")  # warm the bare server too
            for _ in range(args.runs):
                results["overview"].append(
                    _settled_after_goto(browser, url, "Where the change came from")
                )
                results["bare"].append(_settled_after_goto(browser, bare_url, "Revenue"))
        finally:
            stop_app(server)
            stop_app(bare)
            browser.close()
    shutil.rmtree(work, ignore_errors=True)
    overview = statistics.median(results["overview"])
    bare_median = statistics.median(results["bare"])
    print(f"machine: {machine()}")
    print(f"runs: {args.runs} alternating, medians in seconds")
    print("| page | median s | runs |\n|---|---|---|")
    for name, values in results.items():
        print(
            f"| {name} | {statistics.median(values):.2f} | {', '.join(f'{v:.2f}' for v in values)} |"
        )
    print(f"\nOverview / bare Streamlit page: {overview / bare_median:.2f}x (target 1.5x)")


def _start_bare(folder: Path, log: Path):
    """A bare Streamlit page on a free port (same flags as the dashboard)."""
    import subprocess

    from tests.e2e.conftest import free_port

    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    handle = log.open("wb")
    process = subprocess.Popen(command, cwd=folder, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    return f"http://127.0.0.1:{port}", process


if __name__ == "__main__":
    main()
