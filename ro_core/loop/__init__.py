"""The revenue-optimization loop: goals, the hypothesis backlog and the experiment log.

Set goals (:mod:`ro_core.loop.goals`), write and score hypotheses
(:mod:`ro_core.loop.hypotheses`), test them and keep the results
(:mod:`ro_core.loop.experiment_log`). Everything is stored in the dashboard's DuckDB (schema
migration 2), apart from the imported data, so re-importing or removing exports never touches it.

Import the modules themselves (``from ro_core.loop import goals``): the package does not load
them all, so a page that needs goals does not pay for the experiment statistics (scipy).
"""
