"""The HTML building blocks of the report: its style sheet, escaped text, tables, notes,
change cells and Plotly figures drawn without their script (ro_core.present.report inlines
plotly.js once). Every text that comes from data goes through ``escape``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from ro_core.numbers import finite_or_none
from ro_core.present.formatting import NOT_AVAILABLE, change, count, money, rate

STYLE = """
body{font-family:"Source Sans Pro",Helvetica,Arial,sans-serif;color:#1f2937;margin:0;
background:#f8fafc}
main{max-width:1100px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:28px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 8px;
border-bottom:1px solid #e5e7eb;padding-bottom:4px}
p.meta,p.note{color:#64748b;font-size:14px;margin:4px 0}
table{border-collapse:collapse;width:100%;font-size:14px;margin:8px 0 12px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eef2f7;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f1f5f9;font-weight:600}
.up{color:#079464}.down{color:#d94a57}
.status{font-weight:600}
nav a{margin-right:14px;font-size:14px;color:#2563eb;text-decoration:none}
p.summary{font-size:16px;margin:8px 0 12px}\n@media print{body{background:#fff}main{padding:0}}
"""


# --- formatting --------------------------------------------------------------------------------


def format_change(value: Any) -> str:
    """0.08 -> '+8.0%'; '–' when missing."""
    return change(value) or NOT_AVAILABLE


def format_value(value: Any, kind: str, currency: str | None) -> str:
    """A catalogue figure as text: money in `currency`, a rate as a percent, else a count."""
    if kind == "money":
        return money(value, currency)
    if kind == "rate":
        return rate(value)
    return count(value)


def escape(text: Any) -> str:
    """Text from data, safe inside HTML (quotes included); None is empty."""
    return html.escape("" if text is None else str(text), quote=True)


# --- HTML building blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: text (escaped when drawn), right-aligned numbers, an optional CSS class."""

    text: str
    numeric: bool = False
    css: str = ""


def as_cell(value: Any) -> Cell:
    """A Cell as is, anything else as a plain text cell."""
    return value if isinstance(value, Cell) else Cell(str(value))


def table_html(headers: Sequence[str | Cell], rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table; every text escaped."""
    head = "".join(
        f'<th class="{"num" if as_cell(h).numeric else ""}">{escape(as_cell(h).text)}</th>'
        for h in headers
    )
    body = []
    for row in rows:
        cells = []
        for value in row:
            cell = as_cell(value)
            classes = " ".join(c for c in ("num" if cell.numeric else "", cell.css) if c)
            cells.append(f'<td class="{classes}">{escape(cell.text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def note_html(text: str) -> str:
    """A note paragraph (escaped)."""
    return f'<p class="note">{escape(text)}</p>'


def change_cell(value: float | None) -> Cell:
    """A change as a right-aligned cell, green up and red down."""
    number = finite_or_none(value)
    css = "" if number is None or number == 0 else ("up" if number > 0 else "down")
    return Cell(format_change(number), numeric=True, css=css)


class Figures:
    """Turns figures into HTML divs; the page inlines plotly.js once when any was drawn."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, figure: go.Figure, height: int = 380) -> str:
        """The figure as a div (no script: the page inlines plotly.js once)."""
        self.count += 1
        # Room for tick labels and the legend under the title (the dashboard's template is tight).
        figure.update_layout(
            paper_bgcolor="#ffffff",
            plot_bgcolor="#ffffff",
            margin={"l": 64, "r": 24, "t": 64, "b": 48},
        )
        figure.update_xaxes(automargin=True)
        figure.update_yaxes(automargin=True)
        if figure.layout.title and figure.layout.title.text:
            figure.update_layout(legend={"y": 1.0, "yanchor": "bottom"}, title={"y": 0.97})
        return figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            default_height=f"{height}px",
            default_width="100%",
            config={"displaylogo": False, "responsive": True},
        )
