"""A self-contained HTML report of a period, readable offline and safe to share.

Sections (each a ``<section id=...>``, see REPORT_SECTIONS): KPIs with the comparison and the
revenue trend, the revenue decomposition, the funnel, the top opportunities, goal progress, and
the tests that ran. Charts are Plotly figures from :mod:`ro_core.present.charts`; plotly.js is inlined
once in the page head (no CDN, no external script), so the file opens without a network. Every
text that comes from data (segments, notes, test names) is escaped with ``html.escape``; Plotly
escapes ``<`` inside its figure JSON itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import plotly.offline

from ro_core.errors import InvalidInputError, RoError
from ro_core.loop import experiment_log, goals, hypotheses
from ro_core.metrics.catalog import METRICS
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.metrics.trends import trend
from ro_core.overview import (
    Overview,
    build_overview,
    decomposition_rows,
    engagement_notes,
    opportunity_table,
)
from ro_core.present.charts import funnel_figure, trend_figure, waterfall_figure
from ro_core.present.formatting import (
    NOT_AVAILABLE,
    count,
    money,
    rate,
)
from ro_core.present.report_html import (
    STYLE,
    Cell,
    Figures,
    change_cell,
    escape,
    note_html,
    table_html,
)
from ro_core.store.annotations import list_annotations
from ro_core.store.db import Database

REPORT_SECTIONS: dict[str, str] = {
    "kpis": "Key figures",
    "decomposition": "Where the revenue change came from",
    "funnel": "Funnel",
    "opportunities": "Top opportunities",
    "goals": "Goals",
    "health": "Store health",
    "experiments": "Experiments",
}
MAX_OPPORTUNITIES = 10
MAX_HEALTH_ALERTS = 10

OPPORTUNITY_NOTE = (
    "Gain per month: revenue a month if the step reached its benchmark (sessions entering the "
    "step x rate gap x share that goes on to buy x AOV), as a range; segments of different "
    "dimensions are the same sessions counted again, so gains are never added across them."
)

# --- sections ----------------------------------------------------------------------------------


def _kpi_section(db: Database, overview: Overview, figures: Figures) -> str:
    scope = overview.scope
    compared = overview.kpis.comparison is not None
    cut = any(card.compared_text is not None for card in overview.cards)
    headers = ["Metric", Cell("This period", True)]
    if cut:
        headers.append(Cell("This period, compared days", True))
    if compared:
        headers += [Cell("Comparison", True), Cell("Change", True)]
    rows = []
    for card in (*overview.cards, *overview.engagement_cards):  # engagement rows below the six
        row: list[Any] = [METRICS[card.key].label, Cell(card.value_text, True)]
        if cut:
            row.append(Cell(card.compared_text or card.value_text, True))
        if compared:
            row.append(Cell(card.base_text or NOT_AVAILABLE, True))
            css = ""
            if card.change_relative:
                css = "up" if card.change_relative > 0 else "down"
            row.append(Cell(card.change_text or NOT_AVAILABLE, True, css))
        rows.append(row)
    parts = [f'<p class="summary">{escape(overview.summary)}</p>', table_html(headers, rows)]
    other = scope.comparison
    if other is not None:
        parts.append(note_html(f"Comparison: {other.label()}."))
    if overview.kpis.cr_basis:
        parts.append(note_html(f"Conversion rate here is {overview.kpis.cr_basis}."))
    parts.extend(note_html(n) for n in overview.notes)
    parts.extend(note_html(n) for n in engagement_notes(overview))
    period = scope.period
    grain = "day" if period.days <= 92 else ("week" if period.days <= 366 else "month")
    try:
        revenue = trend(db, "revenue", grain, period, scope.filters,
                        compare=None if scope.compare == "none" else scope.compare)  # fmt: skip
    except RoError as error:
        parts.append(note_html(str(error)))
    else:
        if not revenue.frame.empty:
            notes = [(a.start_date, a.end_date, a.text) for a in list_annotations(db)]
            figure = trend_figure(
                revenue.frame,
                label=METRICS["revenue"].label,
                kind=METRICS["revenue"].kind,
                currency_symbol=overview.currency_symbol,
                current_name=f"{period.start} to {period.end}",
                comparison_name=scope.compare_name or None,
                annotations=notes,
            )
            figure.update_layout(title={"text": f"Revenue by {revenue.grain}", "x": 0})
            parts.append(figures.html(figure))
            parts.append(note_html("Shaded bands and dotted lines are timeline notes and tests."))
    return "".join(parts)


def _decomposition_section(overview: Overview, figures: Figures) -> str:
    result = overview.decomposition
    if result is None:
        return note_html(overview.decomposition_reason or "No change to split.")
    labels = dict(zip(result.factors["factor"], result.factors["label"], strict=True))
    figure = waterfall_figure(
        result.revenue_base,
        result.contributions,
        result.revenue_current,
        base_label="Comparison",
        current_label="This period",
        currency_symbol=overview.currency_symbol,
        labels=labels,
    )
    rows = [
        [step, Cell(amount, True)] for step, amount in decomposition_rows(result, overview.currency)
    ]
    return "".join(
        [
            note_html(f"Method: {result.method} (LMDI): the parts add up to the change exactly."),
            figures.html(figure, height=360),
            table_html(["Step", Cell("Amount", True)], rows),
            *(note_html(n) for n in result.notes),
        ]
    )


def _funnel_section(overview: Overview, figures: Figures) -> str:
    result = overview.funnel
    if result is None or overview.funnel_reason:
        return note_html(overview.funnel_reason or "No funnel steps for these dates.")
    frame = result.frame
    rows = [
        [
            r["label"],
            Cell(count(r["sessions"]), True),
            Cell(rate(r["step_conversion"]), True),
            Cell(rate(r["from_top_conversion"]), True),
            Cell(count(r["drop_off"]), True),
        ]
        for r in frame.to_dict("records")
    ]
    return "".join(
        [
            figures.html(funnel_figure(frame), height=400),
            table_html(
                [
                    "Step",
                    Cell("Sessions", True),
                    Cell("From previous step", True),
                    Cell("From first step", True),
                    Cell("Drop-off", True),
                ],
                rows,
            ),
            note_html(result.note),
        ]
    )


def _opportunities_section(overview: Overview) -> str:
    if overview.opportunities is None:
        return note_html(overview.opportunities_reason or "No opportunities.")
    table = opportunity_table(overview.opportunities, overview.currency, MAX_OPPORTUNITIES)
    if table.empty:
        return note_html("No segment or step falls clearly behind its benchmark in this period.")
    numeric = {"Rate now", "Benchmark", "Gain per month"}
    headers = [Cell(c, c in numeric) for c in table.columns]
    rows = [
        [Cell(str(v), c in numeric) for c, v in zip(table.columns, r, strict=True)]
        for r in table.itertuples(index=False)
    ]
    return table_html(headers, rows) + note_html(OPPORTUNITY_NOTE)


def _goals_section(overview: Overview) -> str:
    if not overview.goals:
        return note_html(
            overview.goals_reason or "No goals are set for months or quarters in this period."
        )
    rows = []
    for item in overview.goals:
        goal = item.goal
        if goal.metric in goals.ADDITIVE_METRICS:
            pace = (
                f"{goal.format_value(item.required_per_day)} a day"
                if item.required_per_day is not None
                else NOT_AVAILABLE
            )
        else:
            pace = goal.format_value(item.required_remaining) if item.remaining_days else ""
        rows.append(
            [
                goal.label,
                Cell(goal.format_value(goal.target), True),
                Cell(goal.format_value(item.actual), True),
                Cell(rate(item.share_of_target, decimals=1), True),
                Cell(pace, True),
                Cell(item.status_label, css="status"),
                item.summary(),
            ]
        )
    note = next((item.note for item in overview.goals if item.note), "")
    return (
        (note_html(note) if note else "")
        + table_html(
            [
                "Goal",
                Cell("Target", True),
                Cell("Actual to date", True),
                Cell("Of target", True),
                Cell("Pace needed", True),
                "Status",
                "Where it stands",
            ],
            rows,
        )
        + note_html(f"Actuals to {overview.as_of} (the latest day with data in the period).")
    )


def _health_section(overview: Overview) -> str:
    check = overview.health
    if check is None:
        return note_html(overview.health_reason or "The store health could not be checked.")
    if not check.alerts:
        parts = [note_html("No alerts: every day looks like its weekday.")]
    else:
        parts = [
            table_html(
                ["Day", "Kind", "What happened"],
                [[str(a.date), a.kind, a.sentence] for a in check.alerts[:MAX_HEALTH_ALERTS]],
            )
        ]
        if len(check.alerts) > MAX_HEALTH_ALERTS:
            parts.append(note_html(f"{len(check.alerts) - MAX_HEALTH_ALERTS} more: run ro check."))
    parts.extend(note_html(line) for line in check.checked)
    return "".join(parts)


def _experiments_section(db: Database, period: DateRange, currency: str | None) -> str:
    ran = experiment_log.experiments_in_period(db, period.start, period.end)
    parts = []
    if ran:
        titles = {
            h.hypothesis_id: h.title for h in hypotheses.list_hypotheses(db, sort_by="created_at")
        }
        rows = []
        for test in ran:
            rows.append(
                [
                    test.name,
                    titles.get(test.hypothesis_id, ""),
                    test.start_date,
                    test.end_date or f"running (planned to {test.planned_end or '?'})",
                    Cell(
                        hypotheses.STATUS_LABELS.get(test.outcome or "", test.status_label),
                        css="status",
                    ),
                    change_cell(test.relative_lift),
                    Cell(money(test.monthly_revenue_impact, currency), True),
                    test.verdict or "",
                ]
            )
        parts.append(
            table_html(
                [
                    "Test",
                    "Hypothesis",
                    "Started",
                    "Ended",
                    "Outcome",
                    Cell("Lift", True),
                    Cell("Revenue a month", True),
                    "Verdict",
                ],
                rows,
            )
        )
        parts.append(
            note_html(
                "Lift is the best variant's on the test's primary metric; revenue a month is its "
                "revenue-per-visitor lift over a month of the store's traffic."
            )
        )
    else:
        parts.append(note_html("No test ran in this period."))
    ended = experiment_log.experiments_frame(db)
    ended = ended[ended["outcome"].notna()]
    if len(ended):
        won = int((ended["outcome"] == hypotheses.WON).sum())
        parts.append(
            note_html(
                f"All tests ended so far: {len(ended)}, of which {won} won "
                f"({rate(won / len(ended), decimals=0)} win rate)."
            )
        )
    counts = hypotheses.status_counts(db)
    if any(counts.values()):
        backlog = ", ".join(
            f"{hypotheses.STATUS_LABELS[s].lower()} {n}" for s, n in counts.items() if n
        )
        parts.append(note_html(f"Hypothesis backlog: {backlog}."))
    return "".join(parts)


# --- the report -----------------------------------------------------------------------------------


def render_report(
    db: Database,
    overview: Overview,
    *,
    title: str = "Revenue optimization report",
    generated_at: datetime | None = None,
) -> str:
    """The HTML text of the report of a period overview (sections: see the module docstring)."""
    scope = overview.scope
    period = scope.period
    figures = Figures()
    builders: dict[str, Callable[[], str]] = {
        "kpis": lambda: _kpi_section(db, overview, figures),
        "decomposition": lambda: _decomposition_section(overview, figures),
        "funnel": lambda: _funnel_section(overview, figures),
        "opportunities": lambda: _opportunities_section(overview),
        "goals": lambda: _goals_section(overview),
        "health": lambda: _health_section(overview),
        "experiments": lambda: _experiments_section(db, period, overview.currency),
    }
    sections = []
    for key, heading in REPORT_SECTIONS.items():
        try:
            body = builders[key]()
        except RoError as error:
            body = note_html(str(error))
        sections.append(f'<section id="{key}"><h2>{escape(heading)}</h2>{body}</section>')

    stamp = (generated_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    meta = f"{period.label()}"
    comparison = scope.comparison
    if comparison is not None:
        meta += f", compared with {comparison.start} to {comparison.end}"
    filters_text = "; ".join(scope.filters.describe())
    nav = "".join(f'<a href="#{k}">{escape(v)}</a>' for k, v in REPORT_SECTIONS.items())
    plotly_js = ""
    if figures.count:
        plotly_js = f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}: {escape(period.label())}</title>"
        f"<style>{STYLE}</style>{plotly_js}</head><body><main>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="meta">{escape(meta)}</p>'
        + (f'<p class="meta">Filters: {escape(filters_text)}</p>' if filters_text else "")
        + f'<p class="meta">Generated {escape(stamp)} by ro-dashboard. Money in '
        f"{escape(overview.currency or 'the store currency')}.</p>"
        f"<nav>{nav}</nav>{''.join(sections)}</main></body></html>\n"
    )


def build_report(
    db: Database,
    scope: Scope,
    *,
    title: str = "Revenue optimization report",
    generated_at: datetime | None = None,
) -> str:
    """The HTML text of the report of a scope (builds its period overview)."""
    return render_report(db, build_overview(db, scope), title=title, generated_at=generated_at)


def write_report(db: Database, scope: Scope, out: Path | str) -> Path:
    """Write the report of a scope to `out` (an .html file) and return its path."""
    path = Path(out)
    if path.suffix.lower() not in (".html", ".htm"):
        raise InvalidInputError(f"Write the report to an .html file, not '{path.name}'.")
    text = build_report(db, scope)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(f"Could not write the report to {path}: {error}") from error
    return path


def report_file_name(period: DateRange) -> str:
    """'ro-report-2024-03-01-to-2024-03-31.html'."""
    return f"ro-report-{period.start}-to-{period.end}.html"
