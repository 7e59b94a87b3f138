"""Store-health detection on daily aggregates: numbers in, alerts out (no database).

Each day is judged against the same weekday of the preceding weeks (``HISTORY_WEEKS``), so the
weekly rhythm of a store never looks like a problem:

- counts (sessions, orders) and revenue: on a log scale, the median of the history and a robust
  spread (1.4826 x MAD), never narrower than the day's own sampling noise (Poisson for counts,
  the order-value spread for revenue) or ``MIN_RELATIVE_SPREAD``;
- rates (conversion rate, each funnel step, a device's or channel's share of sessions): the
  history's pooled rate, with the day's binomial noise plus the between-week variation the
  history shows beyond its own binomial noise (never below ``MIN_RELATIVE_SPREAD`` of the rate);
- AOV: the history's pooled order value, the day's standard error from the per-order spread,
  plus the between-week variation.

A day is an anomaly when it lies outside ``center +- THRESHOLD x spread`` (the spread inflated by
sqrt(1 + 1/n) for a history of n weeks). ``THRESHOLD`` was tuned with benchmarks/health_eval.py
on generated stores for at most one false alert per metric per month (see the README).

Tracking checks (orders without sessions, duplicated orders, two traffic sources that stop
agreeing) are in ro_core.health.tracking.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ro_core.metrics.catalog import METRICS, RATE

HISTORY_WEEKS = 6
MIN_HISTORY = 3
THRESHOLD = 4.0
THRESHOLDS = {"count": 4.0, "rate": 3.5, "mean": 4.0}  # spreads, by metric family
MIN_RELATIVE_SPREAD = 0.04
MIN_RATE_DENOMINATOR = 30  # a step entered by fewer sessions is not judged that day
MIN_ORDERS_FOR_AOV = 5

ANOMALY = "anomaly"
TRACKING = "tracking"
UP = "up"
DOWN = "down"

# metric -> (numerator column, denominator column) of the daily frame; None = a count or sum.
COUNT_METRICS: dict[str, str] = {"sessions": "sessions", "orders": "orders", "revenue": "revenue"}
RATE_METRICS: dict[str, tuple[str, str]] = {
    "conversion_rate": ("conversions", "sessions"),
    "cart_rate": ("cart", "sessions"),
    "checkout_rate": ("checkout", "cart"),
    "checkout_completion": ("conversions", "checkout"),
}
DAILY_COLUMNS = (
    "day",
    "segment",
    "sessions",
    "cart",
    "checkout",
    "conversions",
    "orders",
    "revenue",
    "revenue_sq",
)
"""The daily frame: one row per day and segment ('' = the whole store). Traffic columns are NaN
where the traffic has no daily rows; orders/revenue/revenue_sq NaN for segments the orders
cannot be split by."""


@dataclass(frozen=True)
class Alert:
    """One day outside what noise explains, or a problem with the data itself.

    Attributes:
        date: the day.
        metric: catalogue key (or 'share:<dimension>', 'duplicate_orders', 'data').
        segment: '' for the whole store, else e.g. 'device = Mobile'.
        direction: 'up' or 'down'.
        observed: the day's value; expected_low / expected_high: the range noise explains.
        kind: 'anomaly' or 'tracking'.
        sentence: the alert for a store owner.
        size: how far outside, in spreads (anomalies) or the count (tracking).
    """

    date: date
    metric: str
    segment: str
    direction: str
    observed: float
    expected_low: float
    expected_high: float
    kind: str
    sentence: str
    size: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        data = dict(self.__dict__)
        data["date"] = self.date.isoformat()
        return data


@dataclass(frozen=True)
class Band:
    """Where a day's value is expected: center and spread on the metric's scale."""

    center: float
    spread: float
    history_low: float
    history_high: float
    weeks: int
    log_scale: bool = False

    def bounds(self, threshold: float = THRESHOLD) -> tuple[float, float]:
        """(low, high) on the metric's own scale."""
        width = threshold * self.spread * math.sqrt(1 + 1 / self.weeks)
        if self.log_scale:
            return max(math.expm1(self.center - width), 0.0), math.expm1(self.center + width)
        return max(self.center - width, 0.0), self.center + width


def mad(values: Sequence[float]) -> float:
    """The robust spread 1.4826 x the median absolute deviation (a standard deviation's
    estimate for normal data)."""
    series = pd.Series(values, dtype="float64")
    return float(1.4826 * (series - series.median()).abs().median())


# --- sentences ----------------------------------------------------------------------------------
def _format(metric: str, value: float) -> str:
    entry = METRICS.get(metric)
    if metric.startswith("share:") or (entry is not None and entry.kind == RATE):
        return f"{value * 100:.1f}%"
    if entry is not None and entry.kind == "money":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def _label(metric: str, segment: str) -> str:
    """'Checkout completion on Mobile', 'Mobile share of sessions', 'Sessions'."""
    value = segment.partition(" = ")[2] or segment
    if metric.startswith("share:"):
        return f"{value} share of sessions"
    entry = METRICS.get(metric)
    name = entry.short_label if entry is not None else metric.replace("_", " ").capitalize()
    return f"{name} on {value}" if value else name


def sentence(
    metric: str, segment: str, day: date, observed: float, band: Band, low: float, high: float
) -> str:
    """'Checkout completion on Mobile fell to 21.0% on 14 March 2025, against 35.0-41.0%
    expected from the 6 previous Fridays.' (the range noise explains, not the raw extremes, so
    an earlier outlier in the history does not stretch it)."""
    center = math.expm1(band.center) if band.log_scale else band.center
    verb = "rose" if observed > center else "fell"
    return (
        f"{_label(metric, segment)} {verb} to {_format(metric, observed)} on "
        f"{day.day} {day:%B %Y}, against {_format(metric, low)}-{_format(metric, high)} "
        f"expected from the {band.weeks} previous {day:%A}s."
    )


# --- the checks ---------------------------------------------------------------------------------
def full_days(part: pd.DataFrame) -> pd.DataFrame:
    """One row per calendar day (missing days NaN), so a week back is 7 rows back."""
    frame = part.set_index("day").sort_index()
    index = pd.date_range(frame.index.min(), frame.index.max(), freq="D").date
    return frame.reindex(index)


def weekday_history(frame: pd.DataFrame, day: date, column: str) -> list[float]:
    """The column's known values on the same weekday 1..HISTORY_WEEKS weeks before `day`."""
    days = [day - timedelta(weeks=k) for k in range(1, HISTORY_WEEKS + 1)]
    found = frame.reindex(days)[column] if column in frame else pd.Series(dtype=float)
    return [float(v) for v in found if not pd.isna(v)]


def weekday_lags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """(days x HISTORY_WEEKS) matrix of the same weekday 1..HISTORY_WEEKS weeks earlier."""
    values = frame[column].to_numpy(dtype=float)
    out = np.full((len(values), HISTORY_WEEKS), np.nan)
    for k in range(1, HISTORY_WEEKS + 1):
        out[7 * k :, k - 1] = values[: -7 * k] if len(values) > 7 * k else []
    return out


def _alert(
    metric: str, segment: str, day: date, observed: float, band: Band, threshold: float
) -> Alert:
    low, high = band.bounds(threshold)
    scale = band.spread * math.sqrt(1 + 1 / band.weeks)
    value = math.log1p(observed) if band.log_scale else observed
    return Alert(
        date=day,
        metric=metric,
        segment=segment,
        direction=UP if observed > high else DOWN,
        observed=float(observed),
        expected_low=float(low),
        expected_high=float(high),
        kind=ANOMALY,
        sentence=sentence(metric, segment, day, observed, band, low, high),
        size=round(abs(value - band.center) / scale, 2) if scale else float("inf"),
    )


def _family(metric: str) -> str:
    if metric in RATE_METRICS or metric.startswith("share:"):
        return "rate"
    return "mean" if metric == "aov" else "count"


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's warnings for days without history (their results are NaN, then skipped)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _count_bands(values: np.ndarray, lags: np.ndarray, units: np.ndarray, cv: float) -> dict:
    """Vectorised count_band for every day: centre, spread, history min/max and weeks."""
    logs = np.log1p(lags)
    weeks = np.sum(~np.isnan(lags), axis=1)
    with _quiet():
        center = np.nanmedian(logs, axis=1)
        mad = 1.4826 * np.nanmedian(np.abs(logs - center[:, None]), axis=1)
        noise = np.sqrt((1 + cv**2) / np.maximum(units, 1.0))
    spread = np.fmax(np.fmax(mad, noise), MIN_RELATIVE_SPREAD)
    return {"center": center, "spread": spread, "weeks": weeks, "log": True,
            "low": np.nanmin(lags, axis=1, initial=np.inf, where=~np.isnan(lags)),
            "high": np.nanmax(lags, axis=1, initial=-np.inf, where=~np.isnan(lags))}  # fmt: skip


def _rate_bands(k_lags: np.ndarray, n_lags: np.ndarray, n_today: np.ndarray) -> dict:
    """Vectorised rate_band for every day."""
    valid = ~np.isnan(k_lags) & ~np.isnan(n_lags) & (np.nan_to_num(n_lags) > 0)
    k = np.where(valid, k_lags, 0.0)
    n = np.where(valid, n_lags, 0.0)
    weeks = valid.sum(axis=1)
    with _quiet():
        p = k.sum(axis=1) / n.sum(axis=1)
        rates = np.where(valid, k / np.where(n > 0, n, 1), np.nan)
        observed_var = np.nanvar(rates, axis=1, ddof=1)
        binomial = np.where(valid, p[:, None] * (1 - p[:, None]) / np.where(n > 0, n, 1), np.nan)
        tau2 = np.fmax(observed_var - np.nanmean(binomial, axis=1), 0.0)
        spread = np.sqrt(p * (1 - p) / n_today + np.nan_to_num(tau2))
    spread = np.fmax(spread, np.fmax(MIN_RELATIVE_SPREAD * p, 1e-9))
    low = np.nanmin(np.where(valid, rates, np.inf), axis=1)
    high = np.nanmax(np.where(valid, rates, -np.inf), axis=1)
    return {"center": p, "spread": spread, "weeks": weeks, "log": False, "low": low, "high": high}


def _mean_bands(s_lags, q_lags, c_lags, n_today) -> dict:
    """Vectorised mean_band (AOV) for every day."""
    valid = ~np.isnan(s_lags) & ~np.isnan(q_lags) & ~np.isnan(c_lags) & (np.nan_to_num(c_lags) > 0)
    s, q, c = (np.where(valid, x, 0.0) for x in (s_lags, q_lags, c_lags))
    weeks = valid.sum(axis=1)
    with _quiet():
        count = c.sum(axis=1)
        mean = s.sum(axis=1) / count
        variance = np.fmax(q.sum(axis=1) / count - mean**2, 0.0)
        means = np.where(valid, s / np.where(c > 0, c, 1), np.nan)
        own = np.where(valid, variance[:, None] / np.where(c > 0, c, 1), np.nan)
        tau2 = np.fmax(np.nanvar(means, axis=1, ddof=1) - np.nanmean(own, axis=1), 0.0)
        spread = np.sqrt(variance / n_today + np.nan_to_num(tau2))
    spread = np.fmax(spread, np.fmax(MIN_RELATIVE_SPREAD * mean, 1e-9))
    low = np.nanmin(np.where(valid, means, np.inf), axis=1)
    high = np.nanmax(np.where(valid, means, -np.inf), axis=1)
    return {
        "center": mean,
        "spread": spread,
        "weeks": weeks,
        "log": False,
        "low": low,
        "high": high,
    }


def _flag(metric, segment, days, observed, bands, start, end, minimum) -> list[Alert]:
    """Alerts for the days whose observed value lies outside its band."""
    threshold = THRESHOLDS.get(_family(metric), THRESHOLD)
    weeks = bands["weeks"]
    inflate = np.sqrt(1 + 1 / np.maximum(weeks, 1))
    value = np.log1p(observed) if bands["log"] else observed
    with np.errstate(all="ignore"):
        z = np.abs(value - bands["center"]) / (bands["spread"] * inflate)
    alerts = []
    for i in np.flatnonzero(np.nan_to_num(z) > threshold):
        day = days[i]
        if not start <= day <= end or weeks[i] < MIN_HISTORY or not minimum[i]:
            continue
        band = Band(float(bands["center"][i]), float(bands["spread"][i]), float(bands["low"][i]),
                    float(bands["high"][i]), int(weeks[i]), log_scale=bands["log"])  # fmt: skip
        alerts.append(_alert(metric, segment, day, float(observed[i]), band, threshold))
    return alerts


def anomalies(daily: pd.DataFrame, start: date, end: date) -> list[Alert]:
    """Anomalies of every metric and segment of a daily frame (DAILY_COLUMNS) on start..end."""
    alerts: list[Alert] = []
    for segment, part in daily.groupby("segment", sort=False):
        frame = full_days(part)
        days = list(frame.index)
        sessions = frame["sessions"].to_numpy(dtype=float) if "sessions" in frame else None
        orders = frame["orders"].to_numpy(dtype=float) if "orders" in frame else None
        # days without tracking (0 sessions) or without orders are the tracking checks' job
        tracked = np.ones(len(days), dtype=bool)
        if sessions is not None:
            tracked &= ~(np.nan_to_num(sessions, nan=1.0) == 0)
        if orders is not None:
            tracked &= ~(np.nan_to_num(orders, nan=1.0) == 0)
        for metric, column in COUNT_METRICS.items():
            if column not in frame or frame[column].isna().all():
                continue
            observed = frame[column].to_numpy(dtype=float)
            units = observed
            cv = 0.0
            if metric == "revenue":
                units = np.nan_to_num(orders) if orders is not None else observed
                cv = _order_value_cv(frame)
            bands = _count_bands(observed, weekday_lags(frame, column), units, cv)
            minimum = tracked & ~np.isnan(observed)
            alerts += _flag(metric, str(segment), days, observed, bands, start, end, minimum)
        for metric, (num, den) in RATE_METRICS.items():
            if num not in frame or den not in frame or frame[den].isna().all():
                continue
            k = frame[num].to_numpy(dtype=float)
            n = frame[den].to_numpy(dtype=float)
            with np.errstate(all="ignore"):
                observed = k / n
            bands = _rate_bands(weekday_lags(frame, num), weekday_lags(frame, den), n)
            minimum = tracked & (np.nan_to_num(n) >= MIN_RATE_DENOMINATOR)
            alerts += _flag(metric, str(segment), days, observed, bands, start, end, minimum)
        if "revenue_sq" in frame and orders is not None and not frame["revenue_sq"].isna().all():
            with np.errstate(all="ignore"):
                observed = frame["revenue"].to_numpy(dtype=float) / orders
            bands = _mean_bands(
                weekday_lags(frame, "revenue"),
                weekday_lags(frame, "revenue_sq"),
                weekday_lags(frame, "orders"),
                orders,
            )
            minimum = tracked & (np.nan_to_num(orders) >= MIN_ORDERS_FOR_AOV)
            alerts += _flag("aov", str(segment), days, observed, bands, start, end, minimum)
    return alerts


def _order_value_cv(frame: pd.DataFrame) -> float:
    orders = float(frame["orders"].sum())
    if not orders:
        return 0.0
    mean = float(frame["revenue"].sum()) / orders
    variance = max(float(frame["revenue_sq"].sum()) / orders - mean**2, 0.0)
    return math.sqrt(variance) / mean if mean else 0.0


def share_anomalies(daily: pd.DataFrame, dimension: str, start: date, end: date) -> list[Alert]:
    """A segment's share of the store's sessions that jumps (segments named 'dimension = x')."""
    store = full_days(daily[daily["segment"] == ""])["sessions"]
    alerts: list[Alert] = []
    prefix = f"{dimension} = "
    for segment, part in daily[daily["segment"].str.startswith(prefix)].groupby("segment"):
        frame = full_days(part)[["sessions"]].rename(columns={"sessions": "k"})
        frame["n"] = store.reindex(frame.index)
        k = frame["k"].to_numpy(dtype=float)
        n = frame["n"].to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            observed = k / n
        bands = _rate_bands(weekday_lags(frame, "k"), weekday_lags(frame, "n"), n)
        minimum = np.nan_to_num(n) >= MIN_RATE_DENOMINATOR
        alerts += _flag(f"share:{dimension}", str(segment), list(frame.index), observed, bands,
                        start, end, minimum)  # fmt: skip
    return alerts
