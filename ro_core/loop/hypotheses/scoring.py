"""Scoring a hypothesis with ICE or PIE: three scores from 1 to 10, the score is their mean."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ro_core.errors import InvalidInputError

ICE = "ice"
PIE = "pie"
SCORING_METHODS: dict[str, tuple[str, str, str]] = {
    ICE: ("impact", "confidence", "ease"),
    PIE: ("potential", "importance", "ease"),
}
SCORING_LABELS = {ICE: "ICE (impact, confidence, ease)", PIE: "PIE (potential, importance, ease)"}
SCORE_FIELDS: tuple[str, ...] = ("impact", "confidence", "potential", "importance", "ease")
SCORE_HELP = {
    "impact": "How much the metric moves if it works.",
    "confidence": "How sure you are it will work (evidence, past tests).",
    "ease": "How cheap and quick it is to build and test.",
    "potential": "How much room for improvement this page or step has.",
    "importance": "How valuable its traffic is (volume, revenue passing through).",
}
MIN_SCORE = 1
MAX_SCORE = 10


def check_score(value: object, name: str) -> int:
    """A whole score from 1 to 10."""
    if isinstance(value, bool) or value is None:
        raise InvalidInputError(f"Give {name} a score from {MIN_SCORE} to {MAX_SCORE}.")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"The {name} score must be a number from {MIN_SCORE} to {MAX_SCORE}, got {value!r}."
        ) from None
    if not math.isfinite(number) or number != int(number):
        raise InvalidInputError(f"The {name} score must be a whole number, got {value!r}.")
    if not MIN_SCORE <= number <= MAX_SCORE:
        raise InvalidInputError(
            f"The {name} score must be from {MIN_SCORE} to {MAX_SCORE}, got {int(number)}."
        )
    return int(number)


def ice_score(impact: object, confidence: object, ease: object) -> float:
    """ICE score: the mean of impact, confidence and ease (each 1-10)."""
    values = zip((impact, confidence, ease), SCORING_METHODS[ICE], strict=True)
    return sum(check_score(value, name) for value, name in values) / 3


def pie_score(potential: object, importance: object, ease: object) -> float:
    """PIE score: the mean of potential, importance and ease (each 1-10)."""
    values = zip((potential, importance, ease), SCORING_METHODS[PIE], strict=True)
    return sum(check_score(value, name) for value, name in values) / 3


def check_scoring(method: str, scores: Mapping[str, object]) -> dict[str, int]:
    """The three scores of a method, checked; raises InvalidInputError on a missing one."""
    key = str(method or "").strip().lower()
    if key not in SCORING_METHODS:
        raise InvalidInputError(f"Score with ICE or PIE, not {method!r}.")
    missing = [name for name in SCORING_METHODS[key] if scores.get(name) is None]
    if missing:
        raise InvalidInputError(f"{key.upper()} needs a score for {', '.join(missing)} (1-10).")
    return {name: check_score(scores[name], name) for name in SCORING_METHODS[key]}
