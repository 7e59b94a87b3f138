"""The win-rate figure: bars per outcome and the cumulative win rate on its own axis, on a time
axis labelled in months (never the sub-millisecond ticks of a bare date axis)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ro_core.loop.charts import win_rate_figure
from ro_core.loop.experiment_log import win_rate_over_time

DAY_MS = 86_400_000


def test_win_rate_figure_draws_outcomes_and_the_running_win_rate() -> None:
    ended = pd.DataFrame(
        {
            "end_date": [date(2024, 1, 5), date(2024, 1, 30), date(2024, 3, 1)],
            "outcome": ["won", "lost", "won"],
        }
    )
    figure = win_rate_figure(win_rate_over_time(ended, "month"))
    traces = {t.name: t for t in figure.data}
    assert list(traces) == ["Won", "Lost", "Inconclusive", "Win rate so far"]
    assert list(traces["Won"].y) == [1, 1]
    assert list(traces["Lost"].y) == [1, 0]
    assert list(traces["Win rate so far"].y) == pytest.approx([0.5, 2 / 3])
    assert traces["Win rate so far"].yaxis == "y2"
    assert [pd.Timestamp(x).date() for x in traces["Won"].x] == [date(2024, 1, 1), date(2024, 3, 1)]
    assert figure.layout.yaxis.dtick == 1 and figure.layout.yaxis2.tickformat == ".0%"


@pytest.mark.parametrize(("grain", "dtick", "months"), [("month", "M1", 1), ("quarter", "M3", 3)])
def test_a_single_period_is_on_a_month_axis_not_milliseconds(grain, dtick, months) -> None:
    """One ended test: the axis ticks per month or quarter, labelled 'Sep 2025', spans weeks."""
    ended = pd.DataFrame({"end_date": [date(2025, 9, 28)], "outcome": ["won"]})
    figure = win_rate_figure(win_rate_over_time(ended, grain), grain)
    axis = figure.layout.xaxis
    assert axis.type == "date" and axis.dtick == dtick and axis.tickformat == "%b %Y"
    start, end = (pd.Timestamp(v) for v in axis.range)
    span_days = (end - start) / pd.Timedelta(days=1)
    assert span_days > 30 * months  # at least the period itself, never a blip
    first = pd.Timestamp(date(2025, 9, 1) if grain == "month" else date(2025, 7, 1))
    assert start < first < end
    # each bar is most of a period wide (not 1 ms)
    bar = figure.data[0]
    assert bar.width[0] / DAY_MS == pytest.approx(0.8 * 30.44 * months, rel=0.01)


def test_win_rate_figure_without_tests_is_empty() -> None:
    figure = win_rate_figure(win_rate_over_time(pd.DataFrame({"end_date": [], "outcome": []})))
    assert all(len(t.y) == 0 for t in figure.data)
    assert figure.layout.xaxis.dtick == "M1"
