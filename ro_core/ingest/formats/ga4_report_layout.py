"""What the columns of a GA4 report table are (time, dimensions, measures we store, metrics we
do not) and the report's dates, read before anything is staged (ro_core.ingest.formats.
ga4_reports stages the table from them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from ro_core.ingest.base import StageContext, normalise_header_name, option_date

# Time dimensions -> how their values name a period.
TIME_DIMENSIONS: dict[str, str] = {
    "date": "date",
    "day": "date",
    "nth day": "nth_day",
    "week": "week",
    "nth week": "nth_week",
    "month": "month",
    "nth month": "nth_month",
    "year": "year",
}
TIME_GRAIN = {
    "date": "day",
    "nth_day": "day",
    "week": "week",
    "nth_week": "week",
    "month": "month",
    "nth_month": "month",
}
TIME_PREFERENCE = ("date", "nth_day", "week", "nth_week", "month", "nth_month")

DIMENSIONS: dict[str, str] = {
    "session primary channel group (default channel group)": "channel",
    "session primary channel group": "channel",
    "session default channel group": "channel",
    "first user primary channel group (default channel group)": "first_user_channel",
    "first user primary channel group": "first_user_channel",
    "first user default channel group": "first_user_channel",
    "session source": "referrer",
    "session manual source": "referrer",
    "device category": "device",
    "country": "country",
    "region": "region",
    "landing page": "landing_page",
    "landing page + query string": "landing_page",
    "new / established": "customer_type",
}

# Canonical measure -> GA4 column names, best first.
MEASURES: dict[str, tuple[str, ...]] = {
    "sessions": ("sessions",),
    "visitors": ("total users", "active users", "users"),
    "new_visitors": ("new users",),
    "engaged_sessions": ("engaged sessions",),
    "orders": ("transactions", "ecommerce purchases", "key events", "conversions"),
    "revenue": ("purchase revenue", "total revenue"),
    "cart_sessions": ("add to carts",),
    "checkout_sessions": ("checkouts",),
}
_MEASURE_NAMES = {name for names in MEASURES.values() for name in names}
# Column names that are GA4 metrics we do not store (rates, averages, counts of other things).
METRIC_WORDS = re.compile(
    r"\b(users|sessions|rate|average|per|count|views|revenue|value|events|purchases|"
    r"impressions|clicks|position|duration|transactions|quantity|carts|checkouts|ctr)\b"
)
TOTAL_LABELS: tuple[str, ...] = ("grand total", "total", "totals")


@dataclass
class TableColumns:
    """What each column of one GA4 table is (indexes into its header)."""

    time: dict[str, int] = field(default_factory=dict)  # time kind -> index
    dimensions: list[tuple[int, str]] = field(default_factory=list)  # (index, canonical)
    measures: dict[str, int] = field(default_factory=dict)  # canonical -> index
    unknown_dimensions: list[int] = field(default_factory=list)
    repeated_dimensions: list[int] = field(default_factory=list)
    ignored_metrics: list[int] = field(default_factory=list)

    @property
    def time_kind(self) -> str | None:
        """The time dimension periods come from (the finest one), or None."""
        return next((kind for kind in TIME_PREFERENCE if kind in self.time), None)

    @property
    def grain(self) -> str:
        """day / week / month, or 'total' for a table without a time dimension."""
        kind = self.time_kind
        return TIME_GRAIN[kind] if kind else "total"


def _is_metric_name(name: str) -> bool:
    return name in _MEASURE_NAMES or bool(METRIC_WORDS.search(name))


def classify(header: list[str]) -> TableColumns:
    """Sort a table's columns: GA4 puts dimensions first, then metrics."""
    names = [normalise_header_name(h).lower() for h in header]
    table = TableColumns()
    first_metric = next(
        (i for i, n in enumerate(names) if _is_metric_name(n) and n not in TIME_DIMENSIONS),
        len(names),
    )
    for index, name in enumerate(names[:first_metric]):
        if name in TIME_DIMENSIONS and TIME_DIMENSIONS[name] not in table.time:
            table.time[TIME_DIMENSIONS[name]] = index
        elif name in DIMENSIONS:
            if DIMENSIONS[name] in {c for _, c in table.dimensions}:
                table.repeated_dimensions.append(index)
            else:
                table.dimensions.append((index, DIMENSIONS[name]))
        else:
            table.unknown_dimensions.append(index)
    metric_names = names[first_metric:]
    for canonical, candidates in MEASURES.items():
        for candidate in candidates:
            if candidate in metric_names:
                table.measures[canonical] = first_metric + metric_names.index(candidate)
                break
    used = set(table.measures.values())
    table.ignored_metrics = [i for i in range(first_metric, len(names)) if i not in used]
    return table


def detect(header: list[str]) -> bool:
    """A GA4 report table: a GA4 dimension (time or segment) and a measure we store."""
    table = classify(header)
    has_dimension = bool(table.time or table.dimensions)
    return has_dimension and bool(table.measures) and not table.unknown_dimensions


# --- report dates ---------------------------------------------------------------------------
def _preamble_date(preamble: list[str], label: str) -> date | None:
    """The last 'Start date: 20240101'-style line (a table's own block comes after the file's)."""
    found: date | None = None
    pattern = re.compile(rf"^{label}:\s*(\d{{8}})\s*$", re.IGNORECASE)
    for line in preamble:
        match = pattern.match(line.strip())
        if match:
            try:
                found = datetime.strptime(match.group(1), "%Y%m%d").date()
            except ValueError:
                continue
    return found


def report_dates(ctx: StageContext) -> tuple[date | None, date | None]:
    """The table's start and end dates: from its '#' lines, else from the import options."""
    start = _preamble_date(ctx.part.preamble, "Start date") or option_date(
        ctx.options, "period_start", ctx.file_name
    )
    end = _preamble_date(ctx.part.preamble, "End date") or option_date(
        ctx.options, "period_end", ctx.file_name
    )
    return start, end
