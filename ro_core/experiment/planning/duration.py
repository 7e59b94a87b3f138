"""How long a test runs: days and whole weeks to collect the planned visitors (at least one
full week, a warning past MAX_RECOMMENDED_WEEKS)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning.inputs import _ceil, _check_traffic, as_positive
from ro_core.experiment.planning.sizing import SampleSize

MIN_TEST_DAYS = 7
MAX_RECOMMENDED_WEEKS = 8


@dataclass(frozen=True)
class ExperimentDuration:
    """How long a test must run to collect `total_visitors`.

    `days` is at least one full week; `weeks` rounds up to whole weeks so every weekday is
    covered equally; `recommended_days` is `weeks * 7`.
    """

    total_visitors: int
    daily_visitors_in_test: float

    @property
    def days_exact(self) -> float:
        return self.total_visitors / self.daily_visitors_in_test

    @property
    def days(self) -> int:
        return max(MIN_TEST_DAYS, _ceil(self.days_exact))

    @property
    def weeks(self) -> int:
        return math.ceil(self.days / 7)

    @property
    def recommended_days(self) -> int:
        return self.weeks * 7

    @property
    def warning(self) -> str | None:
        if self.weeks <= MAX_RECOMMENDED_WEEKS:
            return None
        return (
            f"This test needs {self.weeks} weeks, more than {MAX_RECOMMENDED_WEEKS}: over that "
            "long cookies expire and seasons change. Test a bolder change (a larger MDE), put "
            "more traffic in the test, or use fewer variants."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_visitors": self.total_visitors,
            "daily_visitors_in_test": self.daily_visitors_in_test,
            "days_exact": self.days_exact,
            "days": self.days,
            "weeks": self.weeks,
            "recommended_days": self.recommended_days,
            "warning": self.warning,
        }


def estimate_duration(
    total_visitors: float, *, daily_sessions: float, traffic_share: float = 1.0
) -> ExperimentDuration:
    """Days and whole weeks to collect `total_visitors` (all arms) from daily sessions."""
    visitors = _ceil(as_positive(total_visitors, "Total visitors"))
    daily, share = _check_traffic(daily_sessions, traffic_share)
    return ExperimentDuration(total_visitors=visitors, daily_visitors_in_test=daily * share)


def duration_for(
    size: SampleSize, *, daily_sessions: float, traffic_share: float = 1.0
) -> ExperimentDuration:
    """The duration of a planned test (AOV needs the baseline conversion rate)."""
    visitors = size.visitors_total
    if visitors is None:
        raise InvalidInputError(
            "An average order value test counts orders: give the baseline conversion rate "
            "to turn them into visitors and days."
        )
    return estimate_duration(visitors, daily_sessions=daily_sessions, traffic_share=traffic_share)
