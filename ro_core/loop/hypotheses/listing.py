"""The backlog as a sorted list and a table, and how many hypotheses are in each status."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.loop.hypotheses.record import Hypothesis
from ro_core.loop.hypotheses.statuses import STATUSES
from ro_core.loop.hypotheses.storage import _COLUMNS, _from_row
from ro_core.store import schema
from ro_core.store.db import Database

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
