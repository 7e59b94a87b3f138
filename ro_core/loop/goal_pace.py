"""Goals as numbers: the metrics a goal can target, its month or quarter, and its progress
and pace (pure arithmetic, no database). ``ro_core.loop.goals`` stores goals and measures them;
see its docstring for the pace formulas and the scope rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning import as_fraction, as_positive
from ro_core.metrics.catalog import metric as catalog_metric
from ro_core.metrics.periods import DateRange
from ro_core.present.formatting import CURRENCY_SYMBOLS, money

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
