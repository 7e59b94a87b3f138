"""When the demo store sells: shopping events, seasonality and daily demand over the year, and
store-local clock times."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ro_core.demo.store import DAYS

_WEEKDAY_FACTOR = np.array([0.92, 0.93, 0.95, 0.98, 1.04, 1.20, 1.16])  # Monday first: weekends
# Mid-month seasonality, January first: summer dip, holiday peak.
_MONTH_FACTOR = np.array([0.86, 0.88, 0.95, 1.0, 1.0, 0.9, 0.82, 0.85, 0.97, 1.0, 1.12, 1.38])


def _black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def _event_factors(day: date) -> tuple[float, float]:
    """(order volume, conversion) multipliers for the shopping events of a day."""
    offset = (day - _black_friday(day.year)).days
    if offset == -1:  # Thanksgiving
        return 0.95, 1.05
    if offset == 0:  # Black Friday
        return 3.2, 1.75
    if offset in (1, 2):
        return 2.0, 1.45
    if offset == 3:  # Cyber Monday
        return 2.6, 1.6
    if -8 <= offset <= -2 or 4 <= offset <= 6:
        return 1.3, 1.15
    if day.month == 12 and 24 <= day.day <= 26:
        return 0.55, 0.85
    if day.month == 12 and day.day <= 20:
        return 1.05, 1.12
    return 1.0, 1.0


def _season(day: date) -> float:
    """Month seasonality interpolated between mid-month anchors (no jumps at month ends)."""
    position = day.month - 1 + (day.day - 15) / 30.0
    low = math.floor(position)
    frac = position - low
    return float(_MONTH_FACTOR[low % 12] * (1 - frac) + _MONTH_FACTOR[(low + 1) % 12] * frac)


def _daily_demand(days: Sequence[date], growth_start: date) -> tuple[np.ndarray, np.ndarray]:
    """Relative order volume and conversion multiplier per day."""
    volume = np.empty(len(days))
    conversion = np.empty(len(days))
    for i, day in enumerate(days):
        growth = 1.0 + 0.3 * (day - growth_start).days / DAYS  # slow growth, +30% a year
        event_volume, event_cr = _event_factors(day)
        volume[i] = growth * _WEEKDAY_FACTOR[day.weekday()] * _season(day) * event_volume
        weekend_cr = 1.04 if day.weekday() >= 5 else 1.0
        summer_cr = 0.92 if day.month in (6, 7, 8) else 1.0
        conversion[i] = event_cr * weekend_cr * summer_cr
    return volume, conversion


def _local(day: date, seconds: int, tz: ZoneInfo) -> datetime:
    """A store-local time; a wall time skipped by daylight saving moves to the valid one."""
    naive = datetime.combine(day, time()) + timedelta(seconds=int(seconds))
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _local_to_epoch(day: date, seconds: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """UTC epoch seconds of store-local seconds-of-day (vectorised off DST-change days)."""
    start = _local(day, 0, tz).utcoffset()
    end = _local(day, 86_399, tz).utcoffset()
    if start == end and start is not None:
        midnight = (day - date(1970, 1, 1)).days * 86_400
        return midnight + seconds.astype(np.int64) - int(start.total_seconds())
    return np.array([int(_local(day, int(s), tz).timestamp()) for s in seconds], dtype=np.int64)
