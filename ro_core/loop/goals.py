"""Goals: a target for revenue, conversion rate (CR), AOV or RPV per month or quarter.

Progress is pure arithmetic over the actual value to date (from ``ro_core.metrics.kpi_values``)
and the days elapsed: :func:`goal_progress` (in ``ro_core.loop.goal_pace``, re-exported here)
takes numbers and returns a frozen :class:`GoalProgress`; :func:`goals_progress` fetches the
actuals from the database.

Pace
- Revenue adds up over days: to date it is on pace when it is at least ``target x elapsed /
  total days``; the projection is ``actual / elapsed x total``; what is needed is
  ``(target - actual) / remaining days`` a day.
- CR, AOV and RPV are ratios (orders / sessions, revenue / orders, revenue / sessions). Assuming
  the denominator keeps accruing at its rate so far, the whole period ends on target when the
  rest of the period runs at ``target + (target - actual) x elapsed / remaining``: the value the
  remaining days must average. (With D a day, the period needs target x D x total in the
  numerator; actual x D x elapsed is in, so the rest needs target x total - actual x elapsed over
  D x remaining.)

Scope
- Goals are store-wide targets: :func:`goals_progress` measures them on the whole store even
  when the filters carry a "Show only" segment, and says so in each progress' ``note`` (see
  :func:`goals_scope_note`). The Goals page, the report and ``ro goals`` all call it, so they
  agree.
- A goal carries its currency: the store currency when it was set (goals set before goals had
  one take the store currency). It is measured in that currency, orders without a currency
  counting in the store currency (``ro_core.metrics.currency``), whatever currency the caller's
  filters show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import pandas as pd

from ro_core.loop.goal_pace import (
    ADDITIVE_METRICS,
    BEHIND,
    GOAL_METRICS,
    MISSED,
    NO_DATA,
    NOT_STARTED,
    ON_TRACK,
    PERIOD_KINDS,
    REACHED,
    STATUS_LABELS,
    Goal,
    GoalProgress,
    check_target,
    goal_period,
    goal_progress,
    period_label,
)
from ro_core.metrics.currency import store_currency
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import DateRange
from ro_core.metrics.versioned import pins_version, remember
from ro_core.store import schema
from ro_core.store.db import Database

__all__ = [
    "ADDITIVE_METRICS",
    "BEHIND",
    "GOAL_METRICS",
    "MISSED",
    "NOT_STARTED",
    "NO_DATA",
    "ON_TRACK",
    "PERIOD_KINDS",
    "PROGRESS_COLUMNS",
    "REACHED",
    "STATUS_LABELS",
    "Goal",
    "GoalProgress",
    "check_target",
    "delete_goal",
    "goal_filters",
    "goal_period",
    "goal_progress",
    "goals_overlapping",
    "goals_progress",
    "goals_scope_note",
    "list_goals",
    "period_label",
    "progress_frame",
    "set_goal",
]


def _goal(row: Sequence[Any], default_currency: str | None = None) -> Goal:
    goal_id, metric, kind, start, end, target, currency = row
    return Goal(
        int(goal_id),
        metric,
        kind,
        DateRange(start, end),
        float(target),
        currency or default_currency,
    )


def _goals(db: Database, rows: Sequence[Sequence[Any]]) -> list[Goal]:
    """Goals from rows; goals stored without a currency take the store currency."""
    default = store_currency(db) if any(r[-1] is None for r in rows) else None
    return [_goal(r, default) for r in rows]


_GOAL_COLUMNS = "goal_id, metric, period_kind, period_start, period_end, target, currency"


def set_goal(
    db: Database,
    metric: str,
    period_kind: str,
    day: date,
    target: object,
    *,
    currency: str | None = None,
) -> Goal:
    """Set (or replace) the target of a metric for the month or quarter containing `day`.

    The goal is stored in `currency` (default: the store currency now, see
    ``ro_core.metrics.currency.store_currency``) and always measured in it.

    Raises:
        InvalidInputError: unknown metric or period kind, or an unusable target.
    """
    value = check_target(metric, target)
    period = goal_period(period_kind, day)
    code = currency.strip().upper() if currency and currency.strip() else store_currency(db)
    with db.transaction() as cur:
        row = cur.execute(
            f"""INSERT INTO {schema.GOALS}
                (metric, period_kind, period_start, period_end, target, currency)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (metric, period_kind, period_start)
            DO UPDATE SET target = excluded.target, currency = excluded.currency,
                updated_at = now()
            RETURNING {_GOAL_COLUMNS}""",
            [metric, period_kind, period.start, period.end, value, code],
        ).fetchone()
    return _goal(row)


def list_goals(db: Database, *, active_on: date | None = None) -> list[Goal]:
    """Every goal (or those whose period contains `active_on`), by period then metric."""
    rows = db.fetch_all(
        f"""SELECT {_GOAL_COLUMNS} FROM {schema.GOALS}
        WHERE CAST(? AS DATE) IS NULL OR ? BETWEEN period_start AND period_end
        ORDER BY period_start, period_end, metric""",
        [active_on, active_on],
    )
    order = list(GOAL_METRICS)
    goals = _goals(db, rows)
    return sorted(goals, key=lambda g: (g.period.start, g.period.end, order.index(g.metric)))


def goals_overlapping(db: Database, period: DateRange) -> list[Goal]:
    """Goals whose month or quarter overlaps `period`."""
    rows = remember(db, "goals", lambda: _all_goal_rows(db))
    # ordered by period start, then metric (as the database sorts text)
    chosen = sorted(
        (r for r in rows if r[3] <= period.end and r[4] >= period.start),
        key=lambda r: (r[3], r[1]),
    )
    return _goals(db, chosen)


def _all_goal_rows(db: Database) -> list[tuple[Any, ...]]:
    """Every goal's row (_GOAL_COLUMNS); read once per data version (a goal change bumps it)."""
    return db.fetch_all(f"SELECT {_GOAL_COLUMNS} FROM {schema.GOALS}")


def delete_goal(db: Database, goal_id: int) -> bool:
    """Delete a goal; False when there is none with this id."""
    with db.transaction() as cur:
        deleted = cur.execute(
            f"DELETE FROM {schema.GOALS} WHERE goal_id = ? RETURNING goal_id", [int(goal_id)]
        ).fetchall()
    return bool(deleted)


# --- measuring goals on the store ---------------------------------------------------------


def goals_scope_note(filters: OrderFilters) -> str:
    """Why goal figures may differ from the page's: '' unless `filters` show only a segment."""
    if not filters.has_segment:
        return ""
    return (
        f"Goals are store-wide targets: measured on the whole store, not only "
        f"{filters.segment_label()}."
    )


def goal_filters(db: Database, goal: Goal, filters: OrderFilters = DEFAULT_FILTERS) -> OrderFilters:
    """The filters a goal is measured with: the caller's order filters and revenue basis, on
    the whole store (no "Show only" segment), in the goal's currency (the store currency for a
    goal without one), orders without a currency counting in the store currency."""
    return _measured_with(filters, goal, store_currency(db))


def _measured_with(filters: OrderFilters, goal: Goal, store: str | None) -> OrderFilters:
    return replace(
        filters.without_segment(), currency=goal.currency or store, blank_currency_as=store
    )


@pins_version
def goals_progress(
    db: Database,
    as_of: date,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    goals: Sequence[Goal] | None = None,
) -> list[GoalProgress]:
    """Progress of every goal (or `goals`) with actuals from ro_core.metrics.kpi_values.

    Each goal is measured with :func:`goal_filters`: the whole store (a "Show only" segment in
    `filters` is left out, and each progress' ``note`` says so) in the goal's currency.
    `as_of` should be the latest day with data (``coverage(db).latest_date``).
    """
    chosen = list_goals(db) if goals is None else list(goals)
    note = goals_scope_note(filters)
    store = store_currency(db) if chosen else None
    results = []
    for goal in chosen:
        if goal.currency is None and store is not None:
            goal = replace(goal, currency=store)
        counted_to = min(as_of, goal.period.end)
        actual = None
        if counted_to >= goal.period.start:
            measured = _measured_with(filters, goal, store)
            values = kpi_values(db, DateRange(goal.period.start, counted_to), measured)
            actual = values.value(goal.metric)
        results.append(replace(goal_progress(goal, actual, as_of), note=note))
    return results


PROGRESS_COLUMNS: tuple[str, ...] = (
    "goal_id",
    "goal",
    "metric",
    "currency",
    "period_start",
    "period_end",
    "target",
    "actual",
    "share_of_target",
    "expected_to_date",
    "projected",
    "required_remaining",
    "required_per_day",
    "as_of",
    "elapsed_days",
    "remaining_days",
    "status",
)


def progress_frame(progress: Sequence[GoalProgress]) -> pd.DataFrame:
    """Progress as a table with PROGRESS_COLUMNS (money in the goal's currency, rates as
    fractions)."""
    records = [
        {
            "goal_id": p.goal.goal_id,
            "goal": p.goal.label,
            "metric": p.goal.metric,
            "currency": p.goal.currency,
            "period_start": p.goal.period.start,
            "period_end": p.goal.period.end,
            "target": p.goal.target,
            "actual": p.actual,
            "share_of_target": p.share_of_target,
            "expected_to_date": p.expected_to_date,
            "projected": p.projected,
            "required_remaining": p.required_remaining,
            "required_per_day": p.required_per_day,
            "as_of": p.as_of,
            "elapsed_days": p.elapsed_days,
            "remaining_days": p.remaining_days,
            "status": p.status,
        }
        for p in progress
    ]
    return pd.DataFrame(records, columns=list(PROGRESS_COLUMNS))
