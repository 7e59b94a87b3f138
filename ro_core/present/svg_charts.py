"""The Overview's light figures as SVG text, shown as images: no chart library runs in the
browser. The Overview redraws every figure on each rerun; Vega (st.metric's chart_data) and
Plotly took most of the browser's time there. These builders draw the same figures (the colours,
labels and axis range of ro_core.present.charts) as plain SVG; every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from ro_core.metrics.decomposition import FACTOR_LABELS
from ro_core.present.charts import (
    CURRENT_COLOR,
    DOWN_COLOR,
    FONT,
    TOTAL_COLOR,
    UP_COLOR,
    money_text,
)

NEUTRAL_COLOR = "#6b7280"
SPARK_FILL = {UP_COLOR: "#f1fbf6", DOWN_COLOR: "#fff1f2", NEUTRAL_COLOR: "#f3f4f6"}  # as st.metric


def _svg_text(value: object) -> str:
    return escape(str(value), quote=True)


def sparkline_svg(
    values: Sequence[float],
    *,
    color: str = CURRENT_COLOR,
    area: bool = False,
    width: int = 300,
    height: int = 48,
) -> str:
    """A KPI card's trend line as SVG text: the values left to right, scaled from their lowest
    to their highest (a flat series sits in the middle), no axes, as st.metric's own chart.

    ``area`` shades down to the lowest value (to zero when the values cross it). The line
    carries the values in ``data-values`` (comma-separated). Raises ValueError without a value.
    """
    numbers = [float(v) for v in values]
    if not numbers:
        raise ValueError("a sparkline needs at least one value")
    if len(numbers) == 1:
        numbers = numbers * 2
    low, high = min(numbers), max(numbers)
    pad = 2.0  # half the stroke: the line is not cut at the top or bottom
    inner = height - 2 * pad

    def y_of(value: float) -> float:
        if high == low:
            return height / 2
        return pad + (high - value) / (high - low) * inner

    step = width / (len(numbers) - 1)
    line = " ".join(f"{i * step:.1f},{y_of(v):.1f}" for i, v in enumerate(numbers))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="none">'
    ]
    if area:
        floor = y_of(0.0 if low < 0 < high else low)
        shade = SPARK_FILL.get(color.lower(), "#eef2f7")
        parts.append(f'<polygon points="0,{floor:.1f} {line} {width},{floor:.1f}" fill="{shade}"/>')
    # One element, not a marker per point: the browser parses this SVG again on every rerun.
    parts.append(
        f'<polyline points="{line}" fill="none" stroke="{_svg_text(color)}" stroke-width="2" '
        'stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke" '
        f'data-values="{",".join(repr(v) for v in numbers)}"/></svg>'
    )
    return "".join(parts)


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = max(span, 1e-9) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _wrap(text: str, width: int, lines: int = 3) -> list[str]:
    """A bar label on at most `lines` lines of about `width` characters."""
    out = [""]
    for word in text.split():
        if out[-1] and len(out[-1]) + 1 + len(word) > width and len(out) < lines:
            out.append(word)
        else:
            out[-1] = f"{out[-1]} {word}".strip()
    return out


def waterfall_svg(
    base: float,
    contributions: Mapping[str, float],
    current: float,
    *,
    base_label: str = "Before",
    current_label: str = "Now",
    currency_symbol: str = "",
    labels: Mapping[str, str] | None = None,
    width: int = 520,
    height: int = 320,
) -> str:
    """The revenue waterfall of :func:`waterfall_figure` (same bars, colours, texts and axis
    range) as SVG text: base revenue, one floating bar per factor, current revenue.

    Each bar carries its amount in ``data-value`` and its name in ``data-label``.
    """
    names = {**FACTOR_LABELS, "sessions": FACTOR_LABELS["traffic"], **(labels or {})}
    bars = [base_label, *(names.get(k, k) for k in contributions), current_label]
    values = [float(base), *(float(v) for v in contributions.values()), float(current)]
    spans, running = [(0.0, float(base))], float(base)
    for value in values[1:-1]:
        spans.append((running, running + value))
        running += value
    spans.append((0.0, float(current)))
    levels = [float(base), float(current), *(end for _, end in spans[1:-1])]
    if min(levels) > 0:  # as waterfall_figure: start above zero so small factors show
        spread = max(max(levels) - min(levels), 1.0)
        low, high = max(0.0, min(levels) - 0.6 * spread), max(levels) + 0.25 * spread
    else:
        low = min(0.0, *levels)
        high = max(0.0, *levels)
        margin = max(high - low, 1.0) * 0.12
        low, high = (low - margin if low < 0 else low), high + margin
    left, right, top = 84, 8, 12
    band = (width - left - right) / len(bars)
    wrapped = [_wrap(label, max(6, int(band / 6.5))) for label in bars]  # ~6.5 px a character
    bottom = 18 + 14 * max(len(lines) for lines in wrapped)
    plot_h = height - top - bottom

    def y_of(value: float) -> float:
        clipped = min(max(value, low), high)
        return top + (high - clipped) / (high - low) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{_svg_text(FONT)}" font-size="12" '
        'fill="#1f2937">'
    ]
    step = _nice_step(high - low)
    tick = math.ceil(low / step) * step
    while tick <= high + 1e-9:
        y = y_of(tick)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eef2f7"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#6b7280">'
            f"{_svg_text(money_text(tick, currency_symbol))}</text>"
        )
        tick += step
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#e5e7eb"/>'
    )
    bar_w = band * 0.6
    last = len(bars) - 1
    for i, (label, value, (start, end)) in enumerate(zip(bars, values, spans, strict=True)):
        x = left + i * band + (band - bar_w) / 2
        y_top, y_bottom = y_of(max(start, end)), y_of(min(start, end))
        total = i in (0, last)
        color = TOTAL_COLOR if total else (UP_COLOR if value >= 0 else DOWN_COLOR)
        text = money_text(value, currency_symbol, signed=not total)
        out.append(
            f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" '
            f'height="{max(y_bottom - y_top, 1.0):.1f}" fill="{color}" '
            f'data-label="{_svg_text(label)}" data-value="{value!r}">'
            f"<title>{_svg_text(label)}: {_svg_text(text)}</title></rect>"
        )
        below = not total and value < 0
        text_y = y_bottom + 14 if below else y_top - 4
        out.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{text_y:.1f}" text-anchor="middle">'
            f"{_svg_text(text)}</text>"
        )
        if i < last:  # the connector to the next bar, at the running total
            level = y_of(end)
            out.append(
                f'<line x1="{x + bar_w:.1f}" x2="{x + band:.1f}" y1="{level:.1f}" '
                f'y2="{level:.1f}" stroke="#cbd5e1"/>'
            )
        for row, line in enumerate(wrapped[i]):
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16 + 14 * row}" '
                f'text-anchor="middle" fill="#4b5563">{_svg_text(line)}</text>'
            )
    out.append("</svg>")
    return "".join(out)
