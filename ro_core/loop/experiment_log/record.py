"""A test of the experiment log as stored: its statuses, primary metrics and dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

PLANNED = "planned"
RUNNING = "running"
ENDED = "ended"
EXPERIMENT_STATUSES: tuple[str, ...] = (PLANNED, RUNNING, ENDED)
EXPERIMENT_STATUS_LABELS = {PLANNED: "Planned", RUNNING: "Running", ENDED: "Ended"}
PRIMARY_METRICS = {"rpv": "Revenue per visitor", "cr": "Conversion rate", "aov": "AOV"}


@dataclass(frozen=True)
class Experiment:
    """One test in the log. `result` is ExperimentAnalysis.to_dict() once it has ended."""

    experiment_id: int
    hypothesis_id: int
    name: str
    status: str
    primary_metric: str
    plan: dict[str, Any]
    expected_days: int | None
    planned_start: date | None
    start_date: date | None
    end_date: date | None
    annotation_id: int | None
    result: dict[str, Any] | None
    outcome: str | None
    verdict: str | None
    relative_lift: float | None
    monthly_revenue_impact: float | None
    created_at: datetime | None = None

    @property
    def planned_end(self) -> date | None:
        """The last day of the expected duration (from the start, else the planned start)."""
        first = self.start_date or self.planned_start
        if first is None or not self.expected_days:
            return None
        return first + timedelta(days=self.expected_days - 1)

    @property
    def days_run(self) -> int | None:
        """Days from start to end, both included (None until it has ended)."""
        if self.start_date is None or self.end_date is None:
            return None
        return (self.end_date - self.start_date).days + 1

    @property
    def status_label(self) -> str:
        return EXPERIMENT_STATUS_LABELS.get(self.status, self.status)

    @property
    def daily_sessions(self) -> float | None:
        """Daily sessions the plan was made with, if any."""
        inputs = (self.plan or {}).get("inputs") or {}
        value = inputs.get("daily_sessions")
        return float(value) if value else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment_id": self.experiment_id,
            "hypothesis_id": self.hypothesis_id,
            "name": self.name,
            "status": self.status,
            "primary_metric": self.primary_metric,
            "plan": self.plan,
            "expected_days": self.expected_days,
            "planned_start": _iso(self.planned_start),
            "planned_end": _iso(self.planned_end),
            "start_date": _iso(self.start_date),
            "end_date": _iso(self.end_date),
            "days_run": self.days_run,
            "annotation_id": self.annotation_id,
            "result": self.result,
            "outcome": self.outcome,
            "verdict": self.verdict,
            "relative_lift": self.relative_lift,
            "monthly_revenue_impact": self.monthly_revenue_impact,
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
