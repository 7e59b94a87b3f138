"""Plotly figures for the experiment planner and analysis (no Streamlit; tested directly).

The builders take the DataFrames of ``ro_core.experiment`` (``power_curve``, ``mde_by_week``) or
plain numbers and use the dashboard's template and palette from ``ro_core.present.charts``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from ro_core.numbers import finite_or_none
from ro_core.present.charts import (
    COMPARISON_COLOR,
    CURRENT_COLOR,
    DOWN_COLOR,
    PALETTE,
    TEMPLATE,
    UP_COLOR,
)

TARGET_COLOR = COMPARISON_COLOR
LIFT_COLUMNS: tuple[str, ...] = ("variant", "relative_lift", "ci_low", "ci_high")


def _figure(title: str | None, height: int) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(template=TEMPLATE, height=height, showlegend=False)
    if title:
        figure.update_layout(title={"text": title, "x": 0, "font": {"size": 15}})
    return figure


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}.")


def power_curve_figure(
    curve: pd.DataFrame,
    *,
    target_power: float | None = None,
    required: float | None = None,
    unit: str = "visitors",
    title: str | None = "Power against sample size",
    height: int = 340,
) -> go.Figure:
    """Power of each comparison against units per variant (``power_curve``'s frame).

    Args:
        curve: columns per_variant and power (a fraction 0..1).
        target_power: draws a dashed horizontal line at the planned power.
        required: draws a dotted vertical line at the planned sample per variant.
        unit: what is counted per variant ('visitors' or 'orders'), for the axis title.
    """
    _require(curve, ("per_variant", "power"), "The power curve")
    points = [
        (x, y)
        for x, y in zip(
            (finite_or_none(v) for v in curve["per_variant"]),
            (finite_or_none(v) for v in curve["power"]),
            strict=True,
        )
        if x is not None and y is not None
    ]
    figure = _figure(title, height)
    figure.add_trace(
        go.Scatter(
            x=[x for x, _ in points],
            y=[y for _, y in points],
            mode="lines",
            name="Power",
            line={"color": CURRENT_COLOR, "width": 3},
            hovertemplate=f"%{{x:,.0f}} {unit} per variant: %{{y:.1%}} power<extra></extra>",
        )
    )
    target = finite_or_none(target_power)
    if target is not None:
        figure.add_hline(
            y=target,
            line={"color": TARGET_COLOR, "dash": "dash", "width": 1.5},
            annotation_text=f"planned power {target:.0%}",
            annotation_position="bottom right",
        )
    needed = finite_or_none(required)
    if needed is not None:
        figure.add_vline(
            x=needed,
            line={"color": PALETTE[1], "dash": "dot", "width": 1.5},
            annotation_text=f"{math.ceil(needed):,} {unit}",
            annotation_position="top left",
        )
    figure.update_xaxes(title_text=f"{unit.capitalize()} per variant", tickformat=",.0f")
    figure.update_yaxes(title_text="Power", tickformat=".0%", range=[0, 1.02])
    figure.update_layout(hovermode="closest")
    return figure


def mde_by_week_figure(
    table: pd.DataFrame,
    *,
    planned_mde: float | None = None,
    max_weeks: int | None = None,
    title: str | None = "Smallest detectable lift by test length",
    height: int = 340,
) -> go.Figure:
    """Relative MDE against weeks of running (``mde_by_week``'s frame), as bars.

    Args:
        table: columns weeks, visitors_per_variant and mde_relative (0.1 = +10%; NA when
            nothing is detectable, drawn as no bar).
        planned_mde: the relative MDE the test is planned for (a dashed line).
        max_weeks: bars past this many weeks are greyed out (too long to run).
    """
    _require(table, ("weeks", "visitors_per_variant", "mde_relative"), "The MDE table")
    weeks = [int(w) for w in table["weeks"]]
    mdes = [finite_or_none(v) for v in table["mde_relative"]]
    visitors = [finite_or_none(v) for v in table["visitors_per_variant"]]
    colors = [
        TARGET_COLOR if max_weeks is not None and week > max_weeks else CURRENT_COLOR
        for week in weeks
    ]
    figure = _figure(title, height)
    figure.add_trace(
        go.Bar(
            x=weeks,
            y=mdes,
            marker_color=colors,
            name="Detectable lift",
            customdata=[[v if v is not None else 0.0] for v in visitors],
            hovertemplate=(
                "%{x} weeks: +%{y:.1%} or more<br>%{customdata[0]:,.0f} visitors per variant"
                "<extra></extra>"
            ),
        )
    )
    planned = finite_or_none(planned_mde)
    if planned is not None:
        figure.add_hline(
            y=abs(planned),
            line={"color": PALETTE[1], "dash": "dash", "width": 1.5},
            annotation_text=f"planned MDE {abs(planned):.1%}",
            annotation_position="top right",
            annotation_bgcolor="rgba(255,255,255,0.85)",
        )
    figure.update_xaxes(title_text="Weeks of running", tickmode="linear", dtick=1)
    figure.update_yaxes(title_text="Smallest detectable lift", tickformat=".0%")
    figure.update_layout(hovermode="closest")
    return figure


def lift_interval_figure(
    lifts: pd.DataFrame,
    *,
    metric_label: str = "conversion rate",
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Each variant's relative lift over control with its confidence interval.

    Args:
        lifts: columns variant, relative_lift, ci_low, ci_high (fractions, 0.05 = +5%), and
            optionally sequential_ci_low / sequential_ci_high (drawn as a thinner, wider bar).
            Rows without a lift are left out.
        metric_label: the metric's name, for the axis title.
    """
    _require(lifts, LIFT_COLUMNS, "The lift chart")
    has_sequential = {"sequential_ci_low", "sequential_ci_high"} <= set(lifts.columns)
    rows = []
    for record in lifts.to_dict("records"):
        lift = finite_or_none(record["relative_lift"])
        if lift is None:
            continue
        rows.append(
            {
                "variant": str(record["variant"]),
                "lift": lift,
                "low": finite_or_none(record["ci_low"]),
                "high": finite_or_none(record["ci_high"]),
                "seq_low": finite_or_none(record.get("sequential_ci_low"))
                if has_sequential
                else None,
                "seq_high": finite_or_none(record.get("sequential_ci_high"))
                if has_sequential
                else None,
            }
        )
    figure = _figure(title, height or max(180, 90 + 60 * len(rows)))
    names = [row["variant"] for row in rows]
    if any(row["seq_low"] is not None and row["seq_high"] is not None for row in rows):
        figure.add_trace(
            go.Scatter(
                x=[row["lift"] for row in rows],
                y=names,
                mode="markers",
                marker={"opacity": 0, "size": 1},
                name="Always-valid interval",
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        (row["seq_high"] - row["lift"]) if row["seq_high"] is not None else 0
                        for row in rows
                    ],
                    "arrayminus": [
                        (row["lift"] - row["seq_low"]) if row["seq_low"] is not None else 0
                        for row in rows
                    ],
                    "color": TARGET_COLOR,
                    "thickness": 1.5,
                    "width": 10,
                },
                hoverinfo="skip",
            )
        )
    colors = []
    for row in rows:
        low, high = row["low"], row["high"]
        if low is not None and low > 0:
            colors.append(UP_COLOR)
        elif high is not None and high < 0:
            colors.append(DOWN_COLOR)
        else:
            colors.append(CURRENT_COLOR)
    figure.add_trace(
        go.Scatter(
            x=[row["lift"] for row in rows],
            y=names,
            mode="markers",
            marker={"color": colors, "size": 12},
            name="Lift",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [
                    (row["high"] - row["lift"]) if row["high"] is not None else 0 for row in rows
                ],
                "arrayminus": [
                    (row["lift"] - row["low"]) if row["low"] is not None else 0 for row in rows
                ],
                "color": "#334155",
                "thickness": 3,
                "width": 6,
            },
            customdata=[
                [
                    row["low"] if row["low"] is not None else float("nan"),
                    row["high"] if row["high"] is not None else float("nan"),
                ]
                for row in rows
            ],
            hovertemplate=(
                "%{y}: %{x:+.1%} (interval %{customdata[0]:+.1%} to %{customdata[1]:+.1%})"
                "<extra></extra>"
            ),
        )
    )
    figure.add_vline(x=0, line={"color": "#64748b", "width": 1})
    figure.update_xaxes(
        title_text=f"Relative lift in {metric_label} over control",
        tickformat="+.0%",
        zeroline=False,
    )
    figure.update_yaxes(type="category", autorange="reversed", rangemode="normal")
    figure.update_layout(hovermode="closest")
    return figure
