"""Numbers read from the database, a file or a form, as plain floats."""

from __future__ import annotations

import math
from typing import Any


def finite_or_none(value: Any) -> float | None:
    """`value` as a finite float, or None when it is missing (None, NULL, pandas NA), not a
    number (text) or not finite (NaN, infinity). Decimals and numpy numbers convert."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):  # pandas NA and text raise here
        return None
    return number if math.isfinite(number) else None
