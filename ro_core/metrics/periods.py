"""Date ranges (inclusive) and the presets the dashboard offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ro_core.errors import InvalidInputError


def _shift_year(day: date, years: int) -> date:
    """The same calendar date `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of store-local calendar dates."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise InvalidInputError("A date range needs a start date and an end date.")
        if self.end < self.start:
            raise InvalidInputError(
                f"The end date {self.end} is before the start date {self.start}: "
                "pick an end on or after the start."
            )

    @property
    def days(self) -> int:
        """Number of calendar days in the range (both ends included)."""
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange:
        """The range of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return DateRange(end - timedelta(days=self.days - 1), end)

    def year_before(self) -> DateRange:
        """The same calendar dates one year earlier."""
        return DateRange(_shift_year(self.start, -1), _shift_year(self.end, -1))

    def comparison(self, compare: str | None) -> DateRange | None:
        """The comparison range for 'previous', 'year' or None."""
        if compare is None or compare == "none":
            return None
        if compare == "previous":
            return self.previous()
        if compare == "year":
            return self.year_before()
        raise InvalidInputError(
            f"Unknown comparison '{compare}': use 'previous', 'year' or 'none'."
        )

    def contains(self, day: date) -> bool:
        """True when `day` is inside the range."""
        return self.start <= day <= self.end

    def label(self) -> str:
        """Human text, e.g. '2024-03-01 to 2024-03-31 (31 days)'."""
        return f"{self.start.isoformat()} to {self.end.isoformat()} ({self.days} days)"

    def to_dict(self) -> dict[str, str | int]:
        """JSON-ready dict."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


def parse_date(text: str | date, what: str = "date") -> date:
    """Parse YYYY-MM-DD (or pass a date through); InvalidInputError with a clear message."""
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError as e:
        raise InvalidInputError(
            f"The {what} '{text}' is not a date like 2024-03-31 (year-month-day)."
        ) from e


PRESET_LABELS: dict[str, str] = {
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "year_to_date": "Year to date",
}


def presets(today: date) -> dict[str, DateRange]:
    """Common ranges ending on `today` (the latest day with data, or the calendar's today).

    Keys are those of PRESET_LABELS: last_7_days, last_30_days, last_90_days (each ending on
    `today`), this_month (1st of the month to `today`), last_month (the whole previous calendar
    month), year_to_date (1 January to `today`).
    """
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return {
        "last_7_days": DateRange(today - timedelta(days=6), today),
        "last_30_days": DateRange(today - timedelta(days=29), today),
        "last_90_days": DateRange(today - timedelta(days=89), today),
        "this_month": DateRange(first_of_month, today),
        "last_month": DateRange(last_month_end.replace(day=1), last_month_end),
        "year_to_date": DateRange(today.replace(month=1, day=1), today),
    }
