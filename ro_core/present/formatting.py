"""Numbers as people read them: money, counts, rates and changes (dashboard and report)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pandas as pd

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "BRL": "R$"}
NOT_AVAILABLE = "–"


def as_number(value: Any) -> float | None:
    """A finite float, or None for missing, NA, text and NaN/infinity."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def money(value: Any, currency: str | None = None, *, decimals: int = 2) -> str:
    """'€1,234.50', '$12.00', '1,234.50 CAD'; '–' when there is no value."""
    number = as_number(value)
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
    number = as_number(value)
    return NOT_AVAILABLE if number is None else f"{number:,.0f}"


def rate(value: Any, *, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.0312 -> '3.12%'."""
    number = as_number(value)
    return NOT_AVAILABLE if number is None else f"{number * 100:.{decimals}f}%"


def change(value: Any, *, decimals: int = 1) -> str | None:
    """A relative change as '+8.0%' / '-3.2%'; None when there is none (no comparison)."""
    number = as_number(value)
    if number is None:
        return None
    return f"{number * 100:+.{decimals}f}%"


def points(value: Any, *, decimals: int = 2) -> str | None:
    """A change of a rate in percentage points: 0.004 -> '+0.40 pp'."""
    number = as_number(value)
    if number is None:
        return None
    if number and abs(number * 100) < 10**-decimals:
        decimals += 1  # +0.004 pp instead of +0.00 pp
    return f"{number * 100:+.{decimals}f} pp"
