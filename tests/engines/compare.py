"""Compare two JSON documents of metrics: counts exact, numbers within 1e-9 relative."""

from __future__ import annotations

import math
from typing import Any

REL = 1e-9
ABS = 1e-9  # figures that should be 0 may come out as 1e-15 after sums in another order


def differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where `actual` differs from `expected` (empty when they agree)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            return [f"{path}: keys {sorted(expected)} != {sorted(actual)}"]
        return [d for k in expected for d in differences(expected[k], actual[k], f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items != {len(actual)}"]
        return [
            d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{path}[{i}]")
        ]  # fmt: skip
    numbers = (int, float)
    if (
        isinstance(expected, numbers)
        and isinstance(actual, numbers)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    ):
        if isinstance(expected, int) and isinstance(actual, int):
            return [] if expected == actual else [f"{path}: {expected} != {actual}"]
        if math.isclose(expected, actual, rel_tol=REL, abs_tol=ABS):
            return []
        return [f"{path}: {expected!r} != {actual!r}"]
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]
