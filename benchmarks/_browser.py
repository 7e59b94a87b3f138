"""Shared helpers of the browser benchmarks (load_test.py, upload_memory.py).

The server is started with tests/e2e/conftest.py's start_app (``streamlit run app.py`` on a free
loopback port with $RO_DB); the browser is Debian's chromium driven by playwright (its own
browser download is never used).
"""

from __future__ import annotations

import os
import platform
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, REPO, start_app, stop_app
from tests.e2e.helpers import START_CLOCK

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "OUT_DIR",
    "REPO",
    "START_CLOCK",
    "RssSampler",
    "ScriptRuns",
    "machine",
    "percentiles",
    "process_tree",
    "read_status_kb",
    "server_timings",
    "start_app",
    "stop_app",
    "upload_manager_bytes",
]

OUT_DIR = REPO / "benchmarks" / "out"

# START_CLOCK (shared with the e2e speed test) lives in tests/e2e/helpers.py.


class ScriptRuns:
    """When the server started and finished script runs, read from a page's websocket frames.

    Attach with ``page.on("websocket", runs.attach)`` before the page opens the app. Streamlit
    sends a ``new_session`` ForwardMsg when a run starts and ``script_finished`` when it ends.
    """

    FINISHED = (0, 3)  # FINISHED_SUCCESSFULLY, FINISHED_FRAGMENT_RUN_SUCCESSFULLY

    def __init__(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._message = ForwardMsg
        self.events: list[tuple[float, str, int]] = []  # (monotonic, kind, status)

    def attach(self, websocket) -> None:
        websocket.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        if not isinstance(payload, (bytes, bytearray)):
            return
        message = self._message()
        try:
            message.ParseFromString(bytes(payload))
        except Exception:  # a frame we cannot read is not a run event
            return
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.events.append((time.monotonic(), kind, -1))
        elif kind == "script_finished":
            self.events.append((time.monotonic(), kind, int(message.script_finished)))

    def finished_since(self, since: float) -> float | None:
        """When a run that started after `since` finished (monotonic), or None."""
        started = False
        for moment, kind, status in self.events:
            if moment < since:
                continue
            if kind == "new_session":
                started = True
            elif started and status in self.FINISHED:
                return moment
        return None


_SERVER_TIMING = re.compile(r"ro-timing page=(\S+) seconds=([0-9.]+)")
_UPLOAD_BYTES = re.compile(
    r'^cache_memory_bytes\{cache_type="UploadedFileManager"[^}]*\}\s+([0-9.e+]+)', re.M
)


def machine() -> str:
    """'Intel Xeon ..., 2 cores, 23.4 GB RAM, Linux 6.1, Python 3.11.7' for the figures."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = read_meminfo_kb("MemTotal") / 1024 / 1024
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory_gb:.1f} GB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def read_meminfo_kb(field_name: str) -> int:
    """A kB field of /proc/meminfo (0 when unreadable)."""
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """n, p50, p95 and max (seconds, linear interpolation) of a list of timings."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    array = np.asarray(values, dtype=float)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(array, 50)), 3),
        "p95": round(float(np.percentile(array, 95)), 3),
        "max": round(float(array.max()), 3),
    }


def server_timings(log: Path) -> dict[str, list[float]]:
    """Script run times per page from the server log (app.py prints them when RO_TIMING=1)."""
    runs: dict[str, list[float]] = {}
    for page, seconds in _SERVER_TIMING.findall(log.read_text(errors="replace")):
        runs.setdefault(page, []).append(float(seconds))
    return runs


def upload_manager_bytes(url: str) -> int | None:
    """Bytes of uploads Streamlit's UploadedFileManager holds (its /_stcore/metrics), or None."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10) as response:
            text = response.read().decode(errors="replace")
    except OSError:
        return None
    found = _UPLOAD_BYTES.findall(text)
    return int(sum(float(v) for v in found))


def read_status_kb(pid: int, field_name: str) -> int:
    """A kB field (VmRSS, VmHWM) of /proc/PID/status; 0 when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc/PID/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in children.read_text().split())
            except OSError:
                continue
    return found


@dataclass
class RssSampler:
    """Samples the summed VmRSS (MB) of a process tree every `interval` seconds in a thread."""

    pid: int
    interval: float = 0.1
    samples: list[tuple[float, float]] = field(default_factory=list)  # (monotonic, MB)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            kb = sum(read_status_kb(p, "VmRSS") for p in process_tree(self.pid))
            self.samples.append((time.monotonic(), kb / 1024))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def now(self) -> float:
        """The latest sample (MB)."""
        return self.samples[-1][1] if self.samples else 0.0

    def peak(self, start: float, end: float) -> float:
        """The highest sample (MB) between two monotonic times."""
        window = [mb for t, mb in self.samples if start <= t <= end]
        return max(window) if window else 0.0

    def mean(self, start: float, end: float) -> float:
        """The mean sample (MB) between two monotonic times."""
        window = [mb for t, mb in self.samples if start <= t <= end]
        return sum(window) / len(window) if window else 0.0
