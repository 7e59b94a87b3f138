"""The Overview's light figures (ro_core.present.svg_charts.sparkline_svg and waterfall_svg): the SVG
they draw holds the numbers given, in the places a reader looks for them. Checked by parsing the
SVG text; the browser test (tests/e2e/test_pages_figures.py) reads the same images on the page.
And the store-health block, whose alert lines are now drawn as one text element.
"""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest

from ro_core import metrics
from ro_core.health.daily import check_store
from ro_core.overview import HEALTH_DAYS
from ro_core.present.charts import DOWN_COLOR
from ro_core.present.svg_charts import sparkline_svg, waterfall_svg
from ro_ui.views import HEALTH_SHOWN
from tests.ui.conftest import assert_clean, plain, run_app

SVG = "{http://www.w3.org/2000/svg}"
ALERT = re.compile(r"^:material/(build|monitoring): ")


def _points(element: ElementTree.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in element.get("points").split()]


def test_sparkline_runs_left_to_right_from_lowest_to_highest() -> None:
    svg = ElementTree.fromstring(sparkline_svg([5.0, 1.0, 3.0], width=300, height=48))
    line = svg.find(SVG + "polyline")
    assert [float(v) for v in line.get("data-values").split(",")] == [5.0, 1.0, 3.0]
    points = _points(line)
    assert [x for x, _ in points] == [0.0, 150.0, 300.0]
    # SVG y grows downwards: the highest value at the top (2 px in), the lowest at the bottom
    assert points[0][1] == pytest.approx(2.0)
    assert points[1][1] == pytest.approx(46.0)
    assert points[2][1] == pytest.approx(24.0)  # 3 is half way between 1 and 5
    assert svg.find(SVG + "polygon") is None  # a line, no area


def test_sparkline_area_and_edge_cases() -> None:
    shaded = ElementTree.fromstring(sparkline_svg([1.0, 2.0], color=DOWN_COLOR, area=True))
    area = shaded.find(SVG + "polygon")
    assert area is not None and area.get("fill") == "#fff1f2"  # st.metric's red shade
    assert _points(area)[0] == (0.0, 46.0)  # down to the lowest value
    crossing = ElementTree.fromstring(sparkline_svg([-1.0, 1.0], area=True, height=48))
    assert _points(crossing.find(SVG + "polygon"))[0] == (0.0, 24.0)  # to zero when crossed
    flat = _points(ElementTree.fromstring(sparkline_svg([7.0, 7.0, 7.0])).find(SVG + "polyline"))
    assert {y for _, y in flat} == {24.0}  # a flat series in the middle
    single = ElementTree.fromstring(sparkline_svg([3.0])).find(SVG + "polyline")
    assert len(_points(single)) == 2  # one value drawn as a flat line
    with pytest.raises(ValueError):
        sparkline_svg([])


def _bars(svg: ElementTree.Element) -> list[ElementTree.Element]:
    return [r for r in svg.iter(SVG + "rect") if r.get("data-value") is not None]


def test_waterfall_bars_float_from_the_running_total() -> None:
    contributions = {"traffic": 300.0, "conversion_rate": -200.0, "aov": 50.0, "other": 10.0}
    svg = ElementTree.fromstring(
        waterfall_svg(1_000.0, contributions, 1_160.0, currency_symbol="$", base_label="Before")
    )
    bars = _bars(svg)
    assert [float(b.get("data-value")) for b in bars] == [1_000, 300, -200, 50, 10, 1_160]
    assert [b.get("data-label") for b in bars] == [
        "Before",
        "Traffic (sessions)",
        "Conversion rate",
        "Average order value",
        "Other revenue",
        "Now",
    ]
    top = [float(b.get("y")) for b in bars]
    bottom = [float(b.get("y")) + float(b.get("height")) for b in bars]
    # one pixel scale: each factor bar is as tall as its amount, and starts where the one
    # before it ended (SVG y grows downwards)
    scale = (bottom[1] - top[1]) / 300
    for i, amount in enumerate([300, -200, 50, 10], start=1):
        assert bottom[i] - top[i] == pytest.approx(abs(amount) * scale, abs=0.15), i
    assert bottom[1] == pytest.approx(top[0], abs=0.15)  # traffic rises from the base
    assert top[2] == pytest.approx(top[1], abs=0.15)  # CR falls from where traffic ended
    assert top[5] == pytest.approx(top[4], abs=0.15)  # the total ends where the last part did
    colours = [b.get("fill") for b in bars]
    assert colours[2] != colours[1] and colours[0] == colours[5]  # down, up, totals alike
    texts = [t.text for t in svg.iter(SVG + "text")]
    assert {"$1,000", "+$300", "-$200", "+$50", "+$10", "$1,160"} <= set(texts)


def test_waterfall_escapes_labels_and_handles_a_loss_below_zero() -> None:
    svg = ElementTree.fromstring(
        waterfall_svg(100.0, {"other": -150.0}, -50.0, labels={"other": 'Refunds <"&>'})
    )
    assert [b.get("data-label") for b in _bars(svg)][1] == 'Refunds <"&>'
    ticks = [t.text for t in svg.iter(SVG + "text") if t.get("text-anchor") == "end"]
    assert "0" in ticks and any(t.startswith("-") for t in ticks)  # the axis spans zero


def test_overview_lists_every_store_health_alert(demo_db) -> None:
    """The alert lines are drawn as one text (and the rest in the expander): none is lost."""
    at = run_app()
    assert_clean(at)
    period = metrics.presets(metrics.coverage(demo_db).latest_date)["last_30_days"]
    days = metrics.DateRange(max(period.start, period.end - timedelta(HEALTH_DAYS - 1)), period.end)
    expected = [a.sentence for a in check_store(demo_db, days, metrics.OrderFilters()).alerts]
    assert len(expected) > HEALTH_SHOWN, "the demo store has more alerts than are shown at once"
    lines = [line for m in at.markdown for line in m.value.split("  \n")]
    shown = [ALERT.sub("", plain(line)) for line in lines if ALERT.match(line)]
    assert shown == expected
    assert [e.label for e in at.expander if e.label.endswith("more alerts")] == [
        f"{len(expected) - HEALTH_SHOWN} more alerts"
    ]
