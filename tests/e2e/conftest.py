"""Real-browser fixtures: `streamlit run app.py` on a free loopback port, Debian's chromium.

The browser is Debian's chromium (/usr/bin/chromium) driven by the `playwright` package; the
test command (scripts/test.sh) installs chromium with apt-get when it is missing; Playwright's
own browser download is never used. Without chromium the tests skip locally and FAIL under CI (CI=1).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 90
APP_TIMEOUT_MS = 60_000
EXPECT_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.e2e


def _unavailable(reason: str) -> None:
    """Skip locally; fail under CI, where the browser suite must run."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with {process.returncode}:\n{log.read_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(
        f"streamlit did not answer {url}/_stcore/health within {STARTUP_SECONDS} s:\n"
        f"{log.read_text()[-4000:]}"
    )


def start_app(db_path: Path, log: Path) -> tuple[str, subprocess.Popen]:
    """Start `streamlit run app.py` with RO_DB=db_path; returns (url, process) once healthy."""
    port = free_port()
    env = dict(os.environ, RO_DB=str(db_path), PYTHONUNBUFFERED="1", RO_TIMING="1")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    handle = log.open("wb")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
    except BaseException:
        stop_app(process)
        raise
    return url, process


def stop_app(process: subprocess.Popen) -> None:
    """Stop the server we started (terminate, then kill after a grace period)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A running dashboard on a fresh database; yields {'url', 'db_path', 'log'}."""
    folder = tmp_path_factory.mktemp("e2e-app")
    db_path = folder / "ro.duckdb"
    log = folder / "streamlit.log"
    url, process = start_app(db_path, log)
    try:
        yield {"url": url, "db_path": db_path, "log": log}
    finally:
        stop_app(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium through playwright's sync API (skipped locally when unavailable)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium; scripts/test.sh does it)")
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)  # a rerun can take seconds on 2 busy cores
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
LOCAL_SCHEMES = ("data:", "blob:", "about:", "file:")


def is_local(url: str) -> bool:
    """Whether a request stays on this machine (loopback, or an inline data/blob URL)."""
    if url.startswith(LOCAL_SCHEMES):
        return True
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def block_outside_requests(context) -> list[str]:
    """Abort every request of the context that would leave this machine; returns the list of
    their URLs (filled as they happen) for the tests to assert on."""
    blocked: list[str] = []

    def abort(route) -> None:
        blocked.append(route.request.url)
        route.abort()

    context.route(lambda url: not is_local(url), abort)
    return blocked


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _record_failure(request, tab) -> None:
    """After a failed test: a screenshot of the page and the server log's tail, for diagnosis."""
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        tab.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
    except Exception as error:  # the page may be gone; the log still helps
        print(f"no failure screenshot: {error}")
    server = request.node.funcargs.get("app_server")
    if server is not None and Path(server["log"]).exists():
        print(f"--- streamlit log (tail) ---\n{Path(server['log']).read_text()[-3000:]}")


@pytest.fixture
def page(browser, request):
    """A fresh browser page (1400x1000) with generous timeouts for a shared 2-core machine.

    Requests that would leave the machine are aborted and listed in `page.outside_requests`.
    The app's finished script runs are counted from its websocket (helpers.RUN_HOOK).
    A failed test leaves a screenshot (FAILED-<test>.png) and prints the server log's tail.
    """
    from tests.e2e.helpers import RUN_HOOK  # imports playwright, which `browser` checked

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(APP_TIMEOUT_MS)
    context.add_init_script(RUN_HOOK)  # START_CLOCK sees runs too quick to show 'running'
    blocked = block_outside_requests(context)
    tab = context.new_page()
    tab.outside_requests = blocked
    try:
        yield tab
        _record_failure(request, tab)
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Where page screenshots go (printed at the end of the run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter) -> None:
    """Say where the screenshots are."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"e2e screenshots saved in {SCREENSHOTS}")
