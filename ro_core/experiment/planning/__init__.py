"""Before a test: sample size, minimum detectable effect (MDE), power and duration.

Numbers in, numbers out: nothing here reads the database (see `baseline.py` for turning store
totals into baselines).

Conventions
- "Per variant" counts the units in *each* treatment arm: visitors for conversion rate (CR) and
  revenue per visitor (RPV), orders for average order value (AOV). The control arm gets
  ``per_variant * design.allocation_ratio`` units (1 for an even split).
- With several variants each one is compared with control at ``design.comparison_alpha``
  (Bonferroni ``alpha / k`` or Sidak ``1 - (1 - alpha) ** (1 / k)``); power is per comparison.
- Two-sided power counts rejections in both tails (R's ``strict = TRUE``). The far tail adds far
  less than 1e-6 at ordinary settings, so figures agree with R's defaults to 4+ significant figures.
- The MDE is reported as an increase over the baseline.

Formulas (n = units per variant, r = control units per variant unit, z = normal quantiles)
- CR, default (R ``power.prop.test``): pooled variance under H0, unpooled under H1, no continuity
  correction: power = Phi((|d| - z_a * se0) / se1) [+ Phi((-|d| - z_a * se0) / se1) if two-sided],
  se0^2 = pbar (1 - pbar) (1/(r n) + 1/n) with pbar the n-weighted mean of p1, p2,
  se1^2 = p1 (1 - p1) / (r n) + p2 (1 - p2) / n; n is solved with Brent's method.
- CR, Evan Miller: n = (z_a sd0 + z_b sd1)^2 / d^2, sd0^2 = p1 (1 - p1) (1 + 1/r),
  sd1^2 = p1 (1 - p1) / r + p2 (1 - p2).
- CR, Cohen's h (G*Power, statsmodels NormalIndPower + proportion_effectsize):
  h = 2 asin(sqrt p2) - 2 asin(sqrt p1), power = Phi(|h| / sqrt(1/n + 1/(r n)) - z_a) [+ far tail];
  for an even split n is about 2 ((z_a + z_b) / h)^2.
- RPV / AOV, default (R ``power.t.test``, G*Power, statsmodels TTestIndPower): two-sample t test
  with df = n (1 + r) - 2 and noncentrality |delta| / (sd sqrt(1/n + 1/(r n))).
- RPV / AOV, normal approximation: n = (z_a + z_b)^2 sd^2 (1 + 1/r) / delta^2.

Modules: ``inputs`` (checking typed numbers), ``design`` (ExperimentDesign), ``metric`` (the
baselines and the target an MDE implies), ``power`` (power functions, power_at), ``sizing``
(sample_size and the other calculators' figures), ``mde`` (MDE at a sample, by week, the power
curve) and ``duration`` (days and weeks). Their public names are re-exported here.
"""

from __future__ import annotations

from ro_core.experiment.planning.design import (
    CORRECTIONS,
    DEFAULT_DESIGN,
    MAX_VARIANTS,
    Correction,
    ExperimentDesign,
    control_share_from_split,
)
from ro_core.experiment.planning.duration import (
    MAX_RECOMMENDED_WEEKS,
    MIN_TEST_DAYS,
    ExperimentDuration,
    duration_for,
    estimate_duration,
)
from ro_core.experiment.planning.inputs import as_count, as_fraction, as_number, as_positive
from ro_core.experiment.planning.mde import (
    MDE_TABLE_COLUMNS,
    POWER_CURVE_COLUMNS,
    MinimumDetectableEffect,
    mde_by_week,
    mde_for_sample_size,
    mde_for_weeks,
    power_curve,
)
from ro_core.experiment.planning.metric import (
    Baseline,
    ContinuousBaseline,
    ConversionBaseline,
    target_value,
)
from ro_core.experiment.planning.power import MAX_UNITS_PER_ARM, MIN_UNITS_PER_ARM, power_at
from ro_core.experiment.planning.sizing import CalculatorFigure, SampleSize, sample_size

__all__ = [
    "Baseline",
    "CORRECTIONS",
    "CalculatorFigure",
    "ContinuousBaseline",
    "ConversionBaseline",
    "Correction",
    "DEFAULT_DESIGN",
    "ExperimentDesign",
    "ExperimentDuration",
    "MAX_RECOMMENDED_WEEKS",
    "MAX_UNITS_PER_ARM",
    "MAX_VARIANTS",
    "MDE_TABLE_COLUMNS",
    "MIN_TEST_DAYS",
    "MIN_UNITS_PER_ARM",
    "MinimumDetectableEffect",
    "POWER_CURVE_COLUMNS",
    "SampleSize",
    "as_count",
    "as_fraction",
    "as_number",
    "as_positive",
    "control_share_from_split",
    "duration_for",
    "estimate_duration",
    "mde_by_week",
    "mde_for_sample_size",
    "mde_for_weeks",
    "power_at",
    "power_curve",
    "sample_size",
    "target_value",
]
