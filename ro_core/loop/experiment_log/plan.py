"""The plan of a test: the sample-size calculator's settings and the expected duration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ro_core.experiment.planning import (
    DEFAULT_DESIGN,
    Baseline,
    ContinuousBaseline,
    ExperimentDesign,
    as_number,
    duration_for,
    sample_size,
)


@dataclass(frozen=True)
class TestPlan:
    """What a planned test stores: the calculator's settings and the expected duration.

    `settings` holds ``inputs`` (baseline, MDE, design, traffic), ``sample_size``
    (SampleSize.to_dict()) and ``duration`` (ExperimentDuration.to_dict(), None without traffic).
    """

    primary_metric: str
    settings: dict[str, Any] = field(default_factory=dict)
    expected_days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "primary_metric": self.primary_metric,
            "settings": self.settings,
            "expected_days": self.expected_days,
        }


def plan_from_calculator(
    baseline: Baseline,
    mde: float,
    *,
    relative: bool = True,
    design: ExperimentDesign = DEFAULT_DESIGN,
    daily_sessions: float | None = None,
    traffic_share: float | str = 1.0,
) -> TestPlan:
    """Run the sample-size calculator (and the duration, given daily sessions) into a TestPlan.

    Raises:
        InvalidInputError: whatever the calculator refuses (see ro_core.experiment.planning).
    """
    size = sample_size(baseline, mde, relative=relative, design=design)
    duration = None
    if daily_sessions:
        duration = duration_for(size, daily_sessions=daily_sessions, traffic_share=traffic_share)
    inputs: dict[str, Any] = {
        "metric": baseline.metric,
        "baseline_value": baseline.value,
        "sd": getattr(baseline, "sd", None),
        "conversion_rate": (
            baseline.conversion_rate if isinstance(baseline, ContinuousBaseline) else baseline.value
        ),
        "mde": as_number(mde, "Minimum detectable effect"),
        "relative": bool(relative),
        "alpha": design.alpha,
        "power": design.power,
        "two_sided": design.two_sided,
        "variants": design.variants,
        "correction": design.correction,
        "control_share": design.control_share,
        "daily_sessions": float(daily_sessions) if daily_sessions else None,
        "traffic_share": as_number(traffic_share, "Share of traffic in the test"),
    }
    settings = {
        "inputs": inputs,
        "sample_size": size.to_dict(),
        "duration": duration.to_dict() if duration else None,
    }
    return TestPlan(
        primary_metric=baseline.metric,
        settings=settings,
        expected_days=duration.recommended_days if duration else None,
    )
