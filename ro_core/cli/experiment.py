"""`ro sample-size` and `ro analyze`: the experiment planner and analyzer on the command line.

The main CLI calls `add_experiment_commands(subparsers)`, then `args.handler(args)`. Handlers
print human text, or JSON with `--json` (accepted before or after the subcommand), and return
an exit code. Bad input raises InvalidInputError, which the main CLI prints (exit status 2).
"""

from __future__ import annotations

import argparse
from typing import Any

from ro_core.cli.json_out import print_json
from ro_core.errors import InvalidInputError
from ro_core.experiment import (
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentAnalysis,
    ExperimentDesign,
    SampleSize,
    VariantData,
    analyze_experiment,
    control_share_from_split,
    duration_for,
    sample_size,
)
from ro_core.experiment.cuped import (
    cuped_visitors,
)
from ro_core.experiment.planning import as_number

ARM_FORMAT = "[NAME=]VISITORS:CONVERSIONS[:REVENUE_SUM:REVENUE_SUM_SQUARES]"


def _add_json_flag(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS leaves the main parser's --json value alone when the flag is not repeated here.
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON to stdout"
    )


def add_experiment_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `sample-size` and `analyze` on an existing subparsers action."""
    size = subparsers.add_parser(
        "sample-size",
        help="visitors and weeks an A/B test needs",
        description=(
            "Visitors per variant to detect a minimum detectable effect (MDE). Conversion rate by "
            "default; --metric rpv or aov with --mean and --sd for revenue metrics."
        ),
    )
    size.add_argument("--metric", choices=("cr", "rpv", "aov"), default="cr")
    size.add_argument(
        "--baseline",
        metavar="RATE",
        help="baseline conversion rate, e.g. 0.03 or 3%% (for aov: turns orders into visitors)",
    )
    size.add_argument("--mean", help="baseline mean of the revenue metric (rpv, aov)")
    size.add_argument("--sd", help="standard deviation per visitor (rpv) or per order (aov)")
    size.add_argument(
        "--mde", required=True, help="minimum detectable effect: relative (0.1 = +10%%) by default"
    )
    size.add_argument(
        "--absolute", action="store_true", help="the MDE is absolute (rate points or currency)"
    )
    size.add_argument("--alpha", default="0.05", help="significance level (default 0.05)")
    size.add_argument("--power", default="0.8", help="power (default 0.8)")
    size.add_argument("--variants", default="1", help="variants besides control (default 1)")
    size.add_argument(
        "--correction",
        choices=("bonferroni", "sidak", "none"),
        default="bonferroni",
        help="alpha correction across several variants (default bonferroni)",
    )
    size.add_argument("--one-sided", action="store_true", help="one-sided test")
    size.add_argument(
        "--split", help="traffic weights, control first, e.g. 50,50 or 40,30,30 (default even)"
    )
    size.add_argument("--daily-sessions", help="sessions per day, to estimate the duration")
    size.add_argument(
        "--traffic-share", default="1", help="share of sessions that enter the test (default 1)"
    )
    size.add_argument(
        "--factors",
        metavar="SPEC",
        help="multivariate test: 'headline: A,B; button: 3' (plans main effects and interactions)",
    )
    size.add_argument(
        "--interaction-mde", help="multivariate: smallest interaction worth detecting (relative)"
    )
    size.add_argument(
        "--cuped-rho",
        metavar="RHO",
        help="correlation of the metric with a pre-experiment covariate: adds the CUPED figure",
    )
    _add_json_flag(size)
    size.set_defaults(handler=run_sample_size)

    analyze = subparsers.add_parser(
        "analyze",
        help="read the results of an A/B test",
        description=(
            f"Compare each variant with control. Arms are {ARM_FORMAT}; revenue sums add revenue "
            "per visitor and average order value."
        ),
    )
    analyze.add_argument("--control", metavar="VISITORS:CONVERSIONS")
    analyze.add_argument("--variant", action="append", metavar="VISITORS:CONVERSIONS")
    visitors = analyze.add_argument_group(
        "visitor-level file",
        "Instead of counts: a CSV with one row per visitor (or per order with --visitor-column).",
    )
    visitors.add_argument("--visitors", metavar="FILE", help="the visitor-level CSV")
    visitors.add_argument(
        "--variant-column", help="column naming the variant (guessed if left out)"
    )
    visitors.add_argument(
        "--factors", metavar="COL,COL", help="multivariate test: the factor columns"
    )
    visitors.add_argument("--converted-column", help="1/0 converted flag (guessed if left out)")
    visitors.add_argument("--revenue-column", help="revenue per visitor (guessed if left out)")
    visitors.add_argument("--visitor-column", help="visitor id, when a visitor has several rows")
    visitors.add_argument(
        "--covariate", metavar="COL", help="pre-experiment value per visitor, for CUPED"
    )
    visitors.add_argument(
        "--segment-column",
        metavar="COL",
        help="device, new vs returning, channel...: per-segment results with Benjamini-Hochberg",
    )
    visitors.add_argument(
        "--cap", metavar="PERCENTILE", help="also show RPV with revenue capped, e.g. 0.99"
    )
    visitors.add_argument(
        "--metric",
        choices=("cr", "rpv"),
        help="metric of the multivariate model, CUPED and segments (default: the primary metric)",
    )
    analyze.add_argument("--power", default="0.8", help="power for 'more visitors' (0.8)")
    analyze.add_argument("--daily-visitors", help="visitors a day in the test (all arms)")
    analyze.add_argument("--planned-days", help="planned days, for the days remaining")
    analyze.add_argument("--split", help="planned traffic weights, control first (default even)")
    analyze.add_argument("--alpha", default="0.05", help="significance level (default 0.05)")
    analyze.add_argument("--days", help="days the test has run")
    analyze.add_argument(
        "--primary", choices=("cr", "rpv"), help="metric for the verdict (default rpv if revenue)"
    )
    analyze.add_argument(
        "--sequential", action="store_true", help="add always-valid confidence sequences"
    )
    analyze.add_argument(
        "--planned-visitors", help="planned total visitors, tunes the sequential interval"
    )
    analyze.add_argument(
        "--min-conversions", default="100", help="conversions per arm before calling a result"
    )
    _add_json_flag(analyze)
    analyze.set_defaults(handler=run_analyze)


# --- helpers -----------------------------------------------------------------------------------


def _wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def _split_weights(text: str | None) -> list[float] | None:
    if text is None:
        return None
    parts = [part for part in text.replace(":", ",").split(",") if part.strip()]
    if not parts:
        raise InvalidInputError(f"--split must look like 50,50, got {text!r}.")
    return [as_number(part, "Each --split weight") for part in parts]


def _percent(value: float | None, *, signed: bool = False, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:{'+' if signed else ''}.{digits}f}%"


def _metric_value(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return _percent(value, digits=2) if metric == "cr" else f"{value:,.2f}"


# --- sample-size -------------------------------------------------------------------------------


def _design_from_args(args: argparse.Namespace) -> ExperimentDesign:
    variants = args.variants
    design = ExperimentDesign(
        alpha=args.alpha,
        power=args.power,
        two_sided=not args.one_sided,
        variants=variants,
        correction=args.correction,
    )
    weights = _split_weights(args.split)
    if weights is None:
        return design
    return ExperimentDesign(
        alpha=design.alpha,
        power=design.power,
        two_sided=design.two_sided,
        variants=design.variants,
        correction=design.correction,
        control_share=control_share_from_split(weights, design.variants),
    )


def _baseline_from_args(args: argparse.Namespace) -> ConversionBaseline | ContinuousBaseline:
    if args.metric == "cr":
        if args.baseline is None:
            raise InvalidInputError("Give the baseline conversion rate with --baseline, e.g. 0.03.")
        if args.mean is not None or args.sd is not None:
            raise InvalidInputError("--mean and --sd are for --metric rpv or aov.")
        return ConversionBaseline(args.baseline)
    if args.mean is None or args.sd is None:
        raise InvalidInputError(
            f"--metric {args.metric} needs the baseline --mean and its standard deviation --sd."
        )
    if args.metric == "rpv" and args.baseline is not None:
        raise InvalidInputError("--baseline is a conversion rate: leave it out for --metric rpv.")
    return ContinuousBaseline(args.mean, args.sd, args.metric, args.baseline)


def sample_size_report(args: argparse.Namespace) -> tuple[SampleSize, dict[str, Any]]:
    """The plan for the parsed arguments and its JSON-ready dictionary."""
    design = _design_from_args(args)
    baseline = _baseline_from_args(args)
    size = sample_size(baseline, args.mde, relative=not args.absolute, design=design)
    data = size.to_dict()
    data["inputs"] = {
        "metric": args.metric,
        "baseline": None if args.baseline is None else as_number(args.baseline, "Baseline"),
        "mean": None if args.mean is None else as_number(args.mean, "Mean"),
        "sd": None if args.sd is None else as_number(args.sd, "Standard deviation"),
        "mde": as_number(args.mde, "Minimum detectable effect"),
        "mde_is_absolute": bool(args.absolute),
        "alpha": design.alpha,
        "power": design.power,
        "two_sided": design.two_sided,
        "variants": design.variants,
        "correction": design.correction,
        "split": _split_weights(args.split),
        "daily_sessions": None,
        "traffic_share": None,
    }
    data["duration"] = None
    if args.daily_sessions is not None:
        duration = duration_for(
            size, daily_sessions=args.daily_sessions, traffic_share=args.traffic_share
        )
        data["inputs"]["daily_sessions"] = as_number(args.daily_sessions, "Daily sessions")
        data["inputs"]["traffic_share"] = as_number(args.traffic_share, "Traffic share")
        data["duration"] = duration.to_dict()
    return size, data


def _sample_size_text(size: SampleSize, data: dict[str, Any]) -> str:
    design = size.design
    metric = size.metric
    names = {"cr": "Conversion rate", "rpv": "Revenue per visitor", "aov": "Average order value"}
    lines = [
        f"{names[metric]} test: baseline {_metric_value(metric, size.baseline_value)}, "
        f"MDE {_percent(size.relative_mde, signed=True)} relative "
        f"({_metric_value(metric, size.baseline_value)} -> "
        f"{_metric_value(metric, size.target_value)})",
        f"{'Two' if design.two_sided else 'One'}-sided, alpha {design.alpha:g}"
        + (
            f" ({design.comparison_alpha:.4g} per comparison, {design.correction})"
            if design.variants > 1
            else ""
        )
        + f", power {design.power:.0%}, control + {design.variants} variant(s)",
        f"{size.unit.capitalize()} per variant: {size.per_variant:,}   control: {size.control:,}   "
        f"total: {size.total:,}",
    ]
    if size.unit != "visitors" and size.visitors_total is not None:
        lines.append(
            f"Visitors per variant: {size.visitors_per_variant:,}   total: {size.visitors_total:,}"
        )
    lines.append("Other calculators for the same inputs:")
    for figure in size.calculators:
        marker = " (default)" if figure.is_default else ""
        lines.append(
            f"  {figure.name}{marker}: {figure.per_variant:,} ({figure.per_variant_exact:,.2f})"
        )
    lines.append(f"  {size.explanation}")
    duration = data.get("duration")
    if duration:
        lines.append(
            f"Duration: {duration['days']} days at {duration['daily_visitors_in_test']:,.0f} "
            f"visitors a day in the test; run {duration['weeks']} full week(s) "
            f"({duration['recommended_days']} days)."
        )
        if duration["warning"]:
            lines.append(f"Warning: {duration['warning']}")
    return "\n".join(lines)


def run_sample_size(args: argparse.Namespace) -> int:
    """Handler of `ro sample-size`."""
    if args.factors:
        from ro_core.cli.experiment_file import factorial_plan_report, factorial_plan_text

        plan = factorial_plan_report(args)
        if _wants_json(args):
            print_json(plan.to_dict())
        else:
            print(factorial_plan_text(plan))
        return 0
    size, data = sample_size_report(args)
    if args.cuped_rho is not None:
        rho = as_number(args.cuped_rho, "--cuped-rho")
        per_variant = cuped_visitors(size.per_variant, rho)
        data["cuped"] = {
            "rho": rho,
            "variance_reduction": rho**2,
            "per_variant": per_variant,
            "total": cuped_visitors(size.total, rho),
            "note": "an estimate: the reduction is rho squared of the covariate you adjust with",
        }
    if _wants_json(args):
        print_json(data)
    else:
        print(_sample_size_text(size, data))
    return 0


# --- analyze -----------------------------------------------------------------------------------


def parse_arm(text: str, default_name: str) -> VariantData:
    """Parse `[NAME=]VISITORS:CONVERSIONS[:REVENUE_SUM:REVENUE_SUM_SQUARES]`."""
    raw = str(text).strip()
    name = default_name
    if "=" in raw:
        name, raw = (part.strip() for part in raw.split("=", 1))
    parts = [part.strip() for part in raw.split(":")]
    if len(parts) not in (2, 4) or not all(parts):
        raise InvalidInputError(
            f"Arm {text!r} must look like VISITORS:CONVERSIONS (e.g. 10000:300), optionally "
            "NAME= in front and :REVENUE_SUM:REVENUE_SUM_SQUARES after."
        )
    revenue = squares = None
    if len(parts) == 4:
        revenue, squares = parts[2], parts[3]
    return VariantData(name, parts[0], parts[1], revenue, squares)


def analysis_from_args(args: argparse.Namespace) -> ExperimentAnalysis:
    """Run the analysis the parsed `analyze` arguments describe (counts typed as arms)."""
    if args.control is None or not args.variant:
        raise InvalidInputError(
            "Give --control and --variant counts, or a visitor-level file with --visitors."
        )
    control = parse_arm(args.control, "A")
    names = [chr(ord("B") + i) if i < 25 else f"V{i + 1}" for i in range(len(args.variant))]
    variants = [parse_arm(text, name) for text, name in zip(args.variant, names, strict=True)]
    return analyze_experiment(
        control,
        variants,
        alpha=args.alpha,
        planned_split=_split_weights(args.split),
        days=args.days,
        primary_metric=args.primary,
        sequential=args.sequential,
        planned_visitors=args.planned_visitors,
        min_conversions=args.min_conversions,
    )


def _analysis_text(analysis: ExperimentAnalysis) -> str:
    control = analysis.control
    srm = analysis.srm
    planned = " / ".join(_percent(s) for s in srm.expected_shares)
    lines = [
        f"Control {control.name}: {control.visitors:,} visitors, {control.conversions:,} "
        f"conversions ({_percent(control.conversion_rate, digits=2)})",
        f"Sample ratio check: p = {srm.p_value:.4g} against a planned {planned}"
        + (" -- MISMATCH" if srm.mismatch else " -- OK"),
    ]
    for result in analysis.variants:
        lines.append(
            f"Variant {result.name}: {result.visitors:,} visitors, {result.conversions:,} "
            "conversions"
        )
        for comparison in (
            result.conversion,
            result.revenue_per_visitor,
            result.average_order_value,
        ):
            if comparison is None:
                continue
            metric = comparison.metric
            low = _percent(comparison.relative_ci_low, signed=True)
            high = _percent(comparison.relative_ci_high, signed=True)
            lines.append(
                f"  {comparison.label}: {_metric_value(metric, comparison.control_value)} -> "
                f"{_metric_value(metric, comparison.variant_value)}, lift "
                f"{_percent(comparison.relative_lift, signed=True)} "
                f"({1 - comparison.alpha:.0%} CI {low} to {high})"
            )
            p_values = ", ".join(
                f"{label} {value:.4g}"
                for label, value in (
                    ("p", comparison.p_value),
                    ("Holm", comparison.p_value_holm),
                    ("BH", comparison.p_value_bh),
                )
                if value is not None
            )
            loss = comparison.expected_loss
            lines.append(
                f"    {p_values or 'no p-value'}; chance to beat control "
                f"{_percent(comparison.chance_to_beat_control)}, expected loss "
                f"{'n/a' if loss is None else format(loss, '.4g')}"
            )
            if comparison.sequential_ci_low is not None:
                low = _percent(comparison.sequential_ci_low, signed=True)
                high = _percent(comparison.sequential_ci_high, signed=True)
                lines.append(f"    always-valid interval {low} to {high}")
            if comparison.message:
                lines.append(f"    note: {comparison.message}")
    verdict = analysis.verdict
    lines.append(f"Verdict ({verdict.status}): {verdict.headline}")
    lines.extend(f"  - {warning}" for warning in verdict.warnings)
    return "\n".join(lines)


def run_analyze(args: argparse.Namespace) -> int:
    """Handler of `ro analyze`."""
    if args.visitors is not None:
        if args.control is not None or args.variant:
            raise InvalidInputError("Give either --visitors FILE or --control/--variant counts.")
        from ro_core.cli.experiment_file import file_report

        data, text = file_report(args)
        if _wants_json(args):
            print_json(data)
        else:
            print(text)
        return 0
    analysis = analysis_from_args(args)
    if _wants_json(args):
        print_json(analysis.to_dict())
    else:
        print(_analysis_text(analysis))
    return 0
