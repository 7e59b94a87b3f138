"""`ro analyze --visitors FILE` (multivariate, CUPED, segments, cap) and `ro sample-size
--factors / --cuped-rho`, checked against statsmodels on the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import special
from statsmodels.stats.multitest import multipletests

from ro_core.cli import build_parser
from ro_core.errors import ImportFileError, InvalidInputError


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    args = build_parser().parse_args([*argv, "--json"])
    assert args.handler(args) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def visitor_file(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(8)
    n = 8000
    headline = rng.choice(["A", "B"], n)
    button = rng.choice(["green", "blue", "red"], n)
    eta = -2.8 + 0.3 * (headline == "B") - 0.2 * (button == "red")
    converted = (rng.random(n) < special.expit(eta)).astype(int)
    pre = np.round(rng.gamma(0.6, 40.0, n), 2)
    revenue = np.where(converted == 1, np.round(rng.gamma(2, 25, n) + 0.8 * pre, 2), 0.0)
    frame = pd.DataFrame(
        {
            "visitor_id": np.arange(n),
            "headline": headline,
            "button": button,
            "variant": rng.choice(["control", "B"], n),
            "device": rng.choice(["mobile", "desktop", "tablet"], n),
            "converted": converted,
            "revenue": revenue,
            "pre_revenue": pre,
        }
    )
    path = tmp_path / "visitors.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_factors_json_effects_match_statsmodels(visitor_file, capsys) -> None:
    path, frame = visitor_file
    data = run_json(
        ["analyze", "--visitors", str(path), "--factors", "headline,button", "--metric", "cr"],
        capsys,
    )
    effects = {(e["term"], e["levels"]): e for e in data["effects"]}
    assert {e["term"] for e in data["effects"]} == {"headline", "button", "headline:button"}
    for effect in data["effects"]:
        assert set(effect) >= {"term", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted"}
    # levels: headline A, B; button in order of first appearance in the file
    levels = [f["levels"] for f in data["factors"]]
    reference = levels[1][0]
    model = smf.logit(
        f"converted ~ C(headline, Treatment('A')) * C(button, Treatment('{reference}'))",
        data=frame,
    ).fit(disp=0)
    other = levels[1][1]
    name = f"C(headline, Treatment('A'))[T.B]:C(button, Treatment('{reference}'))[T.{other}]"
    interaction = effects[("headline:button", f"B x {other}")]
    assert interaction["estimate"] == pytest.approx(model.params[name], rel=1e-6)
    low, high = model.conf_int().loc[name]
    assert (interaction["ci_low"], interaction["ci_high"]) == pytest.approx((low, high), rel=1e-5)
    assert interaction["p_value"] == pytest.approx(model.pvalues[name], rel=1e-4)
    holm = multipletests([e["p_value"] for e in data["effects"]], method="holm")[1]
    assert [e["p_adjusted"] for e in data["effects"]] == pytest.approx(list(holm))
    sum_model = smf.logit("converted ~ C(headline, Sum) * C(button, Sum)", data=frame).fit(disp=0)
    assert effects[("headline", "B vs A")]["estimate"] == pytest.approx(
        -2 * sum_model.params["C(headline, Sum)[S.A]"], rel=1e-6
    )
    cells = {c["combination"]: c for c in data["combinations"]}
    assert len(cells) == 6
    rows = frame[(frame["headline"] == "B") & (frame["button"] == "red")]
    assert cells["headline B / button red"]["visitors"] == len(rows)
    assert data["best_combination"] in cells and data["statement"]


def test_factors_rpv_uses_robust_ols(visitor_file, capsys) -> None:
    path, frame = visitor_file
    data = run_json(
        ["analyze", "--visitors", str(path), "--factors", "headline,button", "--metric", "rpv"],
        capsys,
    )
    model = smf.ols("revenue ~ C(headline, Sum) * C(button, Sum)", data=frame).fit(cov_type="HC3")
    effect = next(e for e in data["effects"] if e["term"] == "headline")
    assert effect["estimate"] == pytest.approx(-2 * model.params["C(headline, Sum)[S.A]"])
    assert effect["p_value"] == pytest.approx(model.pvalues["C(headline, Sum)[S.A]"], rel=1e-5)


def test_covariate_json_gives_unadjusted_and_cuped(visitor_file, capsys) -> None:
    path, frame = visitor_file
    data = run_json(
        [
            "analyze",
            "--visitors",
            str(path),
            "--variant-column",
            "variant",
            "--covariate",
            "pre_revenue",
            "--metric",
            "rpv",
        ],
        capsys,
    )
    for part in ("unadjusted", "cuped"):
        assert set(data[part]) >= {"lift", "ci_low", "ci_high"}
    frame = frame.assign(t=(frame["variant"] == "B").astype(int))
    ancova = smf.ols("revenue ~ t + pre_revenue", data=frame).fit(cov_type="HC1")
    assert data["cuped"]["absolute_lift"] == pytest.approx(ancova.params["t"], rel=1e-8)
    control = frame.loc[frame["t"] == 0, "revenue"].mean()
    treated = frame.loc[frame["t"] == 1, "revenue"].mean()
    assert data["unadjusted"]["lift"] == pytest.approx(treated / control - 1)
    rho = np.corrcoef(frame["pre_revenue"], frame["revenue"])[0, 1]
    assert data["variance_reduction"] == pytest.approx(rho**2, abs=0.03)
    assert data["cuped"]["absolute_ci_high"] - data["cuped"]["absolute_ci_low"] < (
        data["unadjusted"]["absolute_ci_high"] - data["unadjusted"]["absolute_ci_low"]
    )


def test_segments_cap_and_what_now_in_json(visitor_file, capsys) -> None:
    path, _ = visitor_file
    data = run_json(
        [
            "analyze",
            "--visitors",
            str(path),
            "--segment-column",
            "device",
            "--cap",
            "0.99",
            "--days",
            "10",
            "--planned-days",
            "21",
        ],
        capsys,
    )
    assert {row["segment"] for row in data["segments"]["rows"]} == {"mobile", "desktop", "tablet"}
    assert "not separate tests" in data["segments"]["warning"]
    assert data["capped"][0]["percentile"] == 0.99 and data["capped"][0]["cap_value"] > 0
    assert data["days_remaining"]["days_remaining"] == 11
    assert data["more_visitors"][0]["variant"] == "B"


def test_file_errors_are_our_own(visitor_file, tmp_path) -> None:
    path, _ = visitor_file
    args = build_parser().parse_args(["analyze", "--visitors", str(path), "--factors", "nope"])
    with pytest.raises(ImportFileError, match="no column 'nope'"):
        args.handler(args)
    args = build_parser().parse_args(["analyze"])
    with pytest.raises(InvalidInputError, match="--visitors"):
        args.handler(args)


def test_sample_size_factors_and_cuped_rho(capsys) -> None:
    data = run_json(
        [
            "sample-size",
            "--factors",
            "headline: A,B; button: 3",
            "--baseline",
            "0.03",
            "--mde",
            "0.1",
            "--interaction-mde",
            "0.2",
            "--daily-sessions",
            "4000",
        ],
        capsys,
    )
    assert data["combinations"] == 6 and data["duration"]["weeks"] >= 1
    assert data["visitors_total"] == max(n["visitors"] for n in data["needs"])
    plain = run_json(
        [
            "sample-size",
            "--metric",
            "rpv",
            "--mean",
            "2",
            "--sd",
            "15",
            "--mde",
            "0.1",
            "--cuped-rho",
            "0.5",
        ],
        capsys,
    )
    assert plain["cuped"]["per_variant"] == int(np.ceil(plain["per_variant"] * 0.75))
