"""Reading and writing the log's rows: the columns, a row as an Experiment, the test name and
the JSON the plan and the result are kept in."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.loop.experiment_log.record import Experiment
from ro_core.store import schema
from ro_core.store.db import Database

MAX_NAME = 120


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
