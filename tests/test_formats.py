"""Formats have one home (ro_core.present.formatting): '–' for missing values in every cell,
'pp' for differences of rates, rates with 2 decimals, relative changes with 1, money with 2,
counts with thousands separators, time axes on whole days, weeks, months or quarters."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from ro_core.present import formatting as F


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA, pd.NaT, float("inf")])
@pytest.mark.parametrize("kind", F.CELL_KINDS)
def test_a_missing_value_is_a_dash_in_every_kind_of_cell(kind, missing) -> None:
    assert F.cell(missing, kind, "USD") == "–"


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (1234.5, F.MONEY, "$1,234.50"),
        (-0.5, F.MONEY_CHANGE, "-$0.50"),
        (0.2, F.MONEY_CHANGE, "+$0.20"),
        (279172.0, F.COUNT, "279,172"),
        (0.0241, F.RATE, "2.41%"),
        (1.0, F.RATE, "100.00%"),
        (0.0439, F.CHANGE, "+4.4%"),
        (-0.25, F.CHANGE, "-25.0%"),
        (0.004, F.POINTS, "+0.40 pp"),
        (-0.00073, F.POINTS, "-0.07 pp"),
        (0.011335972, F.P_VALUE, "0.0113"),
        (0.00001, F.P_VALUE, "< 0.0001"),
        (date(2025, 9, 1), F.DATE, "2025-09-01"),
        (pd.Timestamp("2025-09-01 00:00"), F.DATE, "2025-09-01"),
        ("  Won ", F.TEXT, "Won"),
        ("", F.TEXT, "–"),
    ],
)
def test_cells_read_with_consistent_decimals(value, kind, text) -> None:
    assert F.cell(value, kind, "USD") == text


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown cell kind"):
        F.cell(1, "percent")


def test_table_text_never_shows_none_or_nan() -> None:
    frame = pd.DataFrame(
        {
            "name": ["A", None],
            "lift": [0.123, math.nan],
            "impact": [None, 1500.0],
            "ended": [date(2025, 1, 2), None],
        }
    )
    shown = F.table_text(frame, {"lift": F.CHANGE, "impact": F.MONEY, "ended": F.DATE}, "EUR")
    assert shown.to_dict("list") == {
        "name": ["A", "–"],
        "lift": ["+12.3%", "–"],
        "impact": ["–", "€1,500.00"],
        "ended": ["2025-01-02", "–"],
    }
    assert not {"None", "nan", "NaN", "NaT"} & set(shown.to_numpy().ravel())


@pytest.mark.parametrize(
    ("grain", "dtick", "tickformat"),
    [("day", 86_400_000, "%d %b %Y"), ("week", 7 * 86_400_000, "%d %b %Y"),
     ("month", "M1", "%b %Y"), ("quarter", "M3", "%b %Y")],
)  # fmt: skip
def test_time_axes_tick_on_days_weeks_months_or_quarters(grain, dtick, tickformat) -> None:
    axis = F.time_axis(grain, date(2025, 9, 1), date(2025, 9, 1))
    assert (axis["type"], axis["dtick"], axis["tickformat"]) == ("date", dtick, tickformat)
    start, end = (pd.Timestamp(v) for v in axis["range"])
    period_days = F.TIME_AXIS[grain]["days"]
    assert (end - start) / pd.Timedelta(days=1) == pytest.approx(1.5 * period_days)
    assert start < pd.Timestamp("2025-09-01") < end
    assert "range" not in F.time_axis(grain)
    with pytest.raises(ValueError, match="unknown time grain"):
        F.time_axis("hour")
