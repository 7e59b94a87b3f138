"""What a Shopify Analytics report's header and file name say, before any row is read.

The header's columns are sorted into time, dimensions, measures, rates and columns to ignore
(:func:`classify`); the report's range comes from the import options or the file name
(:func:`report_range`). ro_core.ingest.formats.shopify_analytics reads the rows with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ro_core.errors import ImportFileError
from ro_core.ingest.base import normalise_header_name, option_date

# First-column names of time-series reports -> our grain (hours are added up into days).
TIME_COLUMNS: dict[str, str] = {"hour": "day", "day": "day", "week": "week", "month": "month"}

DIMENSION_COLUMNS: dict[str, str] = {
    "referrer source": "channel",
    "referrer name": "referrer",
    "session region": "region",
    "session country": "country",
    "session device type": "device",
    "device type": "device",
    "landing page path": "landing_page",
    "landing page url": "landing_page",
    "new or returning customer": "customer_type",
    "customer type": "customer_type",
}
# Dimensions finer than ours: their rows are added up.
SUMMED_AWAY_COLUMNS: tuple[str, ...] = ("session city",)
# One value per landing page path: adding its rows up changes nothing.
SAME_AS_PATH_COLUMNS: tuple[str, ...] = ("landing page type",)

MEASURE_COLUMNS: dict[str, str] = {
    "sessions": "sessions",
    "total sessions": "sessions",
    "online store visitors": "visitors",
    "visitors": "visitors",
    "sessions that viewed products": "product_view_sessions",
    "sessions with product views": "product_view_sessions",
    "sessions with cart additions": "cart_sessions",
    "added to cart": "cart_sessions",
    "sessions that reached checkout": "checkout_sessions",
    "reached checkout": "checkout_sessions",
    "sessions that completed checkout": "converted_sessions",
    "sessions converted": "converted_sessions",
    "customers": "customers",
}
# Measures that cannot be added across hours (a visitor seen in two hours is one visitor).
NOT_ADDITIVE_OVER_TIME: tuple[str, ...] = ("visitors", "customers")

# Derived rate columns: (numerator, denominator). Checked, never stored.
RATE_COLUMNS: dict[str, tuple[str, str]] = {
    "checkout conversion rate": ("converted_sessions", "checkout_sessions"),
    "conversion rate": ("converted_sessions", "sessions"),
    "added to cart rate": ("cart_sessions", "sessions"),
    "reached checkout rate": ("checkout_sessions", "sessions"),
}
BOUNCE_RATE_COLUMNS: tuple[str, ...] = ("bounce rate",)
RATE_TOLERANCE = 0.006  # a rate shown as a whole percent is off by up to 0.005

COMPARISON_SUFFIX = re.compile(r"^(.*) \((previous_year|previous_period)\)$")
TOTAL_LABELS: tuple[str, ...] = ("total", "totals", "summary", "grand total")
FILE_NAME_RANGE = re.compile(
    r"(?<!\d)(\d{4}-\d{2}-\d{2})\s*(?:-|–|to|_)\s*(\d{4}-\d{2}-\d{2})(?!\d)"
)
FILE_NAME_YEAR = re.compile(r"(?<![\d-])(20\d{2})(?![\d-])")


@dataclass
class ReportColumns:
    """What each header column of a Shopify report is (indexes into the header)."""

    time: int | None = None
    time_name: str = ""  # hour / day / week / month
    comparison_time: int | None = None
    comparison_kind: str = ""  # previous_year / previous_period
    dimensions: list[tuple[int, str]] = field(default_factory=list)  # (index, canonical)
    summed_away: list[int] = field(default_factory=list)
    measures: dict[str, int] = field(default_factory=dict)
    comparison_measures: dict[str, int] = field(default_factory=dict)
    rates: list[tuple[int, str]] = field(default_factory=list)  # (index, rate name)
    bounce: int | None = None  # the bounce rate column (stored as sessions that did not bounce)
    ignored: list[int] = field(default_factory=list)  # % changes
    unknown: list[int] = field(default_factory=list)

    @property
    def grain(self) -> str:
        """Our grain: day / week / month, or 'total' for reports without a time column."""
        return TIME_COLUMNS[self.time_name] if self.time is not None else "total"


def classify(header: list[str]) -> ReportColumns:
    """Sort a header's columns into time, dimensions, measures and columns to ignore."""
    report = ReportColumns()
    seen: set[str] = set()
    for index, raw in enumerate(header):
        name = normalise_header_name(raw).lower()
        bare = raw.replace("\ufeff", "").strip('"')
        if name in seen and bare != bare.rstrip():
            report.ignored.append(index)  # "Sessions (previous_year) ": a % change
            continue
        seen.add(name)
        comparison = COMPARISON_SUFFIX.match(name)
        if comparison:
            base, kind = comparison.group(1), comparison.group(2)
            if base in TIME_COLUMNS and report.comparison_time is None:
                report.comparison_time, report.comparison_kind = index, kind
            elif base in MEASURE_COLUMNS and MEASURE_COLUMNS[base] not in (
                report.comparison_measures
            ):
                report.comparison_measures[MEASURE_COLUMNS[base]] = index
            else:
                report.ignored.append(index)
        elif name in TIME_COLUMNS and report.time is None:
            report.time, report.time_name = index, name
        elif name in DIMENSION_COLUMNS and DIMENSION_COLUMNS[name] not in dict(
            (c, i) for i, c in report.dimensions
        ):
            report.dimensions.append((index, DIMENSION_COLUMNS[name]))
        elif name in SUMMED_AWAY_COLUMNS:
            report.summed_away.append(index)
        elif name in SAME_AS_PATH_COLUMNS:
            report.ignored.append(index)
        elif name in MEASURE_COLUMNS and MEASURE_COLUMNS[name] not in report.measures:
            report.measures[MEASURE_COLUMNS[name]] = index
        elif name in RATE_COLUMNS:
            report.rates.append((index, name))
        elif name in BOUNCE_RATE_COLUMNS and report.bounce is None:
            report.bounce = index
        else:
            report.unknown.append(index)
    return report


# --- report range ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportRange:
    """The dates a report covers, and where we learned them."""

    start: date | None
    end: date | None
    origin: str  # "options" | "file name" | "file name year" | ""


def report_range(file_name: str, options: dict[str, Any]) -> ReportRange:
    """The report's range from the options, else from the file name (two dates, or one year)."""
    start = option_date(options, "period_start", file_name)
    end = option_date(options, "period_end", file_name)
    if start or end:
        if start and end and end < start:
            raise ImportFileError(
                f"the period ends ({end}) before it starts ({start}).",
                file_name=file_name,
                hint="Give the report's first day, then its last day.",
            )
        return ReportRange(start, end, "options")
    found = FILE_NAME_RANGE.search(file_name)
    if found:
        try:
            first, last = date.fromisoformat(found.group(1)), date.fromisoformat(found.group(2))
        except ValueError:
            first = last = None  # type: ignore[assignment]
        if first and last and first <= last:
            return ReportRange(first, last, "file name")
    years = set(FILE_NAME_YEAR.findall(file_name))
    if len(years) == 1:
        year = int(years.pop())
        return ReportRange(date(year, 1, 1), date(year, 12, 31), "file name year")
    return ReportRange(None, None, "")
