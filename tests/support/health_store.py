"""Generated stores for the store-health monitor: daily aggregates with realistic weekly
seasonality and noise, and known injected problems (shared by tests and benchmarks).

A store has two devices. Sessions per day follow a weekday rhythm, a slow yearly wave and
day-to-day noise (lognormal level, Poisson counts); each device has its own funnel (cart,
checkout, completion) whose rates vary from day to day beyond binomial noise; order values are
gamma distributed. The frame has ro_core.health.detect.DAILY_COLUMNS: the store ('') and one row
per device ('device = Mobile'), orders and revenue on the store row only (orders carry no
device), exactly the shape the SQL of ro_core.health.daily returns.

Problems (PROBLEMS) change the generating process on some days and name the alerts that count
as finding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

WEEKDAY = np.array([1.0, 1.02, 1.0, 0.97, 0.93, 0.8, 0.86])  # Monday .. Sunday
DEVICES = {
    # device: (share of sessions, cart rate, checkout rate, completion rate)
    "Mobile": (0.62, 0.07, 0.52, 0.55),
    "Desktop": (0.38, 0.10, 0.58, 0.66),
}
MEAN_ORDER_VALUE = 72.0
ORDER_VALUE_SHAPE = 1.6  # gamma shape: coefficient of variation 1/sqrt(1.6) ~ 0.79
RATE_WOBBLE = 0.05  # day-to-day relative variation of each step rate beyond binomial noise


@dataclass(frozen=True)
class Problem:
    """An injected problem: what it does, on which days, and which alerts find it."""

    name: str
    first: date
    last: date
    metrics: tuple[str, ...]  # any of these metrics ...
    segments: tuple[str, ...]  # ... on any of these segments ('' = the whole store)


def _days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def generate(
    seed: int,
    *,
    start: date = date(2025, 1, 6),
    weeks: int = 26,
    sessions: float = 3000.0,
    problem: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """A daily frame and the problems injected into it (none for a clean store).

    `problem`: None, 'checkout_mobile' (mobile checkout completion falls by 45% for three days),
    'bot_spike' (one day of 2.5x desktop sessions that never buy), 'no_tracking' (one day
    without sessions while orders continue), 'drift' (conversion falls 2% a day for 3 weeks).
    """
    rng = np.random.default_rng(seed)
    days = _days(start, weeks * 7)
    n = len(days)
    weekday = WEEKDAY[[d.weekday() for d in days]]
    wave = 1 + 0.08 * np.sin(np.arange(n) * 2 * np.pi / 365 + rng.uniform(0, 6.3))
    level = sessions * weekday * wave * np.exp(rng.normal(0, 0.06, n))
    problems: list[Problem] = []
    hit = rng.integers(8 * 7, n - 30)  # leave history before the problem
    affected = np.zeros(n, dtype=bool)
    completion_factor = {name: np.ones(n) for name in DEVICES}
    extra_desktop = np.zeros(n)
    no_tracking = np.zeros(n, dtype=bool)
    drift = np.ones(n)
    if problem == "checkout_mobile":
        affected[hit : hit + 3] = True
        completion_factor["Mobile"][affected] = 0.55
        problems.append(
            Problem(
                problem,
                days[hit],
                days[hit + 2],
                ("checkout_completion", "conversion_rate"),
                ("device = Mobile", ""),
            )  # fmt: skip
        )
    elif problem == "bot_spike":
        extra_desktop[hit] = 1.5 * level[hit]
        problems.append(
            Problem(
                problem,
                days[hit],
                days[hit],
                ("sessions", "conversion_rate", "cart_rate", "share:device"),
                ("", "device = Desktop", "device = Mobile"),
            )  # fmt: skip
        )
    elif problem == "no_tracking":
        no_tracking[hit] = True
        problems.append(Problem(problem, days[hit], days[hit], ("sessions",), ("",)))
    elif problem == "drift":
        length = 21
        drift[hit : hit + length] = 0.98 ** np.arange(1, length + 1)
        drift[hit + length :] = 0.98**length
        problems.append(
            Problem(
                problem,
                days[hit],
                days[hit + length - 1] + timedelta(days=14),
                ("conversion_rate", "checkout_completion", "cart_rate", "orders", "revenue"),
                ("", "device = Mobile", "device = Desktop"),
            )  # fmt: skip
        )
    rows = []
    totals = {key: np.zeros(n) for key in ("sessions", "cart", "checkout", "conversions")}
    for name, (share, cart, checkout, completion) in DEVICES.items():
        mean = level * share + (extra_desktop if name == "Desktop" else 0)
        dev_sessions = rng.poisson(mean).astype(float)
        buyers = rng.poisson(level * share).astype(float)  # sessions able to buy (no bots)
        wobble = lambda: np.exp(rng.normal(0, RATE_WOBBLE, n))  # noqa: E731
        dev_cart = rng.binomial(buyers.astype(int), np.clip(cart * wobble() * drift, 0, 1))
        dev_checkout = rng.binomial(dev_cart, np.clip(checkout * wobble(), 0, 1))
        rate = np.clip(completion * wobble() * completion_factor[name], 0, 1)
        dev_conversions = rng.binomial(dev_checkout, rate)
        values = {
            "sessions": dev_sessions,
            "cart": dev_cart.astype(float),
            "checkout": dev_checkout.astype(float),
            "conversions": dev_conversions.astype(float),
        }
        for key in totals:
            totals[key] += values[key]
        for key in values:
            values[key] = np.where(no_tracking, 0.0, values[key])
        frame = pd.DataFrame({"day": days, "segment": f"device = {name}", **values})
        rows.append(frame)
    orders = totals["conversions"]
    revenue = np.zeros(n)
    revenue_sq = np.zeros(n)
    scale = MEAN_ORDER_VALUE / ORDER_VALUE_SHAPE
    for i, count in enumerate(orders.astype(int)):
        order_values = rng.gamma(ORDER_VALUE_SHAPE, scale, count)
        revenue[i] = order_values.sum()
        revenue_sq[i] = (order_values**2).sum()
    store = pd.DataFrame(
        {
            "day": days,
            "segment": "",
            **{k: np.where(no_tracking, 0.0, v) for k, v in totals.items()},
            "orders": orders,
            "revenue": revenue,
            "revenue_sq": revenue_sq,
        }
    )
    frame = pd.concat([store, *rows], ignore_index=True)
    for column in ("orders", "revenue", "revenue_sq"):
        if column not in frame:
            frame[column] = np.nan
    return frame, problems


PROBLEMS = ("checkout_mobile", "bot_spike", "no_tracking", "drift")
