"""Goals: a target for revenue, conversion rate (CR), AOV or RPV per month or quarter.

Progress is pure arithmetic over the actual value to date (from ``ro_core.metrics.kpi_values``)
and the days elapsed; :func:`goal_progress` takes numbers and returns a frozen
:class:`GoalProgress`, and :func:`goals_progress` fetches the actuals from the database.

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
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning import as_fraction, as_positive
from ro_core.metrics.catalog import metric as catalog_metric
from ro_core.metrics.currency import store_currency
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import DateRange
from ro_core.present.formatting import CURRENCY_SYMBOLS, money
from ro_core.store import schema
from ro_core.store.db import Database

# metric -> (short label, kind) from the metric catalogue; kind is 'money' or 'rate'. Keys are
# KpiValues.value() names.
GOAL_METRICS: dict[str, tuple[str, str]] = {
    key: (catalog_metric(key).short_label, catalog_metric(key).kind)
    for key in ("revenue", "conversion_rate", "aov", "rpv")
}
ADDITIVE_METRICS = frozenset({"revenue"})
PERIOD_KINDS: dict[str, str] = {"month": "Month", "quarter": "Quarter"}

# GoalProgress.status values
NOT_STARTED = "not_started"
NO_DATA = "no_data"
REACHED = "reached"
ON_TRACK = "on_track"
BEHIND = "behind"
MISSED = "missed"
STATUS_LABELS = {
    NOT_STARTED: "Not started",
    NO_DATA: "No data yet",
    REACHED: "Reached",
    ON_TRACK: "On track",
    BEHIND: "Behind",
    MISSED: "Missed",
}


def goal_period(kind: str, day: date) -> DateRange:
    """The calendar month or quarter ('month' or 'quarter') that contains `day`."""
    if kind not in PERIOD_KINDS:
        raise InvalidInputError(f"A goal is set per month or quarter, not {kind!r}.")
    if not isinstance(day, date):
        raise InvalidInputError("Pick a day inside the goal's month or quarter.")
    first_month = day.month if kind == "month" else 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    months = 1 if kind == "month" else 3
    next_month = first_month + months
    after = date(day.year + (next_month - 1) // 12, (next_month - 1) % 12 + 1, 1)
    return DateRange(start, after - timedelta(days=1))


def period_label(kind: str, period: DateRange) -> str:
    """'March 2024' or 'Q1 2024'."""
    if kind == "quarter":
        return f"Q{(period.start.month - 1) // 3 + 1} {period.start.year}"
    return period.start.strftime("%B %Y")


@dataclass(frozen=True)
class Goal:
    """A target for one metric over one calendar month or quarter.

    `currency` is the currency the goal is measured in (money targets are amounts in it); None
    only when no order has a currency.
    """

    goal_id: int
    metric: str
    period_kind: str
    period: DateRange
    target: float
    currency: str | None = None

    @property
    def label(self) -> str:
        """'Revenue, March 2024'."""
        return f"{GOAL_METRICS[self.metric][0]}, {period_label(self.period_kind, self.period)}"

    @property
    def kind(self) -> str:
        """'money' or 'rate'."""
        return GOAL_METRICS[self.metric][1]

    @property
    def currency_symbol(self) -> str:
        """'$' for USD, '' for a currency without a known symbol or no currency."""
        return CURRENCY_SYMBOLS.get((self.currency or "").upper(), "")

    def format_value(self, value: float | None) -> str:
        """A target or actual as shown: '$80,000.00', '1,000.00 CHF', '3.20%', '–'."""
        return _show(value, self.kind, None, self.currency)

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal_id": self.goal_id,
            "metric": self.metric,
            "period_kind": self.period_kind,
            "period": self.period.to_dict(),
            "target": self.target,
            "currency": self.currency,
            "label": self.label,
        }


def check_target(metric: str, target: object) -> float:
    """The target as a number: a fraction between 0 and 1 for CR, above 0 for money."""
    if metric not in GOAL_METRICS:
        raise InvalidInputError(f"Goals can be set for {', '.join(GOAL_METRICS)}, not {metric!r}.")
    label = f"The {GOAL_METRICS[metric][0].lower()} target"
    if GOAL_METRICS[metric][1] == "rate":
        return as_fraction(target, label)
    return as_positive(target, label)


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
    rows = db.fetch_all(
        f"""SELECT {_GOAL_COLUMNS} FROM {schema.GOALS}
        WHERE period_start <= ? AND period_end >= ?
        ORDER BY period_start, metric""",
        [period.end, period.start],
    )
    return _goals(db, rows)


def delete_goal(db: Database, goal_id: int) -> bool:
    """Delete a goal; False when there is none with this id."""
    with db.transaction() as cur:
        deleted = cur.execute(
            f"DELETE FROM {schema.GOALS} WHERE goal_id = ? RETURNING goal_id", [int(goal_id)]
        ).fetchall()
    return bool(deleted)


# --- progress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalProgress:
    """Where a goal stands on `as_of` and the pace the rest of its period needs.

    Attributes:
        goal: the goal.
        as_of: the last day counted (None before the period starts).
        total_days, elapsed_days, remaining_days: days of the period; elapsed counts as_of.
        actual: the metric from the period's first day to as_of (None without data).
        share_of_target: actual / target.
        expected_to_date: revenue: target x elapsed / total (the straight-line pace); ratios:
            the target itself.
        projected: revenue: actual / elapsed x total; ratios: the actual so far.
        required_remaining: revenue: target - actual still to earn; ratios: the value the
            remaining days must average (see the module docstring).
        required_per_day: revenue a day still needed (revenue only).
        current_per_day: revenue a day so far (revenue only).
        required_change: how much better the rest of the period must do than so far
            (required / current - 1); None when already reached or undefined.
        status: one of STATUS_LABELS' keys.
        note: how the goal was measured when it differs from the caller's filters (a "Show
            only" segment left out: goals measure the whole store); '' otherwise.
    """

    goal: Goal
    as_of: date | None
    total_days: int
    elapsed_days: int
    remaining_days: int
    actual: float | None
    share_of_target: float | None
    expected_to_date: float | None
    projected: float | None
    required_remaining: float | None
    required_per_day: float | None
    current_per_day: float | None
    required_change: float | None
    status: str
    note: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def summary(self, currency_symbol: str | None = None) -> str:
        """One plain sentence: where the goal stands and what pace it needs.

        Money is shown in the goal's currency; `currency_symbol` overrides its symbol.
        """
        goal = self.goal

        def show(value: float | None) -> str:
            return _show(value, goal.kind, currency_symbol, goal.currency)

        target = show(goal.target)
        if self.status == NOT_STARTED:
            if goal.metric in ADDITIVE_METRICS:
                per_day = show(goal.target / self.total_days)
                return f"Starts {goal.period.start}: {target} means {per_day} a day."
            return f"Starts {goal.period.start}: target {target}."
        if self.status == NO_DATA:
            return f"No data for {goal.period.start} to {self.as_of} yet (target {target})."
        days = f"after {self.elapsed_days} of {self.total_days} days"
        if goal.metric in ADDITIVE_METRICS:
            text = f"{show(self.actual)} of {target} ({_pct(self.share_of_target)}) {days}"
        else:
            text = f"{show(self.actual)} against a target of {target} {days}"
        if self.status == REACHED:
            return f"{text}: reached."
        if self.status == MISSED:
            return f"{text}: missed."
        if goal.metric in ADDITIVE_METRICS:
            text += f"; on this pace {show(self.projected)} by {goal.period.end}"
            if self.status == ON_TRACK:
                return f"{text}: on track."
            need = f"{show(self.required_per_day)} a day for the last {self.remaining_days} days"
            if self.required_change is not None:
                need += f" ({_signed_pct(self.required_change)} on the current "
                need += f"{show(self.current_per_day)} a day)"
            return f"{text}. To reach it: {need}."
        if self.status == ON_TRACK:
            return f"{text}: on track (keep at least {target})."
        return (
            f"{text}. To end the period on target the last {self.remaining_days} days must "
            f"average {show(self.required_remaining)}."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal.to_dict(),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "total_days": self.total_days,
            "elapsed_days": self.elapsed_days,
            "remaining_days": self.remaining_days,
            "actual": self.actual,
            "share_of_target": self.share_of_target,
            "expected_to_date": self.expected_to_date,
            "projected": self.projected,
            "required_remaining": self.required_remaining,
            "required_per_day": self.required_per_day,
            "current_per_day": self.current_per_day,
            "required_change": self.required_change,
            "status": self.status,
            "note": self.note,
        }


def _show(value: float | None, kind: str, symbol: str | None, currency: str | None = None) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.2f}%"
    if symbol is None:
        return money(value, currency)
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _signed_pct(value: float) -> str:
    return f"{value * 100:+.1f}%"


def goal_progress(goal: Goal, actual: float | None, as_of: date) -> GoalProgress:
    """Progress of `goal` given the metric's value from the period start to `as_of`.

    `as_of` is the latest day the data covers; days after the period's end count as its end.
    """
    period = goal.period
    total = period.days
    counted_to = min(as_of, period.end)
    if counted_to < period.start:
        additive = goal.metric in ADDITIVE_METRICS
        return GoalProgress(
            goal=goal,
            as_of=None,
            total_days=total,
            elapsed_days=0,
            remaining_days=total,
            actual=None,
            share_of_target=None,
            expected_to_date=0.0 if additive else goal.target,
            projected=None,
            required_remaining=goal.target,
            required_per_day=goal.target / total if additive else None,
            current_per_day=None,
            required_change=None,
            status=NOT_STARTED,
        )
    elapsed = (counted_to - period.start).days + 1
    remaining = total - elapsed
    base = {
        "goal": goal,
        "as_of": counted_to,
        "total_days": total,
        "elapsed_days": elapsed,
        "remaining_days": remaining,
    }
    if actual is None:
        return GoalProgress(
            **base,
            actual=None,
            share_of_target=None,
            expected_to_date=None,
            projected=None,
            required_remaining=None,
            required_per_day=None,
            current_per_day=None,
            required_change=None,
            status=NO_DATA,
        )
    actual = float(actual)
    share = actual / goal.target
    if goal.metric in ADDITIVE_METRICS:
        expected = goal.target * elapsed / total
        current_per_day = actual / elapsed
        projected = current_per_day * total
        still = max(goal.target - actual, 0.0)
        if actual >= goal.target:
            status = REACHED
        elif remaining == 0:
            status = MISSED
        else:
            status = ON_TRACK if projected >= goal.target else BEHIND
        per_day = still / remaining if remaining and still > 0 else None
        change = None
        if per_day is not None and current_per_day > 0:
            change = per_day / current_per_day - 1
        return GoalProgress(
            **base,
            actual=actual,
            share_of_target=share,
            expected_to_date=expected,
            projected=projected,
            required_remaining=still,
            required_per_day=per_day,
            current_per_day=current_per_day,
            required_change=change,
            status=status,
        )
    if remaining == 0:
        status = REACHED if actual >= goal.target else MISSED
        required = None
    else:
        status = ON_TRACK if actual >= goal.target else BEHIND
        required = goal.target + (goal.target - actual) * elapsed / remaining
    change = None
    if required is not None and status == BEHIND and actual > 0:
        change = required / actual - 1
    return GoalProgress(
        **base,
        actual=actual,
        share_of_target=share,
        expected_to_date=goal.target,
        projected=actual,
        required_remaining=required,
        required_per_day=None,
        current_per_day=None,
        required_change=change,
        status=status,
    )


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
