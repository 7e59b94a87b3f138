"""After a test: lifts with intervals, p-values, SRM, Bayesian chance to beat control, verdict.

The inputs are sufficient statistics per arm (visitors, conversions and, for revenue metrics,
the revenue sum and the sum of squared revenue), as in GrowthBook's gbstats: SQL produces them,
this package only does arithmetic. Degenerate but valid data (say no conversions at all) comes
back as a result whose numbers are None and whose `message` says why; unusable input raises
InvalidInputError.

Methods
- Conversion rate: two-proportion z test with the pooled rate (identical to a 2x2 chi-square
  test without continuity correction); absolute lift with an unpooled Wald interval; relative
  lift p2/p1 - 1 with a delta-method interval, Var = v2/p1^2 + p2^2 v1/p1^4 (vi = pi(1-pi)/ni).
- Revenue per visitor (every visitor, zeros included) and average order value (per order):
  Welch's t test with Welch-Satterthwaite degrees of freedom; relative interval by the delta
  method with the same t quantile.
- Sample ratio mismatch: chi-square goodness of fit of visitors against the planned split,
  flagged below p = 0.001.
- Bayesian, conversion rate: Beta(1, 1) prior, Beta(1 + c, 1 + n - c) posteriors. P(B > A) is
  Evan Miller's exact closed-form sum (summed over the shortest of four equivalent series);
  the expected loss of shipping B, E[max(pA - pB, 0)], uses Chris Stucchio's identity
  E[A] P(A+ > B) - E[B] P(A > B+) with A+ ~ Beta(aA + 1, bA). Past EXACT_SUM_LIMIT terms the
  same integrals are done with scipy.integrate.quad. No simulation is involved.
- Bayesian, revenue: normal approximation with a flat prior, D = B - A ~ N(d, se^2):
  P(B > A) = Phi(d / se), expected loss = se phi(d / se) - d Phi(-d / se).
- Multiple variants: Holm (used by the verdict) and Benjamini-Hochberg adjusted p-values.
- Optional always-valid interval: the normal-mixture confidence sequence of Howard, Ramdas,
  McAuliffe and Sekhon (2021), in the asymptotic form of Waudby-Smith et al. (2023) that Eppo
  uses: estimate +/- se * sqrt((n rho^2 + 1) / (n rho^2) * log((n rho^2 + 1) / alpha^2)),
  where n is the visitors in the comparison and the tuning parameter
  rho^2 = (-2 log alpha + log(-2 log alpha + 1)) / n_planned makes the sequence narrowest at the
  planned sample size. It stays valid however often the results are looked at.

Modules: ``types`` (inputs, results, summary columns), ``frequentist`` (z and Welch tests),
``bayesian`` (chance to beat control, expected loss), ``corrections`` (Holm,
Benjamini-Hochberg), ``srm`` (sample ratio check), ``sequential`` (confidence sequences),
``verdict`` (guardrails and the headline) and ``analyze`` (the entry points). Their public names
are re-exported here. Tuning constants (EXACT_SUM_LIMIT, GUARDRAIL_POWER) are read from their own
modules: patch them there.
"""

from __future__ import annotations

from ro_core.experiment.analysis.analyze import (
    analyze_experiment,
    analyze_summary_frame,
    variants_from_frame,
)
from ro_core.experiment.analysis.bayesian import (
    EXACT_SUM_LIMIT,
    beta_chance_and_loss,
    beta_probability_greater,
    normal_chance_and_loss,
)
from ro_core.experiment.analysis.corrections import benjamini_hochberg_adjusted, holm_adjusted
from ro_core.experiment.analysis.frequentist import (
    compare_average_order_value,
    compare_conversion,
    compare_revenue_per_visitor,
    welch_comparison,
)
from ro_core.experiment.analysis.sequential import confidence_sequence_multiplier
from ro_core.experiment.analysis.srm import sample_ratio_check
from ro_core.experiment.analysis.types import (
    CONVERSIONS_COLUMN,
    METRIC_LABELS,
    REVENUE_SUM_COLUMN,
    REVENUE_SUM_SQUARES_COLUMN,
    SRM_P_VALUE_THRESHOLD,
    SUMMARY_COLUMNS,
    VARIANT_COLUMN,
    VISITORS_COLUMN,
    ExperimentAnalysis,
    MetricComparison,
    MetricName,
    SampleRatioCheck,
    Status,
    VariantData,
    VariantResult,
    Verdict,
)
from ro_core.experiment.analysis.verdict import GUARDRAIL_POWER, MIN_CONVERSIONS_PER_ARM

__all__ = [
    "CONVERSIONS_COLUMN",
    "EXACT_SUM_LIMIT",
    "ExperimentAnalysis",
    "GUARDRAIL_POWER",
    "METRIC_LABELS",
    "MIN_CONVERSIONS_PER_ARM",
    "MetricComparison",
    "MetricName",
    "REVENUE_SUM_COLUMN",
    "REVENUE_SUM_SQUARES_COLUMN",
    "SRM_P_VALUE_THRESHOLD",
    "SUMMARY_COLUMNS",
    "SampleRatioCheck",
    "Status",
    "VARIANT_COLUMN",
    "VISITORS_COLUMN",
    "VariantData",
    "VariantResult",
    "Verdict",
    "analyze_experiment",
    "analyze_summary_frame",
    "benjamini_hochberg_adjusted",
    "beta_chance_and_loss",
    "beta_probability_greater",
    "compare_average_order_value",
    "compare_conversion",
    "compare_revenue_per_visitor",
    "confidence_sequence_multiplier",
    "holm_adjusted",
    "normal_chance_and_loss",
    "sample_ratio_check",
    "variants_from_frame",
    "welch_comparison",
]
