"""`ro sample-size` and `ro analyze` through a standalone parser."""

from __future__ import annotations

import argparse
import json
import math

import pytest

from ro_core.cli import build_parser
from ro_core.cli.experiment import add_experiment_commands
from ro_core.errors import InvalidInputError


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = build_parser().parse_args(argv)
    code = args.handler(args)
    return code, capsys.readouterr().out


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    code, out = run(argv, capsys)
    assert code == 0
    return json.loads(out, parse_constant=lambda name: pytest.fail(f"non-finite {name}"))


def finite_or_null(data: object) -> bool:
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(finite_or_null(v) for v in data.values())
    if isinstance(data, list):
        return all(finite_or_null(v) for v in data)
    return True


def test_sample_size_json_matches_r(capsys) -> None:
    data = run_json(
        ["sample-size", "--baseline", "0.5", "--mde", "0.25", "--absolute", "--power", "0.9"]
        + ["--json"],
        capsys,
    )
    assert data["per_variant"] == 77  # R power.prop.test: n = 76.7069
    assert data["per_variant_exact"] == pytest.approx(76.7069, rel=5e-5)
    assert data["total"] == 154
    assert data["inputs"]["baseline"] == 0.5 and data["inputs"]["mde_is_absolute"] is True
    figures = {a["name"]: a["per_variant_exact"] for a in data["alternatives"]}
    assert figures["Cohen's h (G*Power, statsmodels)"] == pytest.approx(76.65294, rel=1e-6)
    assert figures["Evan Miller"] == pytest.approx(79.8214, rel=5e-5)
    assert data["explanation"] and data["duration"] is None
    assert finite_or_null(data)


def test_json_flag_works_before_and_after_the_subcommand(capsys) -> None:
    argv = ["sample-size", "--baseline", "3%", "--mde", "0.1"]
    before = run_json(["--json", *argv], capsys)
    after = run_json([*argv, "--json"], capsys)
    assert before == after
    assert before["per_variant"] == 53_211 and before["baseline_value"] == pytest.approx(0.03)


def test_sample_size_human_text(capsys) -> None:
    code, out = run(["sample-size", "--baseline", "0.03", "--mde", "0.1"], capsys)
    assert code == 0
    assert "Visitors per variant: 53,211" in out
    assert "Evan Miller" in out and "Cohen's h" in out


def test_sample_size_variants_one_sided_and_duration(capsys) -> None:
    data = run_json(
        [
            "--json",
            "sample-size",
            "--baseline",
            "0.04",
            "--mde",
            "0.15",
            "--variants",
            "2",
            "--correction",
            "sidak",
            "--one-sided",
            "--split",
            "50,25,25",
            "--daily-sessions",
            "4000",
            "--traffic-share",
            "0.5",
        ],
        capsys,
    )
    assert data["variants"] == 2 and data["two_sided"] is False
    assert data["alpha_per_comparison"] == pytest.approx(1 - 0.95**0.5)
    assert data["control"] == pytest.approx(2 * data["per_variant"], abs=2)
    assert data["total"] == data["control"] + 2 * data["per_variant"]
    duration = data["duration"]
    assert duration["days"] == max(7, math.ceil(data["total"] / 2000))
    assert duration["weeks"] == math.ceil(duration["days"] / 7)


def test_sample_size_for_revenue_metrics(capsys) -> None:
    rpv = run_json(
        ["--json", "sample-size", "--metric", "rpv", "--mean", "2.5", "--sd", "20", "--mde", "0.1"],
        capsys,
    )
    assert rpv["unit"] == "visitors" and rpv["per_variant"] > 0
    assert rpv["alternatives"][0]["name"].startswith("Two-sample t test")
    aov = run_json(
        ["--json", "sample-size", "--metric", "aov", "--mean", "80", "--sd", "60", "--mde"]
        + ["0.05", "--baseline", "0.03", "--daily-sessions", "3000"],
        capsys,
    )
    assert aov["unit"] == "orders"
    assert aov["visitors_per_variant"] == pytest.approx(aov["per_variant"] / 0.03, rel=1e-3)
    assert aov["duration"]["weeks"] > 8 and "weeks" in aov["duration"]["warning"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sample-size", "--baseline", "abc", "--mde", "0.1"], "must be a number"),
        (["sample-size", "--baseline", "0", "--mde", "0.1"], "between 0 and 1"),
        (["sample-size", "--baseline", "0.03", "--mde", "0"], "not be zero"),
        (["sample-size", "--baseline", "0.6", "--mde", "0.8"], "outside 0-100%"),
        (["sample-size", "--baseline", "0.03", "--mde", "0.1", "--alpha", "1"], "alpha"),
        (["sample-size", "--baseline", "0.03", "--mde", "0.1", "--power", "-1"], "Power"),
        (["sample-size", "--mde", "0.1"], "--baseline"),
        (["sample-size", "--metric", "rpv", "--mean", "3", "--mde", "0.1"], "--sd"),
        (
            ["sample-size", "--baseline", "0.03", "--mde", "0.1", "--split", "50,30,20"],
            "3 parts",
        ),
        (["analyze", "--control", "100:120", "--variant", "100:10"], "cannot exceed"),
        (["analyze", "--control", "0:0", "--variant", "100:10"], "no visitors"),
        (["analyze", "--control", "100", "--variant", "100:10"], "VISITORS:CONVERSIONS"),
        (["analyze", "--control", "100:x", "--variant", "100:10"], "must be a number"),
        (["analyze", "--control", "100:5", "--variant", "100:10", "--split", "1,2,3"], "3 parts"),
    ],
)
def test_bad_input_raises_invalid_input_error(argv, message, capsys) -> None:
    args = build_parser().parse_args(argv)
    with pytest.raises(InvalidInputError, match=message):
        args.handler(args)
    assert capsys.readouterr().out == ""


def test_analyze_json(capsys) -> None:
    data = run_json(
        ["analyze", "--control", "10000:300", "--variant", "10000:360"]
        + ["--variant", "C=10000:280", "--split", "1,1,1", "--json"],
        capsys,
    )
    assert [v["name"] for v in data["variants"]] == ["B", "C"]
    b = data["variants"][0]
    for key in (
        "p_value",
        "relative_lift",
        "ci_low",
        "ci_high",
        "chance_to_beat_control",
        "expected_loss",
        "p_value_holm",
        "p_value_bh",
    ):
        assert isinstance(b[key], float)
    assert b["relative_lift"] == pytest.approx(0.2)
    assert b["ci_low"] < 0.2 < b["ci_high"]
    assert b["p_value_holm"] == pytest.approx(2 * b["p_value"])
    assert data["srm_p_value"] == pytest.approx(1.0)
    assert data["verdict"]["status"] == "winner"
    assert finite_or_null(data)


def test_analyze_with_revenue_degenerate_and_text(capsys) -> None:
    data = run_json(
        ["--json", "analyze", "--control", "500:0:0:0", "--variant", "500:0:0:0", "--days", "3"],
        capsys,
    )
    variant = data["variants"][0]
    assert variant["p_value"] is None and variant["message"]
    assert data["verdict"]["status"] == "inconclusive"
    assert finite_or_null(data)
    code, out = run(
        ["analyze", "--control", "20000:600:48000:4800000", "--variant"]
        + ["20000:700:55000:5500000", "--sequential"],
        capsys,
    )
    assert code == 0
    assert "revenue per visitor" in out and "average order value" in out
    assert "always-valid interval" in out and "Verdict (" in out


def test_commands_attach_to_an_existing_parser() -> None:
    parser = argparse.ArgumentParser(prog="ro")
    parser.add_argument("--json", action="store_true")
    subparsers = parser.add_subparsers(dest="command")
    subparsers.add_parser("ingest")
    add_experiment_commands(subparsers)
    args = parser.parse_args(["sample-size", "--baseline", "0.1", "--mde", "0.2"])
    assert args.json is False and callable(args.handler)
    args = parser.parse_args(["analyze", "--control", "1:0", "--variant", "1:1", "--json"])
    assert args.json is True and args.handler.__name__ == "run_analyze"
