"""Notes on the timeline ("new checkout launched", "sale starts"), drawn on every trend chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ro_core.errors import InvalidInputError
from ro_core.store import schema
from ro_core.store.db import Database

MAX_TEXT_LENGTH = 200


@dataclass(frozen=True)
class Annotation:
    """One note: a day (``end_date`` None) or a span of days, both ends inclusive."""

    annotation_id: int
    start_date: date
    end_date: date | None
    text: str


def add_annotation(
    db: Database, start_date: date, text: str, end_date: date | None = None
) -> Annotation:
    """Store a note for a day or a span of days and return it.

    Raises:
        InvalidInputError: empty or overlong text, or a span that ends before it starts.
    """
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise InvalidInputError("Write a short note, e.g. 'New checkout launched'.")
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise InvalidInputError(
            f"Keep the note under {MAX_TEXT_LENGTH} characters (it has {len(cleaned)})."
        )
    if not isinstance(start_date, date):
        raise InvalidInputError("Pick the day the note is about.")
    if end_date is not None and end_date < start_date:
        raise InvalidInputError(
            f"The note ends ({end_date}) before it starts ({start_date}): swap the dates."
        )
    if end_date == start_date:
        end_date = None
    with db.transaction() as cur:
        annotation_id = cur.execute(
            f"INSERT INTO {schema.ANNOTATIONS} (start_date, end_date, text) VALUES (?, ?, ?) "
            "RETURNING annotation_id",
            [start_date, end_date, cleaned],
        ).fetchone()[0]
    return Annotation(int(annotation_id), start_date, end_date, cleaned)


def list_annotations(
    db: Database, start: date | None = None, end: date | None = None
) -> list[Annotation]:
    """Notes that touch the range [start, end] (all notes when no range), oldest first."""
    rows = db.fetch_all(
        f"""SELECT annotation_id, start_date, end_date, text FROM {schema.ANNOTATIONS}
        WHERE (CAST(? AS DATE) IS NULL OR coalesce(end_date, start_date) >= ?)
          AND (CAST(? AS DATE) IS NULL OR start_date <= ?)
        ORDER BY start_date, annotation_id""",
        [start, start, end, end],
    )
    return [Annotation(int(r[0]), r[1], r[2], r[3]) for r in rows]


def delete_annotation(db: Database, annotation_id: int) -> bool:
    """Delete a note; False when there is no such note."""
    with db.transaction() as cur:
        deleted = cur.execute(
            f"DELETE FROM {schema.ANNOTATIONS} WHERE annotation_id = ? RETURNING annotation_id",
            [int(annotation_id)],
        ).fetchall()
    return bool(deleted)
