"""Date ranges (inclusive) and the presets the dashboard offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ro_core.dates import iso_date, month_end, shift_months
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
        """The period before this one, calendar-aware (see :func:`previous_range`)."""
        return previous_range(self)

    def days_before(self) -> DateRange:
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
    try:
        return iso_date(text)
    except ValueError as e:
        raise InvalidInputError(
            f"The {what} '{text}' is not a date like 2024-03-31 (year-month-day)."
        ) from e


def bucket_start(day: date, grain: str) -> date:
    """The first day of `day`'s calendar bucket: the day, its week's Monday, its month's 1st."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def calendar_buckets(period: DateRange, grain: str) -> list[tuple[date, date]]:
    """(first day, last day) of every day, Monday-week or month bucket touching `period`; the
    first and last may reach outside the period (a partial bucket)."""
    buckets = []
    start = bucket_start(period.start, grain)
    while start <= period.end:
        if grain == "month":
            following = shift_months(start, 1)
        else:
            following = start + timedelta(days=7 if grain == "week" else 1)
        buckets.append((start, following - timedelta(days=1)))
        start = following
    return buckets


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


TO_DATE_UNITS = {"this_month": "month", "this_quarter": "quarter", "year_to_date": "year"}


def previous_range(period: DateRange, unit: str | None = None) -> DateRange:
    """The period a "previous period" comparison uses, following the calendar.

    - A month, quarter or year to date (`unit` 'month', 'quarter' or 'year', as the presets
      say; inferred for a range starting on the 1st and ending inside the same month, or on 1
      January and ending later that year): the same days of the previous month or quarter, or
      the same dates last year.
    - Whole calendar months (a month, a quarter, a year, twelve months): the same number of whole
      months just before (calendar 2024 -> calendar 2023; September -> August).
    - Anything else: the same number of days just before.
    """
    start, end = period.start, period.end
    if unit is None and start.day == 1 and end != month_end(end):
        if (end.year, end.month) == (start.year, start.month):
            unit = "month"
        elif start.month == 1 and end.year == start.year:
            unit = "year"
    if unit == "year":
        return period.year_before()
    if unit in ("month", "quarter"):
        months = 1 if unit == "month" else 3
        return DateRange(shift_months(start, -months), shift_months(end, -months))
    if start.day == 1 and end == month_end(end):
        months = _months_between(start, end)
        return DateRange(shift_months(start, -months), month_end(shift_months(end, -months)))
    return period.days_before()


PRESET_LABELS: dict[str, str] = {
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "year_to_date": "Year to date",
    "last_year": "Last year",
    "last_12_months": "Last 12 months",
}


def presets(today: date) -> dict[str, DateRange]:
    """Common ranges ending on `today` (the latest day with data, or the calendar's today).

    Keys are those of PRESET_LABELS: last_7/30/90_days (each ending on `today`), this_month and
    this_quarter (the 1st of the month or quarter to `today`), last_month and last_quarter (the
    whole previous calendar month or quarter), year_to_date (1 January to `today`), last_year (the
    whole previous calendar year) and last_12_months (the 12 whole months before the current one
    when `today` is not a month end, else the 12 months ending on `today`).
    """
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    last_quarter_end = quarter_start - timedelta(days=1)
    twelve_end = today if today == month_end(today) else last_month_end
    return {
        "last_7_days": DateRange(today - timedelta(days=6), today),
        "last_30_days": DateRange(today - timedelta(days=29), today),
        "last_90_days": DateRange(today - timedelta(days=89), today),
        "this_month": DateRange(first_of_month, today),
        "last_month": DateRange(last_month_end.replace(day=1), last_month_end),
        "this_quarter": DateRange(quarter_start, today),
        "last_quarter": DateRange(shift_months(quarter_start, -3), last_quarter_end),
        "year_to_date": DateRange(today.replace(month=1, day=1), today),
        "last_year": DateRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        "last_12_months": DateRange(shift_months(twelve_end, -11).replace(day=1), twelve_end),
    }
