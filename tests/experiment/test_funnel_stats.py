"""Funnel statistics against statsmodels and a coverage simulation."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from ro_core.experiment.funnel_stats import (
    compare_step_counts,
    newcombe_interval,
    wilson_interval,
)

STEPS = ("sessions", "product_view", "cart", "checkout", "purchase")


def test_intervals_and_p_values_match_statsmodels() -> None:
    now = [20_000, 9_100, 2_300, 1_150, 640]
    before = [19_000, 8_800, 2_250, 1_220, 720]
    frame = compare_step_counts(STEPS, now, before)
    assert list(frame["step"]) == list(STEPS[1:])
    for i, row in enumerate(frame.itertuples(), start=1):
        low, high = proportion_confint(now[i], now[i - 1], method="wilson")
        assert (row.rate_low, row.rate_high) == pytest.approx((low, high), rel=1e-9)
        low, high = confint_proportions_2indep(
            now[i], now[i - 1], before[i], before[i - 1], method="newcomb", compare="diff"
        )
        assert (row.change_low, row.change_high) == pytest.approx((low, high), rel=1e-9)
        _, p_value = proportions_ztest([now[i], before[i]], [now[i - 1], before[i - 1]])
        assert row.p_value == pytest.approx(p_value, rel=1e-9)
    bh = multipletests(frame["p_value"], method="fdr_bh")[1]
    assert list(frame["p_adjusted"]) == pytest.approx(list(bh), rel=1e-9)
    # checkout completion fell from 59.0% to 55.7%: p < 0.05 raw; the BH figure is larger
    purchase = frame.iloc[-1]
    assert purchase["change"] == pytest.approx(640 / 1150 - 720 / 1220)
    assert purchase["p_adjusted"] >= purchase["p_value"]


def test_missing_steps_and_buy_now_excess_get_no_interval() -> None:
    frame = compare_step_counts(("sessions", "cart", "checkout"), [1000, 80, 90], [1000, None, 70])
    cart, checkout = frame.iloc[0], frame.iloc[1]
    assert cart["rate"] == pytest.approx(0.08) and np.isnan(cart["change"])
    assert np.isnan(checkout["rate"])  # 90 checkouts out of 80 carts is not a share
    assert np.isnan(frame["p_adjusted"]).all()


def test_difference_interval_coverage_by_simulation() -> None:
    """4,000 simulated pairs of funnels (5,000 sessions each, true step rates 0.45/0.25/0.5/0.6
    against 0.45/0.22/0.5/0.55): each step's 95% interval covers the true difference in 94-96%
    of draws."""
    rng = np.random.default_rng(2024)
    draws, top = 4000, 5000
    rates_a = np.array([0.45, 0.25, 0.5, 0.6])
    rates_b = np.array([0.45, 0.22, 0.5, 0.55])

    def chain(rates: np.ndarray) -> np.ndarray:
        counts = [np.full(draws, top)]
        for rate in rates:
            counts.append(rng.binomial(counts[-1], rate))
        return np.array(counts)

    a, b = chain(rates_a), chain(rates_b)
    for step in range(4):
        low, high = newcombe_interval(a[step + 1], a[step], b[step + 1], b[step])
        truth = rates_a[step] - rates_b[step]
        coverage = np.mean((low <= truth) & (truth <= high))
        assert 0.94 <= coverage <= 0.96, (step, coverage)
        low, high = wilson_interval(a[step + 1], a[step])
        assert 0.94 <= np.mean((low <= rates_a[step]) & (rates_a[step] <= high)) <= 0.96


def test_compare_funnels_adds_intervals_and_bh_per_segment() -> None:
    from datetime import date

    import pandas as pd

    from ro_core.metrics.funnel import FUNNEL_COLUMNS, FunnelResult, compare_funnels
    from ro_core.metrics.periods import DateRange

    def funnel(counts: dict[str, list[int]]) -> FunnelResult:
        rows = []
        for segment, values in counts.items():
            for i, (step, sessions) in enumerate(zip(STEPS, values, strict=True)):
                rows.append(
                    {
                        "segment": segment,
                        "step": step,
                        "label": step,
                        "sessions": sessions,
                        "step_conversion": None if i == 0 else sessions / values[i - 1],
                        "from_top_conversion": sessions / values[0],
                        "drop_off": 0,
                        "skipped": 0,
                    }
                )
        period = DateRange(date(2025, 1, 1), date(2025, 1, 7))
        return FunnelResult(
            "events", True, STEPS, period, "device", pd.DataFrame(rows, columns=FUNNEL_COLUMNS), ""
        )

    now = {"mobile": [20_000, 9_100, 2_300, 1_150, 640], "desktop": [5000, 2600, 900, 500, 300]}
    before = {"mobile": [19_000, 8_800, 2_250, 1_220, 720], "desktop": [5000, 2500, 880, 480, 310]}
    side = compare_funnels(funnel(now), funnel(before))
    for segment in ("mobile", "desktop"):
        part = side[side["segment"] == segment].set_index("step")
        expected = compare_step_counts(STEPS, now[segment], before[segment]).set_index("step")
        purchase_low, _ = confint_proportions_2indep(
            now[segment][4],
            now[segment][3],
            before[segment][4],
            before[segment][3],
            method="newcomb",
            compare="diff",
        )
        assert part.loc["purchase", "step_conversion_change_low"] == pytest.approx(purchase_low)
        assert part.loc["purchase", "p_adjusted"] == pytest.approx(
            expected.loc["purchase", "p_adjusted"]
        )
        assert np.isnan(part.loc["sessions", "p_value"])
