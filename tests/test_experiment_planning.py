"""Planning statistics: known answers (R, statsmodels, Evan Miller, Cohen), inverses, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ro_core.errors import InvalidInputError
from ro_core.experiment import (
    MDE_TABLE_COLUMNS,
    POWER_CURVE_COLUMNS,
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDesign,
    baseline_from_summary,
    control_share_from_split,
    duration_for,
    estimate_duration,
    mde_by_week,
    mde_for_sample_size,
    mde_for_weeks,
    power_at,
    power_curve,
    sample_size,
)

FOUR_FIGURES = 5e-5  # relative tolerance: agreement to (at least) 4 significant figures


def figure(size, name_start: str) -> float:
    return next(f.per_variant_exact for f in size.calculators if f.name.startswith(name_start))


# --- R's stats package (power.prop.test / power.t.test help-page examples) -----------------------


def test_power_prop_test_sample_size_matches_r() -> None:
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90) prints n = 76.7069 ("n = 76.7").
    size = sample_size(
        ConversionBaseline(0.5), 0.25, relative=False, design=ExperimentDesign(power=0.9)
    )
    assert size.per_variant_exact == pytest.approx(76.7069, rel=FOUR_FIGURES)
    assert size.per_variant == 77
    assert size.total == 154
    # 76.65294 is the arcsine (Cohen's h) answer for the same inputs: pwr.2p.test / statsmodels.
    assert figure(size, "Cohen") == pytest.approx(76.65294, rel=1e-6)


def test_power_prop_test_power_matches_r() -> None:
    # R: power.prop.test(n = 50, p1 = .50, p2 = .75) gives power = 0.7401659.
    power = power_at(ConversionBaseline(0.5), 0.25, 50, relative=False)
    assert power == pytest.approx(0.7401659, rel=FOUR_FIGURES)


def test_power_prop_test_solves_p2_like_r() -> None:
    # R: power.prop.test(n = 50, p1 = .5, power = .90) gives p2 = 0.8026.
    mde = mde_for_sample_size(ConversionBaseline(0.5), 50, design=ExperimentDesign(power=0.9))
    assert mde.target_value == pytest.approx(0.8026, abs=1e-4)


def test_power_prop_test_tiny_effect_matches_r() -> None:
    # R: power.prop.test(p1 = .5, p2 = 0.501, sig.level = .001, power = 0.90) gives n = 10451937.
    size = sample_size(
        ConversionBaseline(0.5),
        0.001,
        relative=False,
        design=ExperimentDesign(alpha=0.001, power=0.9),
    )
    assert size.per_variant_exact == pytest.approx(10451937, rel=FOUR_FIGURES)


def test_power_t_test_matches_r() -> None:
    # R: power.t.test(power = .90, delta = 1) n = 22.02110; power.t.test(n = 20, delta = 1)
    # power = 0.8689528; power.t.test(power = .90, delta = 1, alternative = "one.sided")
    # n = 17.84713.
    baseline = ContinuousBaseline(mean=10, sd=1)
    size = sample_size(baseline, 1, relative=False, design=ExperimentDesign(power=0.9))
    assert size.per_variant_exact == pytest.approx(22.02110, rel=FOUR_FIGURES)
    assert size.per_variant == 23
    assert power_at(baseline, 1, 20, relative=False) == pytest.approx(0.8689528, rel=FOUR_FIGURES)
    one_sided = sample_size(
        baseline, 1, relative=False, design=ExperimentDesign(power=0.9, two_sided=False)
    )
    assert one_sided.per_variant_exact == pytest.approx(17.84713, rel=FOUR_FIGURES)


# --- other calculators ---------------------------------------------------------------------------


def test_evan_miller_default_example() -> None:
    # evanmiller.org defaults: 20% baseline, 5 points absolute, alpha 5%, power 80% -> 1,030.
    size = sample_size(ConversionBaseline(0.2), 0.05, relative=False)
    assert figure(size, "Evan Miller") == pytest.approx(1030.219, rel=FOUR_FIGURES)
    assert round(figure(size, "Evan Miller")) == 1030


def test_cohens_table_for_h_of_0_2() -> None:
    # Cohen (1988), table 6.4.1: h = 0.2, two-sided alpha .05, power .80 -> n = 392 per group.
    p1 = 0.5
    p2 = math.sin(math.asin(math.sqrt(p1)) + 0.1) ** 2  # so that h = 0.2 exactly
    size = sample_size(ConversionBaseline(p1), p2 - p1, relative=False)
    assert round(figure(size, "Cohen")) == 392


@pytest.mark.parametrize(
    ("p1", "relative_mde", "alpha", "power", "control_share", "two_sided"),
    [
        (0.5, 0.5, 0.05, 0.9, None, True),
        (0.03, 0.1, 0.05, 0.8, None, True),
        (0.03, 0.1, 0.05, 0.8, 1 / 3, True),
        (0.12, -0.15, 0.01, 0.95, 0.6, False),
    ],
)
def test_cohens_h_matches_statsmodels(p1, relative_mde, alpha, power, control_share, two_sided):
    statsmodels_power = pytest.importorskip("statsmodels.stats.power")
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    design = ExperimentDesign(
        alpha=alpha, power=power, control_share=control_share, two_sided=two_sided
    )
    size = sample_size(ConversionBaseline(p1), relative_mde, design=design)
    p2 = p1 * (1 + relative_mde)
    h = abs(proportion.proportion_effectsize(p2, p1))
    expected = statsmodels_power.NormalIndPower().solve_power(
        effect_size=h,
        alpha=alpha,
        power=power,
        ratio=design.allocation_ratio,
        alternative="two-sided" if two_sided else "larger",
    )
    assert figure(size, "Cohen") == pytest.approx(expected, rel=FOUR_FIGURES)


@pytest.mark.parametrize(
    ("delta", "sd", "alpha", "power", "control_share", "two_sided"),
    [
        (1.0, 1.0, 0.05, 0.9, None, True),
        (0.3, 1.0, 0.05, 0.8, 2 / 3, True),
        (2.5, 40.0, 0.05, 0.8, None, True),
        (0.2, 1.3, 0.1, 0.85, 0.3, False),
    ],
)
def test_t_test_matches_statsmodels(delta, sd, alpha, power, control_share, two_sided):
    statsmodels_power = pytest.importorskip("statsmodels.stats.power")
    design = ExperimentDesign(
        alpha=alpha, power=power, control_share=control_share, two_sided=two_sided
    )
    size = sample_size(ContinuousBaseline(mean=50, sd=sd), delta, relative=False, design=design)
    expected = statsmodels_power.TTestIndPower().solve_power(
        effect_size=delta / sd,
        alpha=alpha,
        power=power,
        ratio=design.allocation_ratio,
        alternative="two-sided" if two_sided else "larger",
    )
    assert size.per_variant_exact == pytest.approx(expected, rel=FOUR_FIGURES)


def test_normal_approximation_closed_form() -> None:
    size = sample_size(ContinuousBaseline(mean=20, sd=10), 1, relative=False)
    z = 1.959963984540054 + 0.8416212335729143
    assert figure(size, "Normal") == pytest.approx(2 * z**2 * 100 / 1, rel=1e-4)
    assert figure(size, "Two-sample") > figure(size, "Normal")


def test_calculator_figures_differ_and_are_explained() -> None:
    size = sample_size(ConversionBaseline(0.03), 0.1)
    names = [f.name for f in size.calculators]
    assert names[0] == "R power.prop.test" and size.calculators[0].is_default
    assert len(set(f.per_variant for f in size.calculators)) == 3
    assert "variance" in size.explanation and "\n" not in size.explanation


# --- variants, corrections and splits -----------------------------------------------------------


def test_bonferroni_and_sidak_alpha() -> None:
    bonferroni = ExperimentDesign(variants=3)
    sidak = ExperimentDesign(variants=3, correction="sidak")
    assert bonferroni.comparison_alpha == pytest.approx(0.05 / 3)
    assert sidak.comparison_alpha == pytest.approx(1 - 0.95 ** (1 / 3))
    assert bonferroni.comparison_alpha < sidak.comparison_alpha < 0.05


def test_several_variants_use_corrected_alpha_and_count_every_arm() -> None:
    three = sample_size(ConversionBaseline(0.05), 0.1, design=ExperimentDesign(variants=3))
    single = sample_size(ConversionBaseline(0.05), 0.1, design=ExperimentDesign(alpha=0.05 / 3))
    assert three.per_variant_exact == pytest.approx(single.per_variant_exact, rel=1e-12)
    assert three.total == 4 * three.per_variant
    sidak = sample_size(
        ConversionBaseline(0.05), 0.1, design=ExperimentDesign(variants=3, correction="sidak")
    )
    assert sidak.per_variant < three.per_variant


def test_unequal_split_changes_sample_size() -> None:
    even = sample_size(ConversionBaseline(0.04), 0.1)
    uneven = sample_size(ConversionBaseline(0.04), 0.1, design=ExperimentDesign(control_share=0.8))
    # A big control arm lets the variant arm shrink, but the test as a whole needs more visitors.
    assert uneven.per_variant < even.per_variant
    assert uneven.control == pytest.approx(4 * uneven.per_variant, abs=4)
    assert uneven.total > even.total
    # The arms really reach the target power at the computed sizes.
    achieved = power_at(
        ConversionBaseline(0.04),
        0.1,
        uneven.per_variant,
        design=ExperimentDesign(control_share=0.8),
    )
    assert achieved >= 0.8


def test_control_share_from_split() -> None:
    assert control_share_from_split([50, 50], 1) is None
    assert control_share_from_split(["40", "30", "30"], 2) == pytest.approx(0.4)
    with pytest.raises(InvalidInputError, match="same share"):
        control_share_from_split([40, 40, 20], 2)
    with pytest.raises(InvalidInputError, match="3 arms"):
        control_share_from_split([50, 50], 2)


# --- inverse questions, duration, chart data ----------------------------------------------------


def test_duration_rounds_to_whole_weeks_and_at_least_one_week() -> None:
    short = estimate_duration(1000, daily_sessions=10_000)
    assert (short.days, short.weeks, short.recommended_days) == (7, 1, 7)
    assert short.warning is None
    mid = estimate_duration(100_000, daily_sessions=5000, traffic_share=0.5)
    assert mid.days == 40 and mid.weeks == 6 and mid.recommended_days == 42
    long = estimate_duration(1_000_000, daily_sessions=10_000)
    assert long.weeks == 15 and "15 weeks" in (long.warning or "")


def test_duration_for_sample_size_and_aov_needs_conversion_rate() -> None:
    size = sample_size(ConversionBaseline(0.03), 0.1)
    duration = duration_for(size, daily_sessions=size.total / 21)
    assert duration.days == 21 and duration.weeks == 3
    aov = sample_size(ContinuousBaseline(80, 60, "aov", conversion_rate=0.02), 0.05)
    assert aov.unit == "orders"
    assert aov.visitors_per_variant == math.ceil(round(aov.per_variant_exact / 0.02, 6))
    assert duration_for(aov, daily_sessions=1000).days >= 7
    no_rate = sample_size(ContinuousBaseline(80, 60, "aov"), 0.05)
    assert no_rate.visitors_per_variant is None
    with pytest.raises(InvalidInputError, match="conversion rate"):
        duration_for(no_rate, daily_sessions=1000)


def test_mde_for_weeks_matches_mde_for_the_same_visitors() -> None:
    baseline = ConversionBaseline(0.025)
    by_weeks = mde_for_weeks(baseline, 4, daily_sessions=3000, traffic_share=0.5)
    direct = mde_for_sample_size(baseline, 4 * 7 * 3000 * 0.5 / 2)
    assert by_weeks.relative == pytest.approx(direct.relative, rel=1e-12)
    at_mde = power_at(baseline, by_weeks.relative, 4 * 7 * 3000 * 0.5 / 2)
    assert at_mde == pytest.approx(0.8, abs=1e-9)


def test_mde_by_week_table() -> None:
    table = mde_by_week(ConversionBaseline(0.03), daily_sessions=2000)
    assert tuple(table.columns) == MDE_TABLE_COLUMNS
    assert table["weeks"].tolist() == list(range(1, 9))
    assert table["visitors_per_variant"].tolist() == [7000 * w for w in range(1, 9)]
    mde = table["mde_relative"].astype(float).to_numpy()
    assert np.all(np.diff(mde) < 0)
    assert table["mde_absolute"].astype(float).to_numpy() == pytest.approx(mde * 0.03)
    assert mde[0] == pytest.approx(mde_for_sample_size(ConversionBaseline(0.03), 7000).relative)


def test_mde_by_week_marks_undetectable_weeks_as_missing() -> None:
    table = mde_by_week(ConversionBaseline(0.5), daily_sessions=1, weeks=[1, 8])
    assert table["mde_relative"].isna().tolist() == [True, False]


def test_power_curve_rises_and_crosses_target_at_sample_size() -> None:
    baseline = ContinuousBaseline(2.5, 12.0)
    curve = power_curve(baseline, 0.1)
    assert tuple(curve.columns) == POWER_CURVE_COLUMNS
    assert np.all(np.diff(curve["power"].to_numpy()) > 0)
    needed = sample_size(baseline, 0.1).per_variant
    assert curve.loc[curve["per_variant"] >= needed, "power"].min() >= 0.8
    assert curve.loc[curve["per_variant"] < needed - 1, "power"].max() < 0.8
    explicit = power_curve(baseline, 0.1, per_variant=[100, 1000])
    assert explicit["per_variant"].tolist() == [100, 1000]


def test_mde_not_detectable_with_tiny_sample() -> None:
    mde = mde_for_sample_size(ConversionBaseline(0.6), 2)
    assert not mde.detectable and mde.relative is None and "100%" in (mde.message or "")


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ConversionBaseline(0), "between 0 and 1"),
        (lambda: ConversionBaseline(1), "between 0 and 1"),
        (lambda: ConversionBaseline(3), "type 0.03 or 3%"),
        (lambda: ConversionBaseline("abc"), "must be a number, got 'abc'"),
        (lambda: ConversionBaseline(float("nan")), "finite"),
        (lambda: ExperimentDesign(alpha=0), "Significance level"),
        (lambda: ExperimentDesign(alpha=1.2), "Significance level"),
        (lambda: ExperimentDesign(power=1), "Power"),
        (lambda: ExperimentDesign(power=0.04), "above the significance level"),
        (lambda: ExperimentDesign(variants=0), "at least 1"),
        (lambda: ExperimentDesign(variants=1.5), "whole number"),
        (lambda: ExperimentDesign(correction="tukey"), "Correction"),
        (lambda: sample_size(ConversionBaseline(0.03), 0), "must not be zero"),
        (lambda: sample_size(ConversionBaseline(0.7), 0.5), "outside 0-100%"),
        (lambda: sample_size(ConversionBaseline(0.7), 0.3, relative=False), "outside 0-100%"),
        (lambda: sample_size(ConversionBaseline(0.03), -1), "zero or below"),
        (lambda: sample_size(ConversionBaseline(0.03), 1e-12), "too small"),
        (lambda: ContinuousBaseline(10, -1), "Standard deviation"),
        (lambda: ContinuousBaseline(-3, 1), "above 0"),
        (lambda: ContinuousBaseline(10, 1, "ctr"), "'rpv' or 'aov'"),
        (lambda: estimate_duration(1000, daily_sessions=0), "Daily sessions"),
        (lambda: estimate_duration(1000, daily_sessions=10, traffic_share=1.5), "at most 1"),
        (lambda: mde_for_sample_size(ConversionBaseline(0.03), 1), "at least 2"),
        (lambda: power_at(ConversionBaseline(0.03), 0.1, -10), "above 0"),
    ],
)
def test_bad_input_raises_clear_error(make, message) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        make()
    assert "\n" not in str(caught.value)


def test_percent_text_is_accepted() -> None:
    assert ConversionBaseline("3%").rate == pytest.approx(0.03)
    assert ExperimentDesign(alpha="5%").alpha == pytest.approx(0.05)


def test_negative_mde_plans_for_a_drop() -> None:
    drop = sample_size(ConversionBaseline(0.05), -0.1)
    assert drop.target_value == pytest.approx(0.045)
    assert drop.per_variant > 0


# --- properties ----------------------------------------------------------------------------------

rates = st.floats(min_value=0.005, max_value=0.6)
relative_mdes = st.floats(min_value=0.02, max_value=0.5)
powers = st.floats(min_value=0.55, max_value=0.97)
fast = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@fast
@given(rate=rates, mde=relative_mdes, bigger=st.floats(min_value=1.05, max_value=2.0))
def test_sample_size_falls_as_mde_grows(rate, mde, bigger) -> None:
    if rate * (1 + mde * bigger) >= 0.99:
        return
    small = sample_size(ConversionBaseline(rate), mde).per_variant_exact
    large = sample_size(ConversionBaseline(rate), mde * bigger).per_variant_exact
    assert large < small


@fast
@given(rate=rates, mde=relative_mdes, power=powers, more=st.floats(min_value=0.005, max_value=0.2))
def test_sample_size_rises_with_power(rate, mde, power, more) -> None:
    if rate * (1 + mde) >= 0.99 or power + more >= 0.995:
        return
    low = sample_size(ConversionBaseline(rate), mde, design=ExperimentDesign(power=power))
    high = sample_size(ConversionBaseline(rate), mde, design=ExperimentDesign(power=power + more))
    assert high.per_variant_exact > low.per_variant_exact


@fast
@given(
    rate=rates,
    mde=relative_mdes,
    power=powers,
    share=st.one_of(st.none(), st.floats(min_value=0.2, max_value=0.8)),
    two_sided=st.booleans(),
)
def test_conversion_inverses_agree(rate, mde, power, share, two_sided) -> None:
    if rate * (1 + mde) >= 0.99:
        return
    design = ExperimentDesign(power=power, control_share=share, two_sided=two_sided)
    baseline = ConversionBaseline(rate)
    size = sample_size(baseline, mde, design=design)
    if size.per_variant_exact <= 2 / min(1.0, design.allocation_ratio) + 1e-6:
        return  # clamped at the smallest allowed arm: nothing to invert
    back = mde_for_sample_size(baseline, size.per_variant_exact, design=design)
    assert back.relative == pytest.approx(mde, rel=1e-6)
    assert power_at(baseline, mde, size.per_variant, design=design) >= power - 1e-9


@fast
@given(
    sd_ratio=st.floats(min_value=0.2, max_value=20),
    mde=relative_mdes,
    power=powers,
    variants=st.integers(min_value=1, max_value=4),
)
def test_continuous_inverses_agree(sd_ratio, mde, power, variants) -> None:
    baseline = ContinuousBaseline(mean=3.0, sd=3.0 * sd_ratio)
    design = ExperimentDesign(power=power, variants=variants)
    size = sample_size(baseline, mde, design=design)
    if size.per_variant_exact <= 2 + 1e-6:
        return
    back = mde_for_sample_size(baseline, size.per_variant_exact, design=design)
    assert back.relative == pytest.approx(mde, rel=1e-6)
    assert power_at(baseline, mde, size.per_variant, design=design) >= power - 1e-9


# --- baseline pre-fill ---------------------------------------------------------------------------


def test_baseline_from_summary_matches_raw_orders() -> None:
    rng = np.random.default_rng(7)
    orders = rng.lognormal(mean=4.0, sigma=0.8, size=1500)
    sessions = 60_000
    baseline = baseline_from_summary(sessions, orders.size, orders.sum(), (orders**2).sum())
    assert baseline.conversion_rate == pytest.approx(1500 / 60_000)
    assert baseline.average_order_value == pytest.approx(orders.mean())
    assert baseline.order_value_sd == pytest.approx(orders.std(ddof=1))
    assert baseline.revenue_per_visitor == pytest.approx(orders.sum() / sessions)
    per_visitor = np.concatenate([orders, np.zeros(sessions - orders.size)])
    # p (s^2 + AOV^2) - (p AOV)^2 is the per-visitor variance (up to the n / (n - 1) factors).
    assert baseline.rpv_variance == pytest.approx(per_visitor.var(ddof=1), rel=1e-3)
    p, cv = baseline.conversion_rate, orders.std(ddof=1) / orders.mean()
    assert baseline.rpv_to_cr_visitor_ratio == pytest.approx(1 + cv**2 / (1 - p))
    assert f"{baseline.rpv_to_cr_visitor_ratio:.1f} times" in baseline.comparison_text


def test_rpv_to_cr_ratio_predicts_planned_sample_sizes() -> None:
    baseline = baseline_from_summary(100_000, 2500, 2500 * 70.0, 2500 * (70.0**2 + 55.0**2))
    cr = sample_size(baseline.conversion_baseline(), 0.05)
    rpv = sample_size(baseline.rpv_baseline(), 0.05)
    assert rpv.per_variant_exact / cr.per_variant_exact == pytest.approx(
        baseline.rpv_to_cr_visitor_ratio, rel=0.03
    )
    aov = baseline.aov_baseline()
    assert aov.conversion_rate == pytest.approx(0.025) and aov.sd == pytest.approx(55.0, rel=1e-3)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, 10, 100.0, 2000.0), "Sessions"),
        ((1000, 1000, 100.0, 2000.0), "fewer than sessions"),
        ((1000, 1, 100.0, 10000.0), "At least 2 orders"),
        ((1000, 10, -5.0, 2000.0), "Revenue"),
        ((1000, 10, 100.0, 10.0), "too small"),
        ((1000, 10, 100.0, 20_000.0), "larger than the revenue squared"),
        (("many", 10, 100.0, 2000.0), "must be a number"),
    ],
)
def test_baseline_bad_input(arguments, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        baseline_from_summary(*arguments)


def test_frames_have_documented_dtypes() -> None:
    table = mde_by_week(ContinuousBaseline(2.0, 15.0), daily_sessions=5000, traffic_share=0.4)
    assert isinstance(table, pd.DataFrame)
    assert str(table["mde_relative"].dtype) == "Float64"
    assert table["weeks"].dtype == np.int64
