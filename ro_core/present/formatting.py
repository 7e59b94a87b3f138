"""Numbers as people read them (dashboard, report, CLI): the one home of every format.

Money 2 decimals; counts with thousands separators; rates (fractions) as percentages with 2
decimals; relative changes signed with 1 decimal; differences of rates in percentage points
("pp", 2 decimals); "–" for a missing value everywhere, table cells included (:func:`cell`,
:func:`table_text`); time axes on whole days, weeks, months or quarters (:func:`time_axis`).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ro_core.numbers import finite_or_none

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "BRL": "R$"}
NOT_AVAILABLE = "–"


def money(value: Any, currency: str | None = None, *, decimals: int = 2) -> str:
    """'€1,234.50', '$12.00', '1,234.50 CAD'; '–' when there is no value."""
    number = finite_or_none(value)
    if number is None:
        return NOT_AVAILABLE
    sign = "-" if number < 0 else ""
    text = f"{abs(number):,.{decimals}f}"
    symbol = CURRENCY_SYMBOLS.get((currency or "").upper())
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {currency}" if currency else f"{sign}{text}"


def count(value: Any) -> str:
    """'12,345'; '–' when there is no value."""
    number = finite_or_none(value)
    return NOT_AVAILABLE if number is None else f"{number:,.0f}"


def rate(value: Any, *, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.0312 -> '3.12%'."""
    number = finite_or_none(value)
    return NOT_AVAILABLE if number is None else f"{number * 100:.{decimals}f}%"


def change(value: Any, *, decimals: int = 1) -> str | None:
    """A relative change as '+8.0%' / '-3.2%'; None when there is none (no comparison)."""
    number = finite_or_none(value)
    if number is None:
        return None
    return f"{number * 100:+.{decimals}f}%"


def points(value: Any, *, decimals: int = 2) -> str | None:
    """A change of a rate in percentage points: 0.004 -> '+0.40 pp'."""
    number = finite_or_none(value)
    if number is None:
        return None
    if number and abs(number * 100) < 10**-decimals:
        decimals += 1  # +0.004 pp instead of +0.00 pp
    return f"{number * 100:+.{decimals}f} pp"


def money_change(value: Any, currency: str | None = None, *, decimals: int = 2) -> str | None:
    """A difference of money with its sign: '+$1.20' / '-€3.00'; None when there is none."""
    number = finite_or_none(value)
    if number is None:
        return None
    text = money(abs(number), currency, decimals=decimals)
    return f"{'-' if number < 0 else '+'}{text}"


def p_value(value: Any, *, decimals: int = 4) -> str:
    """A p-value: '0.0123', '< 0.0001' below what the decimals show; '–' when there is none."""
    number = finite_or_none(value)
    if number is None:
        return NOT_AVAILABLE
    floor = 10.0**-decimals
    return f"< {floor:.{decimals}f}" if 0 <= number < floor else f"{number:.{decimals}f}"


# --- table cells ---------------------------------------------------------------------------------
# One kind per column: how each cell of that column reads. A missing value is always '–'.
MONEY = "money"
MONEY_CHANGE = "money_change"
COUNT = "count"
RATE = "rate"
CHANGE = "change"  # relative change: +8.0%
POINTS = "points"  # difference of two rates: +0.40 pp
P_VALUE = "p_value"
DATE = "date"
TEXT = "text"
CELL_KINDS: tuple[str, ...] = (
    MONEY,
    MONEY_CHANGE,
    COUNT,
    RATE,
    CHANGE,
    POINTS,
    P_VALUE,
    DATE,
    TEXT,
)


def is_missing(value: Any) -> bool:
    """None, NA, NaN, NaT and infinity (what a table cell shows as '–')."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    try:
        return bool(pd.isna(value)) if not isinstance(value, str) else False
    except (TypeError, ValueError):
        return False


def cell(value: Any, kind: str = TEXT, currency: str | None = None) -> str:
    """One table cell as text in the dashboard's formats; '–' for a missing value.

    Kinds: money (2 decimals), money_change (signed), count (thousands separators), rate
    (fraction as a percentage, 2 decimals), change (relative change, signed, 1 decimal), points
    (difference of rates in percentage points, 2 decimals), p_value (4 decimals), date
    (YYYY-MM-DD), text.
    """
    if kind not in CELL_KINDS:
        raise ValueError(f"unknown cell kind {kind!r}; use one of {', '.join(CELL_KINDS)}")
    if is_missing(value):
        return NOT_AVAILABLE
    if kind == MONEY:
        return money(value, currency)
    if kind == MONEY_CHANGE:
        return money_change(value, currency) or NOT_AVAILABLE
    if kind == COUNT:
        return count(value)
    if kind == RATE:
        return rate(value)
    if kind == CHANGE:
        return change(value) or NOT_AVAILABLE
    if kind == POINTS:
        return points(value) or NOT_AVAILABLE
    if kind == P_VALUE:
        return p_value(value)
    if kind == DATE:
        return pd.Timestamp(value).date().isoformat()
    text = str(value).strip()
    return text or NOT_AVAILABLE


def table_text(
    frame: pd.DataFrame, kinds: dict[str, str], currency: str | None = None
) -> pd.DataFrame:
    """A copy of `frame` with every cell as it reads (text): `kinds` maps a column to its kind,
    other columns are text. Missing values read '–' in every column."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        kind = kinds.get(column, TEXT)
        out[column] = [cell(value, kind, currency) for value in frame[column]]
    return out


# --- time axes -----------------------------------------------------------------------------------
# Plotly date-axis settings per grain: ticks on whole days, weeks, months or quarters, labelled
# with dates (never the sub-second ticks plotly picks for a single point).
TIME_AXIS: dict[str, dict[str, Any]] = {
    "day": {"dtick": 86_400_000, "tickformat": "%d %b %Y", "days": 1},
    "week": {"dtick": 7 * 86_400_000, "tickformat": "%d %b %Y", "days": 7},
    "month": {"dtick": "M1", "tickformat": "%b %Y", "days": 30.44},
    "quarter": {"dtick": "M3", "tickformat": "%b %Y", "days": 91.31},
}


def time_axis(grain: str, first: Any = None, last: Any = None) -> dict[str, Any]:
    """Plotly x-axis settings for dates at a grain ('day', 'week', 'month', 'quarter').

    With the first and last period start given (bars are centred on them), the range pads three
    quarters of a period on each side, so a single period still spans a readable stretch of time.
    """
    if grain not in TIME_AXIS:
        raise ValueError(f"unknown time grain {grain!r}; use one of {', '.join(TIME_AXIS)}")
    settings = TIME_AXIS[grain]
    axis: dict[str, Any] = {
        "type": "date",
        "dtick": settings["dtick"],
        "tickformat": settings["tickformat"],
        "hoverformat": "%d %b %Y",
    }
    if first is not None and last is not None and not is_missing(first):
        pad = pd.Timedelta(days=settings["days"] * 0.75)
        start, end = pd.Timestamp(first) - pad, pd.Timestamp(last) + pad
        axis["range"] = [start.isoformat(), end.isoformat()]
    return axis


def period_width_ms(grain: str, share: float = 0.8) -> float:
    """Bar width on a date axis for one period of `grain` (milliseconds), `share` of the period."""
    return TIME_AXIS[grain]["days"] * 86_400_000 * share
