"""The HTML report: sections, the numbers of ro_core.metrics, offline charts, escaped text,
and `ro report` writing it."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import plotly.offline
import pytest

from ro_core import cli
from ro_core.experiment import VariantData, analyze_experiment
from ro_core.loop import experiment_log as E
from ro_core.loop import goals as G
from ro_core.loop import hypotheses as H
from ro_core.metrics import DEFAULT_FILTERS, DateRange, kpis
from ro_core.metrics.scope import Scope
from ro_core.present.report import REPORT_SECTIONS, build_report, write_report
from ro_core.store.db import reset_databases
from tests.loop.conftest import HOSTILE, WEEK

PERIOD = DateRange(*WEEK)


class _Tables(HTMLParser):
    """Rows of the tables of each <section id=...> as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.tables: dict[str, list[list[str]]] = {}
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs).get("id")
            self.tables.setdefault(self.section, [])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.section].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _rows(text: str, section: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(text)
    return parser.tables[section]


@pytest.fixture
def loop_store(store):
    """The store with a goal, a scored hypothesis and a test that ran, named with HTML."""
    G.set_goal(store, "revenue", "month", date(2024, 3, 1), 1_000)
    hypothesis = H.add_hypothesis(store, title=f"Hypothesis {HOSTILE}", scoring="ice",
                                  scores={"impact": 8, "confidence": 6, "ease": 4})  # fmt: skip
    test = E.plan_experiment(store, hypothesis.hypothesis_id, f"Test {HOSTILE}", expected_days=14)
    E.start_experiment(store, test.experiment_id, date(2024, 3, 4))
    analysis = analyze_experiment(
        VariantData("Control", 20_000, 400), [VariantData("B", 20_000, 520)], days=7
    )
    E.end_experiment(store, test.experiment_id, date(2024, 3, 10), analysis)
    return store


def test_report_has_every_section_and_the_kpis_of_ro_core(loop_store) -> None:
    text = build_report(loop_store, Scope(PERIOD, "previous"))
    for key, heading in REPORT_SECTIONS.items():
        assert f'<section id="{key}"><h2>{html.escape(heading)}</h2>' in text
    expected = kpis(loop_store, PERIOD, DEFAULT_FILTERS, "previous")
    current, base = expected.current, expected.comparison
    rows = {row[0]: row[1:] for row in _rows(text, "kpis")}
    # By hand from the fixture: 220 revenue over 4 orders, 7,000 sessions, 3 web orders worth 180;
    # the week before: #0990 120 + #0991 80 = 200.
    assert (current.revenue, current.orders, current.sessions) == (220, 4, 7000)
    assert rows["Revenue"] == [
        f"${current.revenue:,.2f}",
        f"${base.revenue:,.2f}",
        f"{(current.revenue / base.revenue - 1) * 100:+.1f}%",
    ]
    assert rows["Revenue"][:2] == ["$220.00", "$200.00"]
    assert rows["Sessions"][0] == f"{current.sessions:,.0f}" == "7,000"
    assert rows["Orders"][0] == "4"
    assert rows["Conversion rate (CR)"][0] == f"{current.conversion_rate * 100:.2f}%" == "0.04%"
    assert rows["Average order value (AOV)"][0] == f"${current.aov:,.2f}" == "$55.00"
    assert rows["Revenue per session (RPV)"][0] == f"${180 / 7000:,.2f}"
    goal_rows = _rows(text, "goals")
    # revenue to 2024-03-10: 80 + 100 + 50 + 40 + 30
    assert goal_rows[1][:4] == ["Revenue, March 2024", "$1,000.00", "$300.00", "30.0%"]
    tests = _rows(text, "experiments")
    assert tests[1][0] == f"Test {HOSTILE}" and tests[1][4] == "Won"
    assert tests[1][5] == "+30.0%"
    assert _rows(text, "opportunities")[1][0].endswith(f": {HOSTILE}")
    funnel = [row[:4] for row in _rows(text, "funnel")[1:]]
    # 1,000 sessions, 100 carts and 60 checkouts a day over the 7 days
    assert funnel == [
        ["Sessions", "7,000", "–", "100.00%"],
        ["Added to cart", "700", "10.00%", "10.00%"],
        ["Reached checkout", "420", "60.00%", "6.00%"],
    ]


def test_report_is_self_contained_and_escapes_data(loop_store) -> None:
    text = build_report(loop_store, Scope(PERIOD))
    assert HOSTILE not in text
    escaped = html.escape(HOSTILE)
    assert f"Test {escaped}" in text and f"Hypothesis {escaped}" in text
    assert f": {escaped}</td>" in text  # the opportunity's segment
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.I)
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?https?:", text, re.I)
    assert "cdn.plot.ly/plotly" not in text
    plotly_js = plotly.offline.get_plotlyjs()
    assert text.count(plotly_js[:500]) == 1  # plotly.js inlined once
    figures = re.findall(r'<div id="([0-9a-f-]+)" class="plotly-graph-div"', text)
    assert len(figures) == 3  # revenue trend, waterfall, funnel
    for figure_id in figures:
        assert f'document.getElementById("{figure_id}")' in text
    # the test's dates are drawn on the revenue trend; its name is escaped in the figure JSON
    assert "A\\u002fB test (won): Test &lt;script&gt;alert(1)&lt;\\u002fscript&gt;" in text


def test_report_without_a_comparison_or_loop_data(store) -> None:
    text = build_report(store, Scope(PERIOD, "none"))
    assert "Pick a comparison to split the revenue change." in text
    assert "No goals are set" in text and "No test ran in this period." in text
    assert [len(row) for row in _rows(text, "kpis")][:2] == [2, 2]


def test_write_report_needs_an_html_file(store, tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"\.html file"):
        write_report(store, Scope(PERIOD), tmp_path / "report.pdf")


def test_cli_report_writes_the_file(loop_store, tmp_path: Path, capsys) -> None:
    db_path = str(loop_store.path)
    loop_store.close()
    out = tmp_path / "out" / "march.html"
    try:
        code = cli.main(["--db", db_path, "report", "--start", "2024-03-04", "--end",
                         "2024-03-10", "--out", str(out)])  # fmt: skip
        assert code == 0
        assert "Wrote the report of 2024-03-04 to 2024-03-10" in capsys.readouterr().out
        text = out.read_text(encoding="utf-8")
        assert all(f'<section id="{key}">' in text for key in REPORT_SECTIONS)
        assert _rows(text, "kpis")[1][:2] == ["Revenue", "$220.00"]
        code = cli.main(["--db", db_path, "--json", "report", "--start", "2024-03-04", "--end",
                         "2024-03-10", "--out", str(out), "--compare", "none"])  # fmt: skip
        data = json.loads(capsys.readouterr().out)
        assert code == 0 and data["path"] == str(out) and data["bytes"] == out.stat().st_size
        code = cli.main(["--db", db_path, "report", "--out", str(tmp_path / "r.txt")])
        assert code == 2 and ".html file" in capsys.readouterr().err
        code = cli.main(["--db", db_path, "--json", "hypotheses"])
        listed = json.loads(capsys.readouterr().out)["hypotheses"]
        assert code == 0 and [h["status"] for h in listed] == ["won"]
        assert listed[0]["score"] == pytest.approx(6.0)
        code = cli.main(["--db", db_path, "goals"])
        assert code == 0 and "Revenue, March 2024" in capsys.readouterr().out
    finally:
        reset_databases()
