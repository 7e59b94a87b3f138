"""The hypothesis backlog: where, what was seen, the change, the metric and the expected lift,
scored with ICE or PIE, moving idea -> planned -> running -> won / lost / inconclusive.

Scores
- ICE (Sean Ellis): impact, confidence, ease, each 1-10.
- PIE (WiderFunnel): potential, importance, ease, each 1-10.
The score is the mean of the three (1-10), so ICE- and PIE-scored hypotheses sort together.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.metrics.opportunities import MAX_RELATIVE_LIFT, TYPICAL_RELATIVE_LIFT
from ro_core.store import schema
from ro_core.store.db import Database

# --- statuses ---------------------------------------------------------------------------------
IDEA = "idea"
PLANNED = "planned"
RUNNING = "running"
WON = "won"
LOST = "lost"
INCONCLUSIVE = "inconclusive"
STATUSES: tuple[str, ...] = (IDEA, PLANNED, RUNNING, WON, LOST, INCONCLUSIVE)
STATUS_LABELS = {
    IDEA: "Idea",
    PLANNED: "Planned",
    RUNNING: "Running",
    WON: "Won",
    LOST: "Lost",
    INCONCLUSIVE: "Inconclusive",
}
FINISHED = frozenset({WON, LOST, INCONCLUSIVE})
# Where each status may go next. An inconclusive test can be retried (back to the backlog or
# planned again); won and lost are final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    IDEA: (PLANNED,),
    PLANNED: (IDEA, RUNNING),
    RUNNING: (WON, LOST, INCONCLUSIVE),
    WON: (),
    LOST: (),
    INCONCLUSIVE: (IDEA, PLANNED),
}

# --- scoring ----------------------------------------------------------------------------------
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

# --- what a hypothesis is about ---------------------------------------------------------------
HYPOTHESIS_METRICS: dict[str, str] = {
    "rpv": "Revenue per visitor (RPV)",
    "conversion_rate": "Conversion rate (CR)",
    "aov": "Average order value (AOV)",
    "step_conversion": "Funnel step conversion",
    "revenue": "Revenue",
}
LOCATION_SUGGESTIONS: tuple[str, ...] = (
    "Home page",
    "Collection page",
    "Product page",
    "Cart",
    "Checkout",
    "Search",
    "Site-wide",
)
SOURCE_SUGGESTIONS: tuple[str, ...] = (
    "Overview opportunity",
    "Trend chart",
    "Funnel chart",
    "Segments chart",
    "Revenue decomposition",
    "Customer feedback",
    "Session recordings",
)
OPPORTUNITY_SOURCE = "Overview opportunity"
MAX_TITLE = 120
MAX_TEXT = 2000

SORT_KEYS: dict[str, str] = {
    "score": "Score (best first)",
    "expected_lift": "Expected lift (largest first)",
    "status": "Status (idea to finished)",
    "created_at": "Newest first",
}

HYPOTHESIS_COLUMNS: tuple[str, ...] = (
    "hypothesis_id",
    "title",
    "status",
    "score",
    "scoring",
    "impact",
    "confidence",
    "potential",
    "importance",
    "ease",
    "location",
    "segment",
    "metric",
    "expected_lift",
    "observation",
    "proposed_change",
    "source",
    "created_at",
)


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


def check_transition(current: str, new: str) -> None:
    """Raise InvalidInputError unless a hypothesis may move from `current` to `new`."""
    if new not in STATUSES:
        raise InvalidInputError(f"Unknown status {new!r}: use one of {', '.join(STATUSES)}.")
    if new in TRANSITIONS.get(current, ()):
        return
    allowed = TRANSITIONS.get(current, ())
    if allowed:
        options = " or ".join(STATUS_LABELS[s].lower() for s in allowed)
        hint = f"From {STATUS_LABELS[current].lower()} it can move to {options}."
    else:
        hint = f"{STATUS_LABELS[current]} is final: write a new hypothesis to test a follow-up."
    flow = "idea -> planned -> running -> won / lost / inconclusive"
    raise InvalidInputError(
        f"A hypothesis that is {STATUS_LABELS[current].lower()} cannot move to "
        f"{STATUS_LABELS[new].lower()} (the flow is {flow}). {hint}",
        title="Not a possible step",
    )


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


_COLUMNS = (
    "hypothesis_id, title, location, segment, observation, source, source_key, source_detail, "
    "proposed_change, metric, expected_lift, scoring, impact, confidence, potential, importance, "
    "ease, status, created_at"
)


def _from_row(row: Sequence[Any]) -> Hypothesis:
    values = list(row)
    detail = values[7]
    values[7] = json.loads(detail) if detail else None
    for position in range(12, 17):
        values[position] = None if values[position] is None else int(values[position])
    values[0] = int(values[0])
    return Hypothesis(*values)


def _text(value: object, label: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
    text = " ".join(str(value or "").split()) if limit <= MAX_TITLE else str(value or "").strip()
    if required and not text:
        raise InvalidInputError(f"Give the hypothesis {label}.")
    if len(text) > limit:
        raise InvalidInputError(f"Keep the {label} under {limit} characters (it has {len(text)}).")
    return text


def _metric(metric: str) -> str:
    key = str(metric or "").strip().lower()
    if key not in HYPOTHESIS_METRICS:
        raise InvalidInputError(
            f"The metric must be one of {', '.join(HYPOTHESIS_METRICS)}, got {metric!r}."
        )
    return key


def _lift(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        try:
            number = float(text.rstrip("%").strip())
        except ValueError:
            raise InvalidInputError(
                f"The expected lift must be a number like 0.05 or 5%, got {value!r}."
            ) from None
        if percent:
            number /= 100
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"The expected lift must be a number like 0.05, got {value!r}."
            ) from None
    if not math.isfinite(number) or number <= -1:
        raise InvalidInputError(
            f"The expected lift must be above -100%, got {value!r} (0.05 means +5%)."
        )
    return number


def add_hypothesis(
    db: Database,
    *,
    title: str,
    metric: str = "rpv",
    location: str = "",
    segment: str = "",
    observation: str = "",
    proposed_change: str = "",
    expected_lift: object = None,
    source: str = "",
    source_key: str | None = None,
    source_detail: Mapping[str, Any] | None = None,
    scoring: str | None = None,
    scores: Mapping[str, object] | None = None,
) -> Hypothesis:
    """Add a hypothesis to the backlog as an idea; scores are optional (ICE or PIE).

    Raises:
        InvalidInputError: no title, an unknown metric, a lift at or below -100%, bad scores.
    """
    values = {
        "title": _text(title, "a short title", limit=MAX_TITLE, required=True),
        "location": _text(location, "place (page or step)", limit=MAX_TITLE),
        "segment": _text(segment, "segment", limit=MAX_TITLE),
        "observation": _text(observation, "observation"),
        "proposed_change": _text(proposed_change, "change"),
        "source": _text(source, "source", limit=MAX_TITLE),
        "metric": _metric(metric),
        "expected_lift": _lift(expected_lift),
        "source_key": source_key,
        "source_detail": json.dumps(dict(source_detail), default=str) if source_detail else None,
    }
    score_values: dict[str, int | None] = dict.fromkeys(SCORE_FIELDS)
    method = None
    if scoring:
        method = str(scoring).strip().lower()
        score_values.update(check_scoring(method, scores or {}))
    values.update(score_values)
    values["scoring"] = method
    names = list(values)
    marks = ", ".join("?" for _ in names)
    with db.transaction() as cur:
        row = cur.execute(
            f"INSERT INTO {schema.HYPOTHESES} ({', '.join(names)}) VALUES ({marks}) "
            f"RETURNING {_COLUMNS}",
            [values[n] for n in names],
        ).fetchone()
    return _from_row(row)


def get_hypothesis(db: Database, hypothesis_id: int) -> Hypothesis:
    """One hypothesis; InvalidInputError when there is none with this id."""
    row = db.fetch_one(
        f"SELECT {_COLUMNS} FROM {schema.HYPOTHESES} WHERE hypothesis_id = ?", [int(hypothesis_id)]
    )
    if row is None:
        raise InvalidInputError(f"There is no hypothesis #{hypothesis_id}.")
    return _from_row(row)


def _fetch(cur: duckdb.DuckDBPyConnection, hypothesis_id: int) -> Hypothesis:
    row = cur.execute(
        f"SELECT {_COLUMNS} FROM {schema.HYPOTHESES} WHERE hypothesis_id = ?", [int(hypothesis_id)]
    ).fetchone()
    if row is None:
        raise InvalidInputError(f"There is no hypothesis #{hypothesis_id}.")
    return _from_row(row)


EDITABLE_FIELDS = frozenset(
    {"title", "location", "segment", "observation", "proposed_change", "metric", "expected_lift",
     "source"}
)  # fmt: skip


def update_hypothesis(db: Database, hypothesis_id: int, **changes: object) -> Hypothesis:
    """Change text fields, the metric or the expected lift (not the status or the scores)."""
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidInputError(f"These cannot be edited here: {', '.join(unknown)}.")
    cleaned: dict[str, object] = {}
    for name, value in changes.items():
        if name == "title":
            cleaned[name] = _text(value, "a short title", limit=MAX_TITLE, required=True)
        elif name in ("location", "segment", "source"):
            cleaned[name] = _text(value, name, limit=MAX_TITLE)
        elif name == "metric":
            cleaned[name] = _metric(str(value))
        elif name == "expected_lift":
            cleaned[name] = _lift(value)
        else:
            cleaned[name] = _text(value, name.replace("_", " "))
    with db.transaction() as cur:
        _fetch(cur, hypothesis_id)
        if cleaned:
            assignments = ", ".join(f"{name} = ?" for name in cleaned)
            cur.execute(
                f"UPDATE {schema.HYPOTHESES} SET {assignments}, updated_at = now() "
                "WHERE hypothesis_id = ?",
                [*cleaned.values(), int(hypothesis_id)],
            )
        return _fetch(cur, hypothesis_id)


def score_hypothesis(
    db: Database, hypothesis_id: int, method: str, scores: Mapping[str, object]
) -> Hypothesis:
    """Score (or re-score) a hypothesis with ICE or PIE; the other method's scores are cleared."""
    checked = check_scoring(method, scores)
    values: dict[str, int | None] = dict.fromkeys(SCORE_FIELDS)
    values.update(checked)
    assignments = ", ".join(f"{name} = ?" for name in SCORE_FIELDS)
    with db.transaction() as cur:
        _fetch(cur, hypothesis_id)
        cur.execute(
            f"UPDATE {schema.HYPOTHESES} SET scoring = ?, {assignments}, updated_at = now() "
            "WHERE hypothesis_id = ?",
            [str(method).strip().lower(), *(values[n] for n in SCORE_FIELDS), int(hypothesis_id)],
        )
        return _fetch(cur, hypothesis_id)


def move_status(cur: duckdb.DuckDBPyConnection, hypothesis_id: int, status: str) -> Hypothesis:
    """Inside an open transaction: move a hypothesis to `status` (a no-op when it is there).

    Raises:
        InvalidInputError: the move is not in TRANSITIONS.
    """
    current = _fetch(cur, hypothesis_id)
    if current.status == status:
        return current
    check_transition(current.status, status)
    cur.execute(
        f"UPDATE {schema.HYPOTHESES} SET status = ?, status_changed_at = now(), "
        "updated_at = now() WHERE hypothesis_id = ?",
        [status, int(hypothesis_id)],
    )
    return _fetch(cur, hypothesis_id)


def set_status(db: Database, hypothesis_id: int, status: str) -> Hypothesis:
    """Move a hypothesis along idea -> planned -> running -> won / lost / inconclusive.

    Raises:
        InvalidInputError: an unknown status or a move the flow does not allow.
    """
    with db.transaction() as cur:
        return move_status(cur, hypothesis_id, str(status).strip().lower())


def delete_hypothesis(db: Database, hypothesis_id: int) -> bool:
    """Delete a hypothesis that has no test in the experiment log; False when there is none."""
    with db.transaction() as cur:
        tests = cur.execute(
            f"SELECT count(*) FROM {schema.EXPERIMENTS} WHERE hypothesis_id = ?",
            [int(hypothesis_id)],
        ).fetchone()[0]
        if tests:
            raise InvalidInputError(
                f"Hypothesis #{hypothesis_id} has {tests} test{'s' * (tests != 1)} in the "
                "experiment log: it stays so the log keeps its history."
            )
        deleted = cur.execute(
            f"DELETE FROM {schema.HYPOTHESES} WHERE hypothesis_id = ? RETURNING hypothesis_id",
            [int(hypothesis_id)],
        ).fetchall()
    return bool(deleted)


def _sort(items: list[Hypothesis], sort_by: str) -> list[Hypothesis]:
    if sort_by not in SORT_KEYS:
        raise InvalidInputError(f"Sort by one of {', '.join(SORT_KEYS)}, not {sort_by!r}.")
    newest = sorted(items, key=lambda h: h.hypothesis_id, reverse=True)
    if sort_by == "created_at":
        return newest
    if sort_by == "status":
        return sorted(newest, key=lambda h: STATUSES.index(h.status))
    if sort_by == "expected_lift":
        return sorted(newest, key=lambda h: (h.expected_lift is None, -(h.expected_lift or 0.0)))
    return sorted(newest, key=lambda h: (h.score is None, -(h.score or 0.0)))


def list_hypotheses(
    db: Database, *, statuses: Sequence[str] | None = None, sort_by: str = "score"
) -> list[Hypothesis]:
    """The backlog, optionally only some statuses, sorted by a key of SORT_KEYS.

    Ties (and unscored hypotheses, which come last) are newest first.
    """
    wanted = list(statuses) if statuses else list(STATUSES)
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown:
        raise InvalidInputError(
            f"Unknown status {', '.join(map(repr, unknown))}: use {', '.join(STATUSES)}."
        )
    rows = db.fetch_all(
        f"SELECT {_COLUMNS} FROM {schema.HYPOTHESES} WHERE list_contains(?, status)",
        [wanted],
    )
    return _sort([_from_row(r) for r in rows], sort_by)


def hypotheses_frame(
    db: Database, *, statuses: Sequence[str] | None = None, sort_by: str = "score"
) -> pd.DataFrame:
    """The backlog as a table with HYPOTHESIS_COLUMNS (score is the 1-10 mean)."""
    items = list_hypotheses(db, statuses=statuses, sort_by=sort_by)
    records = []
    for item in items:
        data = item.to_dict()
        data["created_at"] = item.created_at
        records.append({column: data[column] for column in HYPOTHESIS_COLUMNS})
    return pd.DataFrame(records, columns=list(HYPOTHESIS_COLUMNS))


def status_counts(db: Database) -> dict[str, int]:
    """How many hypotheses are in each status (every status present, 0 when none)."""
    rows = db.fetch_all(f"SELECT status, count(*) FROM {schema.HYPOTHESES} GROUP BY status")
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


# --- from an opportunity ------------------------------------------------------------------------


def opportunity_key(opportunity: Mapping[str, Any]) -> str:
    """A stable key of an opportunity row: dimension, segment and step."""
    return "|".join(
        str(opportunity.get(name, "")) for name in ("segment_dimension", "segment", "step")
    )


def existing_source_keys(db: Database) -> dict[str, int]:
    """source_key -> hypothesis_id of hypotheses made from opportunities."""
    rows = db.fetch_all(
        f"SELECT source_key, min(hypothesis_id) FROM {schema.HYPOTHESES} "
        "WHERE source_key IS NOT NULL GROUP BY source_key"
    )
    return {key: int(hypothesis_id) for key, hypothesis_id in rows}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _segment_text(opportunity: Mapping[str, Any]) -> str:
    dimension = str(opportunity.get("segment_dimension") or "")
    segment = str(opportunity.get("segment") or "")
    if not dimension or dimension == "store":
        return "the whole store"
    return f"{dimension.replace('_', ' ')} = {segment}"


def _percent(value: float) -> str:
    """0.05 -> '+5%', 0.0216 -> '+2.2%'."""
    text = f"{value * 100:+.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _lift_range(opportunity: Mapping[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(lift, low, high) of the step's rate, capped (see ro_core.metrics.opportunities).

    A row without lift columns (made before they existed) gets the same caps from its rates.
    """
    lift = _number(opportunity.get("lift"))
    low, high = _number(opportunity.get("lift_low")), _number(opportunity.get("lift_high"))
    if lift is not None:
        return lift, low, high
    current = _number(opportunity.get("current_rate"))
    benchmark = _number(opportunity.get("benchmark_rate"))
    if not current or benchmark is None or current <= 0:
        return None, None, None
    gap = max(benchmark / current - 1, 0.0)
    return min(gap, MAX_RELATIVE_LIFT), min(gap, TYPICAL_RELATIVE_LIFT), min(gap, MAX_RELATIVE_LIFT)


def opportunity_hypothesis_fields(
    opportunity: Mapping[str, Any], *, currency_symbol: str = ""
) -> dict[str, Any]:
    """The add_hypothesis fields an opportunity row (ro_core.metrics.opportunities) gives.

    The expected lift is the row's capped lift; its realistic range (lift_low to lift_high) and
    the monthly gain range (gain_low to gain_high) are in the observation and source_detail.
    """
    step_label = str(opportunity.get("label") or opportunity.get("step") or "funnel step")
    segment = _segment_text(opportunity)
    current = _number(opportunity.get("current_rate"))
    benchmark = _number(opportunity.get("benchmark_rate"))
    benchmark_sessions = _number(opportunity.get("benchmark_sessions"))
    gain = _number(opportunity.get("monthly_revenue_gain"))
    gain_low, gain_high = (
        _number(opportunity.get("gain_low")),
        _number(opportunity.get("gain_high")),
    )
    lift, lift_low, lift_high = _lift_range(opportunity)
    flag = opportunity.get("capped")
    if pd.api.types.is_bool(flag):
        capped = bool(flag)
    else:  # a row without the column: capped when the rates' gap is above the cap
        capped = bool(
            current and benchmark is not None and benchmark / current - 1 > MAX_RELATIVE_LIFT
        )
    parts = []
    if current is not None and benchmark is not None:
        against = [str(opportunity.get("benchmark_source") or "benchmark")]
        if benchmark_sessions is not None:
            against.append(f"{benchmark_sessions:,.0f} sessions")
        if opportunity.get("source"):
            against.append(f"{opportunity.get('source')} data")
        parts.append(
            f"{step_label} step conversion is {current * 100:.2f}% against "
            f"{benchmark * 100:.2f}% ({', '.join(against)})"
        )
    if lift is not None:
        span = (
            f"{_percent(lift_low)} to {_percent(lift_high)}"
            if lift_low is not None and lift_high is not None and lift_low != lift_high
            else _percent(lift)
        )
        cap = f" (capped at {_percent(MAX_RELATIVE_LIFT)}: one change rarely does more)"
        parts.append(f"a realistic lift is {span}{cap if capped else ''}")
    if gain_low is not None and gain_high is not None and gain_low != gain_high:
        parts.append(
            f"about {currency_symbol}{gain_low:,.0f} to {currency_symbol}{gain_high:,.0f} "
            "a month at stake"
        )
    elif gain is not None:
        parts.append(f"about {currency_symbol}{gain:,.0f} a month at stake")
    detail: dict[str, Any] = {}
    for key in ("segment_dimension", "segment", "step", "label", "source", "benchmark_source"):
        if opportunity.get(key) is not None:
            detail[key] = str(opportunity.get(key))
    for key in (
        "sessions",
        "current_rate",
        "benchmark_rate",
        "benchmark_sessions",
        "monthly_revenue_gain",
        "gain_low",
        "gain_high",
    ):
        detail[key] = _number(opportunity.get(key))
    detail.update(
        expected_lift=lift,
        expected_lift_low=lift_low,
        expected_lift_high=lift_high,
        capped=bool(capped),
        max_relative_lift=MAX_RELATIVE_LIFT,
    )
    return {
        "title": f"Raise “{step_label}” step conversion for {segment}"[:MAX_TITLE],
        "location": f"Funnel step: {step_label}"[:MAX_TITLE],
        "segment": segment[:MAX_TITLE],
        "observation": "; ".join(parts),
        "metric": "step_conversion",
        "expected_lift": lift,
        "source": OPPORTUNITY_SOURCE,
        "source_key": opportunity_key(opportunity),
        "source_detail": detail,
    }


def hypothesis_from_opportunity(
    db: Database, opportunity: Mapping[str, Any], *, currency_symbol: str = ""
) -> Hypothesis:
    """Turn an opportunity row into an idea in the backlog (the existing one if already done)."""
    key = opportunity_key(opportunity)
    existing = existing_source_keys(db).get(key)
    if existing is not None:
        return get_hypothesis(db, existing)
    return add_hypothesis(
        db, **opportunity_hypothesis_fields(opportunity, currency_symbol=currency_symbol)
    )
