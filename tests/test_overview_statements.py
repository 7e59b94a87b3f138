"""Issue 15 (speed): a new period on the Overview costs a handful of statements, not a hundred.

Each statement has a fixed cost (about half a second on the Spark engine). What does not depend
on the period (the traffic inventory, the orders' and events' per-day sums, coverage, goals, the
store currency) is read once per data version; a new period then costs the statements below.
The counts are taken by wrapping the Database methods every query goes through, and listed by
calling function when a test fails. An import (a new data version) is seen at once.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

from ro_core.cli.main import build_parser
from ro_core.cli.metrics import scope_from_args
from ro_core.ingest.pipeline import ingest_file
from ro_core.loop import goals
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Scope
from ro_core.overview import build_overview
from ro_core.store.db import Database
from tests.metrics.conftest import shopify_order, write_shopify_orders

NEW_PERIOD_MOST = 4
"""Statements for a new period once the data version's reads are done (measured: 4; 172 before
issue 15 on the same store)."""
FIRST_MOST = 12
"""Statements of the first Overview of a data version (measured: 12)."""

ROOT = Path(__file__).resolve().parents[1]


class StatementLog:
    """Every statement run through Database.fetch_* while active: (calling functions, SQL)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, str]] = []

    def record(self, sql: str) -> None:
        frames = [
            f for f in traceback.extract_stack()[:-2]
            if str(ROOT / "ro_core") in f.filename and not f.filename.endswith("store/db.py")
        ]  # fmt: skip
        chain = " < ".join(f"{Path(f.filename).stem}.{f.name}" for f in reversed(frames[-4:]))
        self.statements.append((chain, " ".join(sql.split())[:160]))

    def listing(self) -> str:
        """One line per statement: the calling functions (innermost first), then the SQL."""
        return "\n".join(f"{i}. {chain}\n    {sql}" for i, (chain, sql) in
                         enumerate(self.statements, 1))  # fmt: skip

    def __len__(self) -> int:
        return len(self.statements)


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[StatementLog]:
    """Count the statements of Database.fetch_df / fetch_all / fetch_one (fetch_value calls
    fetch_one): the one place every query goes through."""
    log = StatementLog()
    with monkeypatch.context() as patch:
        for name in ("fetch_df", "fetch_all", "fetch_one"):
            original = getattr(Database, name)

            def wrapped(self, sql, params=None, _original=original):
                log.record(sql)
                return _original(self, sql, params)

            patch.setattr(Database, name, wrapped)
        yield log


@pytest.fixture
def store(demo_file: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "ro.duckdb"
    path.write_bytes(demo_file.read_bytes())
    database = Database(path)
    yield database
    database.close()


def _scope(db: Database, *argv: str) -> Scope:
    return scope_from_args(build_parser().parse_args(["overview", *argv]), db)


def test_a_new_period_costs_a_handful_of_statements(store, monkeypatch) -> None:
    first = _scope(store)  # the sidebar's default: the last 30 days against the 30 before
    build_overview(store, first)
    for argv in (("--preset", "last_month"), ("--preset", "last_90_days", "--compare", "year"),
                 ("--start", "2025-06-01", "--end", "2025-06-30")):  # fmt: skip
        scope = _scope(store, *argv)
        assert scope.period != first.period
        with counting(monkeypatch) as log:
            overview = build_overview(store, scope)
        assert overview.cards and overview.opportunities is not None
        assert len(log) <= NEW_PERIOD_MOST, (
            f"{len(log)} statements for a new period ({' '.join(argv)}), at most "
            f"{NEW_PERIOD_MOST} expected:\n{log.listing()}"
        )


def test_the_first_overview_of_a_data_version(store, monkeypatch) -> None:
    scope = _scope(store)
    fresh = Database(store.path)  # nothing read yet for this database
    try:
        with counting(monkeypatch) as log:
            build_overview(fresh, scope)
    finally:
        fresh.close()
    assert len(log) <= FIRST_MOST, (
        f"{len(log)} statements for the first overview, at most {FIRST_MOST} expected:\n"
        f"{log.listing()}"
    )


def test_the_same_scope_again_reads_only_what_depends_on_the_period(store, monkeypatch) -> None:
    scope = _scope(store)
    build_overview(store, scope)
    with counting(monkeypatch) as log:
        build_overview(store, scope)
    # the data version, the health check's daily splits and duplicates, the event bounce rate
    assert len(log) <= 3, log.listing()


def test_an_import_is_seen_at_once(store, tmp_path) -> None:
    scope = _scope(store)
    before = build_overview(store, scope)
    day = scope.period.end - timedelta(days=3)
    # another Database on the same file (as `ro ingest` in another process would) imports one
    # more order of $1,000 and sets a goal
    other = Database(store.path)
    try:
        orders = [shopify_order("#T1", f"{day} 12:00:00 -0500", "1000.00", currency="USD")]
        ingest_file(other, write_shopify_orders(tmp_path / "more.csv", orders))
        goals.set_goal(other, "revenue", "month", scope.period.end, 123_456)
    finally:
        other.close()
    after = build_overview(store, scope)
    assert after.kpis.current.orders == before.kpis.current.orders + 1
    assert after.kpis.current.revenue == pytest.approx(before.kpis.current.revenue + 1000)
    assert [g.goal.target for g in after.goals] == [123_456]
    month = DateRange(scope.period.end.replace(day=1), scope.period.end)
    assert after.goals[0].goal.period.start == month.start == date(2025, 10, 1)
