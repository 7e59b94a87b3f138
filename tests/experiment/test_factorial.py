"""Factorial tests: the grouped fits against statsmodels on visitor rows, the planner against
statsmodels' power solver and a simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import special
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower

from ro_core.errors import InvalidInputError
from ro_core.experiment.factorial import analyze_factorial
from ro_core.experiment.factorial_plan import Factor, parse_factors, plan_factorial
from ro_core.experiment.planning import ContinuousBaseline, ConversionBaseline
from ro_core.experiment.regression import logistic_fit, robust_linear_fit


def visitors(seed: int = 1, n: int = 12_000, three: bool = False) -> pd.DataFrame:
    """Visitor rows: headline A/B x button green/blue/red (x layout A/B), converted, revenue."""
    rng = np.random.default_rng(seed)
    headline = rng.choice(["A", "B"], n)
    button = rng.choice(["green", "blue", "red"], n)
    eta = -3.0 + 0.25 * (headline == "B") + 0.15 * (button == "red") - 0.1 * (button == "blue")
    eta += 0.3 * ((headline == "B") & (button == "red"))
    frame = pd.DataFrame({"headline": headline, "button": button})
    if three:
        layout = rng.choice(["A", "B"], n)
        eta += 0.2 * (layout == "B")
        frame["layout"] = layout
    converted = rng.random(n) < special.expit(eta)
    revenue = np.where(converted, rng.gamma(2.0, 30.0 + 10 * (headline == "B"), n), 0.0)
    frame["converted"] = converted.astype(int)
    frame["revenue"] = revenue
    return frame


def cells(frame: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    grouped = frame.assign(sq=frame["revenue"] ** 2).groupby(factors, as_index=False)
    return grouped.agg(
        visitors=("converted", "size"),
        conversions=("converted", "sum"),
        revenue_sum=("revenue", "sum"),
        revenue_sum_squares=("sq", "sum"),
    )


def by_term(analysis) -> dict[tuple[str, str], object]:
    return {(e.term, e.levels): e for e in analysis.effects}


def test_logistic_fit_matches_statsmodels_logit_on_visitor_rows() -> None:
    frame = visitors()
    model = smf.logit("converted ~ C(headline, Sum) * C(button, Sum)", data=frame).fit(disp=0)
    analysis = analyze_factorial(cells(frame, ["headline", "button"]), ["headline", "button"])
    effects = by_term(analysis)
    params, cov = model.params, model.cov_params()
    # patsy's Sum coding omits the last level (A for headline, red for button, after sorting
    # blue/green/red); main effect B vs A averaged over buttons = s_B - s_A = -2 * s_A.
    h = "C(headline, Sum)[S.A]"
    est = effects[("headline", "B vs A")]
    assert est.estimate == pytest.approx(-2 * params[h], rel=1e-6)
    assert est.standard_error == pytest.approx(2 * np.sqrt(cov.loc[h, h]), rel=1e-5)
    assert est.p_value == pytest.approx(model.pvalues[h], rel=1e-4)
    # button: levels blue, green, red; our reference is 'blue' (alphabetical), s_red = -b - g
    b, g = "C(button, Sum)[S.blue]", "C(button, Sum)[S.green]"
    red_vs_blue = -params[b] - params[g] - params[b]
    weights = pd.Series(0.0, index=params.index)
    weights[b], weights[g] = -2.0, -1.0
    assert effects[("button", "red vs blue")].estimate == pytest.approx(red_vs_blue, rel=1e-6)
    se = float(np.sqrt(weights @ cov @ weights))
    assert effects[("button", "red vs blue")].standard_error == pytest.approx(se, rel=1e-5)
    # the saturated 2-factor model: the interaction is a difference of differences of the
    # cells' log-odds, which statsmodels' treatment-coded fit gives as one coefficient
    treatment = smf.logit(
        "converted ~ C(headline, Treatment('A')) * C(button, Treatment('blue'))", data=frame
    ).fit(disp=0)
    name = "C(headline, Treatment('A'))[T.B]:C(button, Treatment('blue'))[T.red]"
    interaction = effects[("headline:button", "B x red")]
    assert interaction.estimate == pytest.approx(treatment.params[name], rel=1e-6)
    assert interaction.standard_error == pytest.approx(treatment.bse[name], rel=1e-5)
    assert interaction.p_value == pytest.approx(treatment.pvalues[name], rel=1e-4)
    holm = multipletests([e.p_value for e in analysis.effects], method="holm")[1]
    assert [e.p_adjusted for e in analysis.effects] == pytest.approx(list(holm), rel=1e-9)


def test_three_factors_main_effects_and_pairs_match_statsmodels() -> None:
    frame = visitors(seed=3, n=20_000, three=True)
    factors = ["headline", "button", "layout"]
    analysis = analyze_factorial(cells(frame, factors), factors)
    model = smf.logit(
        "converted ~ (C(headline, Sum) + C(button, Sum) + C(layout, Sum)) ** 2", data=frame
    ).fit(disp=0)
    effects = by_term(analysis)
    name = "C(headline, Sum)[S.A]:C(layout, Sum)[S.A]"
    # 2x2 sum-coded interaction: difference of differences = 4 x the coefficient
    assert effects[("headline:layout", "B x B")].estimate == pytest.approx(
        4 * model.params[name], rel=1e-6
    )
    assert effects[("headline:layout", "B x B")].standard_error == pytest.approx(
        4 * model.bse[name], rel=1e-5
    )
    assert effects[("layout", "B vs A")].estimate == pytest.approx(
        -2 * model.params["C(layout, Sum)[S.A]"], rel=1e-6
    )
    assert len(analysis.effects) == 1 + 2 + 1 + 2 + 1 + 2  # mains 1+2+1, pairs 2+1+2


@pytest.mark.parametrize("cov_type", ["HC1", "HC3"])
def test_revenue_fit_matches_statsmodels_ols_with_robust_errors(cov_type: str) -> None:
    frame = visitors(seed=2)
    model = smf.ols("revenue ~ C(headline, Sum) * C(button, Sum)", data=frame).fit(
        cov_type=cov_type
    )
    analysis = analyze_factorial(
        cells(frame, ["headline", "button"]),
        ["headline", "button"],
        metric="rpv",
        cov_type=cov_type,
    )
    h = "C(headline, Sum)[S.A]"
    est = by_term(analysis)[("headline", "B vs A")]
    assert est.estimate == pytest.approx(-2 * model.params[h], rel=1e-8)
    assert est.standard_error == pytest.approx(2 * model.bse[h], rel=1e-6)
    assert est.p_value == pytest.approx(model.pvalues[h], rel=1e-5)
    treatment = smf.ols(
        "revenue ~ C(headline, Treatment('A')) * C(button, Treatment('blue'))", data=frame
    ).fit(cov_type=cov_type)
    name = "C(headline, Treatment('A'))[T.B]:C(button, Treatment('blue'))[T.green]"
    interaction = by_term(analysis)[("headline:button", "B x green")]
    assert interaction.estimate == pytest.approx(treatment.params[name], rel=1e-8)
    assert interaction.standard_error == pytest.approx(treatment.bse[name], rel=1e-6)


def test_grouped_fits_equal_visitor_level_fits_directly() -> None:
    frame = visitors(seed=5, n=3000)
    x_rows = np.column_stack([np.ones(len(frame)), (frame["headline"] == "B").astype(float)])
    grouped = cells(frame, ["headline"])
    x = np.array([[1.0, 0.0], [1.0, 1.0]])
    fit = logistic_fit(x, grouped["visitors"], grouped["conversions"])
    import statsmodels.api as sm

    reference = sm.Logit(frame["converted"], x_rows).fit(disp=0)
    assert fit.coefficients == pytest.approx(reference.params.to_numpy(), rel=1e-7)
    ols = robust_linear_fit(
        x,
        grouped["visitors"],
        grouped["revenue_sum"],
        grouped["revenue_sum_squares"],
        cov_type="HC0",
    )
    reference_ols = sm.OLS(frame["revenue"], x_rows).fit(cov_type="HC0")
    assert np.sqrt(np.diag(ols.covariance)) == pytest.approx(reference_ols.bse.to_numpy(), rel=1e-7)


def test_best_combination_and_degenerate_cells() -> None:
    frame = visitors(seed=4, n=40_000)
    analysis = analyze_factorial(cells(frame, ["headline", "button"]), ["headline", "button"])
    table = analysis.cells
    assert analysis.best == "headline B / button red"  # the simulated truth is the highest
    assert table["chance_best"].sum() == pytest.approx(1.0)
    assert "truly the best of the 6 combinations" in analysis.statement
    # the observed rates are the csv's own
    row = table[table["combination"] == "headline A / button blue"].iloc[0]
    sub = frame[(frame["headline"] == "A") & (frame["button"] == "blue")]
    assert row["value"] == pytest.approx(sub["converted"].mean())
    # a combination with no conversions: a result with a message, no exception
    empty = cells(frame, ["headline", "button"])
    empty.loc[0, "conversions"] = 0
    degenerate = analyze_factorial(empty, ["headline", "button"])
    assert degenerate.message and "no finite" in degenerate.message
    assert all(e.estimate is None for e in degenerate.effects)
    with pytest.raises(InvalidInputError):
        analyze_factorial(empty.drop(columns=["revenue_sum"]), ["headline", "button"], metric="rpv")


def test_plan_main_effect_matches_statsmodels_power_solver() -> None:
    factors = parse_factors("headline: A, B; button: A, B")
    plan = plan_factorial(
        factors,
        ContinuousBaseline(2.0, 15.0),
        0.1,
        alpha=0.05,
        power=0.8,
        correct_for_effects=False,
    )
    # main effect of a 2-level factor: half the visitors on each side
    per_side = NormalIndPower().solve_power(effect_size=0.2 / 15.0, alpha=0.05, power=0.8)
    assert plan.visitors_main == pytest.approx(2 * per_side, rel=1e-4)
    # an interaction of the same size needs 4 times as many (four cells of N/4)
    assert plan.visitors_interaction == pytest.approx(4 * plan.visitors_main, rel=1e-4)
    assert plan.combinations == 4 and not plan.too_many


def test_plan_interaction_power_by_simulation() -> None:
    """4,000 simulated 2x2 tests of the planned size: the interaction is detected at ~80%."""
    p = 0.05
    plan = plan_factorial(
        parse_factors("a: 2; b: 2"),
        ConversionBaseline(p),
        0.3,
        interaction_mde=0.3,
        correct_for_effects=False,
    )
    per_cell = plan.visitors_interaction // 4
    delta = p * 0.3
    rates = np.array([p, p, p, p + delta])  # (A,A) (A,B) (B,A) (B,B): interaction = delta
    rng = np.random.default_rng(7)
    draws = 4000
    conversions = rng.binomial(per_cell, rates, size=(draws, 4))
    observed = conversions / per_cell
    contrast = observed[:, 3] - observed[:, 2] - observed[:, 1] + observed[:, 0]
    se = np.sqrt((observed * (1 - observed) / per_cell).sum(axis=1))
    power = np.mean(np.abs(contrast / se) > 1.959964)
    assert 0.77 <= power <= 0.83


def test_plan_advice_when_too_many() -> None:
    factors = parse_factors("headline: 3; button: 4; image: A, B")
    plan = plan_factorial(
        factors, ConversionBaseline(0.02), 0.1, interaction_mde=0.2, daily_sessions=2000
    )
    assert plan.combinations == 24 and plan.too_many
    text = " ".join(plan.advice)
    assert "keep two levels of headline" in text and "main effects only" in text
    with pytest.raises(InvalidInputError):
        parse_factors("headline: A")
    with pytest.raises(InvalidInputError):
        Factor("x", ("A", "A"))
