"""Calendar arithmetic (ro_core/dates.py) against dateutil's relativedelta, and the import
options' dates."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from ro_core.dates import iso_date, month_end, shift_months


def test_shift_months_against_relativedelta() -> None:
    rng = random.Random(11)
    start = date(1999, 1, 1)
    for _ in range(5000):
        day = start + timedelta(days=rng.randrange(365 * 40))
        months = rng.randint(-30, 30)
        assert shift_months(day, months) == day + relativedelta(months=months), (day, months)


def test_month_end_and_leap_day_a_year_back() -> None:
    assert month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert month_end(date(2023, 12, 31)) == date(2023, 12, 31)
    assert shift_months(date(2024, 2, 29), -12) == date(2023, 2, 28)
    assert shift_months(date(2024, 3, 31), -1) == date(2024, 2, 29)


@pytest.mark.parametrize("text", ["2024-13-01", "31/01/2024", "", "yesterday"])
def test_iso_date_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError):
        iso_date(text)


def test_iso_date_reads_padded_text_and_dates() -> None:
    assert iso_date(" 2024-01-31 ") == date(2024, 1, 31)
    assert iso_date(date(2024, 1, 31)) == date(2024, 1, 31)


def test_dates_load_without_pandas() -> None:
    """The importers use these helpers; loading them must not load pandas."""
    code = "import sys, ro_core.dates; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
