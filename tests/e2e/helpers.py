"""Playwright helpers for a Streamlit page: wait for reruns, open pages, read metrics."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

TIMEOUT_MS = 60_000

# ForwardMsg's fields in the Streamlit installed; script_finished's value says how a run ended
# (FINISHED_EARLY_FOR_RERUN: another run follows).
_MSG = ForwardMsg.DESCRIPTOR.fields_by_name

# Installed in every e2e page before the app loads (tests/e2e/conftest.py): counts the script runs
# that finished, from the app's websocket frames (the top-level fields of each ForwardMsg are read
# with a few lines of protobuf wire format). A quick rerun can end before the frontend has drawn
# anything: its script state in the DOM then never shows 'running', and a clock that waits to see
# it would wait forever.
RUN_HOOK = """(() => {
    const FINISHED = FINISHED_FIELD, EARLY = EARLY_STATUS;
    const runs = window.__roScriptRuns = {finished: 0, onFinished: null};
    const fields = (bytes) => {  // top-level field number -> varint value (null: other types)
        const found = new Map();
        let i = 0;
        const varint = () => {
            let value = 0, shift = 0, byte;
            do { byte = bytes[i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; }
            while (byte & 0x80 && i < bytes.length);
            return value;
        };
        while (i < bytes.length) {
            const key = varint(), type = key % 8, field = Math.floor(key / 8);
            if (type === 0) found.set(field, varint());
            else if (type === 1) { found.set(field, null); i += 8; }
            else if (type === 2) { found.set(field, null); i += varint(); }
            else if (type === 5) { found.set(field, null); i += 4; }
            else break;
        }
        return found;
    };
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', (event) => {
                if (!(event.data instanceof ArrayBuffer)) return;
                const found = fields(new Uint8Array(event.data));
                if (!found.has(FINISHED) || found.get(FINISHED) === EARLY) return;
                runs.finished += 1;
                if (runs.onFinished) runs.onFinished();
            });
        }
    };
})();""".replace("FINISHED_FIELD", str(_MSG["script_finished"].number)).replace(
    "EARLY_STATUS", str(ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN"))
)

# Starts a clock in the page; window.__roRun holds the seconds from now until a script run has
# finished: the app's script state went from running back to notRunning (what wait_for_app waits
# for; mutation records carry the old value, so a run that starts and ends between two observer
# callbacks still counts), or, in a page with RUN_HOOK, a run's script_finished message arrived
# and two frames later the state reads notRunning (a run too quick to show 'running').
START_CLOCK = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const notRunning = () => app.getAttribute('data-test-script-state') === 'notRunning';
    window.__roRun = null;
    const t0 = performance.now();
    let started = false;
    const done = () => {
        if (window.__roRun !== null) return;
        observer.disconnect();
        window.__roRun = (performance.now() - t0) / 1000;
    };
    const observer = new MutationObserver((records) => {
        if (!notRunning() || records.some(r => r.oldValue !== 'notRunning')) started = true;
        if (started && notRunning()) done();
    });
    observer.observe(app, {
        attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true
    });
    const runs = window.__roScriptRuns;
    if (runs) {
        const before = runs.finished;
        runs.onFinished = () => {
            if (runs.finished === before) return;
            runs.onFinished = null;
            const look = () => {
                if (window.__roRun !== null) return;
                if (notRunning()) done(); else requestAnimationFrame(look);
            };
            requestAnimationFrame(() => requestAnimationFrame(look));
        };
    }
}"""


def wait_for_app(page: Page, timeout: int = TIMEOUT_MS) -> None:
    """Wait until the app is connected and its script is not running.

    After a click or an input that makes the app rerun, use :func:`act`: the run it causes may
    not have started yet when this looks.
    """
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def open_page(page: Page, title: str) -> None:
    """Click a page in the sidebar navigation and wait until its run has finished: its title
    shows only once the new page's run has started, then the app goes back to 'notRunning'."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    wait_for_app(page)


NEXT_FRAMES = """() => new Promise(done => requestAnimationFrame(
    () => requestAnimationFrame(() => done(true))))"""


def screenshot(page: Page, folder: Path, name: str, height: int = 2400) -> Path:
    """Save a screenshot of the whole page as folder/name.png.

    Streamlit scrolls inside its own container, so the viewport is made tall for the shot.
    """
    target = folder / f"{name}.png"
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_function(NEXT_FRAMES)  # the page is laid out again at the new size
    page.screenshot(path=str(target))
    page.set_viewport_size(size)
    return target


def metric_value(page: Page, label: str) -> str:
    """The value text of the st.metric whose label is `label` (exact)."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    expect(metric).to_have_count(1)
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def plotly_traces(page: Page, index: int = 0) -> list[dict]:
    """The traces (name, type, x, y) of the index-th Plotly chart, read from the browser."""
    chart = page.locator(".js-plotly-plot").nth(index)
    expect(chart).to_be_visible()
    return chart.evaluate(
        """el => el.data.map(t => ({
            name: t.name || '', type: t.type || 'scatter',
            x: Array.from(t.x || []), y: Array.from(t.y || [])
        }))"""
    )


def set_date_range(page: Page, start, end) -> None:
    """Pick 'Custom range' in the sidebar and type both dates (committed when focus leaves)."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Period").click()
    act(page, page.get_by_role("option", name="Custom range").click)
    for which, day in (("start", start), ("end", end)):
        for part, value in (
            ("year", f"{day.year:04d}"),
            ("month", f"{day.month:02d}"),
            ("day", f"{day.day:02d}"),
        ):
            sidebar.get_by_role("spinbutton", name=f"{part}, Dates {which} date").click()
            page.keyboard.type(value)
    heading = page.get_by_test_id("stMain").get_by_role("heading", level=1)
    act(page, heading.click)  # leaving the inputs commits the dates
    expect(page.get_by_test_id("stMain").get_by_text(f"{start} to {end}").first).to_be_visible()


def act(page: Page, action, timeout: int = TIMEOUT_MS) -> None:
    """Do something that makes the app rerun (a click, Enter in an input) and wait until that
    run has finished: a clock started before the action sees the script leave 'notRunning' and
    come back (wait_for_app alone can return before a slow rerun has even started)."""
    page.evaluate(START_CLOCK)
    action()
    page.wait_for_function("() => window.__roRun !== null", timeout=timeout)
    wait_for_app(page, timeout)


GRID_ROWS = """el => {
    const heads = Array.from(el.querySelectorAll('thead th')).map(
        th => [Number(th.getAttribute('aria-colindex')), th.textContent.trim()]);
    const names = Object.fromEntries(heads);
    return Array.from(el.querySelectorAll('tbody tr')).map(tr => Object.fromEntries(
        Array.from(tr.querySelectorAll('td')).map(
            td => [names[Number(td.getAttribute('aria-colindex'))], td.textContent.trim()])));
}"""


def grid(page: Page, header: str, scope=None, timeout: int = 20_000):
    """The st.dataframe / st.data_editor that has a column titled `header` (exact).

    Streamlit draws tables on a canvas (glide-data-grid) with an accessible <table> of the
    visible cells inside it, written only once the grid is on screen: each grid is scrolled
    into view before its headers are read, and the page is read again (frame by frame) until
    the table appears, so a table the last run is still replacing is not taken.
    """
    root = scope if scope is not None else page.get_by_test_id("stMain")
    frames = root.get_by_test_id("stDataFrame")
    deadline = time.monotonic() + timeout / 1000
    seen: list[list[str]] = []
    while True:
        wait_for_app(page)
        seen = []
        for frame in frames.all():
            frame.scroll_into_view_if_needed()
            expect(frame.locator("thead th")).not_to_have_count(0)
            headers = [t.strip() for t in frame.locator("thead th").all_text_contents()]
            if header in headers:
                return frame
            seen.append(headers)
        if time.monotonic() > deadline:
            raise AssertionError(f"no table with a column {header!r}; tables seen: {seen}")
        page.wait_for_function(NEXT_FRAMES)


def grid_rows(frame) -> list[dict[str, str]]:
    """The visible rows of a grid as {column title: text shown}."""
    frame.scroll_into_view_if_needed()
    expect(frame.locator("thead th")).not_to_have_count(0)
    return frame.evaluate(GRID_ROWS)


def edit_grid_cell(page: Page, frame, row: int, column: int, value: str) -> None:
    """Type `value` into one cell of an st.data_editor (row and column from 0, no index shown)
    and wait for the rerun the edit causes. Goes from the first cell with the keyboard: the
    canvas has no per-cell elements to click.

    The click goes through the grid's locator (Playwright waits until it is stable and receives
    the click), and the keys are sent only once the grid holds the focus: a click computed from
    a box that a finishing rerun has just moved would land on another input and the arrow keys
    would change that input instead.
    """
    # the grid's scroller lies over its canvas and takes the pointer events
    scroller = frame.locator(".dvn-scroller").first
    scroller.scroll_into_view_if_needed()
    page.keyboard.press("Escape")
    # row 0, column 0: below the 36 px header, right of the row-marker column of a dynamic editor
    scroller.click(position={"x": 90, "y": 36 + 17})
    expect(frame.locator("td[aria-selected=true]")).to_have_count(1)
    page.wait_for_function("el => el.contains(document.activeElement)", arg=frame.element_handle())
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    editor = page.locator("#portal .gdg-input, #portal input, #portal textarea").first
    expect(editor).to_be_visible()
    editor.fill(value)
    act(page, lambda: page.keyboard.press("Enter"))


def fill_number(page: Page, label: str, value: float | str, scope=None) -> None:
    """Type a value into the st.number_input labelled `label` and commit it (Enter)."""
    root = scope if scope is not None else page.get_by_test_id("stMain")
    field = root.get_by_label(label, exact=True)
    field.fill(str(value))
    act(page, lambda: field.press("Enter"))
    expect(field).to_have_value(str(value))


def choose(page: Page, label: str, option: str, scope=None) -> None:
    """Pick `option` in the st.selectbox labelled `label`; waits for the rerun only when the
    choice changes (picking the current option runs nothing)."""
    root = scope if scope is not None else page.get_by_test_id("stMain")
    root.get_by_test_id("stSelectbox").filter(has_text=label).click()
    item = page.get_by_role("option", name=option, exact=True)
    expect(item).to_be_visible()
    if item.get_attribute("aria-selected") == "true":
        page.keyboard.press("Escape")
        expect(item).to_have_count(0)
        return
    act(page, item.click)
