"""How long a store owner waits for the first page, and for the Overview after a sidebar change,
against a bare Streamlit page (one st.metric, one sidebar selectbox) timed alternately in the
same run on the same machine (prints the figures).

    python benchmarks/first_page.py [--runs 5] [--reruns 7] [--db PATH [--in-place]]

Figures:
- first page: a new browser session opening the Overview, against the bare page; and the first
  visitor of a freshly started server (module imports and a cold cache included);
- reruns on an open Overview: the Period changed to a preset never seen before (a cache miss),
  and changed back to a period already seen (a cached rerun), each against the bare page's
  selectbox changed the same way;
- on the demo store only: the very first run on an empty database (the sidebar drawn while the
  demo store loads behind its progress bar, then the Overview).

Settled = the app reports its script finished and the page's last section is drawn. A rerun is
timed in the page, from the pointer going down on the option until then; "every figure drawn" is
timed until the main area's last change (a chart library can still be drawing once the run has
finished: Vega and Plotly were, on the Overview). The database is the
demo store by default; --db points at an existing one (a .duckdb file, or a folder holding one),
copied into a temporary folder unless --in-place. Load averages are printed before and after.
Debian's chromium is driven by playwright (its own browser download is never used).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks._browser import CHROMIUM, CHROMIUM_ARGS, machine, start_app, stop_app  # noqa: E402
from ro_core import demo  # noqa: E402
from ro_core.metrics import coverage  # noqa: E402
from ro_core.metrics.periods import PRESET_LABELS, presets  # noqa: E402
from ro_core.store.db import Database  # noqa: E402
from ro_core.store.settings import DEMO_OFFERED, set_setting  # noqa: E402

MARKER = "Where the change came from"  # the Overview's last section to be drawn
BARE_MARKER = "Revenue"
TIMEOUT_MS = 180_000
POLL_MS = 20  # the first run's figures are seconds: a look every 20 ms
DEFAULT_PRESET = "last_30_days"
BARE_OPTIONS = [*PRESET_LABELS.values(), "Custom range"]  # the app's Period options
BARE_APP = f"""import streamlit as st
st.set_page_config(page_title="bare", layout="wide")
OPTIONS = {BARE_OPTIONS!r}
choice = st.sidebar.selectbox("Period", OPTIONS, index={list(PRESET_LABELS).index(DEFAULT_PRESET)})
st.metric("Revenue", f"${{58_415.36 * (1 + OPTIONS.index(choice) / 10):,.2f}}", "+10.6%")
"""
SERVER_TIMING = re.compile(r"ro-timing page=\S+ seconds=([0-9.]+)")

# Started with the option list open: the clock starts when the pointer goes down on the option
# and stops at the first change of the page after which the app's script state is 'notRunning'
# and the main area shows the marker and every expected text (the new choice's figures). A
# bare page's run can be too quick for the script state to ever show 'running' (the frontend
# batches both updates), so the new texts, absent before the change, tell that the run happened.
# It also notes the last change in the main area (a node, an attribute, an image loaded): a
# chart library drawing after the run has finished (Vega, Plotly) is done by then.
RERUN_CLOCK = """([marker, expected]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    window.__roT0 = null;
    window.__roSettled = null;
    window.__roLast = null;
    document.addEventListener('pointerdown', () => { window.__roT0 = performance.now(); },
                              {capture: true, once: true});
    const observer = new MutationObserver(() => {
        if (window.__roT0 === null || window.__roSettled !== null) return;
        if (app.getAttribute('data-test-script-state') !== 'notRunning') return;
        const text = main.innerText;
        if (!text.includes(marker) || !expected.every(t => text.includes(t))) return;
        window.__roSettled = (performance.now() - window.__roT0) / 1000;
        observer.disconnect();
    });
    observer.observe(app, {attributes: true, childList: true, subtree: true, characterData: true});
    const changed = () => { if (window.__roT0 !== null) window.__roLast = performance.now(); };
    new MutationObserver(changed).observe(
        main, {attributes: true, childList: true, subtree: true, characterData: true});
    main.addEventListener('load', changed, true);
}"""
QUIET_MS = 400  # no change in the main area for this long: every figure is drawn
DRAWN = f"""() => window.__roSettled !== null
    && performance.now() - Math.max(window.__roLast ?? 0,
                                    window.__roT0 + window.__roSettled * 1000) > {QUIET_MS}"""
DRAWN_SECONDS = """() => (Math.max(window.__roLast ?? 0, window.__roT0 + window.__roSettled * 1000)
    - window.__roT0) / 1000"""
CLOCK_STATE = """() => ({
    t0: window.__roT0, settled: window.__roSettled,
    state: document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state'),
    main: document.querySelector('[data-testid="stMain"]').innerText.slice(0, 300),
})"""
RERUN_TIMEOUT_MS = 60_000
NOT_RUNNING = (
    "() => document.querySelector('[data-testid=\"stApp\"]')"
    "?.getAttribute('data-test-script-state') === 'notRunning'"
)
# The first run: the navigation drawn; then the sidebar's Period choice and the progress bar
# both on screen.
SHOWN = "const shown = (el) => !!el && el.checkVisibility() && el.getBoundingClientRect().height;"
NAVIGATION = f"""() => {{ {SHOWN}
    return shown(document.querySelector('[data-testid="stSidebarNav"]'));
}}"""
SIDEBAR_WITH_PROGRESS = f"""() => {{ {SHOWN}
    const period = Array.from(document.querySelectorAll(
        '[data-testid="stSidebar"] [data-testid="stSelectbox"]'
    )).find(el => el.textContent.includes('Period'));
    return shown(period)
        && shown(document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]'));
}}"""


def _settled_after_goto(browser, url: str, marker: str) -> float:
    """Seconds from opening a new session until the page's marker text is drawn and the run
    has finished."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.get_by_text(marker, exact=False).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(NOT_RUNNING, timeout=TIMEOUT_MS)
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def _open(browser, url: str, marker: str):
    """A page of its own, opened on url and settled (for timing reruns)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url)
    page.get_by_text(marker, exact=False).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(NOT_RUNNING, timeout=TIMEOUT_MS)
    return page


def _choose_period(page, label: str, marker: str, expected: str) -> tuple[float, float]:
    """Pick `label` in the sidebar's Period selectbox; seconds from the pointer going down on
    the option until the run it causes has finished with the marker and the `expected` text
    drawn (the page's own clock), and until the last change in the main area after which it
    stayed unchanged for QUIET_MS (every figure drawn)."""
    sidebar = page.get_by_test_id("stSidebar")
    box = sidebar.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Period", exact=True))
    box.click()
    option = page.get_by_role("option", name=label, exact=True)
    option.wait_for()
    page.evaluate(RERUN_CLOCK, [marker, [expected]])
    option.click()
    try:
        page.wait_for_function("() => window.__roSettled !== null", timeout=RERUN_TIMEOUT_MS)
        page.wait_for_function(DRAWN, timeout=RERUN_TIMEOUT_MS)
    except Exception:
        print(f"no settled rerun after choosing {label!r}: {page.evaluate(CLOCK_STATE)}")
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "first_page-stuck.png"))
        raise
    return float(page.evaluate("() => window.__roSettled")), float(page.evaluate(DRAWN_SECONDS))


def _bare_value(label: str) -> str:
    """The metric the bare page shows for a Period option (BARE_APP's formula)."""
    return f"${58_415.36 * (1 + BARE_OPTIONS.index(label) / 10):,.2f}"


def _last_server_run(log: Path, offset: int) -> float | None:
    """The script seconds of the app's last run logged after `offset` (RO_TIMING lines)."""
    with log.open("rb") as fh:
        fh.seek(offset)
        found = SERVER_TIMING.findall(fh.read().decode(errors="replace"))
    return float(found[-1]) if found else None


def _period_texts(anchor: date) -> dict[str, str]:
    """Preset label -> the period as the Overview's header writes it."""
    ranges = presets(anchor)
    return {label: ranges[key].label() for key, label in PRESET_LABELS.items()}


def _new_periods(anchor: date) -> list[str]:
    """Preset labels whose dates differ from the default's and from each other's."""
    ranges = presets(anchor)
    seen = {ranges[DEFAULT_PRESET]}
    labels = []
    for key, label in PRESET_LABELS.items():
        if ranges[key] not in seen:
            seen.add(ranges[key])
            labels.append(label)
    return labels


def _database(args: argparse.Namespace, work: Path) -> Path:
    """The database the app serves: the demo store, or --db copied (or as is with --in-place)."""
    if args.db is None:
        path = work / "ro.duckdb"
        database = Database(path)
        demo.load_demo(database)
        set_setting(database, DEMO_OFFERED, "yes")
        database.close()
        return path
    source = Path(args.db)
    if source.is_dir():
        files = sorted(source.glob("*.duckdb"))
        if len(files) != 1:
            raise SystemExit(f"{source} holds {len(files)} .duckdb files; name one")
        source = files[0]
    if args.in_place:
        return source
    path = work / "ro.duckdb"
    shutil.copyfile(source, path)
    return path


def _anchor(db_path: Path) -> date:
    """Where the presets end: the latest day with data, or today (opens and migrates the file
    before the server does, so no figure includes a migration)."""
    database = Database(db_path)
    latest = coverage(database).latest_date
    database.close()
    return min(latest, date.today()) if latest else date.today()


def _first_run(browser, work: Path) -> dict[str, float]:
    """The very first run on an empty database, on a fresh server: seconds until the navigation
    is drawn, the sidebar with the demo's progress bar, and the Overview with the demo store."""
    url, server = start_app(work / "first-run.duckdb", work / "first-run.log")
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_function(NAVIGATION, polling=POLL_MS, timeout=TIMEOUT_MS)
        navigation = time.perf_counter() - started
        page.wait_for_function(SIDEBAR_WITH_PROGRESS, polling=POLL_MS, timeout=TIMEOUT_MS)
        sidebar = time.perf_counter() - started
        page.get_by_text(MARKER, exact=False).first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(NOT_RUNNING, timeout=TIMEOUT_MS)
        overview = time.perf_counter() - started
        page.context.close()
    finally:
        stop_app(server)
    return {
        "first run (fresh server): navigation": navigation,
        "first run: sidebar with the progress bar": sidebar,
        "first run: Overview with the demo store": overview,
    }


def _load() -> str:
    text = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    return text or " ".join(f"{v:.2f}" for v in os.getloadavg())


def _row(name: str, values: list[float]) -> str:
    runs = ", ".join(f"{v:.3f}" for v in values)
    return f"| {name} | {statistics.median(values):.3f} | {len(values)} | {runs} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="new sessions per page")
    parser.add_argument("--reruns", type=int, default=7, help="timed reruns of each kind")
    parser.add_argument("--db", help="an existing database (.duckdb file or its folder)")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="open --db as is, no copy (the app migrates it if old)",
    )
    args = parser.parse_args()
    load_before = _load()
    work = Path(tempfile.mkdtemp(prefix="ro-first-page-"))
    try:
        anchor, new_periods, results = _measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {machine()}")
    print(f"load before: {load_before}")
    print(f"load after:  {_load()}")
    store = args.db or "the demo store"
    print(f"database: {store} (presets end on {anchor}); new periods: {', '.join(new_periods)}")
    _report(results)


def _measure(args: argparse.Namespace, work: Path) -> tuple[date, list[str], dict]:
    """Every figure, in a working folder: (the presets' anchor, the new periods, results)."""
    db_path = _database(args, work)
    anchor = _anchor(db_path)
    periods = _period_texts(anchor)
    new_periods = _new_periods(anchor)[: args.reruns]
    bare_dir = work / "bare"
    bare_dir.mkdir()
    (bare_dir / "app.py").write_text(BARE_APP)
    results: dict[str, list[float]] = {}
    log = work / "app.log"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if args.db is None:
                results.update({k: [v] for k, v in _first_run(browser, work).items()})
            url, server = start_app(db_path, log)
            bare_url, bare = _start_bare(bare_dir, work / "bare.log")
            try:
                _first_pages(browser, url, bare_url, args.runs, results)
                _reruns(browser, (url, log), bare_url, periods, new_periods, args.reruns, results)
            finally:
                stop_app(server)
                stop_app(bare)
        finally:
            browser.close()
    return anchor, new_periods, results


def _first_pages(browser, url: str, bare_url: str, runs: int, results: dict) -> None:
    """The first visitor of the fresh server, then new sessions on the Overview and on the
    bare page, alternately."""
    first = _settled_after_goto(browser, url, MARKER)
    results["Overview, first visitor of a fresh server"] = [first]
    _settled_after_goto(browser, bare_url, BARE_MARKER)  # the bare server's first visitor
    for _ in range(runs):
        overview = _settled_after_goto(browser, url, MARKER)
        results.setdefault("Overview, new session", []).append(overview)
        bare = _settled_after_goto(browser, bare_url, BARE_MARKER)
        results.setdefault("bare page, new session", []).append(bare)


def _reruns(browser, app, bare_url, periods, new_periods, reruns, results) -> None:
    """On an open Overview: each new period, then `reruns` changes back to periods seen
    before (the one shown longest ago each time); each followed by a change of the bare page's
    selectbox. Also the app's own script seconds of each run (its RO_TIMING log lines)."""
    url, log = app
    app_page = _open(browser, url, MARKER)
    bare_page = _open(browser, bare_url, BARE_MARKER)
    start = BARE_OPTIONS.index(PRESET_LABELS[DEFAULT_PRESET]) + 1
    bare_cycle = itertools.cycle(BARE_OPTIONS[start:-1] + BARE_OPTIONS[:start])
    plan = [("new period", label) for label in new_periods]
    seen = [PRESET_LABELS[DEFAULT_PRESET], *new_periods]  # seen[-1] is then on screen
    for _ in range(reruns if len(seen) > 1 else 0):
        plan.append(("period seen before", seen[0]))
        seen = seen[1:] + seen[:1]
    for kind, label in plan:
        offset = log.stat().st_size
        seconds, drawn = _choose_period(app_page, label, MARKER, periods[label])
        results.setdefault(f"Overview rerun, {kind}", []).append(seconds)
        results.setdefault(f"Overview rerun, {kind}: every figure drawn", []).append(drawn)
        server = _last_server_run(log, offset)
        results.setdefault(f"app script run (server), {kind}", []).append(server or float("nan"))
        bare_label = next(bare_cycle)
        bare, _ = _choose_period(bare_page, bare_label, BARE_MARKER, _bare_value(bare_label))
        results.setdefault("bare page rerun", []).append(bare)


def _report(results: dict[str, list[float]]) -> None:
    """Print the figures as a markdown table, with the targets' ratios."""
    median = {name: statistics.median(values) for name, values in results.items()}
    print("all figures in seconds, each kind alternating with the bare page's\n")
    print("| measure | median s | runs | each run s |\n|---|---|---|---|")
    for name, values in results.items():
        print(_row(name, values))
    bare_rerun = median["bare page rerun"]
    first = median["Overview, new session"] / median["bare page, new session"]
    print(f"\nOverview / bare page, new session: {first:.2f}x (target 1.5x)")
    if "Overview rerun, new period" in median:
        new = median["Overview rerun, new period"]
        print(
            f"Overview rerun, new period: {new:.3f} s median (target 0.5 s), "
            f"{new / bare_rerun:.2f}x the bare page's rerun"
        )
    cached = median["Overview rerun, period seen before"] / bare_rerun
    print(f"Overview rerun, period seen before / bare page's rerun: {cached:.2f}x (target 2x)")


def _start_bare(folder: Path, log: Path):
    """A bare Streamlit page on a free port (same flags as the dashboard)."""
    from tests.e2e.conftest import free_port

    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    handle = log.open("wb")
    process = subprocess.Popen(command, cwd=folder, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return url, process
        except OSError:
            time.sleep(0.25)
    stop_app(process)
    raise RuntimeError(f"the bare page did not start:\n{log.read_text()[-2000:]}")


if __name__ == "__main__":
    main()
