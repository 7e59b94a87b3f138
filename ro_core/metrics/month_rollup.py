"""Sums per store-local day read a calendar month at a time and kept per data version: the
machinery the product table's rollups share (ro_core.metrics.product_rollup).

Rows of a run of months arrive sorted into one ByDay per month; a period takes the days it
covers from each month kept (month_values reads only the missing months, one statement per run
of consecutive months). Products are numbered by the statement that read them; a period joins
several numberings by text (join_numberings).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ro_core.dates import shift_months
from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import remember_many
from ro_core.store.db import Database

EPOCH = date(1970, 1, 1)


def day_number(value: date) -> int:
    """Days since 1970-01-01 (how the rollups store a day)."""
    return (value - EPOCH).days


def frozen(array: np.ndarray) -> np.ndarray:
    """The array, read-only (kept arrays are shared between sessions)."""
    array.flags.writeable = False
    return array


def as_texts(values: np.ndarray) -> pd.Series:
    """Texts as DuckDB's DataFrames have them: the string dtype, object when there are none."""
    return pd.Series(values, dtype="str" if len(values) else object)


def sums_by_code(codes: np.ndarray, values: np.ndarray | None, size: int) -> np.ndarray:
    """Per code, the sum of `values` (integers; exact below 2**53), or the rows when None."""
    if not len(codes):
        return np.zeros(size, dtype=np.int64)
    if values is None:
        return np.bincount(codes, minlength=size).astype(np.int64, copy=False)
    return np.bincount(codes, weights=values, minlength=size).astype(np.int64)


@dataclass(frozen=True)
class ByDay:
    """Rows sorted by day: the days that have rows (days since 1970-01-01), where each day's
    rows start (and the end), and the rows' columns."""

    days: np.ndarray
    starts: np.ndarray
    columns: dict[str, np.ndarray]

    def between(self, period: DateRange) -> dict[str, np.ndarray]:
        """The columns of the rows whose day lies in `period` (views, no copies)."""
        lo = self.starts[np.searchsorted(self.days, day_number(period.start), side="left")]
        hi = self.starts[np.searchsorted(self.days, day_number(period.end), side="right")]
        return {name: values[lo:hi] for name, values in self.columns.items()}


def by_month(run: DateRange, day: np.ndarray, columns: dict[str, np.ndarray]) -> dict[date, ByDay]:
    """The rows of a run of months, split into one ByDay per month (every month, empty too)."""
    order = np.argsort(day, kind="stable")
    day = day[order]
    columns = {name: values[order] for name, values in columns.items()}
    out = {}
    for month in months_between(run.start, run.end):
        lo = int(np.searchsorted(day, day_number(month), side="left"))
        hi = int(np.searchsorted(day, day_number(shift_months(month, 1)), side="left"))
        days, starts = np.unique(day[lo:hi], return_index=True)
        out[month] = ByDay(
            frozen(days),
            frozen(np.append(starts, hi - lo)),
            {n: frozen(np.ascontiguousarray(v[lo:hi])) for n, v in columns.items()},
        )
    return out


# --- months ----------------------------------------------------------------------------------


def months_between(start: date, end: date) -> list[date]:
    """The first days of the months from `start`'s to `end`'s."""
    month, out = start.replace(day=1), []
    while month <= end:
        out.append(month)
        month = shift_months(month, 1)
    return out


def month_runs(months: list[date]) -> list[DateRange]:
    """Consecutive months as runs of days (first of the first month to last of the last)."""
    runs: list[DateRange] = []
    for month in sorted(months):
        last = shift_months(month, 1) - timedelta(days=1)
        if runs and runs[-1].end + timedelta(days=1) == month:
            runs[-1] = DateRange(runs[-1].start, last)
        else:
            runs.append(DateRange(month, last))
    return runs


def clip(period: DateRange, first: date | None, last: date | None) -> DateRange | None:
    """`period` within the days that have data, or None when they do not meet."""
    if first is None or last is None:
        return None
    start, end = max(period.start, first), min(period.end, last)
    return DateRange(start, end) if start <= end else None


def month_values(
    db: Database, prefix: Hashable, period: DateRange | None, read: Callable[[DateRange], dict]
) -> list[Any]:
    """The values kept per month for the months of `period` (None: none); the missing ones are
    read by `read(run)` for each run of consecutive missing months ({month: value})."""
    if period is None:
        return []
    keys = [(prefix, month) for month in months_between(period.start, period.end)]

    def compute(missing: list[Hashable]) -> dict[Hashable, Any]:
        found = {}
        for run in month_runs([key[1] for key in missing]):  # type: ignore[index]
            found.update({(prefix, month): value for month, value in read(run).items()})
        return found

    return remember_many(db, keys, compute)


def join_numberings(
    parts: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[list[np.ndarray], np.ndarray]:
    """One numbering of the texts of several numberings: for each (texts, keep) part the new
    number of each kept text, and the texts in the new numbering."""
    joined = np.concatenate([texts[keep] for texts, keep in parts]) if parts else np.array([])
    codes, uniques = pd.factorize(joined)
    out, at = [], 0
    for _, keep in parts:
        n = int(np.count_nonzero(keep))
        out.append(codes[at : at + n])
        at += n
    return out, np.asarray(uniques, dtype=object)
