"""Reads kept per data version: computed once, computed again after any committed change (in
this process or another), one version read per pinned computation, shared with its threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from ro_core.metrics.versioned import pinned, remember, remember_many
from ro_core.store.db import Database
from ro_core.store.settings import set_setting


class Calls:
    """A compute function that counts its calls and returns the current setting."""

    def __init__(self, db: Database) -> None:
        self.db, self.n = db, 0

    def __call__(self) -> str | None:
        self.n += 1
        return self.db.fetch_value("SELECT value FROM settings WHERE key = 'k'")


def test_a_value_is_computed_once_per_data_version(db) -> None:
    set_setting(db, "k", "one")
    compute = Calls(db)
    assert [remember(db, "x", compute) for _ in range(3)] == ["one"] * 3
    assert compute.n == 1
    set_setting(db, "k", "two")  # a committed change bumps the data version
    assert remember(db, "x", compute) == "two" and compute.n == 2


def test_a_change_from_another_database_object_is_seen(db) -> None:
    set_setting(db, "k", "one")
    compute = Calls(db)
    assert remember(db, "x", compute) == "one"
    other = Database(db.path)  # as another process writing the same file
    try:
        set_setting(other, "k", "two")
    finally:
        other.close()
    assert remember(db, "x", compute) == "two" and compute.n == 2


def test_values_are_per_database(tmp_path) -> None:
    first, second = Database(tmp_path / "a.duckdb"), Database(tmp_path / "b.duckdb")
    try:
        set_setting(first, "k", "a")
        set_setting(second, "k", "b")  # the same data version number, other data
        assert remember(first, "x", Calls(first)) == "a"
        assert remember(second, "x", Calls(second)) == "b"
    finally:
        first.close()
        second.close()


def test_a_pinned_computation_reads_the_version_once_and_shares_it(db, monkeypatch) -> None:
    set_setting(db, "k", "one")
    reads = []
    original = Database.data_version
    monkeypatch.setattr(Database, "data_version", lambda self: reads.append(1) or original(self))
    compute = Calls(db)
    with pinned(db):
        remember(db, "x", compute)
        remember(db, "y", compute)
        with ThreadPoolExecutor(max_workers=3) as pool:
            jobs = [pool.submit(copy_context().run, remember, db, "z", compute) for _ in range(6)]
            assert {j.result() for j in jobs} == {"one"}
    assert len(reads) == 1  # the pin's; every remember inside used it
    assert compute.n == 3  # x, y, and z once for the six threads
    remember(db, "x", compute)  # outside the pin: the version is read again
    assert len(reads) == 2 and compute.n == 3


def test_many_values_missing_are_computed_in_one_call(db) -> None:
    batches: list[list[str]] = []

    def compute(missing: list) -> dict:
        batches.append(list(missing))
        return {k: k.upper() for k in missing}

    assert remember_many(db, ["a", "b"], compute) == ["A", "B"]
    assert remember_many(db, ["b", "c", "a", "d"], compute) == ["B", "C", "A", "D"]
    assert batches == [["a", "b"], ["c", "d"]]
