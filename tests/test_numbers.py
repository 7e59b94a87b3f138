"""finite_or_none: the one reading of "a number to show, or nothing"."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from ro_core.numbers import finite_or_none


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (pd.NA, None),
        (pd.NaT, None),
        (float("nan"), None),
        (float("inf"), None),
        (-float("inf"), None),
        (Decimal("NaN"), None),
        ("not a number", None),
        ([1.0], None),
        (0, 0.0),
        (Decimal("12.35"), 12.35),
        (np.int64(7), 7.0),
        (np.float32(0.5), 0.5),
        ("3.25", 3.25),
        (True, 1.0),
    ],
)
def test_finite_or_none(value: object, expected: float | None) -> None:
    result = finite_or_none(value)
    assert result == expected
    assert result is None or type(result) is float
