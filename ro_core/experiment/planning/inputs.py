"""Checking the numbers a user types (shared by the experiment modules): a finite number, a
fraction, a positive number, a count, daily traffic and its share; and the rounding up and
percent text the planning modules share.

Numeric text is accepted; a trailing % divides by 100. Bad input raises InvalidInputError with a
message that names the field.
"""

from __future__ import annotations

import math

from ro_core.errors import InvalidInputError


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else f"{value}"
    return text if len(text) <= 40 else text[:37] + "..."


def as_number(value: object, label: str) -> float:
    """`value` as a finite float. Numeric text is accepted; a trailing % divides by 100."""
    if value is None or isinstance(value, bool):
        raise InvalidInputError(f"{label} must be a number, got {_shown(value)}.")
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        try:
            number = float(text)
        except ValueError:
            raise InvalidInputError(f"{label} must be a number, got {_shown(value)}.") from None
        if percent:
            number /= 100.0
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise InvalidInputError(f"{label} must be a number, got {_shown(value)}.") from None
    if not math.isfinite(number):
        raise InvalidInputError(f"{label} must be a finite number, got {_shown(value)}.")
    return number


def as_fraction(value: object, label: str) -> float:
    """A number strictly between 0 and 1 (a rate, alpha, power, a share)."""
    number = as_number(value, label)
    if not 0.0 < number < 1.0:
        hint = ""
        if 1.0 < number <= 100.0:
            hint = f" For {number:g}% type {number / 100:g} or {number:g}%."
        raise InvalidInputError(
            f"{label} must be between 0 and 1 (not 0 or 1), got {_shown(value)}.{hint}"
        )
    return number


def as_positive(value: object, label: str) -> float:
    """A number above 0."""
    number = as_number(value, label)
    if number <= 0:
        raise InvalidInputError(f"{label} must be above 0, got {_shown(value)}.")
    return number


def as_count(value: object, label: str, *, minimum: int = 0) -> int:
    """A whole number of at least `minimum`."""
    number = as_number(value, label)
    if number != math.floor(number):
        raise InvalidInputError(f"{label} must be a whole number, got {_shown(value)}.")
    if number < minimum:
        if minimum == 0:
            raise InvalidInputError(f"{label} cannot be negative, got {_shown(value)}.")
        raise InvalidInputError(f"{label} must be at least {minimum}, got {_shown(value)}.")
    return int(number)


def _ceil(value: float) -> int:
    """Round up, ignoring floating-point dust (76.0000000001 is 76)."""
    return math.ceil(round(value, 6))


def _percent(value: float, digits: int = 1, *, signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{value * 100:{sign}.{digits}f}%"


def _check_traffic(daily_sessions: object, traffic_share: object) -> tuple[float, float]:
    daily = as_positive(daily_sessions, "Daily sessions")
    share = as_number(traffic_share, "Share of traffic in the test")
    if not 0.0 < share <= 1.0:
        raise InvalidInputError(
            "Share of traffic in the test must be above 0 and at most 1, "
            f"got {_shown(traffic_share)}."
        )
    return daily, share
