"""Adjusted p-values for several variants: Holm (family-wise error, used by the verdict) and
Benjamini-Hochberg (false discovery rate)."""

from __future__ import annotations

from collections.abc import Sequence


def _adjust(p_values: Sequence[float | None], method: str) -> list[float | None]:
    present = [(i, float(p)) for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    m = len(present)
    if m == 0:
        return adjusted
    order = sorted(present, key=lambda item: item[1])
    if method == "holm":
        running = 0.0
        for rank, (index, p) in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p))
            adjusted[index] = running
    else:
        running = 1.0
        for rank in range(m - 1, -1, -1):
            index, p = order[rank]
            running = min(running, m * p / (rank + 1))
            adjusted[index] = min(1.0, running)
    return adjusted


def holm_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (family-wise error); None entries stay None."""
    return _adjust(p_values, "holm")


def benjamini_hochberg_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate); None entries stay None."""
    return _adjust(p_values, "bh")
