"""A test's lifecycle: plan, start, end (or log a finished test at once) and remove a planned
one, moving its hypothesis along and keeping its dates on the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis import ExperimentAnalysis
from ro_core.loop import hypotheses as H
from ro_core.loop.experiment_log.plan import TestPlan
from ro_core.loop.experiment_log.record import (
    ENDED,
    PLANNED,
    PRIMARY_METRICS,
    RUNNING,
    Experiment,
)
from ro_core.loop.experiment_log.results import ResultSummary, summarize_result
from ro_core.loop.experiment_log.storage import (
    _COLUMNS,
    _clean_numbers,
    _fetch,
    _from_row,
    _json,
    _name,
    get_experiment,
)
from ro_core.loop.hypotheses.storage import _fetch as _fetch_hypothesis
from ro_core.metrics.opportunities import DAYS_PER_MONTH
from ro_core.store import schema
from ro_core.store.annotations import MAX_TEXT_LENGTH, add_annotation, delete_annotation
from ro_core.store.db import Database


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
        hypothesis = _fetch_hypothesis(cur, hypothesis_id)
        if not others and hypothesis.status == H.PLANNED:
            H.move_status(cur, hypothesis_id, H.IDEA)
    return True
