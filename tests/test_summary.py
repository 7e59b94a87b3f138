"""The one-line revenue summary: direction, size, amounts and the main driver."""

from __future__ import annotations

import pandas as pd

from ro_core.present.summary import main_driver, revenue_summary


def test_fall_explained_by_the_segment_factor_that_moved_most() -> None:
    segments = pd.DataFrame(
        {
            "segment": ["mobile", "desktop"],
            "traffic": [300.0, -200.0],
            "conversion_rate": [-4100.0, 100.0],
            "aov": [-500.0, -700.0],
        }
    )
    # 58,000 vs 63,000: -7.94% (by hand: -5000 / 63000)
    text = revenue_summary(
        58_000,
        63_000,
        contributions={"traffic": 100.0, "conversion_rate": -4000.0, "aov": -1100.0},
        segments=segments,
        currency_symbol="$",
    )
    assert text == (
        "Revenue fell 7.9% vs the previous period ($58,000 vs $63,000), "
        "mostly because mobile conversion rate dropped (-$4,100)."
    )


def test_rise_explained_by_the_store_level_factor() -> None:
    text = revenue_summary(
        11_000,
        10_000,
        compare_label="the same dates last year",
        contributions={"traffic": 1_500.0, "conversion_rate": -800.0, "aov": 300.0},
        currency_symbol="€",
    )
    assert text == (
        "Revenue rose 10.0% vs the same dates last year (€11,000 vs €10,000), "
        "mostly because traffic grew (+€1,500)."
    )


def test_without_decomposition_the_kpi_moves_are_listed_not_explained() -> None:
    text = revenue_summary(
        9_000, 10_000, kpi_changes={"sessions": 0.02, "conversion_rate": -0.1, "aov": None}
    )
    assert (
        text
        == "Revenue fell 10.0% vs the previous period (9,000 vs 10,000): sessions +2.0%, CR -10.0%."
    )


def test_small_changes_hold_steady_and_name_no_cause() -> None:
    text = revenue_summary(10_020, 10_000, contributions={"traffic": 20.0}, currency_symbol="$")
    assert text == "Revenue held steady vs the previous period ($10,020 vs $10,000)."


def test_no_comparison_and_zero_base() -> None:
    assert revenue_summary(1234.4, None, currency_symbol="$") == (
        "Revenue was $1,234 in this period."
    )
    assert revenue_summary(500, 0) == "Revenue was 500, against none in the previous period."
    assert revenue_summary(None, 100) == "No revenue in this period."


def test_main_driver_ignores_factors_against_the_change() -> None:
    assert main_driver(-100.0, {"traffic": 50.0, "aov": -150.0}) == (None, "aov", -150.0)
    assert main_driver(-100.0, {"traffic": 50.0}) is None
    segments = pd.DataFrame({"segment": ["a"], "traffic": [float("nan")], "aov": [10.0]})
    assert main_driver(-5.0, {"aov": -5.0}, segments) == (None, "aov", -5.0)
