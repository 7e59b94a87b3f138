"""Timeline notes: stored, listed by range, validated, deleted; every change bumps the version."""

from __future__ import annotations

from datetime import date

import pytest

from ro_core.errors import InvalidInputError
from ro_core.store.annotations import add_annotation, delete_annotation, list_annotations


def test_add_list_and_delete(db) -> None:
    v0 = db.data_version()
    launch = add_annotation(db, date(2024, 3, 5), "  New   checkout launched ")
    sale = add_annotation(db, date(2024, 3, 20), "Spring sale", end_date=date(2024, 3, 27))
    assert launch.text == "New checkout launched"
    assert db.data_version() == v0 + 2
    assert [a.text for a in list_annotations(db)] == ["New checkout launched", "Spring sale"]
    # range filter: a span that overlaps the range is included
    assert [a.text for a in list_annotations(db, date(2024, 3, 25), date(2024, 4, 30))] == [
        "Spring sale"
    ]
    assert [a.text for a in list_annotations(db, date(2024, 3, 1), date(2024, 3, 5))] == [
        "New checkout launched"
    ]
    assert list_annotations(db, date(2024, 4, 1), None) == []
    assert delete_annotation(db, launch.annotation_id) is True
    assert delete_annotation(db, launch.annotation_id) is False
    assert [a.annotation_id for a in list_annotations(db)] == [sale.annotation_id]


def test_same_day_span_is_a_day(db) -> None:
    note = add_annotation(db, date(2024, 1, 2), "Email blast", end_date=date(2024, 1, 2))
    assert note.end_date is None


@pytest.mark.parametrize(
    ("start", "text", "end"),
    [
        (date(2024, 1, 2), "   ", None),
        (date(2024, 1, 2), "x" * 201, None),
        (date(2024, 1, 2), "backwards", date(2024, 1, 1)),
        (None, "no day", None),
    ],
)
def test_invalid_notes_are_refused(db, start, text, end) -> None:
    with pytest.raises(InvalidInputError):
        add_annotation(db, start, text, end_date=end)
    assert list_annotations(db) == []


def test_settings_round_trip(db) -> None:
    from ro_core.store.settings import get_setting, set_setting

    assert get_setting(db, "demo_offered") is None
    assert get_setting(db, "demo_offered", "no") == "no"
    set_setting(db, "demo_offered", "yes")
    set_setting(db, "demo_offered", "again")
    assert get_setting(db, "demo_offered") == "again"
