"""Figures of the RO loop: win rate over time and goal progress (plain data in, go.Figure out)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ro_core.present.charts import COMPARISON_COLOR, DOWN_COLOR, TEMPLATE, UP_COLOR
from ro_core.present.formatting import period_width_ms, time_axis

INCONCLUSIVE_COLOR = COMPARISON_COLOR
WIN_RATE_COLOR = "#2563eb"


def win_rate_figure(frame: pd.DataFrame, grain: str = "month", *, height: int = 340) -> go.Figure:
    """Tests ended per period, stacked by outcome, with the cumulative win rate as a line.

    Args:
        frame: ``ro_core.loop.experiment_log.win_rate_over_time(...)`` (period_start, won, lost,
            inconclusive, cumulative_win_rate).
        grain: the frame's period, 'month' or 'quarter': the time axis ticks once per period,
            labelled with the month (never the sub-millisecond ticks of a bare date axis).

    Returns:
        Bars (won green, lost red, inconclusive grey) on the left axis, one period wide each; the
        cumulative win rate in % on the right axis.
    """
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.update_layout(template=TEMPLATE, height=height, barmode="stack", hovermode="x unified")
    x = pd.to_datetime(frame["period_start"]) if len(frame) else []
    width = [period_width_ms(grain)] * len(x)
    for column, name, color in (
        ("won", "Won", UP_COLOR),
        ("lost", "Lost", DOWN_COLOR),
        ("inconclusive", "Inconclusive", INCONCLUSIVE_COLOR),
    ):
        figure.add_trace(
            go.Bar(
                x=x,
                y=list(frame[column]) if len(frame) else [],
                name=name,
                width=width,
                marker={"color": color},
                hovertemplate=f"%{{y}} {name.lower()}<extra></extra>",
            ),
            secondary_y=False,
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=list(frame["cumulative_win_rate"]) if len(frame) else [],
            name="Win rate so far",
            mode="lines+markers",
            line={"color": WIN_RATE_COLOR, "width": 2.5},
            hovertemplate="%{y:.0%} won so far<extra></extra>",
        ),
        secondary_y=True,
    )
    if len(frame):
        figure.update_xaxes(**time_axis(grain, x.min(), x.max()))
    else:
        figure.update_xaxes(**time_axis(grain))
    most = int(frame["ended"].max()) if len(frame) else 1
    figure.update_yaxes(
        title_text="Tests ended",
        tickformat=",d",
        tick0=0,
        dtick=max(1, math.ceil(most / 5)),
        rangemode="tozero",
        secondary_y=False,
    )
    figure.update_yaxes(
        title_text="Win rate so far",
        tickformat=".0%",
        range=[0, 1.05],
        showgrid=False,
        secondary_y=True,
    )
    return figure
