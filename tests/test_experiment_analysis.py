"""Post-test statistics: cross-checks with scipy/statsmodels, Bayesian checks, verdicts, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ro_core.errors import InvalidInputError
from ro_core.experiment import (
    VariantData,
    analyze_experiment,
    analyze_summary_frame,
    benjamini_hochberg_adjusted,
    beta_chance_and_loss,
    beta_probability_greater,
    compare_average_order_value,
    compare_conversion,
    compare_revenue_per_visitor,
    confidence_sequence_multiplier,
    holm_adjusted,
    normal_chance_and_loss,
    sample_ratio_check,
)
from ro_core.experiment.analysis import bayesian as bayesian_module


def arm_from_orders(name: str, visitors: int, order_values: np.ndarray) -> VariantData:
    return VariantData(
        name,
        visitors,
        int(order_values.size),
        float(order_values.sum()),
        float((order_values**2).sum()),
    )


def all_numbers_finite(data: object) -> bool:
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(all_numbers_finite(v) for v in data.values())
    if isinstance(data, list):
        return all(all_numbers_finite(v) for v in data)
    return True


# --- frequentist cross-checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n1", "c1", "n2", "c2"),
    [(10_000, 300, 10_000, 360), (5000, 41, 7000, 49), (800, 400, 900, 420), (120, 3, 150, 0)],
)
def test_z_test_equals_chi_square_without_correction(n1, c1, n2, c2) -> None:
    result = compare_conversion(VariantData("A", n1, c1), VariantData("B", n2, c2))
    table = [[c1, n1 - c1], [c2, n2 - c2]]
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.statistic**2 == pytest.approx(chi2, rel=1e-9)


def test_z_test_equals_statsmodels_proportions_ztest() -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    result = compare_conversion(VariantData("A", 10_000, 300), VariantData("B", 10_000, 360))
    z, p_value = proportion.proportions_ztest([360, 300], [10_000, 10_000])
    assert result.statistic == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)


def test_conversion_intervals() -> None:
    result = compare_conversion(VariantData("A", 10_000, 300), VariantData("B", 10_000, 360))
    p1, p2 = 0.03, 0.036
    se = math.sqrt(p1 * (1 - p1) / 10_000 + p2 * (1 - p2) / 10_000)
    z = stats.norm.ppf(0.975)
    assert result.absolute_lift == pytest.approx(0.006)
    assert result.absolute_ci_low == pytest.approx(0.006 - z * se)
    assert result.absolute_ci_high == pytest.approx(0.006 + z * se)
    assert result.relative_lift == pytest.approx(0.2)
    relative_se = math.sqrt(p2 * (1 - p2) / 10_000 / p1**2 + p2**2 * p1 * (1 - p1) / 10_000 / p1**4)
    assert result.relative_ci_low == pytest.approx(0.2 - z * relative_se)
    assert result.relative_ci_high == pytest.approx(0.2 + z * relative_se)


def test_relative_interval_covers_true_lift_about_95_percent() -> None:
    rng = np.random.default_rng(2024)
    p1, p2, n = 0.05, 0.06, 20_000
    c1 = rng.binomial(n, p1, size=800)
    c2 = rng.binomial(n, p2, size=800)
    covered = 0
    for a, b in zip(c1, c2, strict=True):
        result = compare_conversion(VariantData("A", n, int(a)), VariantData("B", n, int(b)))
        covered += result.relative_ci_low <= p2 / p1 - 1 <= result.relative_ci_high
    assert 0.93 <= covered / 800 <= 0.97


def test_welch_matches_scipy_for_rpv_and_aov() -> None:
    rng = np.random.default_rng(11)
    orders_a = rng.lognormal(4.0, 0.9, size=180)
    orders_b = rng.lognormal(4.1, 0.9, size=230)
    control = arm_from_orders("A", 6000, orders_a)
    variant = arm_from_orders("B", 6100, orders_b)
    rpv = compare_revenue_per_visitor(control, variant)
    per_visitor_a = np.concatenate([orders_a, np.zeros(6000 - orders_a.size)])
    per_visitor_b = np.concatenate([orders_b, np.zeros(6100 - orders_b.size)])
    expected = stats.ttest_ind(per_visitor_b, per_visitor_a, equal_var=False)
    assert rpv.statistic == pytest.approx(expected.statistic, rel=1e-7)
    assert rpv.p_value == pytest.approx(expected.pvalue, rel=1e-7)
    assert rpv.degrees_of_freedom == pytest.approx(expected.df, rel=1e-7)
    interval = expected.confidence_interval(0.95)
    assert rpv.absolute_ci_low == pytest.approx(interval.low, rel=1e-6)
    assert rpv.absolute_ci_high == pytest.approx(interval.high, rel=1e-6)
    aov = compare_average_order_value(control, variant)
    expected_aov = stats.ttest_ind(orders_b, orders_a, equal_var=False)
    assert aov.p_value == pytest.approx(expected_aov.pvalue, rel=1e-7)
    assert aov.relative_lift == pytest.approx(orders_b.mean() / orders_a.mean() - 1)


def test_srm_matches_scipy_chisquare_and_flags_below_threshold() -> None:
    ok = sample_ratio_check([10_050, 9_950])
    expected = stats.chisquare([10_050, 9_950])
    assert ok.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert not ok.mismatch and ok.message is None
    skewed = sample_ratio_check([10_500, 9_500], names=["A", "B"])
    assert skewed.p_value == pytest.approx(stats.chisquare([10_500, 9_500]).pvalue, rel=1e-9)
    assert skewed.mismatch and "52.5% / 47.5%" in (skewed.message or "")
    planned = sample_ratio_check([6_000, 2_000, 2_000], [60, 20, 20])
    assert planned.p_value == pytest.approx(1.0)
    uneven = sample_ratio_check([5_900, 2_100, 2_000], [60, 20, 20])
    expected = stats.chisquare([5_900, 2_100, 2_000], [6_000, 2_000, 2_000])
    assert uneven.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_holm_and_bh_match_statsmodels() -> None:
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p_values = [0.01, 0.04, 0.03, 0.2, 0.0004]
    for method, ours in (("holm", holm_adjusted), ("fdr_bh", benjamini_hochberg_adjusted)):
        expected = multitest.multipletests(p_values, method=method)[1]
        assert ours(p_values) == pytest.approx(list(expected), rel=1e-12)
    assert holm_adjusted([0.02, None, 0.03]) == [0.04, None, 0.04]


# --- Bayesian ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("control", "variant"),
    [((1000, 30), (1000, 38)), ((20_000, 600), (20_000, 640)), ((50, 45), (60, 50))],
)
def test_chance_to_beat_control_agrees_with_monte_carlo(control, variant) -> None:
    rng = np.random.default_rng(12345)
    a = VariantData("A", *control)
    b = VariantData("B", *variant)
    draws_a = rng.beta(1 + a.conversions, 1 + a.visitors - a.conversions, size=400_000)
    draws_b = rng.beta(1 + b.conversions, 1 + b.visitors - b.conversions, size=400_000)
    chance, loss = beta_chance_and_loss(a, b)
    assert chance == pytest.approx(np.mean(draws_b > draws_a), abs=0.01)
    monte_carlo_loss = np.mean(np.maximum(draws_a - draws_b, 0))
    assert loss == pytest.approx(monte_carlo_loss, rel=0.03, abs=1e-6)


def test_closed_form_equals_numerical_integration(monkeypatch) -> None:
    x, y = (351.0, 9651.0), (301.0, 9701.0)
    exact = beta_probability_greater(x, y)
    monkeypatch.setattr(bayesian_module, "EXACT_SUM_LIMIT", 10)
    assert beta_probability_greater(x, y) == pytest.approx(exact, abs=1e-9)


@settings(max_examples=60, deadline=None, database=None)
@given(
    n1=st.integers(min_value=1, max_value=3000),
    n2=st.integers(min_value=1, max_value=3000),
    data=st.data(),
)
def test_chance_to_beat_is_symmetric(n1, n2, data) -> None:
    c1 = data.draw(st.integers(min_value=0, max_value=n1))
    c2 = data.draw(st.integers(min_value=0, max_value=n2))
    a, b = VariantData("A", n1, c1), VariantData("B", n2, c2)
    forward, _ = beta_chance_and_loss(a, b)
    backward, _ = beta_chance_and_loss(b, a)
    assert 0.0 <= forward <= 1.0
    assert forward + backward == pytest.approx(1.0, abs=1e-9)


def test_normal_chance_and_loss() -> None:
    chance, loss = normal_chance_and_loss(0.0, 2.0)
    assert chance == 0.5 and loss == pytest.approx(2.0 / math.sqrt(2 * math.pi))
    up, up_loss = normal_chance_and_loss(1.0, 0.5)
    down, _ = normal_chance_and_loss(-1.0, 0.5)
    assert up + down == pytest.approx(1.0)
    rng = np.random.default_rng(3)
    draws = rng.normal(1.0, 0.5, size=400_000)
    assert up_loss == pytest.approx(np.mean(np.maximum(-draws, 0)), rel=0.05)


# --- sequential ----------------------------------------------------------------------------------


def test_confidence_sequence_multiplier_known_value_and_width() -> None:
    at_plan = confidence_sequence_multiplier(10_000, 10_000, 0.05)
    # rho^2 n = -2 log .05 + log(-2 log .05 + 1) = 7.937; sqrt(1.126 * log(8.937 / .0025)) = 3.036
    assert at_plan == pytest.approx(3.036, abs=1e-3)
    many = confidence_sequence_multiplier(np.array([100, 1000, 10_000, 100_000]), 10_000)
    assert np.all(many > 1.96)


def test_confidence_sequence_survives_continuous_peeking() -> None:
    rng = np.random.default_rng(99)
    paths, steps = 400, 3000
    running_mean = np.cumsum(rng.normal(size=(paths, steps)), axis=1) / np.arange(1, steps + 1)
    n = np.arange(1, steps + 1)
    looks = slice(19, None)  # look after every observation from the 20th on
    always_valid = confidence_sequence_multiplier(n, planned_visitors=steps) / np.sqrt(n)
    sequential_errors = np.mean(np.any(np.abs(running_mean[:, looks]) > always_valid[looks], 1))
    naive_errors = np.mean(np.any(np.abs(running_mean[:, looks]) > 1.96 / np.sqrt(n[looks]), 1))
    assert sequential_errors <= 0.05
    assert naive_errors > 0.2


def test_analysis_adds_sequential_interval_wider_than_fixed() -> None:
    result = analyze_experiment(
        VariantData("A", 20_000, 600),
        [VariantData("B", 20_000, 700)],
        sequential=True,
        planned_visitors=40_000,
    )
    cr = result.variants[0].conversion
    assert cr.sequential_ci_low < cr.relative_ci_low < cr.relative_lift
    assert cr.relative_lift < cr.relative_ci_high < cr.sequential_ci_high


# --- degenerate data, errors ---------------------------------------------------------------------


def test_no_conversions_in_either_arm_is_a_result_not_an_error() -> None:
    result = analyze_experiment(VariantData("A", 500, 0), [VariantData("B", 500, 0)])
    cr = result.variants[0].conversion
    assert cr.p_value is None and cr.relative_lift is None
    assert "no conversions" in (cr.message or "")
    assert cr.chance_to_beat_control == pytest.approx(0.5)
    assert result.verdict.status == "inconclusive"
    data = result.to_dict()
    assert all_numbers_finite(data)
    json.dumps(data, allow_nan=False)


def test_zero_revenue_control_gives_none_relative_lift() -> None:
    result = analyze_experiment(VariantData("A", 100, 0, 0, 0), [VariantData("B", 100, 3, 30, 400)])
    rpv = result.variants[0].revenue_per_visitor
    aov = result.variants[0].average_order_value
    assert rpv is not None and rpv.relative_lift is None and rpv.p_value is not None
    assert aov is not None and aov.p_value is None and "2 orders" in (aov.message or "")
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: VariantData("B", 100, 120),
            r"Conversions \(120\) cannot exceed visitors \(100\) for variant B\.",
        ),
        (lambda: VariantData("B", 0, 0), "no visitors"),
        (lambda: VariantData("B", -3, 0), "cannot be negative"),
        (lambda: VariantData("B", 100, -1), "cannot be negative"),
        (lambda: VariantData("B", "lots", 3), "must be a number, got 'lots'"),
        (lambda: VariantData("B", 100, 2.5), "whole number"),
        (lambda: VariantData("B", 100, 3, 50.0), "both the revenue sum"),
        (lambda: VariantData("B", 100, 3, -50.0, 10.0), "cannot be negative"),
        (lambda: VariantData("B", 100, 0, 50.0, 2500.0), "no conversions"),
        (lambda: VariantData("B", 100, 3, 90.0, 100.0), "too small"),
        (lambda: VariantData("", 100, 3), "name"),
        (
            lambda: analyze_experiment(VariantData("A", 10, 1), [VariantData("A", 10, 1)]),
            "unique",
        ),
        (lambda: analyze_experiment(VariantData("A", 10, 1), []), "at least one variant"),
        (
            lambda: analyze_experiment(
                VariantData("A", 10, 1), [VariantData("B", 10, 1)], planned_split=[50, 25, 25]
            ),
            "3 parts",
        ),
        (
            lambda: analyze_experiment(
                VariantData("A", 10, 1), [VariantData("B", 10, 1)], alpha=1.5
            ),
            "Significance level",
        ),
        (
            lambda: analyze_experiment(
                VariantData("A", 10, 1, 5.0, 25.0), [VariantData("B", 10, 1)]
            ),
            "missing for B",
        ),
        (
            lambda: analyze_experiment(
                VariantData("A", 10, 1), [VariantData("B", 10, 1)], primary_metric="rpv"
            ),
            "needs revenue",
        ),
    ],
)
def test_bad_input_raises_clear_error(make, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        make()


# --- verdicts ------------------------------------------------------------------------------------


def test_verdict_winner() -> None:
    result = analyze_experiment(
        VariantData("A", 50_000, 1500), [VariantData("B", 50_000, 1700)], days=14
    )
    assert result.verdict.status == "winner"
    assert result.verdict.headline.startswith("B wins on conversion rate: +13.3%")
    assert result.variants[0].conversion.chance_to_beat_control > 0.99


def test_verdict_loser() -> None:
    result = analyze_experiment(VariantData("A", 50_000, 1700), [VariantData("B", 50_000, 1500)])
    assert result.verdict.status == "loser"
    assert "B loses" in result.verdict.headline


def test_verdict_inconclusive_and_underpowered() -> None:
    result = analyze_experiment(VariantData("A", 8000, 240), [VariantData("B", 8000, 250)])
    assert result.verdict.status == "inconclusive"
    assert result.verdict.headline.startswith("No clear winner")
    assert any(w.startswith("Underpowered for the effect seen") for w in result.verdict.warnings)


def test_verdict_invalid_on_sample_ratio_mismatch() -> None:
    result = analyze_experiment(VariantData("A", 52_000, 1500), [VariantData("B", 48_000, 1700)])
    assert result.srm.mismatch
    assert result.verdict.status == "invalid"
    assert any("Sample ratio mismatch" in w for w in result.verdict.warnings)


def test_verdict_too_few_conversions_and_short_test() -> None:
    few = analyze_experiment(VariantData("A", 2000, 20), [VariantData("B", 2000, 60)])
    assert few.variants[0].conversion.p_value < 0.001
    assert few.verdict.status == "inconclusive"
    assert few.verdict.headline.startswith("Too early to call")
    assert any("Too few conversions" in w and "A has 20" in w for w in few.verdict.warnings)
    short = analyze_experiment(
        VariantData("A", 50_000, 1500), [VariantData("B", 50_000, 1700)], days=4
    )
    assert short.verdict.status == "inconclusive"
    assert any("less than a full week" in w for w in short.verdict.warnings)


def test_verdict_cr_up_but_rpv_down() -> None:
    rng = np.random.default_rng(5)
    control = arm_from_orders("A", 50_000, rng.normal(100, 20, size=1500).clip(1))
    variant = arm_from_orders("B", 50_000, rng.normal(70, 20, size=1700).clip(1))
    result = analyze_experiment(control, [variant], primary_metric="cr")
    assert result.variants[0].conversion.is_significant
    assert result.verdict.status == "inconclusive"
    assert "earns less per visitor" in result.verdict.headline
    assert any("lowers revenue per visitor" in w for w in result.verdict.warnings)
    by_revenue = analyze_experiment(control, [variant])
    assert by_revenue.primary_metric == "rpv"
    assert by_revenue.verdict.status == "loser"


def test_several_variants_get_adjusted_p_values() -> None:
    result = analyze_experiment(
        VariantData("A", 30_000, 900),
        [VariantData("B", 30_000, 1000), VariantData("C", 30_000, 910)],
    )
    b, c = (v.conversion for v in result.variants)
    assert b.p_value_holm == pytest.approx(min(1.0, 2 * b.p_value))
    assert c.p_value_holm == pytest.approx(max(c.p_value, b.p_value_holm))
    assert b.p_value_bh == pytest.approx(min(1.0, 2 * b.p_value))
    assert result.verdict.status == "winner" and result.verdict.headline.startswith("B wins")


def test_analyze_summary_frame() -> None:
    frame = pd.DataFrame(
        {
            "variant": ["control", "treatment"],
            "visitors": [10_000, 10_050],
            "conversions": [300, 330],
            "revenue_sum": [24_000.0, 26_000.0],
            "revenue_sum_squares": [24_000.0 * 95, 26_000.0 * 95],
        }
    )
    result = analyze_summary_frame(frame)
    assert result.control.name == "control"
    assert [v.name for v in result.variants] == ["treatment"]
    assert result.variants[0].revenue_per_visitor is not None
    reordered = analyze_summary_frame(frame.iloc[::-1], control="control")
    assert reordered.variants[0].conversion.p_value == pytest.approx(
        result.variants[0].conversion.p_value
    )
    without_revenue = analyze_summary_frame(frame[["variant", "visitors", "conversions"]])
    assert without_revenue.variants[0].revenue_per_visitor is None
    with pytest.raises(InvalidInputError, match="missing column"):
        analyze_summary_frame(frame.drop(columns=["visitors"]))
    with pytest.raises(InvalidInputError, match="No row for control"):
        analyze_summary_frame(frame, control="original")


def test_to_dict_is_strict_json() -> None:
    result = analyze_experiment(
        VariantData("A", 10_000, 300, 24_000.0, 24_000.0 * 95),
        [VariantData("B", 10_000, 330, 26_000.0, 26_000.0 * 95)],
        sequential=True,
    )
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert '"srm_p_value"' in text and data["verdict"]["status"] in {
        "winner",
        "loser",
        "inconclusive",
        "invalid",
    }
    variant = data["variants"][0]
    for key in ("name", "p_value", "relative_lift", "ci_low", "ci_high"):
        assert key in variant
    assert variant["chance_to_beat_control"] is not None and variant["expected_loss"] is not None
    assert all_numbers_finite(data)
