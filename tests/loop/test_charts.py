"""The win-rate figure: bars per outcome and the cumulative win rate on its own axis."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ro_core.loop.charts import win_rate_figure
from ro_core.loop.experiment_log import win_rate_over_time


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


def test_win_rate_figure_without_tests_is_empty() -> None:
    figure = win_rate_figure(win_rate_over_time(pd.DataFrame({"end_date": [], "outcome": []})))
    assert all(len(t.y) == 0 for t in figure.data)
