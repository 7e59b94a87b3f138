"""How long a rerun takes after a widget change, measured on the demo store.

Two figures per change: in the browser, from the click until the app reports its script finished
(server run plus the round trip), and on the server, the script's own run time (app.py prints one
`ro-timing` line per run when RO_TIMING is set, as the e2e server does). Figures are printed and
saved to test-artifacts/rerun_timings.json; the goal is under 0.5 s per rerun. The assertion
only guards against losing the cache (a cached rerun taking seconds).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import REPO
from tests.e2e.helpers import START_CLOCK, open_page, wait_for_app

pytestmark = pytest.mark.e2e

TIMINGS = REPO / "test-artifacts" / "rerun_timings.json"
SERVER_TIMING = re.compile(r"ro-timing page=\S+ seconds=([0-9.]+)")
GRAINS = ["Week", "Month", "Day"]
PRESETS = ["Last 90 days", "Last month", "Year to date", "Last 30 days"]
LOG_WAIT_S = 10.0
CACHED_BOUND_S = 1.0  # the goal is < 0.5 s; this is the alarm for a rerun that lost its cache


def _timed(page: Page, log: Path, action: Callable[[], None]) -> tuple[float, float]:
    """(browser seconds from the action until the run finished, server seconds of the run)."""
    offset = log.stat().st_size
    page.evaluate(START_CLOCK)
    action()
    browser = page.wait_for_function("() => window.__roRun").json_value()
    wait_for_app(page)
    # the server's stderr reaches the log file on its own schedule: on a loaded machine the
    # browser can see the run finish first, so look until the run's line is there
    deadline = time.monotonic() + LOG_WAIT_S
    while True:
        with log.open("rb") as fh:
            fh.seek(offset)
            text = fh.read().decode(errors="replace")
        server = [float(m) for m in SERVER_TIMING.findall(text)]
        if server or time.monotonic() > deadline:
            break
        page.wait_for_timeout(50)
    assert server, "app.py prints one ro-timing line per run when RO_TIMING is set"
    return float(browser), server[-1]


def _grain(page: Page, label: str) -> Callable[[], None]:
    group = page.get_by_test_id("stSidebar").get_by_test_id("stButtonGroup")
    return lambda: group.get_by_text(label, exact=True).click()


def _choose_preset(page: Page, label: str) -> tuple[Callable[[], None], Callable[[], None]]:
    def open_list() -> None:
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_test_id("stSelectbox").filter(has_text="Period").click()

    return open_list, lambda: page.get_by_role("option", name=label).click()


def _summary(runs: list[list[float]]) -> str:
    browser = [b for b, _ in runs]
    server = [s for _, s in runs]
    return (
        f"median {statistics.median(browser):.3f} s / max {max(browser):.3f} s in the browser, "
        f"median {statistics.median(server):.3f} s / max {max(server):.3f} s on the server"
    )


def test_rerun_after_a_widget_change_is_fast(app_server, page):
    log = app_server["log"]
    page.goto(app_server["url"])
    wait_for_app(page)
    results: dict[str, list[list[float]]] = {}
    for title in ("Overview", "Trends", "Funnel", "Segments"):
        open_page(page, title)
        results[f"{title}: new grain"] = [_timed(page, log, _grain(page, g)) for g in GRAINS]
        results[f"{title}: cached grain"] = [_timed(page, log, _grain(page, g)) for g in GRAINS * 2]
    open_page(page, "Overview")
    preset_runs = []
    for label in PRESETS:
        open_list, choose = _choose_preset(page, label)
        open_list()
        preset_runs.append(_timed(page, log, choose))
    results["Overview: new period preset"] = preset_runs
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS.write_text(json.dumps(results, indent=2))
    for name, runs in results.items():
        print(f"{name}: {_summary(runs)}")
    cached = [statistics.median(b for b, _ in r) for n, r in results.items() if "cached" in n]
    assert max(cached) < CACHED_BOUND_S, results
