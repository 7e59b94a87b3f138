"""Figures as every front door shows them (ro_core.overview): one format per metric kind."""

from __future__ import annotations

from ro_core.metrics.kpis import MetricChange
from ro_core.overview import format_change, format_metric


def test_rate_changes_read_in_points_beside_the_relative_change() -> None:
    # 2.40% -> 2.52%: +5.0% relative, +0.12 percentage points (never "%" for points)
    moved = MetricChange(0.0012, 0.05, 0.0252, 0.024)
    assert format_change("conversion_rate", moved) == "+5.0% (+0.12 pp)"
    assert format_change("revenue", MetricChange(50.0, 0.125, 450.0, 400.0)) == "+12.5%"
    assert format_change("revenue", MetricChange(None, None)) is None


def test_values_follow_their_catalogue_kind() -> None:
    assert format_metric("revenue", 1234.5, "USD") == "$1,234.50"
    assert format_metric("orders", 12345, "USD") == "12,345"
    assert format_metric("conversion_rate", 0.024137, None) == "2.41%"
    assert format_metric("aov", None, "EUR") == "–"
