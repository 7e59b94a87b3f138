"""One plain-language sentence about a revenue change, e.g.
"Revenue fell 8.0% vs the previous period ($58,000 vs $63,000), mostly because mobile
conversion rate dropped (-$4,100)."

Pure functions over numbers the metrics layer computed; nothing here queries the database.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ro_core.numbers import finite_or_none

FLAT_THRESHOLD = 0.005  # changes under 0.5% read as "about the same"

FACTOR_NAMES = {
    "traffic": "traffic",
    "sessions": "traffic",
    "conversion_rate": "conversion rate",
    "aov": "average order value",
    "orders": "orders",
}
_UP = {"traffic": "grew", "conversion_rate": "rose", "aov": "rose", "orders": "rose"}
_DOWN = {"traffic": "fell", "conversion_rate": "dropped", "aov": "fell", "orders": "fell"}
KPI_SHORT = {"sessions": "sessions", "conversion_rate": "CR", "aov": "AOV", "orders": "orders"}


def _money(value: float, symbol: str, *, signed: bool = False) -> str:
    sign = "-" if value < 0 else ("+" if signed else "")
    return f"{sign}{symbol}{abs(value):,.0f}"


def _factor_phrase(factor: str, amount: float, segment: str | None = None) -> str:
    key = "traffic" if factor == "sessions" else factor
    name = FACTOR_NAMES.get(key, key.replace("_", " "))
    verb = (_UP if amount > 0 else _DOWN).get(key, "rose" if amount > 0 else "fell")
    return f"{segment} {name} {verb}" if segment else f"{name} {verb}"


def main_driver(
    change: float,
    contributions: Mapping[str, float] | None = None,
    segments: pd.DataFrame | None = None,
) -> tuple[str | None, str, float] | None:
    """The (segment or None, factor, amount) that moved revenue most in the change's direction.

    Args:
        change: the total revenue change (current - base).
        contributions: factor -> money (e.g. traffic, conversion_rate, aov), summing to change.
        segments: per-segment contributions: a ``segment`` column and one column per factor.

    Returns:
        None when no factor moved in the direction of the change.
    """
    direction = 1.0 if change >= 0 else -1.0
    best: tuple[str | None, str, float] | None = None
    if segments is not None and len(segments) and "segment" in segments:
        factors = [c for c in ("traffic", "conversion_rate", "aov", "orders") if c in segments]
        for _, row in segments.iterrows():
            for factor in factors:
                amount = finite_or_none(row[factor])
                if amount is None or amount * direction <= 0:
                    continue
                if best is None or abs(amount) > abs(best[2]):
                    best = (str(row["segment"]), factor, amount)
        if best is not None:
            return best
    for factor, value in (contributions or {}).items():
        amount = finite_or_none(value)
        if amount is None or amount * direction <= 0:
            continue
        if best is None or abs(amount) > abs(best[2]):
            best = (None, factor, amount)
    return best


def revenue_summary(
    revenue_current: float | None,
    revenue_base: float | None,
    *,
    compare_label: str = "the previous period",
    contributions: Mapping[str, float] | None = None,
    segments: pd.DataFrame | None = None,
    kpi_changes: Mapping[str, float | None] | None = None,
    currency_symbol: str = "",
) -> str:
    """One sentence on how revenue moved against the comparison and what moved it most.

    Args:
        revenue_current / revenue_base: revenue in the period and in the comparison period
            (``revenue_base`` None when there is no comparison).
        compare_label: how the comparison period is named in the sentence.
        contributions: the decomposition of the change by factor (money, summing to the change).
        segments: per-segment decomposition (``segment`` plus factor columns in money).
        kpi_changes: relative changes of sessions, conversion_rate, aov (used when there is no
            decomposition, to say what moved without claiming a cause).
        currency_symbol: e.g. '$'.
    """
    current = finite_or_none(revenue_current)
    base = finite_or_none(revenue_base)
    if current is None:
        return "No revenue in this period."
    if base is None:
        return f"Revenue was {_money(current, currency_symbol)} in this period."
    if base == 0:
        return f"Revenue was {_money(current, currency_symbol)}, against none in {compare_label}."
    change = current - base
    relative = change / abs(base)
    amounts = f"({_money(current, currency_symbol)} vs {_money(base, currency_symbol)})"
    if abs(relative) < FLAT_THRESHOLD:
        head = f"Revenue held steady vs {compare_label} {amounts}"
    else:
        verb = "rose" if change > 0 else "fell"
        head = f"Revenue {verb} {abs(relative) * 100:.1f}% vs {compare_label} {amounts}"
    driver = (
        main_driver(change, contributions, segments) if abs(relative) >= FLAT_THRESHOLD else None
    )
    if driver is not None:
        segment, factor, amount = driver
        return (
            f"{head}, mostly because {_factor_phrase(factor, amount, segment)} "
            f"({_money(amount, currency_symbol, signed=True)})."
        )
    moves = []
    for name in ("sessions", "conversion_rate", "aov"):
        value = finite_or_none((kpi_changes or {}).get(name))
        if value is not None:
            moves.append(f"{KPI_SHORT[name]} {value * 100:+.1f}%")
    if moves:
        return f"{head}: {', '.join(moves)}."
    return f"{head}."
