"""A hypothesis's statuses and the moves between them: idea -> planned -> running -> won /
lost / inconclusive."""

from __future__ import annotations

from ro_core.errors import InvalidInputError

IDEA = "idea"
PLANNED = "planned"
RUNNING = "running"
WON = "won"
LOST = "lost"
INCONCLUSIVE = "inconclusive"
STATUSES: tuple[str, ...] = (IDEA, PLANNED, RUNNING, WON, LOST, INCONCLUSIVE)
STATUS_LABELS = {
    IDEA: "Idea",
    PLANNED: "Planned",
    RUNNING: "Running",
    WON: "Won",
    LOST: "Lost",
    INCONCLUSIVE: "Inconclusive",
}
FINISHED = frozenset({WON, LOST, INCONCLUSIVE})
# Where each status may go next. An inconclusive test can be retried (back to the backlog or
# planned again); won and lost are final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    IDEA: (PLANNED,),
    PLANNED: (IDEA, RUNNING),
    RUNNING: (WON, LOST, INCONCLUSIVE),
    WON: (),
    LOST: (),
    INCONCLUSIVE: (IDEA, PLANNED),
}


def check_transition(current: str, new: str) -> None:
    """Raise InvalidInputError unless a hypothesis may move from `current` to `new`."""
    if new not in STATUSES:
        raise InvalidInputError(f"Unknown status {new!r}: use one of {', '.join(STATUSES)}.")
    if new in TRANSITIONS.get(current, ()):
        return
    allowed = TRANSITIONS.get(current, ())
    if allowed:
        options = " or ".join(STATUS_LABELS[s].lower() for s in allowed)
        hint = f"From {STATUS_LABELS[current].lower()} it can move to {options}."
    else:
        hint = f"{STATUS_LABELS[current]} is final: write a new hypothesis to test a follow-up."
    flow = "idea -> planned -> running -> won / lost / inconclusive"
    raise InvalidInputError(
        f"A hypothesis that is {STATUS_LABELS[current].lower()} cannot move to "
        f"{STATUS_LABELS[new].lower()} (the flow is {flow}). {hint}",
        title="Not a possible step",
    )
