"""Tracking checks on daily aggregates: the data itself looks wrong (no database).

- orders without sessions (the tag may be missing), sessions without orders (the checkout or the
  orders export), or neither on a day inside the data, each only when the same weekday usually
  has them (median of the HISTORY_WEEKS weeks before);
- near-identical orders (a double submission or a duplicated import);
- two traffic sources whose ratio of sessions leaves its usual band (one of the tags changed),
  judged as ro_core.health.detect judges a metric.
"""

from __future__ import annotations

import math
import warnings
from datetime import date

import numpy as np
import pandas as pd

from ro_core.health.detect import (
    DOWN,
    MIN_HISTORY,
    MIN_RELATIVE_SPREAD,
    THRESHOLD,
    TRACKING,
    UP,
    Alert,
    full_days,
    mad,
    weekday_history,
    weekday_lags,
)


def _weekday_medians(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Per day of a full-days frame: the median of the column's values on the same weekday
    1..HISTORY_WEEKS weeks earlier (NaN where there are none)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    lags = weekday_lags(frame, column)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days without history: NaN
        return np.nanmedian(lags, axis=1)


def _column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The column as floats (0 for a missing value or a missing column)."""
    if column not in frame:
        return np.zeros(len(frame))
    return np.nan_to_num(frame[column].to_numpy(dtype=float, na_value=np.nan))


def tracking_alerts(daily: pd.DataFrame, start: date, end: date) -> list[Alert]:
    """Days with orders but no sessions, sessions but no orders, or neither (store level)."""
    store = daily[daily["segment"] == ""].set_index("day").sort_index()
    alerts: list[Alert] = []
    if store.empty:
        return alerts
    store = store[(store.index >= start) & (store.index <= end)]
    if store.empty:
        return alerts
    full = full_days(daily[daily["segment"] == ""])
    # per day the median of the same weekday's values in the HISTORY_WEEKS weeks before; a day
    # without any has nothing typical to miss (0)
    at = full.index.get_indexer(store.index)
    sessions_typical = np.nan_to_num(_weekday_medians(full, "sessions")[at])
    orders_typical = np.nan_to_num(_weekday_medians(full, "orders")[at])
    sessions, orders = _column(store, "sessions"), _column(store, "orders")
    has_sessions, has_orders = sessions > 0, orders > 0
    candidates = (
        (~has_sessions & ~has_orders & (sessions_typical != 0) & (orders_typical != 0))
        | (has_orders & ~has_sessions & (sessions_typical != 0))
        | (has_sessions & ~has_orders & (orders_typical >= 5))
    )
    for i in np.flatnonzero(candidates):
        day = store.index[i]
        usual_sessions, usual_orders = float(sessions_typical[i]), float(orders_typical[i])
        when = f"{day.day} {day:%B %Y}"
        if not has_sessions[i] and not has_orders[i]:
            metric, usual, size = "data", usual_orders, 0.0
            sentence = (
                f"No orders and no sessions on {when}: a gap in the data, or the store was down."
            )
        elif has_orders[i] and not has_sessions[i]:
            metric, usual, size = "sessions", usual_sessions, float(orders[i])
            sentence = (
                f"{int(orders[i])} orders but no sessions on {when}: the tracking tag may be "
                f"missing (usually about {usual_sessions:,.0f})."
            )
        else:
            metric, usual, size = "orders", usual_orders, float(sessions[i])
            sentence = (
                f"{sessions[i]:,.0f} sessions but no orders on {when} (usually about "
                f"{usual_orders:,.0f}): check the checkout and the orders export."
            )
        # observed 0 against the usual value, which is the whole expected range
        alerts.append(Alert(day, metric, "", DOWN, 0.0, usual, usual, TRACKING, sentence, size))
    return alerts


def duplicate_alerts(duplicates: pd.DataFrame, start: date, end: date) -> list[Alert]:
    """Days with near-identical orders (columns: day, duplicates)."""
    alerts = []
    for row in duplicates.itertuples(index=False):
        if start <= row.day <= end and row.duplicates:
            alerts.append(
                Alert(
                    row.day,
                    "duplicate_orders",
                    "",
                    UP,
                    float(row.duplicates),
                    0.0,
                    0.0,
                    TRACKING,
                    f"{int(row.duplicates)} order(s) on {row.day.day} "
                    f"{row.day:%B %Y} repeat another order of the same customer and total "
                    "within two minutes: a double submission or a duplicated import.",
                    float(row.duplicates),
                )  # fmt: skip
            )
    return alerts


def agreement_alerts(
    pairs: pd.DataFrame, start: date, end: date, names: tuple[str, str]
) -> list[Alert]:
    """Two traffic sources that stop agreeing (columns: day, chosen, other: daily sessions)."""
    frame = pairs.set_index("day").sort_index()
    frame = frame[(frame["chosen"] > 0) & (frame["other"] > 0)]
    frame["log_ratio"] = (frame["other"] / frame["chosen"]).map(math.log)
    alerts = []
    for day in frame.index:
        if not start <= day <= end:
            continue
        history = weekday_history(frame, day, "log_ratio")
        if len(history) < MIN_HISTORY:
            continue
        center = float(pd.Series(history).median())
        spread = max(mad(history), MIN_RELATIVE_SPREAD)
        value = float(frame.at[day, "log_ratio"])
        width = THRESHOLD * spread * math.sqrt(1 + 1 / len(history))
        if abs(value - center) <= width:
            continue
        ratio, low, high = math.exp(value), math.exp(center - width), math.exp(center + width)
        alerts.append(
            Alert(
                day,
                "sessions",
                f"{names[1]} vs {names[0]}",
                UP if value > center else DOWN,
                ratio,
                low,
                high,
                TRACKING,
                f"{names[1]} counted {ratio:.2f} sessions for each {names[0]} session on "
                f"{day.day} {day:%B %Y}, against {math.exp(min(history)):.2f}-"
                f"{math.exp(max(history)):.2f} on the previous {day:%A}s: one of the two "
                "tags changed.",
                round(abs(value - center) / (width / THRESHOLD), 2),
            )  # fmt: skip
        )
    return alerts
