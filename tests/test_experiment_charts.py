"""Experiment chart builders: the figures carry the data they are given, in the house style."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import pytest

from ro_core.experiment import (
    ConversionBaseline,
    ExperimentDesign,
    mde_by_week,
    power_curve,
    sample_size,
)
from ro_core.present.charts import DOWN_COLOR, PALETTE, TEMPLATE, UP_COLOR
from ro_core.present.experiment_charts import (
    lift_interval_figure,
    mde_by_week_figure,
    power_curve_figure,
)


def _lines(figure: go.Figure, axis: str) -> list[dict]:
    """Shapes drawn as add_hline (axis='y') or add_vline (axis='x')."""
    other = "x" if axis == "y" else "y"
    return [
        shape.to_plotly_json()
        for shape in figure.layout.shapes
        if shape[f"{other}ref"] == f"{other} domain"
    ]


def test_power_curve_figure_plots_the_curve_and_marks_the_plan() -> None:
    baseline = ConversionBaseline(0.03)
    design = ExperimentDesign(power=0.9)
    curve = power_curve(baseline, 0.2, design=design, points=25)
    needed = sample_size(baseline, 0.2, design=design).per_variant_exact
    figure = power_curve_figure(curve, target_power=0.9, required=needed)

    (trace,) = figure.data
    assert list(trace.x) == list(curve["per_variant"])
    assert list(trace.y) == pytest.approx(list(curve["power"]))
    assert trace.line.color == PALETTE[0]
    assert figure.layout.template.layout.colorway == TEMPLATE.layout.colorway
    (target,) = _lines(figure, "y")
    assert target["y0"] == target["y1"] == 0.9
    (marker,) = _lines(figure, "x")
    assert marker["x0"] == pytest.approx(needed)
    assert figure.layout.yaxis.tickformat == ".0%"
    assert "Visitors per variant" in figure.layout.xaxis.title.text


def test_power_curve_figure_skips_missing_points_and_optional_marks() -> None:
    curve = pd.DataFrame({"per_variant": [100.0, math.nan, 300.0], "power": [0.2, 0.5, None]})
    figure = power_curve_figure(curve, unit="orders")
    assert list(figure.data[0].x) == [100.0]
    assert not figure.layout.shapes
    assert "Orders per variant" in figure.layout.xaxis.title.text


def test_mde_by_week_figure_bars_and_grey_long_weeks() -> None:
    table = mde_by_week(
        ConversionBaseline(0.025),
        daily_sessions=2_000,
        design=ExperimentDesign(),
        weeks=range(1, 11),
    )
    figure = mde_by_week_figure(table, planned_mde=-0.1, max_weeks=8)
    (bars,) = figure.data
    assert list(bars.x) == list(range(1, 11))
    assert list(bars.y) == pytest.approx([float(v) for v in table["mde_relative"]])
    assert list(bars.marker.color[:8]) == [PALETTE[0]] * 8
    assert all(color != PALETTE[0] for color in bars.marker.color[8:])
    assert [row[0] for row in bars.customdata] == list(table["visitors_per_variant"])
    (planned,) = _lines(figure, "y")
    assert planned["y0"] == pytest.approx(0.1)  # a drop is drawn as its size


def test_mde_by_week_figure_leaves_undetectable_weeks_empty() -> None:
    table = pd.DataFrame(
        {
            "weeks": [1, 2],
            "visitors_per_variant": [1, 500],
            "mde_relative": pd.array([None, 0.4], dtype="Float64"),
            "mde_absolute": pd.array([None, 0.01], dtype="Float64"),
        }
    )
    figure = mde_by_week_figure(table)
    assert list(figure.data[0].y) == [None, 0.4]


def test_lift_interval_figure_colours_by_interval() -> None:
    lifts = pd.DataFrame(
        {
            "variant": ["up", "down", "unclear", "no lift"],
            "relative_lift": [0.10, -0.08, 0.02, None],
            "ci_low": [0.04, -0.12, -0.03, None],
            "ci_high": [0.16, -0.02, 0.07, None],
        }
    )
    figure = lift_interval_figure(lifts, metric_label="revenue per visitor")
    (trace,) = figure.data
    assert list(trace.y) == ["up", "down", "unclear"]
    assert list(trace.marker.color) == [UP_COLOR, DOWN_COLOR, PALETTE[0]]
    assert list(trace.error_x.array) == pytest.approx([0.06, 0.06, 0.05])
    assert list(trace.error_x.arrayminus) == pytest.approx([0.06, 0.04, 0.05])
    assert "revenue per visitor" in figure.layout.xaxis.title.text


def test_lift_interval_figure_draws_sequential_intervals_when_given() -> None:
    lifts = pd.DataFrame(
        {
            "variant": ["B"],
            "relative_lift": [0.05],
            "ci_low": [0.01],
            "ci_high": [0.09],
            "sequential_ci_low": [-0.02],
            "sequential_ci_high": [0.12],
        }
    )
    figure = lift_interval_figure(lifts)
    assert len(figure.data) == 2
    sequential = figure.data[0]
    assert list(sequential.error_x.array) == pytest.approx([0.07])
    assert list(sequential.error_x.arrayminus) == pytest.approx([0.07])


def test_builders_name_missing_columns() -> None:
    with pytest.raises(ValueError, match="power"):
        power_curve_figure(pd.DataFrame({"per_variant": [1]}))
    with pytest.raises(ValueError, match="mde_relative"):
        mde_by_week_figure(pd.DataFrame({"weeks": [1], "visitors_per_variant": [1]}))
    with pytest.raises(ValueError, match="ci_low"):
        lift_interval_figure(pd.DataFrame({"variant": ["B"], "relative_lift": [0.1]}))
