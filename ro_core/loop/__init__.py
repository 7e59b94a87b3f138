"""The revenue-optimization loop: goals, the hypothesis backlog and the experiment log.

Set goals (:mod:`ro_core.loop.goals`), write and score hypotheses
(:mod:`ro_core.loop.hypotheses`), test them and keep the results
(:mod:`ro_core.loop.experiment_log`). Everything is stored in the dashboard's DuckDB (schema
migration 2), apart from the imported data, so re-importing or removing exports never touches it.
"""

from ro_core.loop import experiment_log, goals, hypotheses

__all__ = ["experiment_log", "goals", "hypotheses"]
