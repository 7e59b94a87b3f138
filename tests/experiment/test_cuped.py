"""CUPED against statsmodels OLS (ANCOVA) and by simulation (A/A unbiased, reduction 1 - rho^2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from ro_core.errors import InvalidInputError
from ro_core.experiment.cuped import (
    CovariateSums,
    correlation_from_sums,
    cuped_compare,
    cuped_visitors,
)


def sums(name: str, y: np.ndarray, x: np.ndarray) -> CovariateSums:
    return CovariateSums(
        name, len(y), y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum()
    )


def test_cuped_estimate_equals_ancova_and_interval_matches_robust_ols() -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    variant = rng.integers(0, 2, n)
    pre = rng.gamma(0.5, 20.0, n)
    revenue = np.maximum(0.0, 1.0 + 0.6 * pre + rng.normal(0, 12, n) + 0.8 * variant)
    frame = pd.DataFrame({"t": variant, "x": pre, "y": revenue})
    control = sums("A", revenue[variant == 0], pre[variant == 0])
    treated = sums("B", revenue[variant == 1], pre[variant == 1])
    (result,) = cuped_compare(control, [treated])
    ancova = smf.ols("y ~ t + x", data=frame).fit(cov_type="HC1")
    assert result.cuped.absolute_lift == pytest.approx(ancova.params["t"], rel=1e-9)
    se = (result.cuped.absolute_ci_high - result.cuped.absolute_ci_low) / (2 * 1.96)
    assert se == pytest.approx(ancova.bse["t"], rel=0.01)
    plain = smf.ols("y ~ t", data=frame).fit(cov_type="HC1")
    assert result.unadjusted.absolute_lift == pytest.approx(plain.params["t"], rel=1e-9)
    rho = np.corrcoef(pre, revenue)[0, 1]
    assert result.variance_reduction == pytest.approx(
        1 - (ancova.bse["t"] / plain.bse["t"]) ** 2, abs=0.01
    )
    assert result.variance_reduction == pytest.approx(rho**2, abs=0.02)
    data = result.to_dict()
    assert set(data["cuped"]) >= {"lift", "ci_low", "ci_high"}
    assert data["unadjusted"]["lift"] == pytest.approx(
        revenue[variant == 1].mean() / revenue[variant == 0].mean() - 1
    )


def simulate(rho: float, draws: int, n: int, effect: float, seed: int):
    """`draws` tests of n visitors per arm, x and y standard normal with correlation rho."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((draws, 2, n))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((draws, 2, n)) + 10.0
    y[:, 1, :] += effect
    lifts, lows, highs, plain, reductions = [], [], [], [], []
    s = {
        "y": y.sum(axis=2),
        "y2": (y * y).sum(axis=2),
        "x": x.sum(axis=2),
        "x2": (x * x).sum(axis=2),
        "xy": (x * y).sum(axis=2),
    }
    for d in range(draws):
        arms = [
            CovariateSums(
                str(a), n, s["y"][d, a], s["y2"][d, a], s["x"][d, a], s["x2"][d, a], s["xy"][d, a]
            )
            for a in (0, 1)
        ]
        (result,) = cuped_compare(arms[0], arms[1:])
        lifts.append(result.cuped.absolute_lift)
        lows.append(result.cuped.absolute_ci_low)
        highs.append(result.cuped.absolute_ci_high)
        plain.append(result.unadjusted.absolute_lift)
        reductions.append(result.variance_reduction)
    return (np.array(lifts), np.array(lows), np.array(highs), np.array(plain), np.array(reductions))


def test_aa_simulation_unbiased_with_nominal_coverage() -> None:
    """4,000 A/A tests of 1,000 visitors per arm, rho = 0.7: mean lift 0 within 3.5 standard
    errors of the mean, 95% intervals cover 0 in 94-96% of them."""
    lifts, lows, highs, _, _ = simulate(0.7, 4000, 1000, 0.0, seed=3)
    assert abs(lifts.mean()) < 3.5 * lifts.std() / np.sqrt(len(lifts))
    coverage = np.mean((lows <= 0) & (highs >= 0))
    assert 0.94 <= coverage <= 0.96


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.8])
def test_variance_reduction_is_one_minus_rho_squared(rho: float) -> None:
    """2,000 tests of 1,000 visitors per arm with a true lift of 0.1: the CUPED estimates'
    variance is (1 - rho^2) of the unadjusted ones' within 8% (relative), and the reported
    reduction averages rho^2 within 0.01."""
    lifts, _, _, plain, reductions = simulate(rho, 2000, 1000, 0.1, seed=int(rho * 10))
    assert lifts.mean() == pytest.approx(0.1, abs=4 * lifts.std() / np.sqrt(len(lifts)))
    assert lifts.var() / plain.var() == pytest.approx(1 - rho**2, rel=0.08)
    assert reductions.mean() == pytest.approx(rho**2, abs=0.01)


def test_degenerate_covariate_and_planner_figure() -> None:
    rng = np.random.default_rng(1)
    y0, y1 = rng.normal(5, 2, 500), rng.normal(5.3, 2, 500)
    flat = np.ones(500)
    (result,) = cuped_compare(sums("A", y0, flat), [sums("B", y1, flat)])
    assert result.message and "same for every visitor" in result.message
    assert result.cuped.absolute_lift == pytest.approx(result.unadjusted.absolute_lift)
    assert result.variance_reduction == pytest.approx(0.0, abs=1e-12)
    assert cuped_visitors(10_000, 0.5) == 7_500
    with pytest.raises(InvalidInputError):
        cuped_visitors(10_000, 1.0)
    x, y = rng.normal(size=300), rng.normal(size=300)
    assert correlation_from_sums(
        300, x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum()
    ) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert correlation_from_sums(3, 3, 1, 3, 1, 1) is None
