"""Plotly figure builders: plain data in, a ``go.Figure`` out (no Streamlit, testable directly).
The Overview's light figures (KPI sparklines, the revenue waterfall) are drawn as SVG text in
:mod:`ro_core.present.svg_charts`.

Every figure uses :data:`TEMPLATE`, whose colours are :data:`PALETTE`, the same list as
``theme.chartCategoricalColors`` in .streamlit/config.toml (a test keeps them equal), so charts
look the same in the dashboard, in Plotly's own PNG export and anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ro_core.metrics.decomposition import FACTOR_LABELS

PALETTE: tuple[str, ...] = (
    "#2563eb",
    "#f97316",
    "#10b981",
    "#8b5cf6",
    "#ef4444",
    "#0ea5e9",
    "#eab308",
    "#64748b",
    "#ec4899",
    "#14b8a6",
)
CURRENT_COLOR = PALETTE[0]
COMPARISON_COLOR = "#94a3b8"
UP_COLOR = "#079464"
DOWN_COLOR = "#d94a57"
TOTAL_COLOR = "#334155"
ANNOTATION_COLOR = "#8b5cf6"
SMALL_SAMPLE_COLOR = "#cbd5e1"
FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        colorway=list(PALETTE),
        font={"family": FONT, "size": 13, "color": "#1f2937"},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 8, "r": 8, "t": 36, "b": 8},
        hovermode="x unified",
        xaxis={"showgrid": False, "zeroline": False, "linecolor": "#e5e7eb"},
        yaxis={"gridcolor": "#eef2f7", "zeroline": False, "rangemode": "tozero"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
)

# How a value is shown: the Plotly d3 format and a prefix/suffix.
VALUE_KINDS = ("money", "count", "rate", "number")


def axis_format(kind: str, currency_symbol: str = "") -> dict[str, str]:
    """Tick and hover formats for a value kind ('money', 'count', 'rate' or 'number')."""
    if kind == "money":
        return {"tickformat": ",.2~f", "tickprefix": currency_symbol, "hover": ",.2f"}
    if kind == "count":
        return {"tickformat": ",.0f", "tickprefix": "", "hover": ",.0f"}
    if kind == "rate":
        return {"tickformat": ".1%", "tickprefix": "", "hover": ".2%"}
    return {"tickformat": ",.3~g", "tickprefix": "", "hover": ",.3f"}


def _base_figure(title: str | None = None, height: int = 380) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(template=TEMPLATE, height=height)
    if title:
        figure.update_layout(title={"text": title, "x": 0, "font": {"size": 15}})
    return figure


def _numbers(values: Any) -> list[float | None]:
    out: list[float | None] = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(number if number == number and abs(number) != float("inf") else None)
    return out


def _as_date(value: Any) -> date:
    return pd.Timestamp(value).date()


def trend_figure(
    frame: pd.DataFrame,
    *,
    label: str,
    kind: str = "number",
    currency_symbol: str = "",
    current_name: str = "This period",
    comparison_name: str | None = "Comparison",
    annotations: Sequence[tuple[date, date | None, str]] = (),
    height: int = 380,
) -> go.Figure:
    """A metric over time with the comparison overlaid and notes drawn on the timeline.

    Args:
        frame: a trend frame (``ro_core.metrics.trend(...).frame``): ``period_start``,
            ``period_end``, ``value``, ``partial`` and optionally ``comparison_period_start``,
            ``comparison_value``.
        label: the metric's name for the axis and hover.
        kind: 'money', 'count', 'rate' or 'number' (axis formats).
        currency_symbol: prefix for money axes.
        current_name: legend name of the current series.
        comparison_name: legend name of the comparison (None hides it).
        annotations: (start, end or None, text) notes; drawn when they touch the x range.

    Returns:
        The figure: a solid line for the period, a dashed grey line for the comparison (drawn on
        the current period's dates so they line up), hollow markers on partial periods.
    """
    figure = _base_figure(height=height)
    formats = axis_format(kind, currency_symbol)
    x = pd.to_datetime(frame["period_start"]) if len(frame) else pd.Series(dtype="datetime64[ns]")
    values = _numbers(frame["value"]) if len(frame) else []
    partial = (
        [bool(p) for p in frame["partial"]]
        if "partial" in frame and len(frame)
        else [False] * len(values)
    )
    if comparison_name and "comparison_value" in frame and len(frame):
        comparison = _numbers(frame["comparison_value"])
        if any(v is not None for v in comparison):
            custom = [
                str(_as_date(d)) if d is not None and not pd.isna(d) else ""
                for d in frame.get("comparison_period_start", [None] * len(frame))
            ]
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=comparison,
                    name=comparison_name,
                    mode="lines",
                    line={"color": COMPARISON_COLOR, "width": 2, "dash": "dash"},
                    customdata=custom,
                    hovertemplate=f"%{{y:{formats['hover']}}} (from %{{customdata}})"
                    "<extra>" + comparison_name + "</extra>",
                )
            )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=values,
            name=current_name,
            mode="lines+markers",
            line={"color": CURRENT_COLOR, "width": 2.5},
            marker={
                "size": [9 if p else 5 for p in partial],
                "symbol": ["circle-open" if p else "circle" for p in partial],
                "color": CURRENT_COLOR,
            },
            hovertemplate=f"%{{y:{formats['hover']}}}<extra>{current_name}</extra>",
        )
    )
    figure.update_yaxes(
        title_text=label, tickformat=formats["tickformat"], tickprefix=formats["tickprefix"]
    )
    if len(frame):
        first = _as_date(frame["period_start"].min())
        last = _as_date(frame["period_end"].max()) if "period_end" in frame else first
        add_annotations(figure, annotations, first, last)
    return figure


def add_annotations(
    figure: go.Figure,
    annotations: Sequence[tuple[date, date | None, str]],
    first: date,
    last: date,
) -> go.Figure:
    """Draw notes on a date axis: a dotted line for a day, a shaded band for a span."""
    visible = [
        (start, end, text)
        for start, end, text in annotations
        if start <= last and (end or start) >= first
    ]
    for position, (start, end, text) in enumerate(visible):
        x0 = pd.Timestamp(max(start, first))
        if end is not None and end > start:
            x1 = pd.Timestamp(min(end, last) + timedelta(days=1))
            figure.add_shape(
                type="rect",
                xref="x",
                yref="paper",
                x0=x0,
                x1=x1,
                y0=0,
                y1=1,
                fillcolor=ANNOTATION_COLOR,
                opacity=0.08,
                line_width=0,
                layer="below",
            )
        else:
            figure.add_shape(
                type="line",
                xref="x",
                yref="paper",
                x0=x0,
                x1=x0,
                y0=0,
                y1=1,
                line={"color": ANNOTATION_COLOR, "width": 1.5, "dash": "dot"},
            )
        figure.add_annotation(
            x=x0,
            y=1 - 0.07 * (position % 4),
            xref="x",
            yref="paper",
            text=_plain(text),
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 11, "color": ANNOTATION_COLOR},
            bgcolor="rgba(255,255,255,0.85)",
        )
    return figure


def _plain(text: str, limit: int = 60) -> str:
    """Note text for a Plotly label: '<' and '>' escaped (Plotly reads a subset of HTML)."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return short.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def waterfall_figure(
    base: float,
    contributions: Mapping[str, float],
    current: float,
    *,
    base_label: str = "Before",
    current_label: str = "Now",
    currency_symbol: str = "",
    height: int = 360,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Revenue change as a waterfall: base revenue, one bar per factor, current revenue.

    ``contributions`` maps factor names ('traffic', 'conversion_rate', 'aov', 'orders',
    'other') to money; they should add up to ``current - base``. ``labels`` names the factors
    (the decomposition's own labels; default FACTOR_LABELS).
    """
    figure = _base_figure(height=height)
    names = {**FACTOR_LABELS, "sessions": FACTOR_LABELS["traffic"], **(labels or {})}
    bars = [base_label, *(names.get(k, k) for k in contributions), current_label]
    values = [float(base), *(float(v) for v in contributions.values()), float(current)]
    measures = ["absolute", *(["relative"] * len(contributions)), "total"]
    text = [
        money_text(v, currency_symbol, signed=m == "relative")
        for v, m in zip(values, measures, strict=True)
    ]
    figure.add_trace(
        go.Waterfall(
            x=bars,
            y=values,
            measure=measures,
            text=text,
            textposition="outside",
            increasing={"marker": {"color": UP_COLOR}},
            decreasing={"marker": {"color": DOWN_COLOR}},
            totals={"marker": {"color": TOTAL_COLOR}},
            connector={"line": {"color": "#cbd5e1", "width": 1}},
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    figure.update_yaxes(tickprefix=currency_symbol, tickformat=",.0f", rangemode="normal")
    figure.update_layout(showlegend=False, hovermode="closest")
    levels = [float(base), float(current)]
    running = float(base)
    for value in contributions.values():
        running += float(value)
        levels.append(running)
    if min(levels) > 0:
        # Start the axis above zero so factor bars a few % of revenue stay visible.
        span = max(max(levels) - min(levels), 1.0)
        figure.update_yaxes(range=[max(0.0, min(levels) - 0.6 * span), max(levels) + 0.25 * span])
    return figure


def money_text(value: float, symbol: str, *, signed: bool = False) -> str:
    """A bar's amount as the charts write it: '$1,234', '-$56' (with `signed`, '+$78')."""
    sign = "-" if value < 0 else ("+" if signed else "")
    return f"{sign}{symbol}{abs(value):,.0f}"


def funnel_figure(
    frame: pd.DataFrame,
    *,
    group_column: str = "segment",
    height: int = 420,
) -> go.Figure:
    """One funnel per group (period or segment), side by side, with step and from-top rates.

    Args:
        frame: ``step``/``label``, ``sessions``, ``step_conversion``, ``from_top_conversion``
            and a group column (``segment`` in ``ro_core.metrics.funnel`` results).
        group_column: the column whose values become separate funnels, left to right.

    Returns:
        A figure with one ``go.Funnel`` per group; each bar reads "31,364" at the top step and
        "1,234 · 12.3% of previous · 3.9% of first" below it.
    """
    groups = list(dict.fromkeys(frame[group_column])) if group_column in frame else ["All"]
    columns = max(len(groups), 1)
    figure = make_subplots(
        rows=1,
        cols=columns,
        shared_yaxes=True,
        horizontal_spacing=0.02,
        subplot_titles=[_plain(str(g)) for g in groups] if len(groups) > 1 else None,
    )
    figure.update_layout(template=TEMPLATE, height=height)
    for position, group in enumerate(groups):
        rows = frame[frame[group_column] == group] if group_column in frame else frame
        labels = [str(v) for v in rows["label" if "label" in rows else "step"]]
        sessions = _numbers(rows["sessions"])
        step_rates = _numbers(rows["step_conversion"])
        top_rates = _numbers(rows["from_top_conversion"])
        text = [
            (f"{s:,.0f}" if s is not None else "–")
            + (f" · {_pct(r)} of previous · {_pct(t)} of first" if i else "")
            for i, (s, r, t) in enumerate(zip(sessions, step_rates, top_rates, strict=True))
        ]
        figure.add_trace(
            go.Funnel(
                y=labels,
                x=sessions,
                name=_plain(str(group)),
                text=text,
                textinfo="text",
                textposition="outside" if columns > 2 else "auto",
                marker={"color": PALETTE[position % len(PALETTE)]},
                connector={"line": {"color": "#e5e7eb"}},
                hovertemplate="%{y}: %{text}<extra>" + _plain(str(group)) + "</extra>",
            ),
            row=1,
            col=position + 1,
        )
    figure.update_layout(showlegend=False, hovermode="closest")
    figure.update_xaxes(showticklabels=False, showgrid=False)
    return figure


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def segment_figure(
    frame: pd.DataFrame,
    *,
    value: str,
    low: str | None = None,
    high: str | None = None,
    label: str,
    kind: str = "number",
    currency_symbol: str = "",
    segment_column: str = "segment",
    small_column: str = "small_sample",
    height: int | None = None,
) -> go.Figure:
    """Horizontal bars per segment with interval whiskers; small samples shown pale.

    Rows keep the order of ``frame`` (sort it first); missing values are left out.
    """
    rows = frame[frame[value].notna()] if value in frame else frame.iloc[0:0]
    figure = _base_figure(height=height or max(220, 34 * len(rows) + 90))
    formats = axis_format(kind, currency_symbol)
    values = _numbers(rows[value]) if len(rows) else []
    small = [bool(s) for s in rows[small_column]] if small_column in rows else [False] * len(values)
    error: dict[str, Any] | None = None
    if low and high and low in rows and high in rows and len(rows):
        lows = _numbers(rows[low])
        highs = _numbers(rows[high])
        plus = [
            (h - v) if h is not None and v is not None else None
            for v, h in zip(values, highs, strict=True)
        ]
        minus = [
            (v - lo) if lo is not None and v is not None else None
            for v, lo in zip(values, lows, strict=True)
        ]
        error = {
            "type": "data",
            "symmetric": False,
            "array": plus,
            "arrayminus": minus,
            "color": "#475569",
            "thickness": 1.2,
            "width": 4,
        }
    names = [
        _plain(str(s)) + (" (small sample)" if sm else "")
        for s, sm in zip(rows[segment_column] if len(rows) else [], small, strict=True)
    ]
    figure.add_trace(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker={"color": [SMALL_SAMPLE_COLOR if s else CURRENT_COLOR for s in small]},
            error_x=error,
            hovertemplate=f"%{{y}}: %{{x:{formats['hover']}}}<extra>{_plain(label)}</extra>",
        )
    )
    figure.update_xaxes(
        title_text=label,
        tickformat=formats["tickformat"],
        tickprefix=formats["tickprefix"],
        showgrid=True,
        gridcolor="#eef2f7",
        rangemode="tozero",
    )
    figure.update_yaxes(autorange="reversed", showgrid=False)
    figure.update_layout(showlegend=False, hovermode="closest")
    return figure


def sparkline_values(frame: pd.DataFrame, column: str = "value") -> list[float]:
    """The non-missing values of a trend frame in period order (for st.metric's chart_data)."""
    if column not in frame:
        return []
    return [v for v in _numbers(frame[column]) if v is not None]
