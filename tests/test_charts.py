"""Plotly figure builders, tested on the figures themselves (AppTest cannot look inside charts)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ro_core.present import charts

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def _trend_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-03-04", "2024-03-11", "2024-03-18"]),
            "period_end": pd.to_datetime(["2024-03-10", "2024-03-17", "2024-03-20"]),
            "days": [7, 7, 3],
            "partial": [False, False, True],
            "value": [100.0, None, 80.5],
            "comparison_period_start": pd.to_datetime(["2024-02-26", "2024-03-04", None]),
            "comparison_value": [90.0, 95.0, None],
        }
    )


def test_palette_is_the_streamlit_theme_palette() -> None:
    theme = tomllib.loads(CONFIG.read_text())["theme"]
    assert tuple(theme["chartCategoricalColors"]) == charts.PALETTE
    assert theme["primaryColor"] == charts.PALETTE[0]
    assert list(charts.TEMPLATE.layout.colorway) == list(charts.PALETTE)


def test_trend_figure_overlays_the_comparison_and_marks_partial_periods() -> None:
    figure = charts.trend_figure(
        _trend_frame(), label="Revenue", kind="money", currency_symbol="$", comparison_name="Prev"
    )
    comparison, current = figure.data
    assert comparison.name == "Prev" and comparison.line.dash == "dash"
    assert list(comparison.y) == [90.0, 95.0, None]
    # the comparison is drawn on the current period's dates so the two line up
    assert list(comparison.x) == list(current.x)
    assert list(current.y) == [100.0, None, 80.5]
    assert list(current.marker.symbol) == ["circle", "circle", "circle-open"]
    assert figure.layout.yaxis.tickprefix == "$"
    assert figure.layout.template.layout.colorway == charts.TEMPLATE.layout.colorway


def test_trend_figure_without_comparison_has_one_series() -> None:
    figure = charts.trend_figure(
        _trend_frame(), label="CR", kind="rate", comparison_name=None, current_name="Now"
    )
    assert [t.name for t in figure.data] == ["Now"]
    assert figure.layout.yaxis.tickformat == ".1%"


def test_annotations_inside_the_range_are_drawn_and_escaped() -> None:
    notes = [
        (date(2024, 3, 12), None, "New <b>checkout</b>"),  # a day: dotted line
        (date(2024, 3, 15), date(2024, 3, 30), "Spring sale"),  # a span cut at the range end
        (date(2024, 1, 1), None, "Too early"),
        (date(2024, 4, 1), date(2024, 4, 3), "Too late"),
    ]
    figure = charts.trend_figure(_trend_frame(), label="Revenue", annotations=notes)
    texts = [a.text for a in figure.layout.annotations]
    assert texts == ["New &lt;b&gt;checkout&lt;/b&gt;", "Spring sale"]
    line, band = figure.layout.shapes
    assert line.type == "line" and pd.Timestamp(line.x0) == pd.Timestamp("2024-03-12")
    assert band.type == "rect"
    assert pd.Timestamp(band.x0) == pd.Timestamp("2024-03-15")
    # cut at the last day shown (2024-03-20), drawn to the end of that day
    assert pd.Timestamp(band.x1) == pd.Timestamp("2024-03-21")


def test_empty_trend_frame_gives_an_empty_chart() -> None:
    figure = charts.trend_figure(_trend_frame().iloc[0:0], label="Revenue")
    assert len(figure.data) == 1 and list(figure.data[0].y) == []


def test_waterfall_runs_from_base_through_factors_to_current() -> None:
    contributions = {"traffic": 500.0, "conversion_rate": -1200.0, "aov": 200.0}
    figure = charts.waterfall_figure(10_000.0, contributions, 9_500.0, currency_symbol="€")
    (trace,) = figure.data
    assert list(trace.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert list(trace.y) == [10_000.0, 500.0, -1200.0, 200.0, 9_500.0]
    assert list(trace.x) == [
        "Before",
        "Traffic (sessions)",
        "Conversion rate",
        "Average order value",
        "Now",
    ]
    assert list(trace.text) == ["€10,000", "+€500", "-€1,200", "+€200", "€9,500"]
    # the axis starts above zero so the factor bars are visible, below the lowest running total
    low, high = figure.layout.yaxis.range
    assert 0 < low < 9_300 and high > 10_500


def _funnel_frame() -> pd.DataFrame:
    rows = []
    for group, sessions in (("This", [1000, 200, 50]), ("Before", [800, 200, 40])):
        for i, (step, value) in enumerate(
            zip(["sessions", "cart", "purchase"], sessions, strict=True)
        ):
            rows.append(
                {
                    "segment": group,
                    "step": step,
                    "label": step.title(),
                    "sessions": float(value),
                    "step_conversion": None if i == 0 else value / sessions[i - 1],
                    "from_top_conversion": value / sessions[0],
                }
            )
    return pd.DataFrame(rows)


def test_funnel_figure_puts_groups_side_by_side_with_rates() -> None:
    figure = charts.funnel_figure(_funnel_frame(), group_column="segment")
    this, before = figure.data
    assert (this.name, before.name) == ("This", "Before")
    assert this.xaxis != before.xaxis, "separate subplots, side by side"
    assert list(this.x) == [1000.0, 200.0, 50.0]
    assert list(this.text) == [
        "1,000",
        "200 · 20.0% of previous · 20.0% of first",
        "50 · 25.0% of previous · 5.0% of first",
    ]
    assert list(before.text)[1] == "200 · 25.0% of previous · 25.0% of first"
    assert [a.text for a in figure.layout.annotations] == ["This", "Before"]


def test_single_funnel_has_no_titles() -> None:
    frame = _funnel_frame()
    figure = charts.funnel_figure(frame[frame["segment"] == "This"])
    assert len(figure.data) == 1 and not figure.layout.annotations


def test_segment_figure_draws_intervals_and_pales_small_samples() -> None:
    frame = pd.DataFrame(
        {
            "segment": ["mobile", "desktop", "<script>", "tablet"],
            "rpv": [1.5, 2.0, 0.5, None],
            "rpv_low": [1.2, 1.9, 0.1, None],
            "rpv_high": [1.9, 2.2, 1.4, None],
            "small_sample": [False, False, True, False],
        }
    )
    figure = charts.segment_figure(
        frame, value="rpv", low="rpv_low", high="rpv_high", label="RPV", kind="money"
    )
    (bars,) = figure.data
    assert list(bars.y) == ["mobile", "desktop", "&lt;script&gt; (small sample)"]
    assert list(bars.x) == [1.5, 2.0, 0.5]
    assert list(bars.error_x.array) == pytest.approx([0.4, 0.2, 0.9])
    assert list(bars.error_x.arrayminus) == pytest.approx([0.3, 0.1, 0.4])
    assert list(bars.marker.color) == [
        charts.CURRENT_COLOR,
        charts.CURRENT_COLOR,
        charts.SMALL_SAMPLE_COLOR,
    ]


def test_sparkline_values_skip_missing_periods() -> None:
    assert charts.sparkline_values(_trend_frame()) == [100.0, 80.5]
    assert charts.sparkline_values(pd.DataFrame({"other": [1]})) == []


@pytest.mark.parametrize(
    ("kind", "prefix", "tickformat"),
    [("money", "$", ",.2~f"), ("count", "", ",.0f"), ("rate", "", ".1%")],
)
def test_axis_formats(kind: str, prefix: str, tickformat: str) -> None:
    formats = charts.axis_format(kind, "$")
    assert (formats["tickprefix"], formats["tickformat"]) == (prefix, tickformat)
