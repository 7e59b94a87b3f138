"""'What now?' answers: hand calculations, R's power.prop.test, statsmodels and scipy."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from ro_core.errors import InvalidInputError
from ro_core.experiment import VariantData, analyze_experiment
from ro_core.experiment.orders_csv import summarise_visitor_file
from ro_core.experiment.what_now import (
    capped_comparisons,
    chance_versus_significance,
    days_remaining,
    more_visitors_needed,
    reading_notes,
    segment_results,
)


def test_more_visitors_for_an_inconclusive_result() -> None:
    analysis = analyze_experiment(
        VariantData("A", 10_000, 300), [VariantData("B", 10_000, 330)], days=10
    )
    assert analysis.verdict.status == "inconclusive"
    (more,) = more_visitors_needed(analysis)
    # R: power.prop.test(p1 = 0.03, p2 = 0.033, power = 0.8) -> n = 53210.7
    assert more.needed_per_variant == 53_211
    assert more.more_per_variant == 43_211 and more.more_total == 86_422
    assert more.days_more == 44  # 86,422 / (20,000 visitors / 10 days), rounded up
    assert "43,211 more per arm" in more.sentence and "44 more days" in more.sentence
    (explicit,) = more_visitors_needed(analysis, daily_visitors=5000)
    assert explicit.days_more == 18
    level = analyze_experiment(VariantData("A", 1000, 30), [VariantData("B", 1000, 30)])
    assert more_visitors_needed(level)[0].needed_per_variant is None


def test_days_remaining() -> None:
    left = days_remaining(days_run=10, visitors_so_far=20_000, planned_visitors=50_000)
    assert left.days_remaining == 15  # 30,000 more at 2,000 a day
    assert "15 more days" in left.sentence
    assert days_remaining(days_run=10, visitors_so_far=20_000, planned_days=14).days_remaining == 4
    assert (
        days_remaining(
            days_run=10, visitors_so_far=60_000, planned_visitors=50_000, planned_days=14
        ).days_remaining
        == 4
    )  # never stops before the planned days
    done = days_remaining(days_run=21, visitors_so_far=60_000, planned_visitors=50_000)
    assert done.days_remaining == 0
    with pytest.raises(InvalidInputError):
        days_remaining(days_run=3, visitors_so_far=100)


def test_segments_with_bh_against_statsmodels() -> None:
    frame = pd.DataFrame(
        {
            "segment": ["mobile", "mobile", "desktop", "desktop", "tablet", "tablet"],
            "variant": ["A", "B"] * 3,
            "visitors": [8000, 8050, 5000, 4950, 900, 910],
            "conversions": [200, 250, 180, 175, 20, 31],
        }
    )
    result = segment_results(frame)
    raw = []
    for row in result.table.itertuples():
        part = frame[frame["segment"] == row.segment]
        _, p_value = proportions_ztest(part["conversions"].to_numpy(), part["visitors"].to_numpy())
        assert row.p_value == pytest.approx(p_value, rel=1e-9)
        raw.append(p_value)
    assert list(result.table["p_bh"]) == pytest.approx(
        list(multipletests(raw, method="fdr_bh")[1]), rel=1e-9
    )
    assert "3 segments" in result.warning and "not separate tests" in result.warning


def write_visitors(path: Path, rng: np.random.Generator, n: int = 4000) -> pd.DataFrame:
    variant = rng.choice(["control", "B"], n)
    device = rng.choice(["mobile", "desktop"], n, p=[0.6, 0.4])
    converted = rng.random(n) < 0.05
    revenue = np.where(converted, np.round(rng.lognormal(4, 1, n), 2), 0.0)
    revenue[:3] = [5000.0, 4000.0, 0.0]
    converted[:3] = [True, True, False]
    pre = np.round(np.where(rng.random(n) < 0.3, rng.gamma(1, 50, n), 0), 2)
    frame = pd.DataFrame(
        {
            "variant": variant,
            "device": device,
            "converted": converted.astype(int),
            "revenue": revenue,
            "pre": pre,
        }
    )
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(frame.columns)
        writer.writerows(frame.itertuples(index=False))
    return frame


def test_outlier_cap_from_the_file_with_both_figures(tmp_path: Path) -> None:
    frame = write_visitors(tmp_path / "v.csv", np.random.default_rng(5))
    summary = summarise_visitor_file(
        tmp_path / "v.csv",
        variant_column="variant",
        converted_column="converted",
        revenue_column="revenue",
        cap_percentile=0.99,
        segment_column="device",
        covariate_column="pre",
    )
    buyers = frame.loc[frame["revenue"] > 0, "revenue"]
    cap = np.percentile(buyers, 99)  # linear interpolation, as quantile_cont
    assert summary.cap_value == pytest.approx(cap)
    assert summary.capped_visitors == int((frame["revenue"] > cap).sum())
    (result,) = capped_comparisons(
        summary.summary,
        summary.capped,
        percentile=0.99,
        cap_value=summary.cap_value,
        capped_visitors=summary.capped_visitors,
    )
    capped = frame.assign(revenue=frame["revenue"].clip(upper=cap))
    for comparison, data in ((result.uncapped, frame), (result.capped, capped)):
        b = data.loc[data["variant"] == "B", "revenue"]
        a = data.loc[data["variant"] == "control", "revenue"]
        assert comparison.p_value == pytest.approx(
            stats.ttest_ind(b, a, equal_var=False).pvalue, rel=1e-6
        )
    assert "99th percentile" in result.sentence and f"{summary.cap_value:,.2f}" in result.sentence
    # segments and covariate sums are the csv's own
    segments = summary.segments
    mobile_b = segments[(segments["segment"] == "mobile") & (segments["variant"] == "B")].iloc[0]
    rows = frame[(frame["device"] == "mobile") & (frame["variant"] == "B")]
    assert mobile_b["visitors"] == len(rows) and mobile_b["conversions"] == rows["converted"].sum()
    covariate = summary.covariate.set_index("variant")
    rows = frame[frame["variant"] == "B"]
    assert covariate.loc["B", "sum_x_revenue"] == pytest.approx(
        (rows["pre"] * rows["revenue"]).sum()
    )
    assert covariate.loc["B", "sum_x2"] == pytest.approx((rows["pre"] ** 2).sum())
    assert list(covariate.index) == ["control", "B"]


def test_chance_to_beat_beside_no_clear_winner() -> None:
    analysis = analyze_experiment(VariantData("A", 5000, 150), [VariantData("B", 5000, 170)])
    comparison = analysis.variants[0].conversion
    assert not comparison.is_significant and 0.8 < comparison.chance_to_beat_control < 0.95
    sentence = chance_versus_significance(comparison, "B")
    assert sentence is not None and "both are true" in sentence
    assert f"{comparison.chance_to_beat_control:.0%}" in sentence and "97.5%" in sentence
    assert reading_notes(analysis) == (sentence,)
    winner = analyze_experiment(VariantData("A", 50_000, 1500), [VariantData("B", 50_000, 1800)])
    assert chance_versus_significance(winner.variants[0].conversion, "B") is None
