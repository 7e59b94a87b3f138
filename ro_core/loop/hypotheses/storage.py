"""Reading and writing the backlog: add, get, edit, score, move along the flow and delete."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from ro_core.errors import InvalidInputError
from ro_core.loop.hypotheses.fields import MAX_TITLE, _lift, _metric, _text
from ro_core.loop.hypotheses.record import Hypothesis
from ro_core.loop.hypotheses.scoring import SCORE_FIELDS, check_scoring
from ro_core.loop.hypotheses.statuses import check_transition
from ro_core.store import schema
from ro_core.store.db import Database

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
