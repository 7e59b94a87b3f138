"""One entry of the backlog, as stored: its fields, scores, status and statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ro_core.loop.hypotheses.fields import HYPOTHESIS_METRICS
from ro_core.loop.hypotheses.scoring import SCORING_METHODS
from ro_core.loop.hypotheses.statuses import STATUS_LABELS, TRANSITIONS


@dataclass(frozen=True)
class Hypothesis:
    """One backlog entry. `expected_lift` is relative (0.05 = +5%); scores are 1-10 or None."""

    hypothesis_id: int
    title: str
    location: str
    segment: str
    observation: str
    source: str
    source_key: str | None
    source_detail: dict[str, Any] | None
    proposed_change: str
    metric: str
    expected_lift: float | None
    scoring: str | None
    impact: int | None
    confidence: int | None
    potential: int | None
    importance: int | None
    ease: int | None
    status: str
    created_at: datetime | None = None

    @property
    def scores(self) -> dict[str, int | None]:
        """The scores of the chosen method, by name ({} when not scored)."""
        if self.scoring not in SCORING_METHODS:
            return {}
        return {name: getattr(self, name) for name in SCORING_METHODS[self.scoring]}

    @property
    def score(self) -> float | None:
        """Mean of the three scores of its method (1-10); None when not scored."""
        values = list(self.scores.values())
        if not values or any(v is None for v in values):
            return None
        return sum(values) / 3  # type: ignore[arg-type]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def metric_label(self) -> str:
        return HYPOTHESIS_METRICS.get(self.metric, self.metric)

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())

    def statement(self) -> str:
        """The hypothesis in one sentence: change, place, segment, metric, lift and why."""
        lift = f" by {self.expected_lift * 100:+.1f}%" if self.expected_lift is not None else ""
        because = f", because {self.observation.rstrip('.')}" if self.observation else ""
        metric = self.metric_label.lower()
        if not self.proposed_change:
            return f"{self.title}: {metric} should rise{lift}{because}."
        where = f" on {self.location}" if self.location else ""
        who = f" for {self.segment}" if self.segment else ""
        return f"If we {self.proposed_change}{where}{who}, {metric} should rise{lift}{because}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "hypothesis_id": self.hypothesis_id,
            "title": self.title,
            "location": self.location,
            "segment": self.segment,
            "observation": self.observation,
            "source": self.source,
            "source_key": self.source_key,
            "source_detail": self.source_detail,
            "proposed_change": self.proposed_change,
            "metric": self.metric,
            "expected_lift": self.expected_lift,
            "scoring": self.scoring,
            "impact": self.impact,
            "confidence": self.confidence,
            "potential": self.potential,
            "importance": self.importance,
            "ease": self.ease,
            "score": self.score,
            "status": self.status,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }
