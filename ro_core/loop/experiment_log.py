"""The experiment log: every A/B test from plan to result, tied to its hypothesis.

Lifecycle
- plan: the test stores the sample-size calculator's inputs and outputs (JSON) and its expected
  duration; its hypothesis moves to 'planned'.
- start: the test gets a start date and a note on the timeline (``ro_core.store.annotations``) from
  the start to the planned end, so every trend chart shows it; the hypothesis moves to 'running'.
- end: the analyzer's result (``ExperimentAnalysis.to_dict()``) is saved; the outcome follows the
  verdict (winner -> won, loser -> lost, otherwise inconclusive), the timeline note is replaced
  by one spanning the real dates, and the hypothesis takes the outcome as its status.

Lift and revenue impact come from the best variant (highest relative lift on the primary
metric). Revenue impact is a month of the store's traffic at that variant's revenue-per-visitor
lift: ``RPV lift x daily sessions x 30.44`` (daily sessions from the plan unless given); with
conversion data only, ``CR lift x AOV`` stands in for the RPV lift when the plan has an AOV.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis import ExperimentAnalysis, Verdict, analyze_summary_frame
from ro_core.experiment.planning import (
    DEFAULT_DESIGN,
    Baseline,
    ContinuousBaseline,
    ExperimentDesign,
    as_number,
    duration_for,
    sample_size,
)
from ro_core.loop import hypotheses as H
from ro_core.metrics.opportunities import DAYS_PER_MONTH
from ro_core.store import schema
from ro_core.store.annotations import MAX_TEXT_LENGTH, add_annotation, delete_annotation
from ro_core.store.db import Database

PLANNED = "planned"
RUNNING = "running"
ENDED = "ended"
EXPERIMENT_STATUSES: tuple[str, ...] = (PLANNED, RUNNING, ENDED)
EXPERIMENT_STATUS_LABELS = {PLANNED: "Planned", RUNNING: "Running", ENDED: "Ended"}
OUTCOME_FROM_VERDICT = {
    "winner": H.WON,
    "loser": H.LOST,
    "inconclusive": H.INCONCLUSIVE,
    "invalid": H.INCONCLUSIVE,
}
PRIMARY_METRICS = {"rpv": "Revenue per visitor", "cr": "Conversion rate", "aov": "AOV"}
MAX_NAME = 120

EXPERIMENT_COLUMNS: tuple[str, ...] = (
    "experiment_id",
    "name",
    "hypothesis_id",
    "hypothesis_title",
    "status",
    "primary_metric",
    "planned_start",
    "expected_days",
    "start_date",
    "end_date",
    "days_run",
    "outcome",
    "relative_lift",
    "monthly_revenue_impact",
    "verdict",
)
WIN_RATE_COLUMNS: tuple[str, ...] = (
    "period_start",
    "ended",
    "won",
    "lost",
    "inconclusive",
    "win_rate",
    "cumulative_ended",
    "cumulative_won",
    "cumulative_win_rate",
)


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestPlan:
    """What a planned test stores: the calculator's settings and the expected duration.

    `settings` holds ``inputs`` (baseline, MDE, design, traffic), ``sample_size``
    (SampleSize.to_dict()) and ``duration`` (ExperimentDuration.to_dict(), None without traffic).
    """

    primary_metric: str
    settings: dict[str, Any] = field(default_factory=dict)
    expected_days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "primary_metric": self.primary_metric,
            "settings": self.settings,
            "expected_days": self.expected_days,
        }


def plan_from_calculator(
    baseline: Baseline,
    mde: float,
    *,
    relative: bool = True,
    design: ExperimentDesign = DEFAULT_DESIGN,
    daily_sessions: float | None = None,
    traffic_share: float | str = 1.0,
) -> TestPlan:
    """Run the sample-size calculator (and the duration, given daily sessions) into a TestPlan.

    Raises:
        InvalidInputError: whatever the calculator refuses (see ro_core.experiment.planning).
    """
    size = sample_size(baseline, mde, relative=relative, design=design)
    duration = None
    if daily_sessions:
        duration = duration_for(size, daily_sessions=daily_sessions, traffic_share=traffic_share)
    inputs: dict[str, Any] = {
        "metric": baseline.metric,
        "baseline_value": baseline.value,
        "sd": getattr(baseline, "sd", None),
        "conversion_rate": (
            baseline.conversion_rate if isinstance(baseline, ContinuousBaseline) else baseline.value
        ),
        "mde": as_number(mde, "Minimum detectable effect"),
        "relative": bool(relative),
        "alpha": design.alpha,
        "power": design.power,
        "two_sided": design.two_sided,
        "variants": design.variants,
        "correction": design.correction,
        "control_share": design.control_share,
        "daily_sessions": float(daily_sessions) if daily_sessions else None,
        "traffic_share": as_number(traffic_share, "Share of traffic in the test"),
    }
    settings = {
        "inputs": inputs,
        "sample_size": size.to_dict(),
        "duration": duration.to_dict() if duration else None,
    }
    return TestPlan(
        primary_metric=baseline.metric,
        settings=settings,
        expected_days=duration.recommended_days if duration else None,
    )


# --- the record ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Experiment:
    """One test in the log. `result` is ExperimentAnalysis.to_dict() once it has ended."""

    experiment_id: int
    hypothesis_id: int
    name: str
    status: str
    primary_metric: str
    plan: dict[str, Any]
    expected_days: int | None
    planned_start: date | None
    start_date: date | None
    end_date: date | None
    annotation_id: int | None
    result: dict[str, Any] | None
    outcome: str | None
    verdict: str | None
    relative_lift: float | None
    monthly_revenue_impact: float | None
    created_at: datetime | None = None

    @property
    def planned_end(self) -> date | None:
        """The last day of the expected duration (from the start, else the planned start)."""
        first = self.start_date or self.planned_start
        if first is None or not self.expected_days:
            return None
        return first + timedelta(days=self.expected_days - 1)

    @property
    def days_run(self) -> int | None:
        """Days from start to end, both included (None until it has ended)."""
        if self.start_date is None or self.end_date is None:
            return None
        return (self.end_date - self.start_date).days + 1

    @property
    def status_label(self) -> str:
        return EXPERIMENT_STATUS_LABELS.get(self.status, self.status)

    @property
    def daily_sessions(self) -> float | None:
        """Daily sessions the plan was made with, if any."""
        inputs = (self.plan or {}).get("inputs") or {}
        value = inputs.get("daily_sessions")
        return float(value) if value else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment_id": self.experiment_id,
            "hypothesis_id": self.hypothesis_id,
            "name": self.name,
            "status": self.status,
            "primary_metric": self.primary_metric,
            "plan": self.plan,
            "expected_days": self.expected_days,
            "planned_start": _iso(self.planned_start),
            "planned_end": _iso(self.planned_end),
            "start_date": _iso(self.start_date),
            "end_date": _iso(self.end_date),
            "days_run": self.days_run,
            "annotation_id": self.annotation_id,
            "result": self.result,
            "outcome": self.outcome,
            "verdict": self.verdict,
            "relative_lift": self.relative_lift,
            "monthly_revenue_impact": self.monthly_revenue_impact,
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


_COLUMNS = (
    "experiment_id, hypothesis_id, name, status, primary_metric, plan_json, expected_days, "
    "planned_start, start_date, end_date, annotation_id, result_json, outcome, verdict, "
    "relative_lift, monthly_revenue_impact, created_at"
)


def _from_row(row: Sequence[Any]) -> Experiment:
    values = list(row)
    values[0] = int(values[0])
    values[1] = int(values[1])
    values[5] = json.loads(values[5]) if values[5] else {}
    values[6] = None if values[6] is None else int(values[6])
    values[10] = None if values[10] is None else int(values[10])
    values[11] = json.loads(values[11]) if values[11] else None
    return Experiment(*values)


def _fetch(cur, experiment_id: int) -> Experiment:
    row = cur.execute(
        f"SELECT {_COLUMNS} FROM {schema.EXPERIMENTS} WHERE experiment_id = ?",
        [int(experiment_id)],
    ).fetchone()
    if row is None:
        raise InvalidInputError(f"There is no test #{experiment_id} in the experiment log.")
    return _from_row(row)


def get_experiment(db: Database, experiment_id: int) -> Experiment:
    """One test of the log; InvalidInputError when there is none with this id."""
    with db.cursor() as cur:
        return _fetch(cur, experiment_id)


def _name(name: object) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise InvalidInputError("Give the test a short name, e.g. 'Free shipping banner'.")
    if len(text) > MAX_NAME:
        raise InvalidInputError(f"Keep the test name under {MAX_NAME} characters.")
    return text


def _json(data: Any) -> str:
    return json.dumps(data, default=_json_default, allow_nan=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in the experiment log")


def _clean_numbers(data: Any) -> Any:
    """Non-finite floats become None so the JSON is valid everywhere."""
    if isinstance(data, dict):
        return {k: _clean_numbers(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_clean_numbers(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def plan_experiment(
    db: Database,
    hypothesis_id: int,
    name: str,
    plan: TestPlan | None = None,
    *,
    primary_metric: str | None = None,
    expected_days: int | None = None,
    planned_start: date | None = None,
) -> Experiment:
    """Log a planned test of a hypothesis; the hypothesis moves to 'planned'.

    Args:
        plan: the calculator's settings (plan_from_calculator); optional.
        primary_metric: 'rpv', 'cr' or 'aov' (default: the plan's, else 'rpv').
        expected_days: overrides the plan's expected duration.
        planned_start: when the test should start, if known.

    Raises:
        InvalidInputError: no name, unknown hypothesis, a hypothesis that cannot be planned
            (running, won or lost) or that already has a planned or running test.
    """
    metric = primary_metric or (plan.primary_metric if plan else "rpv")
    if metric not in PRIMARY_METRICS:
        raise InvalidInputError(
            f"The primary metric must be one of {', '.join(PRIMARY_METRICS)}, got {metric!r}."
        )
    days = expected_days if expected_days is not None else (plan.expected_days if plan else None)
    if days is not None:
        if int(days) != days or days < 1:
            raise InvalidInputError(
                f"The expected duration must be whole days (1 or more): {days}."
            )
        days = int(days)
    settings = _clean_numbers(plan.settings) if plan else {}
    with db.transaction() as cur:
        active = cur.execute(
            f"""SELECT experiment_id, status FROM {schema.EXPERIMENTS}
            WHERE hypothesis_id = ? AND status IN (?, ?) ORDER BY experiment_id LIMIT 1""",
            [int(hypothesis_id), PLANNED, RUNNING],
        ).fetchone()
        if active is not None:
            raise InvalidInputError(
                f"Hypothesis #{hypothesis_id} already has test #{active[0]} {active[1]}: "
                "start or remove a planned test, or end a running one, before planning another."
            )
        H.move_status(cur, hypothesis_id, H.PLANNED)
        row = cur.execute(
            f"""INSERT INTO {schema.EXPERIMENTS}
            (hypothesis_id, name, status, primary_metric, plan_json, expected_days, planned_start)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}""",
            [
                int(hypothesis_id),
                _name(name),
                PLANNED,
                metric,
                _json(settings),
                days,
                planned_start,
            ],
        ).fetchone()
    return _from_row(row)


def _note_text(prefix: str, name: str) -> str:
    text = f"{prefix}{name}"
    return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + "…"


def start_experiment(db: Database, experiment_id: int, start_date: date) -> Experiment:
    """Mark a planned test as running from `start_date`; its dates go on the timeline.

    The timeline note spans the expected duration (a single day when it is unknown); the
    hypothesis moves to 'running'.
    """
    if not isinstance(start_date, date):
        raise InvalidInputError("Pick the day the test started.")
    experiment = get_experiment(db, experiment_id)
    if experiment.status != PLANNED:
        raise InvalidInputError(
            f"Test #{experiment_id} is {experiment.status_label.lower()}: only a planned test "
            "can start."
        )
    end = (
        start_date + timedelta(days=experiment.expected_days - 1)
        if experiment.expected_days
        else None
    )
    note = add_annotation(db, start_date, _note_text("A/B test running: ", experiment.name), end)
    try:
        with db.transaction() as cur:
            current = _fetch(cur, experiment_id)
            if current.status != PLANNED:
                raise InvalidInputError(f"Test #{experiment_id} has already started.")
            H.move_status(cur, current.hypothesis_id, H.RUNNING)
            cur.execute(
                f"""UPDATE {schema.EXPERIMENTS} SET status = ?, start_date = ?, annotation_id = ?,
                updated_at = now() WHERE experiment_id = ?""",
                [RUNNING, start_date, note.annotation_id, int(experiment_id)],
            )
            return _fetch(cur, experiment_id)
    except BaseException:
        delete_annotation(db, note.annotation_id)
        raise


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultSummary:
    """What the log keeps beside the full result: outcome, verdict, best variant, lift, impact."""

    outcome: str
    verdict: str
    variant: str | None
    relative_lift: float | None
    monthly_revenue_impact: float | None


def summarize_result(
    result: Mapping[str, Any], *, monthly_visitors: float | None = None
) -> ResultSummary:
    """Outcome, best variant, its primary-metric lift and a month's revenue impact.

    Args:
        result: ExperimentAnalysis.to_dict().
        monthly_visitors: visitors a month the change would reach once shipped.
    """
    verdict = result.get("verdict") or {}
    outcome = OUTCOME_FROM_VERDICT.get(verdict.get("status"), H.INCONCLUSIVE)
    primary = result.get("primary_metric") or "cr"
    best: tuple[float, dict[str, Any]] | None = None
    for variant in result.get("variants") or []:
        metric = _variant_metric(variant, primary)
        lift = _finite(metric.get("relative_lift")) if metric else None
        if lift is not None and (best is None or lift > best[0]):
            best = (lift, variant)
    if best is None:
        return ResultSummary(outcome, str(verdict.get("headline") or ""), None, None, None)
    lift, variant = best
    impact = None
    if monthly_visitors:
        rpv = variant.get("revenue_per_visitor") or {}
        per_visitor = _finite(rpv.get("absolute_lift"))
        if per_visitor is None:
            aov = _finite((result.get("control") or {}).get("average_order_value"))
            cr_lift = _finite(variant.get("absolute_lift"))
            if aov is not None and cr_lift is not None:
                per_visitor = cr_lift * aov
        if per_visitor is not None:
            impact = per_visitor * float(monthly_visitors)
    return ResultSummary(
        outcome, str(verdict.get("headline") or ""), str(variant.get("name")), lift, impact
    )


def _variant_metric(variant: Mapping[str, Any], primary: str) -> Mapping[str, Any] | None:
    if primary == "rpv":
        return variant.get("revenue_per_visitor")
    if primary == "aov":
        return variant.get("average_order_value")
    return variant  # conversion figures sit at the top level


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def end_experiment(
    db: Database,
    experiment_id: int,
    end_date: date,
    analysis: ExperimentAnalysis | Mapping[str, Any] | None,
    *,
    monthly_visitors: float | None = None,
    start_date: date | None = None,
) -> Experiment:
    """Close a running test with the analyzer's result and update its hypothesis.

    Args:
        analysis: analyze_experiment(...) (or its to_dict()); None records a test stopped
            without a usable result (outcome inconclusive).
        monthly_visitors: visitors a month for the revenue impact (default: the plan's daily
            sessions x 30.44).
        start_date: the real first day, when it differs from the one recorded at the start.

    Raises:
        InvalidInputError: the test is not running, or it ends before it started.
    """
    if not isinstance(end_date, date):
        raise InvalidInputError("Pick the day the test ended.")
    experiment = get_experiment(db, experiment_id)
    if experiment.status != RUNNING:
        raise InvalidInputError(
            f"Test #{experiment_id} is {experiment.status_label.lower()}: only a running test "
            "can end (start it first)."
        )
    assert experiment.start_date is not None
    if start_date is not None and start_date != experiment.start_date:
        if not isinstance(start_date, date):
            raise InvalidInputError("Pick the day the test started.")
        experiment = replace(experiment, start_date=start_date)
    if end_date < experiment.start_date:
        raise InvalidInputError(
            f"The test ends ({end_date}) before it started ({experiment.start_date}): check the "
            "dates."
        )
    if isinstance(analysis, ExperimentAnalysis):
        result: dict[str, Any] | None = analysis.to_dict()
    elif analysis is None:
        result = None
    else:
        result = dict(analysis)
    result = _clean_numbers(result)
    if monthly_visitors is None and experiment.daily_sessions:
        monthly_visitors = experiment.daily_sessions * DAYS_PER_MONTH
    if result is None:
        summary = ResultSummary(H.INCONCLUSIVE, "Stopped without a result.", None, None, None)
    else:
        summary = summarize_result(result, monthly_visitors=monthly_visitors)
    note = add_annotation(
        db,
        experiment.start_date,
        _note_text(f"A/B test ({summary.outcome}): ", experiment.name),
        end_date,
    )
    try:
        with db.transaction() as cur:
            current = _fetch(cur, experiment_id)
            if current.status != RUNNING:
                raise InvalidInputError(f"Test #{experiment_id} has already ended.")
            H.move_status(cur, current.hypothesis_id, summary.outcome)
            cur.execute(
                f"""UPDATE {schema.EXPERIMENTS} SET status = ?, start_date = ?, end_date = ?,
                annotation_id = ?, result_json = ?, outcome = ?, verdict = ?, relative_lift = ?,
                monthly_revenue_impact = ?, updated_at = now() WHERE experiment_id = ?""",
                [
                    ENDED,
                    experiment.start_date,
                    end_date,
                    note.annotation_id,
                    _json(result) if result is not None else None,
                    summary.outcome,
                    summary.verdict,
                    summary.relative_lift,
                    summary.monthly_revenue_impact,
                    int(experiment_id),
                ],
            )
            ended = _fetch(cur, experiment_id)
    except BaseException:
        delete_annotation(db, note.annotation_id)
        raise
    if experiment.annotation_id is not None:
        delete_annotation(db, experiment.annotation_id)
    return ended


def default_result_dates(experiment: Experiment, today: date) -> tuple[date, date]:
    """The first and last day a result form offers for a test of the log.

    First day: the recorded start, else the planned start, else `today` minus the planned
    duration (the test is logged after it ran), else today. Last day: the planned end when it
    has passed, else today (never before the first day).
    """
    start = experiment.start_date or experiment.planned_start
    if start is None:
        days = experiment.expected_days or 1
        start = today - timedelta(days=days - 1)
    end = today
    if experiment.expected_days:
        planned_end = start + timedelta(days=experiment.expected_days - 1)
        end = min(today, planned_end)
    return start, max(start, end)


def analyze_result(
    experiment: Experiment,
    summary: pd.DataFrame,
    start_date: date,
    end_date: date,
    **options: Any,
) -> ExperimentAnalysis:
    """Analyse a test of the log from its per-arm summary and its real dates.

    With a planned duration, "too early" is judged against it alone: a test that ran fewer days
    than planned is too early to call (whatever its p-value); one that ran the planned days is
    read as it stands. Without a plan, the analyzer's rule applies (under a full week is too
    early). `options` go to ``analyze_summary_frame`` (control, alpha, planned_split, ...).

    Raises:
        InvalidInputError: the dates are reversed, or the analyzer refuses the counts.
    """
    if not isinstance(start_date, date) or not isinstance(end_date, date):
        raise InvalidInputError("Pick the first and the last day of the test.")
    if end_date < start_date:
        raise InvalidInputError(
            f"The test ends ({end_date}) before it starts ({start_date}): check the dates."
        )
    days = (end_date - start_date).days + 1
    planned = experiment.expected_days
    if not planned:
        return analyze_summary_frame(summary, days=days, **options)
    analysis = replace(analyze_summary_frame(summary, days=None, **options), days=days)
    if days >= planned:
        return analysis
    verdict = analysis.verdict
    headline = (
        f"Too early to call: the test ran {days} of its {planned} planned days"
        f" ({start_date} to {end_date})."
    )
    so_far = f"So far: {verdict.headline}" if verdict.headline else ""
    warnings = tuple(w for w in (so_far, *verdict.warnings) if w)
    return replace(analysis, verdict=Verdict("inconclusive", headline, warnings))


def record_result(
    db: Database,
    experiment_id: int,
    start_date: date,
    end_date: date,
    analysis: ExperimentAnalysis | Mapping[str, Any] | None,
    *,
    monthly_visitors: float | None = None,
) -> Experiment:
    """Log a finished test with its real dates: a planned test starts and ends at once, a
    running one ends (its first day corrected when it differs)."""
    if isinstance(start_date, date) and isinstance(end_date, date) and end_date < start_date:
        raise InvalidInputError(
            f"The test ends ({end_date}) before it starts ({start_date}): check the dates."
        )
    experiment = get_experiment(db, experiment_id)
    if experiment.status == PLANNED:
        start_experiment(db, experiment_id, start_date)
    return end_experiment(
        db,
        experiment_id,
        end_date,
        analysis,
        monthly_visitors=monthly_visitors,
        start_date=start_date,
    )


def delete_experiment(db: Database, experiment_id: int) -> bool:
    """Remove a planned (not started) test; its hypothesis goes back to 'idea' when no other
    planned test is left. Started tests stay in the log: end them instead."""
    with db.transaction() as cur:
        row = cur.execute(
            f"SELECT status, hypothesis_id FROM {schema.EXPERIMENTS} WHERE experiment_id = ?",
            [int(experiment_id)],
        ).fetchone()
        if row is None:
            return False
        status, hypothesis_id = row
        if status != PLANNED:
            raise InvalidInputError(
                f"Test #{experiment_id} has started: it stays in the log. End it with its "
                "result (or without one) instead."
            )
        cur.execute(
            f"DELETE FROM {schema.EXPERIMENTS} WHERE experiment_id = ?", [int(experiment_id)]
        )
        others = cur.execute(
            f"SELECT count(*) FROM {schema.EXPERIMENTS} WHERE hypothesis_id = ? AND status = ?",
            [hypothesis_id, PLANNED],
        ).fetchone()[0]
        hypothesis = H._fetch(cur, hypothesis_id)
        if not others and hypothesis.status == H.PLANNED:
            H.move_status(cur, hypothesis_id, H.IDEA)
    return True


# --- listing ------------------------------------------------------------------------------------


def list_experiments(
    db: Database, *, statuses: Sequence[str] | None = None, hypothesis_id: int | None = None
) -> list[Experiment]:
    """Tests in the log, newest start (or plan) first."""
    wanted = list(statuses) if statuses else list(EXPERIMENT_STATUSES)
    rows = db.fetch_all(
        f"""SELECT {_COLUMNS} FROM {schema.EXPERIMENTS}
        WHERE list_contains(?, status) AND (CAST(? AS INTEGER) IS NULL OR hypothesis_id = ?)
        ORDER BY coalesce(start_date, planned_start, CAST(created_at AS DATE)) DESC,
                 experiment_id DESC""",
        [wanted, hypothesis_id, hypothesis_id],
    )
    return [_from_row(r) for r in rows]


def experiments_in_period(db: Database, start: date, end: date) -> list[Experiment]:
    """Tests that ran during [start, end]: started by `end` and not ended before `start`."""
    rows = db.fetch_all(
        f"""SELECT {_COLUMNS} FROM {schema.EXPERIMENTS}
        WHERE start_date IS NOT NULL AND start_date <= ?
          AND (end_date IS NULL OR end_date >= ?)
        ORDER BY start_date, experiment_id""",
        [end, start],
    )
    return [_from_row(r) for r in rows]


def experiments_frame(
    db: Database, experiments: Sequence[Experiment] | None = None
) -> pd.DataFrame:
    """The log as a table with EXPERIMENT_COLUMNS (hypothesis titles joined in)."""
    items = list_experiments(db) if experiments is None else list(experiments)
    titles = dict(db.fetch_all(f"SELECT hypothesis_id, title FROM {schema.HYPOTHESES}"))
    records = [
        {
            "experiment_id": e.experiment_id,
            "name": e.name,
            "hypothesis_id": e.hypothesis_id,
            "hypothesis_title": titles.get(e.hypothesis_id),
            "status": e.status,
            "primary_metric": e.primary_metric,
            "planned_start": e.planned_start,
            "expected_days": e.expected_days,
            "start_date": e.start_date,
            "end_date": e.end_date,
            "days_run": e.days_run,
            "outcome": e.outcome,
            "relative_lift": e.relative_lift,
            "monthly_revenue_impact": e.monthly_revenue_impact,
            "verdict": e.verdict,
        }
        for e in items
    ]
    return pd.DataFrame(records, columns=list(EXPERIMENT_COLUMNS))


def win_rate_over_time(ended: pd.DataFrame, grain: str = "month") -> pd.DataFrame:
    """Tests ended per month or quarter and the share won, per period and cumulative.

    Args:
        ended: rows with ``end_date`` and ``outcome`` (experiments_frame(); other rows ignored).
        grain: 'month' or 'quarter'.

    Returns:
        WIN_RATE_COLUMNS, one row per period that has ended tests, oldest first;
        ``period_start`` is a date. Win rate = won / ended.
    """
    if grain not in ("month", "quarter"):
        raise InvalidInputError(f"Win rate is by month or quarter, not {grain!r}.")
    rows = ended[ended["end_date"].notna() & ended["outcome"].notna()] if len(ended) else ended
    if not len(rows):
        return pd.DataFrame(columns=list(WIN_RATE_COLUMNS))
    days = pd.to_datetime(rows["end_date"])
    frequency = "M" if grain == "month" else "Q"
    starts = days.dt.to_period(frequency).dt.start_time.dt.date
    table = pd.DataFrame({"period_start": starts.to_numpy(), "outcome": rows["outcome"].to_numpy()})
    counts = table.groupby(["period_start", "outcome"]).size().unstack(fill_value=0).sort_index()
    out = pd.DataFrame({"period_start": counts.index})
    for outcome in (H.WON, H.LOST, H.INCONCLUSIVE):
        out[outcome] = counts[outcome].to_numpy() if outcome in counts else 0
    out["ended"] = out[H.WON] + out[H.LOST] + out[H.INCONCLUSIVE]
    out["win_rate"] = out[H.WON] / out["ended"]
    out["cumulative_ended"] = out["ended"].cumsum()
    out["cumulative_won"] = out[H.WON].cumsum()
    out["cumulative_win_rate"] = out["cumulative_won"] / out["cumulative_ended"]
    return out[list(WIN_RATE_COLUMNS)].reset_index(drop=True)
