"""Which traffic source the store's figures use: the user's remembered pick, else the default.

One source answers every question (KPIs, trends, funnel, segments, decomposition,
opportunities); sources are never added together. The edges (sidebar, CLI) put the chosen source
into the scope's filters, so every figure uses and names the same one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ro_core.metrics.traffic import SOURCE_LABELS, default_traffic_source
from ro_core.store import schema
from ro_core.store.db import Database
from ro_core.store.settings import get_setting, set_setting

TRAFFIC_SOURCE_SETTING = "traffic_source"


@dataclass(frozen=True)
class SourceChoice:
    """A traffic source the store has: its key, its name and the sessions it reports."""

    source: str
    label: str
    first: object
    last: object


def traffic_source_choices(db: Database) -> list[SourceChoice]:
    """Every source with session rows, the default first."""
    rows = db.fetch_all(
        f"""SELECT traffic_source, min(period_start), max(period_end) FROM {schema.TRAFFIC}
        WHERE sessions IS NOT NULL GROUP BY 1 ORDER BY 1"""
    )
    default = default_traffic_source(db)
    choices = [SourceChoice(r[0], SOURCE_LABELS.get(r[0], r[0]), r[1], r[2]) for r in rows]
    return sorted(choices, key=lambda c: (c.source != default, c.source))


def chosen_traffic_source(db: Database) -> str | None:
    """The remembered pick while that source still has sessions, else the default source."""
    present = {c.source for c in traffic_source_choices(db)}
    picked = get_setting(db, TRAFFIC_SOURCE_SETTING)
    if picked in present:
        return picked
    return default_traffic_source(db)


def remember_traffic_source(db: Database, source: str) -> None:
    """Remember the user's pick (only when it differs from what is stored)."""
    if get_setting(db, TRAFFIC_SOURCE_SETTING) != source:
        set_setting(db, TRAFFIC_SOURCE_SETTING, source)
