"""How well the store-health monitor finds problems: recall on generated stores with injected
problems and false alerts per metric per month on clean ones (prints a table).

    python benchmarks/health_eval.py [--stores 30]

Stores come from tests/support/health_store.py (weekly seasonality, day-to-day noise, two
devices); the detector is ro_core.health.detect, the same code `ro check` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datetime import timedelta  # noqa: E402

from ro_core.health import detect, tracking  # noqa: E402
from tests.support.health_store import PROBLEMS, generate  # noqa: E402


def alerts_of(frame):
    first = frame["day"].min() + timedelta(weeks=detect.HISTORY_WEEKS)
    last = frame["day"].max()
    return (
        (
            detect.anomalies(frame, first, last)
            + detect.share_anomalies(frame, "device", first, last)
            + tracking.tracking_alerts(frame, first, last)
        ),
        first,
        last,
    )


def evaluate(stores: int) -> dict:
    false_by_metric: Counter = Counter()
    months = 0.0
    for seed in range(stores):
        frame, _ = generate(10_000 + seed)
        alerts, first, last = alerts_of(frame)
        months += ((last - first).days + 1) / 30.4375
        for alert in alerts:
            false_by_metric[alert.metric] += 1
    recall = {}
    for problem in PROBLEMS:
        found = 0
        for seed in range(stores):
            frame, problems = generate(20_000 + seed, problem=problem)
            alerts, _, _ = alerts_of(frame)
            target = problems[0]
            if any(
                target.first <= a.date <= target.last
                and a.metric in target.metrics
                and a.segment in target.segments
                for a in alerts
            ):
                found += 1
        recall[problem] = found / stores
    return {"false": false_by_metric, "months": months, "recall": recall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    result = evaluate(args.stores)
    print(f"threshold {detect.THRESHOLD} spreads, {detect.HISTORY_WEEKS} weeks of history, "
          f"{args.stores} stores per row ({time.perf_counter() - started:.0f} s)")  # fmt: skip
    print("\n| injected problem | recall |\n|---|---|")
    for problem, share in result["recall"].items():
        print(f"| {problem} | {share:.0%} |")
    months = result["months"]
    print(f"\nclean stores: {months:.0f} store-months")
    print("\n| metric | false alerts per month |\n|---|---|")
    metrics = sorted(set(result["false"]) | {"sessions", "orders", "revenue", "aov",
                     "conversion_rate", "cart_rate", "checkout_rate", "checkout_completion"})  # fmt: skip
    for metric in metrics:
        print(f"| {metric} | {result['false'][metric] / months:.2f} |")


if __name__ == "__main__":
    main()
