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

Modules: ``record`` (statuses, primary metrics, the Experiment), ``storage`` (rows, JSON, the
test name), ``plan`` (the calculator's plan), ``results`` (outcome, lift, revenue impact, the
analysis against the plan), ``lifecycle`` (plan, start, end, record, delete) and ``listing``
(lists, the log's table, win rate over time). Their public names are re-exported here.
"""

from __future__ import annotations

from ro_core.loop.experiment_log.lifecycle import (
    delete_experiment,
    end_experiment,
    plan_experiment,
    record_result,
    start_experiment,
)
from ro_core.loop.experiment_log.listing import (
    EXPERIMENT_COLUMNS,
    WIN_RATE_COLUMNS,
    experiments_frame,
    experiments_in_period,
    list_experiments,
    win_rate_over_time,
)
from ro_core.loop.experiment_log.plan import TestPlan, plan_from_calculator
from ro_core.loop.experiment_log.record import (
    ENDED,
    EXPERIMENT_STATUS_LABELS,
    EXPERIMENT_STATUSES,
    PLANNED,
    PRIMARY_METRICS,
    RUNNING,
    Experiment,
)
from ro_core.loop.experiment_log.results import (
    OUTCOME_FROM_VERDICT,
    ResultSummary,
    analyze_result,
    default_result_dates,
    summarize_result,
)
from ro_core.loop.experiment_log.storage import MAX_NAME, get_experiment

__all__ = [
    "ENDED",
    "EXPERIMENT_COLUMNS",
    "EXPERIMENT_STATUSES",
    "EXPERIMENT_STATUS_LABELS",
    "Experiment",
    "MAX_NAME",
    "OUTCOME_FROM_VERDICT",
    "PLANNED",
    "PRIMARY_METRICS",
    "RUNNING",
    "ResultSummary",
    "TestPlan",
    "WIN_RATE_COLUMNS",
    "analyze_result",
    "default_result_dates",
    "delete_experiment",
    "end_experiment",
    "experiments_frame",
    "experiments_in_period",
    "get_experiment",
    "list_experiments",
    "plan_experiment",
    "plan_from_calculator",
    "record_result",
    "start_experiment",
    "summarize_result",
    "win_rate_over_time",
]
