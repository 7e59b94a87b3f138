"""The hypothesis backlog: where, what was seen, the change, the metric and the expected lift,
scored with ICE or PIE, moving idea -> planned -> running -> won / lost / inconclusive.

Scores
- ICE (Sean Ellis): impact, confidence, ease, each 1-10.
- PIE (WiderFunnel): potential, importance, ease, each 1-10.
The score is the mean of the three (1-10), so ICE- and PIE-scored hypotheses sort together.

Modules: ``statuses`` (the flow and its checks), ``scoring`` (ICE and PIE), ``fields`` (metrics,
suggestions, text limits and the field checks), ``record`` (the Hypothesis), ``storage`` (add,
get, edit, score, move, delete), ``listing`` (sorted lists, the backlog's table, counts) and
``opportunity`` (a hypothesis from an Overview opportunity). Their public names are re-exported
here.
"""

from __future__ import annotations

from ro_core.loop.hypotheses.fields import (
    HYPOTHESIS_METRICS,
    LOCATION_SUGGESTIONS,
    MAX_TEXT,
    MAX_TITLE,
    OPPORTUNITY_SOURCE,
    SOURCE_SUGGESTIONS,
)
from ro_core.loop.hypotheses.listing import (
    HYPOTHESIS_COLUMNS,
    SORT_KEYS,
    hypotheses_frame,
    list_hypotheses,
    status_counts,
)
from ro_core.loop.hypotheses.opportunity import (
    existing_source_keys,
    hypothesis_from_opportunity,
    opportunity_hypothesis_fields,
    opportunity_key,
)
from ro_core.loop.hypotheses.record import Hypothesis
from ro_core.loop.hypotheses.scoring import (
    ICE,
    MAX_SCORE,
    MIN_SCORE,
    PIE,
    SCORE_FIELDS,
    SCORE_HELP,
    SCORING_LABELS,
    SCORING_METHODS,
    check_score,
    check_scoring,
    ice_score,
    pie_score,
)
from ro_core.loop.hypotheses.statuses import (
    FINISHED,
    IDEA,
    INCONCLUSIVE,
    LOST,
    PLANNED,
    RUNNING,
    STATUS_LABELS,
    STATUSES,
    TRANSITIONS,
    WON,
    check_transition,
)
from ro_core.loop.hypotheses.storage import (
    EDITABLE_FIELDS,
    add_hypothesis,
    delete_hypothesis,
    get_hypothesis,
    move_status,
    score_hypothesis,
    set_status,
    update_hypothesis,
)

__all__ = [
    "EDITABLE_FIELDS",
    "FINISHED",
    "HYPOTHESIS_COLUMNS",
    "HYPOTHESIS_METRICS",
    "Hypothesis",
    "ICE",
    "IDEA",
    "INCONCLUSIVE",
    "LOCATION_SUGGESTIONS",
    "LOST",
    "MAX_SCORE",
    "MAX_TEXT",
    "MAX_TITLE",
    "MIN_SCORE",
    "OPPORTUNITY_SOURCE",
    "PIE",
    "PLANNED",
    "RUNNING",
    "SCORE_FIELDS",
    "SCORE_HELP",
    "SCORING_LABELS",
    "SCORING_METHODS",
    "SORT_KEYS",
    "SOURCE_SUGGESTIONS",
    "STATUSES",
    "STATUS_LABELS",
    "TRANSITIONS",
    "WON",
    "add_hypothesis",
    "check_score",
    "check_scoring",
    "check_transition",
    "delete_hypothesis",
    "existing_source_keys",
    "get_hypothesis",
    "hypotheses_frame",
    "hypothesis_from_opportunity",
    "ice_score",
    "list_hypotheses",
    "move_status",
    "opportunity_hypothesis_fields",
    "opportunity_key",
    "pie_score",
    "score_hypothesis",
    "set_status",
    "status_counts",
    "update_hypothesis",
]
