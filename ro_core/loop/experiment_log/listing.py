"""The log as lists and tables: tests by status or period, the log's table and the win rate
over time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.loop import hypotheses as H
from ro_core.loop.experiment_log.record import EXPERIMENT_STATUSES, Experiment
from ro_core.loop.experiment_log.storage import _COLUMNS, _from_row
from ro_core.store import schema
from ro_core.store.db import Database

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
