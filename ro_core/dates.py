"""Calendar arithmetic shared by the metrics and the importers. Plain datetime only: an import
loads this without the metrics package (and so without pandas)."""

from __future__ import annotations

from datetime import date, timedelta


def iso_date(value: str | date) -> date:
    """A date from YYYY-MM-DD text (surrounding spaces allowed), or the date itself.

    Raises ValueError for anything else; callers turn it into their own message.
    """
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def shift_months(day: date, months: int) -> date:
    """The same day number `months` later (earlier when negative), clamped to the end of a
    shorter month: 29 February a year back is 28 February."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))
