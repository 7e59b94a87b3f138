"""Per-stage timings of an import, for benchmarks (``RO_IMPORT_TIMINGS=1``).

When the variable is set, :func:`mark` prints ``ro-import-stage NAME SECONDS PEAK_MB`` to
stderr: the seconds since the previous mark and the process's peak resident memory so far.
Without it, :func:`mark` does nothing measurable.
"""

from __future__ import annotations

import os
import sys
import time

TIMINGS_ENV_VAR = "RO_IMPORT_TIMINGS"
_last = [0.0]


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def start() -> None:
    """Start the clock of an import."""
    _last[0] = time.perf_counter()


def mark(stage: str) -> None:
    """Report the time spent since the previous mark under `stage` (when timings are asked for)."""
    if not os.environ.get(TIMINGS_ENV_VAR):
        return
    now = time.perf_counter()
    print(f"ro-import-stage {stage} {now - _last[0]:.3f} {_peak_mb():.0f}", file=sys.stderr)
    _last[0] = now
