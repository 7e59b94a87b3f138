"""Concurrent use on loopback: several browser sessions browse while one more uploads a file.

The app runs (``streamlit run app.py``) on a temporary database holding the demo store. One
chromium (Debian's, driven by playwright) opens ``--sessions`` browsing contexts that click
through Overview, Trends, Funnel, Segments and Experiments in the sidebar and change the grain
and the period preset to force reruns; one more context opens Data and, part-way through,
uploads a Shopify orders export with NEW_ORDERS extra web orders on the demo's last order day.

Measured: for every page load and every rerun, the time from the action until the app reports
its script finished (data-test-script-state back to notRunning), p50/p95/max per page and
overall; errors (an stException element, the text "Traceback", any failed wait); and freshness:
every Overview render that starts after the upload finished must show the Orders KPI with the
new orders. The expected figures come from ro_core.metrics.kpis on the same database: before
the server starts, and read-only after it stopped (which must be before + NEW_ORDERS, counted
from the generated file).

    python benchmarks/load_test.py --seconds 120 --sessions 4

Writes benchmarks/out/load_test.json and benchmarks/out/load_test.md. The browsing phase lasts
``--seconds``; everything is stopped at the latest ``--seconds`` + GRACE_SECONDS after the
browsers open. Exits 1 on errors or stale numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Error as PlaywrightError  # noqa: E402
from playwright.async_api import Page, async_playwright, expect  # noqa: E402

from benchmarks._browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    OUT_DIR,
    START_CLOCK,
    ScriptRuns,
    machine,
    percentiles,
    server_timings,
    start_app,
    stop_app,
)
from ro_core import demo, metrics  # noqa: E402
from ro_core.metrics.filters import OrderFilters  # noqa: E402
from ro_core.metrics.periods import presets  # noqa: E402
from ro_core.store.db import Database  # noqa: E402
from tests.ingest.builders import shopify_order_rows, write_shopify_export  # noqa: E402

PAGES = ("Overview", "Trends", "Funnel", "Segments", "Experiments")
GRAINS = ("Day", "Week", "Month")  # the sidebar's grain buttons, clicked in turn
DEFAULT_PRESET = "Last 30 days"  # the sidebar default: Overview's Orders are read with it
OTHER_PRESET = "Last 90 days"
PRESET_PAGES = ("Trends", "Segments")  # pages where the period preset is changed and restored
NEW_ORDERS = 50
FIRST_NEW_ORDER = 50_001  # the demo's order numbers end near #10800
WAIT_MS = 45_000  # a wait longer than this counts as an error
UPLOAD_WAIT_MS = 180_000
UPLOAD_AT_SHARE = 0.3  # the upload starts this far into the browsing phase
DOM_GRACE_S = 1.0  # after the websocket saw a run finish, how long the DOM clock may lag
POLL_S = 0.25
GRACE_SECONDS = 90  # after the budget: finish the last renders and the freshness check
VIEWPORT = {"width": 1280, "height": 900}


# --- what is recorded ------------------------------------------------------------------------
@dataclass
class Timing:
    """One page load or rerun, timed in the browser."""

    session: str
    page: str
    kind: str  # open (first visit) | load (sidebar navigation) | rerun (widget change) | upload
    seconds: float
    started: float  # seconds since the browsers opened
    source: str = "dom"  # dom: the page's clock; websocket: until the server's script_finished
    # message reached the browser (the page's clock missed the run)


@dataclass
class OrdersReading:
    """The Orders KPI as one Overview render showed it."""

    session: str
    started: float  # when the action that led to this render started
    finished: float
    text: str


@dataclass
class ErrorRecord:
    session: str
    page: str
    what: str
    detail: str


@dataclass
class Run:
    """The shared record of all sessions (asyncio: one thread, no locks needed)."""

    url: str
    deadline: float
    hard_stop: float
    upload_at: float
    t0: float = field(default_factory=time.monotonic)
    timings: list[Timing] = field(default_factory=list)
    readings: list[OrdersReading] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    upload_started: float | None = None
    upload_done: float | None = None
    upload_failed: bool = False
    script_runs: dict[str, ScriptRuns] = field(default_factory=dict)  # per session
    websocket_timed: int = 0  # timings taken when the DOM clock missed the run

    def clock(self) -> float:
        return time.monotonic() - self.t0


# --- the data ---------------------------------------------------------------------------------
def sidebar_default_filters(db: Database) -> tuple[metrics.DateRange, OrderFilters, str]:
    """The period, order filters and comparison the sidebar starts with (see ro_ui.sidebar)."""
    cover = metrics.coverage(db)
    anchor = min(cover.latest_date, date.today())
    currency = cover.currencies[0] if len(cover.currencies) == 1 else None
    filters = OrderFilters(
        exclude_cancelled=True,
        exclude_test=True,
        online_channels=("web",),
        revenue_basis="total",
        currency=currency,
    )
    return presets(anchor)["last_30_days"], filters, "previous"


def orders_shown(db: Database) -> int:
    """The Orders KPI the Overview shows with the sidebar's defaults."""
    period, filters, compare = sidebar_default_filters(db)
    return int(metrics.kpis(db, period, filters, compare).current.orders or 0)


def write_new_orders(path: Path, day: date, count: int = NEW_ORDERS) -> Path:
    """A Shopify orders export of `count` paid web orders during store hours on `day`."""
    tz = ZoneInfo(demo.STORE_TIME_ZONE)
    orders = []
    for i in range(count):
        local = datetime.combine(day, clock_time(10 + i % 8, (7 * i) % 60, i % 60), tzinfo=tz)
        created = local.strftime("%Y-%m-%d %H:%M:%S %z")
        orders.append(shopify_order_rows(FIRST_NEW_ORDER + i, created, "20.00", lines=2))
    return write_shopify_export(path, orders)


def count_new_orders(path: Path) -> int:
    """Orders in the generated file, counted with csv (first rows carry Financial Status)."""
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for row in csv.DictReader(fh) if row["Financial Status"])


# --- browser actions --------------------------------------------------------------------------
async def settle(page: Page, timeout: int = WAIT_MS) -> None:
    """Connected, script finished, no skeletons (as tests/e2e/helpers.wait_for_app)."""
    app = page.get_by_test_id("stApp")
    await expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    await expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    await expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


async def count_errors(run: Run, session: str, page: Page, title: str) -> None:
    """Record exceptions shown on the page."""
    shown = await page.get_by_test_id("stException").count()
    if shown:
        text = await page.get_by_test_id("stException").first.inner_text()
        run.errors.append(ErrorRecord(session, title, "stException", text[:500]))
    tracebacks = await page.get_by_text("Traceback").count()
    if tracebacks:
        run.errors.append(ErrorRecord(session, title, "Traceback", f"{tracebacks} on the page"))


async def recover(run: Run, session: str, page: Page) -> str:
    """Reload the app after a failed wait; returns the page now shown."""
    try:
        await page.goto(run.url, timeout=WAIT_MS)
        await settle(page)
    except PlaywrightError as e:
        run.errors.append(ErrorRecord(session, "Overview", "reload failed", str(e)[:300]))
    return "Overview"


class WaitFailed(Exception):
    """No script run finished within WAIT_MS after an action."""


def _ignore_outcome(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()


async def wait_finished(page: Page, runs: ScriptRuns, since: float) -> tuple[float, str]:
    """(seconds, source): from START_CLOCK until the run finished in the DOM ("dom"), or, when
    the DOM clock missed the run, until the server's script_finished message reached the browser
    ("websocket"; the DOM clock gets DOM_GRACE_S after that message before it is given up).

    The DOM clock is awaited in the browser (wait_for_function polls on animation frames);
    Python only looks at the recorded websocket frames, so waiting adds no round trips.
    """
    dom = asyncio.ensure_future(page.wait_for_function("() => window.__roRun", timeout=WAIT_MS))
    dom.add_done_callback(_ignore_outcome)
    while not dom.done():
        frame_done = runs.finished_since(since)
        if frame_done is not None and time.monotonic() > frame_done + DOM_GRACE_S:
            dom.cancel()
            return frame_done - since, "websocket"
        await asyncio.wait({dom}, timeout=POLL_S)
    if dom.exception() is not None:
        raise WaitFailed(f"no script run finished within {WAIT_MS / 1000:.0f} s")
    return float(await dom.result().json_value()), "dom"


async def timed(run: Run, session: str, page: Page, title: str, kind: str, action) -> bool:
    """Run an action and time it until the script finished; record the timing or the error."""
    started = run.clock()
    since = time.monotonic()
    try:
        await page.evaluate(START_CLOCK)
        await action()
        seconds, source = await wait_finished(page, run.script_runs[session], since)
        await settle(page)
    except (PlaywrightError, WaitFailed) as e:
        run.errors.append(ErrorRecord(session, title, f"{kind} wait failed", str(e)[:300]))
        return False
    if source == "websocket":
        run.websocket_timed += 1
    run.timings.append(Timing(session, title, kind, round(seconds, 4), round(started, 3), source))
    await count_errors(run, session, page, title)
    return True


async def read_orders(run: Run, session: str, page: Page, started: float) -> None:
    """Record the Orders KPI of the Overview just rendered."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text("Orders", exact=True)
    )
    try:
        text = (await metric.get_by_test_id("stMetricValue").inner_text(timeout=10_000)).strip()
    except PlaywrightError as e:
        run.errors.append(ErrorRecord(session, "Overview", "Orders KPI missing", str(e)[:300]))
        return
    run.readings.append(OrdersReading(session, round(started, 3), round(run.clock(), 3), text))


async def open_app(run: Run, session: str, page: Page) -> bool:
    """First visit: from goto until the first run finished."""
    started = run.clock()
    try:
        await page.goto(run.url, timeout=WAIT_MS)
        await expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible(
            timeout=WAIT_MS
        )
        await settle(page)
    except PlaywrightError as e:
        run.errors.append(ErrorRecord(session, "Overview", "first open failed", str(e)[:300]))
        return False
    run.timings.append(Timing(session, "Overview", "open", run.clock() - started, started))
    await count_errors(run, session, page, "Overview")
    await read_orders(run, session, page, started)
    return True


async def navigate(run: Run, session: str, page: Page, title: str) -> bool:
    """Click a page in the sidebar navigation (a page load)."""
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=title)
    started = run.clock()
    ok = await timed(run, session, page, title, "load", link.click)
    if ok:
        try:
            await expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(
                timeout=10_000
            )
        except PlaywrightError as e:
            run.errors.append(ErrorRecord(session, title, "wrong page", str(e)[:300]))
            return False
        if title == "Overview":
            await read_orders(run, session, page, started)
    return ok


async def change_grain(run: Run, session: str, page: Page, title: str) -> bool:
    """Click the grain after the selected one in the sidebar (a rerun)."""
    group = page.get_by_test_id("stSidebar").get_by_test_id("stButtonGroup")
    try:
        active = group.get_by_role("radio", checked=True)
        selected = (await active.inner_text(timeout=10_000)).strip()
    except PlaywrightError as e:
        run.errors.append(ErrorRecord(session, title, "grain not found", str(e)[:300]))
        return False
    grain = GRAINS[(GRAINS.index(selected) + 1) % len(GRAINS)] if selected in GRAINS else "Week"
    button = group.get_by_role("radio", name=grain, exact=True)
    started = run.clock()
    ok = await timed(run, session, page, title, "rerun", button.click)
    if ok and title == "Overview":
        await read_orders(run, session, page, started)
    return ok


async def change_preset(run: Run, session: str, page: Page, title: str, label: str) -> bool:
    """Pick a period preset in the sidebar (a rerun; the list is opened before the clock)."""
    try:
        await (
            page.get_by_test_id("stSidebar")
            .get_by_test_id("stSelectbox")
            .filter(has_text="Period")
            .click(timeout=WAIT_MS)
        )
    except PlaywrightError as e:
        run.errors.append(ErrorRecord(session, title, "period list did not open", str(e)[:300]))
        return False
    option = page.get_by_role("option", name=label, exact=True)
    return await timed(run, session, page, title, "rerun", option.click)


# --- sessions ---------------------------------------------------------------------------------
async def new_tab(run: Run, context, session: str) -> Page:
    """A page whose script runs (websocket) and JavaScript errors are recorded."""
    page = await context.new_page()
    run.script_runs[session] = ScriptRuns()
    page.on("websocket", run.script_runs[session].attach)
    page.on("pageerror", lambda e: run.js_errors.append(f"{session}: {e}"))
    return page


def fresh_checked(run: Run, session: str) -> bool:
    """Whether this session rendered the Overview after the upload finished."""
    return run.upload_done is not None and any(
        r.session == session and r.started > run.upload_done for r in run.readings
    )


async def browse(run: Run, context, session: str, first_page: int) -> None:
    """Click through the pages until the deadline; then make sure of one fresh Overview."""
    page = await new_tab(run, context, session)
    if not await open_app(run, session, page):
        await recover(run, session, page)
    current, position = "Overview", first_page
    while run.clock() < run.deadline:
        if run.upload_done is not None and not fresh_checked(run, session):
            target = "Overview"
        else:
            target = PAGES[position % len(PAGES)]
            position += 1
        if target == current and target != "Overview":
            continue
        if target != current:
            if not await navigate(run, session, page, target):
                current = await recover(run, session, page)
                continue
            current = target
        if run.clock() >= run.deadline:
            break
        if not await change_grain(run, session, page, current):
            current = await recover(run, session, page)
            continue
        if current in PRESET_PAGES and run.clock() < run.deadline:
            for label in (OTHER_PRESET, DEFAULT_PRESET):
                if not await change_preset(run, session, page, current, label):
                    current = await recover(run, session, page)
                    break
    # Freshness: wait for the upload, then one Overview render after it.
    while run.upload_done is None and not run.upload_failed and run.clock() < run.hard_stop:
        await asyncio.sleep(0.5)
    if run.upload_done is not None and not fresh_checked(run, session):
        if current == "Overview":
            if not await change_grain(run, session, page, current):
                await recover(run, session, page)
                await read_orders(run, session, page, run.clock())
        elif not await navigate(run, session, page, "Overview"):
            await recover(run, session, page)
    await page.close()


async def upload(run: Run, context, session: str, file: Path, expected_orders: int) -> None:
    """Open Data, wait until the upload time, upload the file, then render the Overview."""
    page = await new_tab(run, context, session)
    try:
        if not await open_app(run, session, page) or not await navigate(run, session, page, "Data"):
            run.upload_failed = True
            return
        await asyncio.sleep(max(0.0, run.upload_at - run.clock()))
        run.upload_started = run.clock()
        try:
            await page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(file))
            await expect(page.get_by_role("heading", name="Import reports")).to_be_visible(
                timeout=UPLOAD_WAIT_MS
            )
            await settle(page, UPLOAD_WAIT_MS)
            await expect(
                page.get_by_test_id("stMain").get_by_text(f"{expected_orders} orders").first
            ).to_be_visible(timeout=10_000)
        except PlaywrightError as e:
            run.upload_failed = True
            run.errors.append(ErrorRecord(session, "Data", "upload failed", str(e)[:500]))
            return
        run.upload_done = run.clock()
        run.timings.append(
            Timing(session, "Data", "upload", run.upload_done - run.upload_started, 0.0)
        )
        await count_errors(run, session, page, "Data")
        if not await navigate(run, session, page, "Overview"):
            await recover(run, session, page)
    finally:
        await page.close()


async def drive(run: Run, sessions: int, file: Path, expected_orders: int) -> None:
    """One chromium, `sessions` browsing contexts and one uploading context."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        contexts = [await browser.new_context(viewport=VIEWPORT) for _ in range(sessions + 1)]
        run.t0 = time.monotonic()
        jobs = [
            browse(run, contexts[i], f"browse-{i + 1}", i % len(PAGES)) for i in range(sessions)
        ]
        jobs.append(upload(run, contexts[-1], "upload", file, expected_orders))
        try:
            await asyncio.wait_for(asyncio.gather(*jobs), timeout=run.hard_stop)
        except TimeoutError:
            run.errors.append(ErrorRecord("all", "-", "hard stop", f"at {run.hard_stop:.0f} s"))
        finally:
            for context in contexts:
                await context.close()
            await browser.close()


# --- figures ----------------------------------------------------------------------------------
def summarise(run: Run) -> dict:
    """Timings per page and kind, and overall."""
    table: dict[str, dict] = {}
    for kind in ("open", "load", "rerun"):
        for title in PAGES:
            values = [t.seconds for t in run.timings if t.kind == kind and t.page == title]
            if values:
                table[f"{title} {kind}"] = percentiles(values)
        table[f"all {kind}"] = percentiles([t.seconds for t in run.timings if t.kind == kind])
    return table


def freshness(run: Run, before: int, after: int) -> dict:
    """Compare every Overview reading with the figure it must show."""
    before_text, after_text = f"{before:,}", f"{after:,}"
    sessions = sorted({r.session for r in run.readings} | {t.session for t in run.timings})
    browsing = [s for s in sessions if s.startswith("browse")]
    stale, wrong_before, during = [], [], 0
    for r in run.readings:
        if run.upload_done is not None and r.started > run.upload_done:
            if r.text != after_text:
                stale.append(asdict(r))
        elif run.upload_started is None or r.finished < run.upload_started:
            if r.text != before_text:
                wrong_before.append(asdict(r))
        else:
            during += 1
    unchecked = [s for s in [*browsing, "upload"] if not fresh_checked(run, s)]
    after_readings = sum(
        1 for r in run.readings if run.upload_done is not None and r.started > run.upload_done
    )
    ok = run.upload_done is not None and not stale and not wrong_before and not unchecked
    return {
        "ok": ok,
        "orders_before": before_text,
        "orders_after": after_text,
        "readings": len(run.readings),
        "readings_after_upload": after_readings,
        "readings_during_upload": during,
        "stale": stale,
        "wrong_before_upload": wrong_before,
        "sessions_without_fresh_overview": unchecked,
    }


def markdown(result: dict) -> str:
    """A small Markdown table of the figures."""
    lines = [
        f"Load test: {result['sessions']} browsing sessions + 1 uploading, "
        f"{result['seconds']} s on {result['machine']}",
        "",
        "| page / kind | n | p50 s | p95 s | max s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in result["timings"].items():
        if row["n"]:
            lines.append(f"| {name} | {row['n']} | {row['p50']} | {row['p95']} | {row['max']} |")
    fresh = result["freshness"]
    lines += [
        "",
        f"Upload of {NEW_ORDERS} orders: {result['upload_seconds']} s (from the file input "
        "until the report showed).",
        f"Machine load average before / after: {result['load_average_before_after'][0]} / "
        f"{result['load_average_before_after'][1]}; {result['timings_from_websocket']} timings "
        "taken from the websocket (the page's clock missed the run).",
        f"Errors: {len(result['errors'])}. Freshness: "
        f"{'ok' if fresh['ok'] else 'FAILED'} (Orders {fresh['orders_before']} -> "
        f"{fresh['orders_after']}; {fresh['readings_after_upload']} Overview renders after the "
        f"upload, {len(fresh['stale'])} stale).",
    ]
    return "\n".join(lines) + "\n"


def print_figures(result: dict) -> None:
    print(f"{'page / kind':<22} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for name, row in result["timings"].items():
        if row["n"]:
            print(f"{name:<22} {row['n']:>4} {row['p50']:>7} {row['p95']:>7} {row['max']:>7}")
    server = result["server_script_seconds"]
    print(
        f"server script runs: n={server['n']} p50={server['p50']} p95={server['p95']} "
        f"max={server['max']}"
    )
    print(f"upload of {NEW_ORDERS} orders: {result['upload_seconds']} s")
    before, after = result["load_average_before_after"]
    print(f"machine load average (1, 5, 15 min): {before} before, {after} after")
    print(
        f"errors: {len(result['errors'])} (timings taken from the websocket because the DOM "
        f"clock missed the run: {result['timings_from_websocket']})"
    )
    for error in result["errors"][:10]:
        print(f"  {error['session']} {error['page']}: {error['what']}: {error['detail'][:160]}")
    if result["js_errors"]:
        print(f"browser JS errors (not counted): {len(result['js_errors'])}")
    fresh = result["freshness"]
    print(
        f"freshness: {'ok' if fresh['ok'] else 'FAILED'}: Orders {fresh['orders_before']} before, "
        f"{fresh['orders_after']} expected after; {fresh['readings_after_upload']} renders after "
        f"the upload, {len(fresh['stale'])} stale, {len(fresh['wrong_before_upload'])} wrong "
        f"before, sessions without a fresh Overview: {fresh['sessions_without_fresh_overview']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="browsing phase (default 120)")
    parser.add_argument("--sessions", type=int, default=4, help="browsing sessions (default 4)")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="ro-load-") as tmp:
        folder = Path(tmp)
        db_path = folder / "ro.duckdb"
        started = time.perf_counter()
        db = Database(db_path)
        demo.load_demo(db)
        before = orders_shown(db)
        last_order_day = metrics.coverage(db).orders_last
        db.close()
        demo_seconds = time.perf_counter() - started
        upload_file = write_new_orders(folder / "new_orders_export.csv", last_order_day)
        added = count_new_orders(upload_file)
        print(
            f"demo store loaded in {demo_seconds:.1f} s; Orders shown {before:,}; uploading "
            f"{added} orders on {last_order_day}"
        )

        log = folder / "streamlit.log"
        load_before = [round(x, 2) for x in os.getloadavg()]
        url, process = start_app(db_path, log)
        run = Run(
            url=url,
            deadline=args.seconds,
            hard_stop=args.seconds + GRACE_SECONDS,
            upload_at=args.seconds * UPLOAD_AT_SHARE,
        )
        try:
            asyncio.run(drive(run, args.sessions, upload_file, added))
        finally:
            stop_app(process)
        wall = run.clock()

        db = Database(db_path, read_only=True)
        after = orders_shown(db)
        db.close()
        if after != before + added:
            run.errors.append(
                ErrorRecord(
                    "check", "-", "import count", f"Orders {before} + {added} != {after} in the db"
                )
            )
        server = [s for runs in server_timings(log).values() for s in runs]
        log_text = log.read_text(errors="replace")

    upload_timing = next((t for t in run.timings if t.kind == "upload"), None)
    result = {
        "machine": machine(),
        "seconds": args.seconds,
        "sessions": args.sessions,
        "wall_seconds": round(wall, 1),
        "load_average_before_after": [load_before, [round(x, 2) for x in os.getloadavg()]],
        "demo_load_seconds": round(demo_seconds, 2),
        "timings": summarise(run),
        "server_script_seconds": percentiles(server),
        "upload_seconds": round(upload_timing.seconds, 2) if upload_timing else None,
        "upload_started": run.upload_started,
        "upload_done": run.upload_done,
        "errors": [asdict(e) for e in run.errors],
        "timings_from_websocket": run.websocket_timed,
        "js_errors": run.js_errors[:50],
        "server_log_tracebacks": log_text.count("Traceback"),
        "freshness": freshness(run, before, after),
        "raw_timings": [asdict(t) for t in run.timings],
        "readings": [asdict(r) for r in run.readings],
    }
    if result["server_log_tracebacks"]:
        run.errors.append(
            ErrorRecord("server", "-", "Traceback in the server log", f"{log_text[-2000:]}")
        )
        result["errors"] = [asdict(e) for e in run.errors]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load_test.json").write_text(json.dumps(result, indent=2))
    (args.out / "load_test.md").write_text(markdown(result))
    print_figures(result)
    print(f"wrote {args.out / 'load_test.json'} and {args.out / 'load_test.md'}")
    return 0 if not result["errors"] and result["freshness"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
