"""The minimum detectable effect (MDE): at a given sample, after some weeks, and week by week
(the planning table), with the power-against-sample-size curve for the chart."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from ro_core.experiment.planning.design import DEFAULT_DESIGN, ExperimentDesign
from ro_core.experiment.planning.duration import MAX_RECOMMENDED_WEEKS
from ro_core.experiment.planning.inputs import _check_traffic, _percent, as_count, as_positive
from ro_core.experiment.planning.metric import (
    Baseline,
    ConversionBaseline,
    _check_baseline,
    target_value,
)
from ro_core.experiment.planning.power import (
    _check_per_variant,
    _minimum_per_variant,
    _power_function,
    _proportion_power,
    _t_power,
)
from ro_core.experiment.planning.sizing import sample_size

MDE_TABLE_COLUMNS: tuple[str, ...] = (
    "weeks",
    "visitors_per_variant",
    "mde_relative",
    "mde_absolute",
)
POWER_CURVE_COLUMNS: tuple[str, ...] = ("per_variant", "power")


@dataclass(frozen=True)
class MinimumDetectableEffect:
    """The smallest increase detectable with `design.power` at a given sample.

    `absolute` is in metric units (rate points, currency); None when no increase is detectable
    (then `message` says why).
    """

    metric: str
    unit: str
    baseline_value: float
    per_variant: float
    design: ExperimentDesign
    absolute: float | None
    message: str | None = None

    @property
    def relative(self) -> float | None:
        return None if self.absolute is None else self.absolute / self.baseline_value

    @property
    def target_value(self) -> float | None:
        return None if self.absolute is None else self.baseline_value + self.absolute

    @property
    def detectable(self) -> bool:
        return self.absolute is not None


def mde_for_sample_size(
    baseline: Baseline, per_variant: float, *, design: ExperimentDesign = DEFAULT_DESIGN
) -> MinimumDetectableEffect:
    """The MDE (absolute and relative) with `per_variant` units (visitors; orders for AOV)."""
    baseline = _check_baseline(baseline)
    n = _check_per_variant(per_variant, design)
    ratio = design.allocation_ratio
    target_power = design.power
    if isinstance(baseline, ConversionBaseline):
        p1 = baseline.rate
        highest = 1.0 - 1e-12

        def gap(p2: float) -> float:
            return _proportion_power(p1, p2, n, ratio, design) - target_power

        if gap(highest) < 0:
            return MinimumDetectableEffect(
                baseline.metric,
                baseline.unit,
                p1,
                n,
                design,
                None,
                f"With {n:,.0f} {baseline.unit} per variant not even a jump to 100% conversion "
                f"would be detected with {_percent(target_power, 0)} power.",
            )
        lowest = p1 + (highest - p1) * 1e-12
        if gap(lowest) >= 0:
            target = lowest
        else:
            target = optimize.brentq(gap, lowest, highest, xtol=1e-14, maxiter=500)
        return MinimumDetectableEffect(
            baseline.metric, baseline.unit, p1, n, design, float(target - p1)
        )
    sd = baseline.sd
    scale = sd * math.sqrt(1 / n + 1 / (ratio * n))

    def delta_gap(delta: float) -> float:
        return _t_power(delta, sd, n, ratio, design) - target_power

    high = scale * (design.z_alpha + design.z_power) * 2
    while delta_gap(high) < 0:
        high *= 2
    delta = optimize.brentq(delta_gap, high * 1e-9, high, xtol=1e-12 * high, maxiter=500)
    return MinimumDetectableEffect(
        baseline.metric, baseline.unit, baseline.mean, n, design, float(delta)
    )


def mde_for_weeks(
    baseline: Baseline,
    weeks: float,
    *,
    daily_sessions: float,
    traffic_share: float = 1.0,
    design: ExperimentDesign = DEFAULT_DESIGN,
) -> MinimumDetectableEffect:
    """The MDE after `weeks` weeks of `daily_sessions` sessions, `traffic_share` of them tested."""
    baseline = _check_baseline(baseline)
    length = as_positive(weeks, "Number of weeks")
    daily, share = _check_traffic(daily_sessions, traffic_share)
    visitors = length * 7 * daily * share * design.variant_fraction
    return mde_for_sample_size(baseline, baseline.units_for_visitors(visitors), design=design)


def mde_by_week(
    baseline: Baseline,
    *,
    daily_sessions: float,
    traffic_share: float = 1.0,
    design: ExperimentDesign = DEFAULT_DESIGN,
    weeks: Iterable[int] = range(1, MAX_RECOMMENDED_WEEKS + 1),
) -> pd.DataFrame:
    """MDE by test length: the planning table (weeks 1..8) and the MDE-against-weeks chart data.

    Columns:
        weeks: whole weeks of running.
        visitors_per_variant: visitors each variant collects by then (rounded down).
        mde_relative: smallest detectable relative increase (0.1 = +10%); <NA> if none.
        mde_absolute: the same in metric units (rate points or currency); <NA> if none.
    """
    baseline = _check_baseline(baseline)
    daily, share = _check_traffic(daily_sessions, traffic_share)
    rows: list[dict[str, object]] = []
    for week in weeks:
        length = as_count(week, "Number of weeks", minimum=1)
        visitors = math.floor(length * 7 * daily * share * design.variant_fraction + 1e-9)
        units = baseline.units_for_visitors(visitors)
        if units < _minimum_per_variant(design):
            mde = None
        else:
            mde = mde_for_sample_size(baseline, units, design=design)
        rows.append(
            {
                "weeks": length,
                "visitors_per_variant": visitors,
                "mde_relative": None if mde is None else mde.relative,
                "mde_absolute": None if mde is None else mde.absolute,
            }
        )
    frame = pd.DataFrame(rows, columns=list(MDE_TABLE_COLUMNS))
    return frame.astype(
        {
            "weeks": "int64",
            "visitors_per_variant": "int64",
            "mde_relative": "Float64",
            "mde_absolute": "Float64",
        }
    )


def power_curve(
    baseline: Baseline,
    mde: float,
    *,
    relative: bool = True,
    design: ExperimentDesign = DEFAULT_DESIGN,
    per_variant: Sequence[float] | None = None,
    points: int = 40,
) -> pd.DataFrame:
    """Power against sample size, for a chart.

    Columns:
        per_variant: units per variant (visitors; orders for AOV).
        power: power of each variant-versus-control comparison at that size.

    Without `per_variant` the grid runs from a twentieth to twice the required sample.
    """
    baseline = _check_baseline(baseline)
    target = target_value(baseline, mde, relative=relative)
    minimum = _minimum_per_variant(design)
    if per_variant is None:
        count = as_count(points, "Number of points", minimum=2)
        needed = sample_size(baseline, mde, relative=relative, design=design).per_variant_exact
        grid = np.unique(np.ceil(np.linspace(max(minimum, needed / 20), needed * 2, count)))
        sizes = [float(size) for size in grid]
    else:
        sizes = [_check_per_variant(size, design) for size in per_variant]
    power_of_n = _power_function(baseline, target, design)
    return pd.DataFrame(
        {"per_variant": sizes, "power": [power_of_n(size) for size in sizes]},
        columns=list(POWER_CURVE_COLUMNS),
    )
